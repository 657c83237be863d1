"""Handing a resident over to the street's staff (POLICYBOT_STAFF_CHAT), and relaying the
one reply back.

A resident asks for a person ("转人工") or taps "转给工作人员" under a miss; the bot shows
what it would pass on and passes it only when the resident confirms, masked, and with who
asks only if the resident chose to share it. In the staff chat, a reply to the bot's
message (or to its reply prompt) is relayed to the resident once; both ends are logged in
the store (bot.store.handovers). Without a staff chat none of this is offered: the
engine's own reply says honestly that no person can be reached through the bot.

The resident reads everything in their language (bot.telegram.language), the relayed
reply's frame included (kept with the handover); the staff chat's texts stay Chinese.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import timedelta
from html import escape
from typing import Any

from telegram import ForceReply, Message, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import filters

from bot.engine import messages as texts
from bot.engine.answering import Reply
from bot.store.clock import utc_now
from bot.telegram import callbacks
from bot.telegram.context import Context
from bot.telegram.keyboards import Rows, button, markup, rows, texts_in, without_buttons
from bot.telegram.language import interface_language, texts_for
from bot.telegram.replying import (
    carried_markup,
    edit_markup,
    log_question,
    message_of,
    query_of,
    send,
)

logger = logging.getLogger(__name__)

HUMAN_INTENT = "human"  # intents/conversation.yaml: 转人工, 找工作人员, 我要投诉…
# The question "转人工" passes on: the asker's own, asked in the last few minutes.
RECENT = timedelta(minutes=10)
# How the staff chat's messages name a handover: the tag the bot wrote, read back from
# the message a staff member replies to.
TAG = re.compile(r"#(h[0-9a-f]{8})\b")


def staff_chat(context: Context) -> int | None:
    """The staff chat when handover is possible: configured, and a store to log it."""
    if context.bot_data.store is None:
        return None
    return context.bot_data.settings.staff_chat


def wants_a_person(context: Context, reply: Reply) -> bool:
    """Whether ``reply`` is the engine's answer to "转人工" and a person can be reached."""
    return reply.intent == HUMAN_INTENT and staff_chat(context) is not None


def _tag_replied_to(message: Message) -> str | None:
    """The handover a message replies to: the tag in a bot's message it answers."""
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or not replied.from_user.is_bot:
        return None
    found = TAG.search(replied.text or "")
    return found.group(1) if found else None


class RepliesToHandover(filters.MessageFilter):
    """A message replying to a bot's message that names a handover (#h…)."""

    def filter(self, message: Message) -> bool:
        return _tag_replied_to(message) is not None


def _offer(said: Any, question_id: str, question: str) -> tuple[str, Rows]:
    """What would be passed on, and the buttons to confirm, in the texts ``said``."""
    text = said.HANDOVER_OFFER.format(question=escape(question))
    keyboard = rows(
        [button(said.HANDOVER_SEND_BUTTON, callbacks.handover_data(question_id, False))],
        [button(said.HANDOVER_SHARE_BUTTON, callbacks.handover_data(question_id, True))],
    )
    return text, keyboard


async def offer_last_question(update: Update, context: Context, reply: Reply) -> None:
    """ "转人工": offer to pass on the resident's last question, or ask for it first."""
    store, user = context.bot_data.store, update.effective_user
    assert store is not None  # wants_a_person
    since = utc_now() - RECENT
    last = await asyncio.to_thread(store.last_question, user.id if user else None, since)
    log_question(update, context, reply, 0.0)
    said = texts_for(update, context)
    if last is None:
        await send(update, escape(said.HANDOVER_ASK_FIRST))
        return
    text, keyboard = _offer(said, *last)
    await send(update, text, markup(keyboard))


async def on_offer(update: Update, context: Context) -> None:
    """ "转给工作人员" under a miss: what would be passed on, to confirm."""
    query = query_of(update)
    button_ = callbacks.parse_callback(query.data)
    store, user = context.bot_data.store, update.effective_user
    said = texts_for(update, context)
    if button_ is None or button_.question_id is None or store is None or not staff_chat(context):
        await query.answer(said.STALE)
        return
    question = await asyncio.to_thread(
        store.asked_by, button_.question_id, user.id if user else None
    )
    if question is None:
        await query.answer(said.HANDOVER_NOT_YOURS)
        return
    await query.answer()
    text, keyboard = _offer(said, button_.question_id, question)
    await send(update, text, markup(keyboard))


