"""What curators are told in their chat with the bot: a message split to fit, a tapped
message's result under it, and the shape of a curator button's step (bot.telegram.curators
and bot.telegram.staff_entries share them)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from html import escape

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.engine.rendering import TELEGRAM_LIMIT, split_message
from bot.store.question_log import Store
from bot.telegram import callbacks
from bot.telegram.context import Context
from bot.telegram.replying import query_of

logger = logging.getLogger(__name__)

# Kind of "m:" button (callbacks.PATTERNS) -> what a tap does; a text means close the
# tapped message's buttons with it, then send pending notifications.
CuratorStep = Callable[[Update, Context, Store, callbacks.Button], Awaitable[str | None]]


async def say(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Send HTML ``text`` to the update's chat, split to fit; buttons on the last part."""
    message = update.effective_message
    if message is None:
        return
    parts = split_message(text)
    for number, part in enumerate(parts, start=1):
        await message.reply_text(
            part, parse_mode=ParseMode.HTML, reply_markup=markup if number == len(parts) else None
        )


async def close_buttons(update: Update, result: str, mark: str = "✅") -> None:
    """Show the result under the tapped message and take its buttons away."""
    query = query_of(update)
    original = getattr(query.message, "text_html", None) or ""
    edited = f"{original}\n\n{mark} {escape(result)}"
    try:
        if len(edited) <= TELEGRAM_LIMIT:
            await query.edit_message_text(edited, parse_mode=ParseMode.HTML, reply_markup=None)
            return
        # The last part of a long group has no room left for the result: say it below.
        await query.edit_message_reply_markup(reply_markup=None)
    except BadRequest as error:  # the message is too old or unchanged: say it instead
        logger.debug("could not edit the /missed message: %s", error)
    await say(update, escape(result))
