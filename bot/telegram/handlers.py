"""The handlers for messages, commands and inline queries, and the guards that run first.

Handlers are thin: they read the engine from ``context.bot_data`` on every update (the
curators' /reload swaps it), ask it, and turn the reply into a message with buttons.
They are registered, in the order PTB tries them, in bot.telegram.application.
"""

from __future__ import annotations

import logging
import time
from html import escape
from typing import Any

from telegram import (
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, NetworkError, TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.engine.languages import ZH, reply_language
from bot.engine.matching import Reason
from bot.engine.rendering import render_html, split_message
from bot.engine.textnorm import clean
from bot.telegram.addressing import addressed_to_bot, without_mention
from bot.telegram.context import Context
from bot.telegram.conversations import conversation_of, forget, keep
from bot.telegram.delivery import shown_so_far, start_tracking
from bot.telegram.handover import offer_last_question, wants_a_person
from bot.telegram.keyboards import markup, suggestion_rows, term_page, texts_in
from bot.telegram.language import chosen_language, interface_language, texts_for
from bot.telegram.limits import INLINE_CACHE_SECONDS, INLINE_DESCRIPTION_CHARS, INLINE_RESULTS
from bot.telegram.lookup import echo, find_term, inline_results
from bot.telegram.replying import (
    inline_query_of,
    message_of,
    send,
    send_reply,
    wait_for_store,
)

logger = logging.getLogger(__name__)


def _is_question(update: Update) -> bool:
    """A new text message that is not a command: what ``ask`` answers (if addressed)."""
    text = update.message.text if update.message is not None else None
    return text is not None and text != "" and not text.startswith("/")


# --- guards: groups -3 to -1, before any handler ---------------------------------------


async def track_shown(update: Update, context: Context) -> None:
    """Start recording what this update shows its sender (read by ``on_error``)."""
    start_tracking()


async def claim_update(update: Update, context: Context) -> None:
    """Skip an update an earlier process handled before a crash."""
    # Telegram redelivers every update the bot had not confirmed when it died
    # (bot/telegram/delivery.py confirms only handled ones), and some of those were
    # answered. Each update id is claimed in the store, and the claim is on disk before
    # anything is sent: here for most updates, and for text questions in send_reply,
    # which writes the question before answering (one wait per update, not two). An
    # update an earlier process claimed is skipped, except a text question that logged
    # no question: that one was never answered.
    store = context.bot_data.store
    if store is None:
        return
    claim = store.claim_update(update.update_id)
    if not claim.new:
        if claim.question_id is None and _is_question(update):
            logger.info("update %d was cut short by a restart; answering it", update.update_id)
        else:
            logger.info("update %d was handled before a restart; not again", update.update_id)
            raise ApplicationHandlerStop
    if not _is_question(update):
        await wait_for_store(store, claim.written, "an update's claim")


async def guard_flood(update: Update, context: Context) -> None:
    """Stop updates from a user who sends too much, with one polite notice."""
    user = update.effective_user
    if user is None or update.inline_query is not None:
        return  # inline queries arrive per keystroke; Telegram already throttles them
    message = update.effective_message
    query = update.callback_query
    if query is None:
        if message is None:
            return
        is_command = (message.text or "").startswith("/")
        if not (is_command or addressed_to_bot(message, context.bot.id, context.bot.username)):
            return  # group chatter that is not for us does not count
    verdict = context.bot_data.flood_guard.check(user.id)
    if verdict == "ok":
        return
    notice = texts_for(update, context).FLOOD if verdict == "notice" else None
    if query is not None:
        await query.answer(notice)
    elif notice is not None and message is not None:
        await message.reply_text(escape(notice))
    raise ApplicationHandlerStop


# --- commands --------------------------------------------------------------------------


async def start(update: Update, context: Context) -> None:
    """Welcome: what the bot knows, and example questions to tap; a fresh conversation."""
    forget(update, context)
    engine = context.bot_data.engine
    language = interface_language(update, context)
    streets, sources = escape(engine.streets(language)), escape(engine.about(language))
    text = texts_in(language).WELCOME.format(streets=streets, about=sources)
    examples = suggestion_rows(engine.examples(language), language)
    await send(update, text, markup(examples))


async def help_command(update: Update, context: Context) -> None:
    """How to ask, in private chats, groups and inline mode."""
    said = texts_in(interface_language(update, context))
    await send(update, said.HELP.format(username=escape(context.bot.username or "bot")))


async def about(update: Update, context: Context) -> None:
    """The reports the answers come from, with their dates."""
    language = interface_language(update, context)
    sources = escape(context.bot_data.engine.about(language))
    await send(update, texts_in(language).ABOUT.format(about=sources))


async def term(update: Update, context: Context) -> None:
    """/term 词: straight to the glossary entry; without a word, the list to tap."""
    engine = context.bot_data.engine
    # Cleaned first: a word of zero-width, control or surrogate characters is no word.
    word = clean(" ".join(context.args or ()))
    entry_id = find_term(engine, word) if word else None
    if entry_id is not None:
        started = time.perf_counter()
        # A term named in English is explained in English.
        language = reply_language(word, chosen_language(update, context))
        reply = engine.entry_reply(entry_id, language=language)
        if reply is not None:
            await send_reply(update, context, reply, time.perf_counter() - started)
            return
    # Not found (junk is no sign of the user's language): the list in their language.
    language = interface_language(update, context)
    page = term_page(engine, 0, language)
    assert page is not None  # page 0 always exists
    text, buttons = page
    if word:
        text = texts_in(language).TERM_NOT_FOUND.format(word=escape(echo(word)))
    await send(update, text, buttons)


async def unknown_command(update: Update, context: Context) -> None:
    """A command the bot does not have."""
    said = texts_in(interface_language(update, context))
    await message_of(update).reply_text(escape(said.UNKNOWN_COMMAND))


# --- messages and inline queries -------------------------------------------------------


async def ask(update: Update, context: Context) -> None:
    """Any text: the engine's reply, with buttons for what to do next."""
    message = message_of(update)
    text = without_mention(message, message.text or "", context.bot.username)
    started = time.perf_counter()
    before = conversation_of(update, context)
    language = chosen_language(update, context)
    # Pure CPU, a few milliseconds: fine on the loop.
    reply, after = context.bot_data.engine.reply(text, before, language=language)
    keep(update, context, after)
    if wants_a_person(context, reply):
        await offer_last_question(update, context, reply)
        return
    await send_reply(update, context, reply, time.perf_counter() - started)


def _kind(message: Message, said: Any) -> str:
    """What to call a message that is not text, in the texts ``said``: "贴纸", "stickers"."""
    return next(
        (name for attribute, name in said.NON_TEXT_KINDS if getattr(message, attribute, None)),
        said.OTHER_KIND,
    )


async def non_text(update: Update, context: Context) -> None:
    """Stickers, photos, files…: a caption is answered, anything else a polite no."""
    message = message_of(update)
    caption = without_mention(message, message.caption or "", context.bot.username)
    if caption.strip() and not caption.lstrip().startswith("/"):
        started = time.perf_counter()
        reply = context.bot_data.engine.ask(caption, chosen_language(update, context))
        if reply.outcome != "miss" or reply.reason is not Reason.EMPTY:
            said = texts_in(reply.language)  # the note is in the reply's language
            note = said.CAPTION_NOTE.format(kind=_kind(message, said))
            await send_reply(update, context, reply, time.perf_counter() - started, note)
            return
    said = texts_for(update, context)
    await message.reply_text(escape(said.NOT_TEXT.format(kind=_kind(message, said))))


async def edited(update: Update, context: Context) -> None:
    """An edited message: ask to send it again rather than answering twice."""
    await message_of(update).reply_text(escape(texts_for(update, context).EDITED))


async def inline_query(update: Update, context: Context) -> None:
    """@bot 词 in any chat: matching entries, each sending its quoted answer."""
    query = inline_query_of(update)
    engine = context.bot_data.engine
    words = query.query.strip()
    # Words in English are answered in English; no words, in the user's language.
    language = (
        reply_language(words, chosen_language(update, context))
        if words
        else interface_language(update, context)
    )
    found = (
        inline_results(engine, words, INLINE_RESULTS, language)
        if words
        else list(engine.examples(language))
    )
    results = []
    for suggestion in found:
        reply = engine.entry_reply(suggestion.id, language=language)
        if reply is None:
            continue
        body = reply.blocks[0].body if reply.blocks else ""
        results.append(
            InlineQueryResultArticle(
                id=suggestion.id,
                title=suggestion.question,
                description=body[:INLINE_DESCRIPTION_CHARS],
                # One message is all an inline result can send: the first part.
                input_message_content=InputTextMessageContent(
                    split_message(render_html(reply))[0], parse_mode=ParseMode.HTML
                ),
            )
        )
    button = InlineQueryResultsButton(text=texts_in(language).OPEN_CHAT, start_parameter="inline")
    await query.answer(results, cache_time=INLINE_CACHE_SECONDS, button=button)


# --- errors ----------------------------------------------------------------------------


async def on_error(update: object, context: Context) -> None:
    """Log the error and tell the user something went wrong; the bot keeps running."""
    error = context.error
    if isinstance(error, Conflict):
        logger.error("another process is polling with this bot token; stop one of them")
        return
    if isinstance(error, NetworkError) and not isinstance(error, BadRequest):
        # Telegram or the network hiccuped (PTB retries polling by itself): no traceback,
        # and no apology, which could not be delivered either.
        logger.warning("network problem talking to the Bot API: %s", error)
        return
    logger.error("error while handling an update", exc_info=error)
    if not isinstance(update, Update):
        return
    shown = shown_so_far()
    if shown is not None and shown.message:
        # The reply (or part of it) went out: an apology after it would contradict it.
        logger.info("update %d had its reply delivered; no apology", update.update_id)
        return
    answered = shown is not None and shown.callback_answered
    sorry = texts_in(_language_after_error(update, context)).SORRY
    try:
        if update.callback_query is not None and not answered:
            await update.callback_query.answer(sorry)
        elif update.effective_chat is not None:  # a query is answered once: say it instead
            await update.effective_chat.send_message(escape(sorry))
    except TelegramError as failure:
        logger.warning("could not tell the user about the error: %s", failure)


def _language_after_error(update: Update, context: Context) -> str:
    """The sender's language for an apology; Chinese if even that fails (the store may be
    what broke)."""
    try:
        return interface_language(update, context)
    except Exception:
        logger.warning("could not tell the sender's language; apologising in Chinese")
        return ZH
