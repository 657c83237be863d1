"""One handler per kind of button (bot.telegram.callbacks), each checking the tap first.

A tap is checked against the current engine before anything is done: data that parses
but names what the engine no longer has (a reload removed it) gets STALE; data no
pattern matches reaches ``on_unknown_button`` and gets TAMPERED. Every notice is in the
tapper's language (bot.telegram.language ``interface_language``).
"""

from __future__ import annotations

import time
from html import escape

from telegram import CallbackQuery, InlineKeyboardMarkup, Update

from bot.engine.languages import EN, ZH, reply_language
from bot.telegram.callbacks import NONE_PREFIX, NOTIFY_PREFIX, VOTE_PREFIX, Button, parse_callback
from bot.telegram.context import Context
from bot.telegram.conversations import conversation_of, keep
from bot.telegram.handover import on_handover, on_offer, on_staff_reply_button
from bot.telegram.keyboards import (
    markup,
    notify_row,
    suggestion_rows,
    term_page,
    texts_in,
    without_buttons,
)
from bot.telegram.language import chosen_language, interface_language, on_language, texts_for
from bot.telegram.lookup import is_glossary_entry, known_answer_id
from bot.telegram.replying import carried_markup, edit_markup, query_of, send, send_reply


async def _tapped(update: Update, context: Context) -> tuple[CallbackQuery, Button] | None:
    """The query and its parsed button; None (TAMPERED said) if the data does not parse."""
    query = query_of(update)
    button = parse_callback(query.data)
    if button is None:  # the handler's pattern matched, so only if a pattern is wrong
        await query.answer(texts_for(update, context).TAMPERED)
        return None
    return query, button


async def _answer_entry(
    update: Update, context: Context, entry_id: str, known: bool, english: bool
) -> None:
    """Send the answer for ``entry_id`` if ``known`` and the engine still has it: in
    English when the button was under an English reply, or the user chose English."""
    query = query_of(update)
    started = time.perf_counter()
    reply = None
    if known:
        language = EN if english else reply_language("", chosen_language(update, context))
        # The conversation is now about what was tapped: "具体有几家" asks after it.
        before = conversation_of(update, context)
        reply, after = context.bot_data.engine.choose(entry_id, before, language=language)
    if reply is None:
        await query.answer(texts_for(update, context).STALE)
        return
    keep(update, context, after)
    await query.answer()
    await send_reply(update, context, reply, time.perf_counter() - started)


async def on_answer(update: Update, context: Context) -> None:
    """A suggested question, candidate or example: its answer."""
    if (tapped := await _tapped(update, context)) is not None:
        entry_id = tapped[1].entry_id or ""
        # (a clarify offers report passages as well as entries: 以天虹商圈e家党群服务中心为阵地…)
        known = known_answer_id(context.bot_data.engine, entry_id)
        await _answer_entry(update, context, entry_id, known, tapped[1].english)


async def on_term(update: Update, context: Context) -> None:
    """A glossary button: the term's explanation."""
    if (tapped := await _tapped(update, context)) is not None:
        entry_id = tapped[1].entry_id or ""
        known = is_glossary_entry(context.bot_data.engine, entry_id)
        await _answer_entry(update, context, entry_id, known, tapped[1].english)


async def on_vote(update: Update, context: Context) -> None:
    """👍 or 👎 on an answer: recorded, then the vote buttons go."""
    if (tapped := await _tapped(update, context)) is None:
        return
    query, button = tapped
    assert button.entry_id is not None and button.vote is not None  # the pattern has both
    store, user = context.bot_data.store, update.effective_user
    said = texts_for(update, context)
    if not known_answer_id(context.bot_data.engine, button.entry_id):
        await query.answer(said.STALE)
        return
    if store is None:
        await query.answer(said.NO_STORE)
        return
    store.log_vote(
        question_id=button.question_id,
        user_id=user.id if user else None,
        entry_id=button.entry_id,
        vote=button.vote,
    )
    await query.answer(said.VOTE_THANKS[button.vote])
    await edit_markup(update, without_buttons(carried_markup(update), VOTE_PREFIX))


async def on_none(update: Update, context: Context) -> None:
    """ "都不是": recorded, then examples to try instead."""
    if (tapped := await _tapped(update, context)) is None:
        return
    query, button = tapped
    store, user = context.bot_data.store, update.effective_user
    if store is not None:
        store.log_vote(
            question_id=button.question_id,
            user_id=user.id if user else None,
            entry_id=None,
            vote="none",
        )
    await query.answer()
    await edit_markup(update, without_buttons(carried_markup(update), NONE_PREFIX))
    language = interface_language(update, context)
    keyboard = suggestion_rows(context.bot_data.engine.examples(language), language)
    if store is not None and button.question_id is not None:
        keyboard += notify_row(button.question_id, language)
    await send(update, escape(texts_in(language).NONE_OF_THESE), markup(keyboard))


async def on_notify(update: Update, context: Context) -> None:
    """ "有答案时通知我": a notification requested, then its button goes."""
    if (tapped := await _tapped(update, context)) is None:
        return
    query, button = tapped
    store, user, chat = context.bot_data.store, update.effective_user, update.effective_chat
    language = interface_language(update, context)
    said = texts_in(language)
    if store is None or chat is None or user is None or button.question_id is None:
        await query.answer(said.NO_STORE)
        return
    # The answer, sent later, is in the language the user reads now (or chooses by then).
    store.request_notification(
        question_id=button.question_id, user_id=user.id, chat_id=chat.id, language=language
    )
    await query.answer(said.NOTIFY_OK)
    await edit_markup(update, without_buttons(carried_markup(update), NOTIFY_PREFIX))


async def on_page(update: Update, context: Context) -> None:
    """Another page of the /term list, in place."""
    if (tapped := await _tapped(update, context)) is None:
        return
    query, button = tapped
    page = term_page(context.bot_data.engine, button.page, EN if button.english else ZH)
    if page is None:
        await query.answer(texts_for(update, context).STALE)
        return
    await query.answer()
    await edit_markup(update, page[1] or InlineKeyboardMarkup([]))


async def on_unknown_button(update: Update, context: Context) -> None:
    """Callback data nobody claimed: old or forged; say so instead of spinning."""
    await query_of(update).answer(texts_for(update, context).TAMPERED)


# Kind of button (a key of callbacks.PATTERNS) -> its handler, for residents' buttons.
BUTTON_HANDLERS = {
    "answer": on_answer,
    "term": on_term,
    "vote": on_vote,
    "none": on_none,
    "notify": on_notify,
    "page": on_page,
    "handover_offer": on_offer,
    "handover": on_handover,
    "staff_reply": on_staff_reply_button,
    "language": on_language,
}
