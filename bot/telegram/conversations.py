"""Conversations in Telegram: one per private chat, and one per user within a group, kept
in the store (so they survive a restart) or, without one, in memory.

The key never holds a raw id: it is the store's keyed hash of the user, and of the group.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Protocol

from telegram import Update

from bot.engine.conversation import Conversation

if TYPE_CHECKING:
    from bot.telegram.context import Context

HELD_WITHOUT_STORE = 10_000  # conversations kept in memory when there is no store


class ConversationBook(Protocol):
    """Where conversations are kept: the store, or memory."""

    def conversation(self, key: str) -> str | None: ...

    def save_conversation(self, key: str, state: str) -> None: ...

    def forget_conversation(self, key: str) -> None: ...


class MemoryConversations:
    """The conversations of a bot with no store: the newest few thousand, in memory."""

    def __init__(self, limit: int = HELD_WITHOUT_STORE):
        self.limit = limit
        self._states: OrderedDict[str, str] = OrderedDict()

    def conversation(self, key: str) -> str | None:
        return self._states.get(key)

    def save_conversation(self, key: str, state: str) -> None:
        self._states[key] = state
        self._states.move_to_end(key)
        while len(self._states) > self.limit:
            self._states.popitem(last=False)

    def forget_conversation(self, key: str) -> None:
        self._states.pop(key, None)


def _key(update: Update, context: Context) -> str | None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return None
    store = context.bot_data.store
    pseudonym = store.user_key if store is not None else str
    if chat.type == "private":
        return f"p:{pseudonym(user.id)}"
    return f"g:{pseudonym(chat.id)}:{pseudonym(user.id)}"


def _book(context: Context) -> ConversationBook:
    store = context.bot_data.store
    return store if store is not None else context.bot_data.conversations


def conversation_of(update: Update, context: Context) -> Conversation:
    """The sender's conversation in this chat (a fresh one if none, or it expired)."""
    key = _key(update, context)
    return Conversation.from_json(_book(context).conversation(key)) if key else Conversation()


def keep(update: Update, context: Context, conversation: Conversation) -> None:
    """Keep the sender's conversation after a turn (masked by the store)."""
    key = _key(update, context)
    if key is not None:
        _book(context).save_conversation(key, conversation.to_json())


def forget(update: Update, context: Context) -> None:
    """Start the sender's conversation afresh (/start)."""
    key = _key(update, context)
    if key is not None:
        _book(context).forget_conversation(key)