async def on_handover(update: Update, context: Context) -> None:
    """A confirmed handover: the question goes to the staff chat, once."""
    query = query_of(update)
    button_ = callbacks.parse_callback(query.data)
    store, user, chat = context.bot_data.store, update.effective_user, update.effective_chat
    staff = staff_chat(context)
    language = interface_language(update, context)
    said = texts_in(language)
    if button_ is None or button_.question_id is None or store is None or staff is None:
        await query.answer(said.STALE)
        return
    if user is None or chat is None:
        await query.answer(said.HANDOVER_NOT_YOURS)
        return
    question = await asyncio.to_thread(store.asked_by, button_.question_id, user.id)
    if question is None:
        await query.answer(said.HANDOVER_NOT_YOURS)
        return
    handover, opened = await asyncio.to_thread(
        lambda: store.open_handover(
            question_id=button_.question_id or "",
            question=question,
            user_id=user.id,
            chat_id=chat.id,
            shared_contact=button_.share_contact,
            language=language,
        )
    )
    if not opened:
        await query.answer(said.HANDOVER_ALREADY)
        return
    who = (
        texts.HANDOVER_STAFF_CONTACT.format(contact=user.mention_html())
        if button_.share_contact
        else escape(texts.HANDOVER_STAFF_ANONYMOUS)
    )
    text = texts.HANDOVER_STAFF.format(
        handover=handover.id, question=escape(handover.question), who=who
    )
    reply_button = markup(
        rows([button(texts.HANDOVER_REPLY_BUTTON, callbacks.staff_reply_data(handover.id))])
    )
    try:
        await context.bot.send_message(staff, text, reply_markup=reply_button)
    except TelegramError as error:
        # The bot is not in the staff group, or was removed: say so, do not pretend.
        logger.error("could not post handover %s to the staff chat: %s", handover.id, error)
        await query.answer(said.HANDOVER_FAILED, show_alert=True)
        return
    await query.answer()
    await edit_markup(update, without_buttons(carried_markup(update), callbacks.HANDOVER_PREFIX))
    await send(update, escape(said.HANDOVER_SENT))


async def on_staff_reply_button(update: Update, context: Context) -> None:
    """ "回复居民" in the staff chat: a prompt to reply to, which carries the handover's tag."""
    query = query_of(update)
    button_ = callbacks.parse_callback(query.data)
    chat = update.effective_chat
    if button_ is None or chat is None or chat.id != staff_chat(context):
        await query.answer(texts.TAMPERED)
        return
    await query.answer()
    prompt = texts.HANDOVER_REPLY_PROMPT.format(handover=button_.handover_id)
    await chat.send_message(escape(prompt), reply_markup=ForceReply())


async def on_staff_reply(update: Update, context: Context) -> None:
    """A reply in the staff chat to a handover: relayed to the resident, once."""
    message = message_of(update)
    handover_id = _tag_replied_to(message)
    store, staff = context.bot_data.store, message.from_user
    replied = message.reply_to_message
    author = replied.from_user if replied is not None else None
    # Another bot in the group could quote a tag: only the bot's own messages count.
    if handover_id is None or store is None or author is None or author.id != context.bot.id:
        await message.reply_text(escape(texts.HANDOVER_UNKNOWN))
        return
    claimed = await asyncio.to_thread(
        store.claim_handover_reply, handover_id, message.text or "", staff.id if staff else None
    )
    if claimed is None:
        known = await asyncio.to_thread(store.handover, handover_id)
        await message.reply_text(
            escape(texts.HANDOVER_ANSWERED if known else texts.HANDOVER_UNKNOWN)
        )
        return
    delivered = claimed.chat_id is not None and await _relay(
        context, claimed.chat_id, claimed.question, message.text or "", claimed.language
    )
    await asyncio.to_thread(store.handover_relayed, handover_id, delivered)
    await message.reply_text(
        escape(texts.HANDOVER_RELAYED if delivered else texts.HANDOVER_NOT_DELIVERED)
    )


async def _relay(context: Context, chat_id: int, question: str, reply: str, language: str) -> bool:
    """Send the staff reply to the resident, framed in their language; whether it arrived."""
    said = texts_in(language)
    text = said.HANDOVER_RELAY.format(question=escape(question), reply=escape(reply))
    try:
        await context.bot.send_message(chat_id, text)
    except (Forbidden, BadRequest) as error:
        logger.warning("could not relay a staff reply: %s", error)
        return False
    return True
