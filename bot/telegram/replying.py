"""Sending replies: logging the question first, splitting long text, editing buttons."""

from __future__ import annotations

import asyncio
import logging
from html import escape
from typing import TYPE_CHECKING, Any

from telegram import CallbackQuery, InlineKeyboardMarkup, InlineQuery, Message, Update
from telegram.error import BadRequest

from bot.engine import messages as texts
from bot.engine.answering import Reply
from bot.engine.rendering import render_html, split_message
from bot.engine.textnorm import content
from bot.store.records import QuestionRecord
from bot.telegram.callbacks import new_question_id
from bot.telegram.context import Context
from bot.telegram.keyboards import reply_keyboard
from bot.telegram.limits import STORE_WAIT

if TYPE_CHECKING:
    import concurrent.futures

    from bot.store.question_log import Store

logger = logging.getLogger(__name__)


def message_of(update: Update) -> Message:
    """The update's message; its handler's filters guarantee there is one."""
    message = update.effective_message
    if message is None:
        raise TypeError(f"update {update.update_id} carries no message")
    return message


def query_of(update: Update) -> CallbackQuery:
    """The update's tapped button; its handler's type guarantees there is one."""
    if update.callback_query is None:
        raise TypeError(f"update {update.update_id} carries no callback query")
    return update.callback_query


def inline_query_of(update: Update) -> InlineQuery:
    """The update's inline query; its handler's type guarantees there is one."""
    if update.inline_query is None:
        raise TypeError(f"update {update.update_id} carries no inline query")
    return update.inline_query


def carried_markup(update: Update) -> InlineKeyboardMarkup | None:
    """The buttons of the message whose button was tapped, if it is a message."""
    message = update.callback_query.message if update.callback_query else None
    return message.reply_markup if isinstance(message, Message) else None


def log_question(update: Update, context: Context, reply: Reply, seconds: float) -> str:
    """The question's id from the store, or a fresh one when there is no store.

    A failing store must not stop the answer, so errors are logged and swallowed.
    """
    store = context.bot_data.store
    if store is None:
        return new_question_id()
    chat, user = update.effective_chat, update.effective_user
    try:
        kind = chat.type if chat else "unknown"
        record = QuestionRecord.of(
            reply, normalize=content, channel="telegram", chat_kind=kind, seconds=seconds
        )
        return store.log_question(
            record, user_id=user.id if user else None, update_id=update.update_id
        )
    except Exception:
        logger.exception("could not log a question; answering anyway")
        return new_question_id()


async def send(
    update: Update, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """Send ``text`` (HTML) to the update's chat, split to fit; buttons on the last part.

    A message is replied to (quoted in groups, by PTB's default); a tapped button's answer
    goes to the same chat and topic as the message that carried the button.
    """
    if update.callback_query is not None:
        carrier = update.callback_query.message
        origin = carrier if isinstance(carrier, Message) else None
        quote: bool | None = False
    else:
        origin = update.effective_message
        quote = None
    chat = update.effective_chat
    parts = split_message(text) if text.strip() else [escape(texts.EMPTY_MESSAGE)]
    sent = None
    for number, part in enumerate(parts, start=1):
        buttons = markup if number == len(parts) else None
        if origin is not None:
            sent = await origin.reply_text(part, reply_markup=buttons, do_quote=quote)
        elif chat is not None:
            sent = await chat.send_message(part, reply_markup=buttons)
    return sent


async def send_reply(
    update: Update, context: Context, reply: Reply, seconds: float, note: str = ""
) -> None:
    """Log ``reply`` and send it rendered (after ``note``, plain text), with the buttons
    for its outcome.

    The question is written before the answer goes out, so that after a crash an update
    with no question on record is known to be unanswered (see ``claim_update``).
    """
    engine = context.bot_data.engine
    question_id = log_question(update, context, reply, seconds)
    store = context.bot_data.store
    if store is not None:
        await wait_for_store(store, store.durable(), "the question to be written")
    logger.debug(
        "reply: outcome=%s entry=%s reason=%s", reply.outcome, reply.entry_id, reply.reason_label
    )
    text = (escape(note) + "\n\n" if note else "") + render_html(reply)
    staff = context.bot_data.settings.staff_chat is not None
    keyboard = reply_keyboard(engine, reply, question_id, store is not None, staff)
    await send(update, text, keyboard)


async def edit_markup(update: Update, markup: InlineKeyboardMarkup) -> None:
    """Replace the tapped message's buttons; a message that is gone or unchanged is fine."""
    try:
        await query_of(update).edit_message_reply_markup(reply_markup=markup)
    except BadRequest as error:
        logger.debug("could not edit the buttons: %s", error)


async def wait_for_store(
    store: Store, future: concurrent.futures.Future[Any], what: str
) -> Any | None:
    """The store's result for ``future``, or None if it is failing or slow to answer.

    Gives up as soon as the store reports a failed write (a locked or full database),
    not only after STORE_WAIT.
    """
    if store.failing:
        return None
    waiting = asyncio.wrap_future(future)
    deadline = asyncio.get_running_loop().time() + STORE_WAIT
    while not store.failing:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            logger.warning("the store did not confirm %s in %.0f s; going on", what, STORE_WAIT)
            break
        # asyncio.wait neither cancels nor raises: the writer still resolves the future.
        done, _ = await asyncio.wait({waiting}, timeout=min(remaining, 0.05))
        if done:
            return waiting.result()
    return None
