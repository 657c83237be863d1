"""Who a message is for: private chats always, in groups a mention of the bot or a reply."""

from __future__ import annotations

import re

from telegram import Message
from telegram.constants import ChatType
from telegram.ext import filters


def _mention(username: str) -> re.Pattern[str]:
    # Usernames are ASCII: a Chinese character right before or after still ends the
    # mention ("六零@bot是什么"), but "@bot_2" or "x@bot" is someone or something else.
    return re.compile(rf"(?<![A-Za-z0-9_@])@{re.escape(username)}(?![A-Za-z0-9_])", re.I)


def addressed_to_bot(message: Message, bot_id: int, username: str | None) -> bool:
    """Private chats always; in groups only a mention of the bot or a reply to it."""
    if message.via_bot is not None and message.via_bot.id == bot_id:
        return False  # an inline result someone sent: it is our own answer, not a question
    if message.chat.type == ChatType.PRIVATE:
        return True
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot_id:
        return True
    text = message.text or message.caption or ""
    return bool(username) and _mention(username or "").search(text) is not None


def strip_mention(text: str, username: str | None) -> str:
    return _mention(username).sub(" ", text).strip() if username else text


def without_mention(message: Message, text: str, username: str | None) -> str:
    """``text`` of ``message`` without the mention that addressed the bot in a group."""
    return text if message.chat.type == ChatType.PRIVATE else strip_mention(text, username)


class _AddressedToBot(filters.MessageFilter):
    """Messages meant for the bot (see ``addressed_to_bot``)."""

    def filter(self, message: Message) -> bool:
        bot = message.get_bot()
        return addressed_to_bot(message, bot.id, bot.username)


ADDRESSED = _AddressedToBot(name="addressed_to_bot")
