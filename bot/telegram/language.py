"""Which language a Telegram user is answered in: /lang and its buttons, the choice kept
per user (in the store, so it survives a restart), and Telegram's ``language_code``.

Replies: a question in English is answered in English whatever the choice, a question in
Chinese in Chinese unless the user chose English (bot.engine.languages). Everything else
the bot says to a resident (commands, tap notices, the handover, notices about stickers
or flooding, what is sent later): ``interface_language``, the one rule.
"""

from __future__ import annotations

import time
from html import escape
from typing import Any

from telegram import Update

from bot.engine import messages as texts
from bot.engine.languages import EN, LANGUAGES, ZH
from bot.telegram.callbacks import language_data, parse_callback
from bot.telegram.context import Context
from bot.telegram.conversations import conversation_of
from bot.telegram.keyboards import button, markup, rows, texts_in, without_buttons
from bot.telegram.replying import carried_markup, edit_markup, query_of, send

# What /lang accepts after it (folded to lower case), and the language each word means.
LANGUAGE_WORDS = {
    **dict.fromkeys(("en", "english", "eng", "英文", "英语"), EN),
    **dict.fromkeys(("zh", "cn", "chinese", "中文", "汉语", "普通话"), ZH),
}
LANGUAGE_PREFIX = "l:"


def chosen_language(update: Update, context: Context) -> str | None:
    """The language the sender chose with /lang, or None if they never did."""
    user = update.effective_user
    if user is None:
        return None
    store = context.bot_data.store
    if store is not None:
        return store.language(user.id)
    return context.bot_data.languages.get(user.id)


def interface_language(update: Update, context: Context) -> str:
    """The language of what the bot itself says to the sender: their /lang choice; else
    English if their last question in this conversation was answered in English; else
    their Telegram language ("en", "en-GB": English); else Chinese."""
    choice = chosen_language(update, context)
    if choice in LANGUAGES:
        return choice
    last = conversation_of(update, context)
    if last.language == EN and not last.expired(time.time()):
        return EN
    user = update.effective_user
    code = (user.language_code or "") if user is not None else ""
    return EN if code.lower().startswith("en") else ZH


def texts_for(update: Update, context: Context) -> Any:
    """The texts (bot.engine.messages or messages_en) in the sender's language."""
    return texts_in(interface_language(update, context))


def _keep(update: Update, context: Context, language: str) -> None:
    user = update.effective_user
    if user is None:
        return
    store = context.bot_data.store
    if store is not None:
        store.save_language(user.id, language)
    else:
        context.bot_data.languages[user.id] = language


def _confirmation(language: str) -> str:
    return str(texts_in(language).LANGUAGE_SET)


async def lang(update: Update, context: Context) -> None:
    """/lang en, /lang zh: answer in that language from now on; /lang alone: buttons."""
    word = " ".join(context.args or ()).strip().lower()
    language = LANGUAGE_WORDS.get(word)
    if language is not None:
        _keep(update, context, language)
        await send(update, escape(_confirmation(language)))
        return
    said = texts_for(update, context)
    prompt = said.LANGUAGE_UNKNOWN if word else said.LANGUAGE_PROMPT
    choices = [button(label, language_data(code)) for code, label in texts.LANGUAGE_BUTTONS]
    await send(update, escape(prompt), markup(rows(choices)))


async def on_language(update: Update, context: Context) -> None:
    """A /lang button: the choice kept, the buttons gone, and a word in that language."""
    query = query_of(update)
    tapped = parse_callback(query.data)
    if tapped is None or tapped.language not in LANGUAGES:
        await query.answer(texts_for(update, context).TAMPERED)
        return
    language = tapped.language
    _keep(update, context, language)
    await query.answer()
    await edit_markup(update, without_buttons(carried_markup(update), LANGUAGE_PREFIX))
    await send(update, escape(_confirmation(language)))
