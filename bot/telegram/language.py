"""Which language a Telegram user is answered in: /lang and its buttons, the choice kept
per user (in the store, so it survives a restart), and Telegram's ``language_code``.

Replies: a question in English is answered in English whatever the choice, a question in
Chinese in Chinese unless the user chose English (bot.engine.languages). Commands
(/start, /help, /about, /term): the user's choice, else their Telegram language.
"""

from __future__ import annotations

from html import escape

from telegram import Update

from bot.engine import messages as texts
from bot.engine import messages_en
from bot.engine.languages import EN, LANGUAGES, ZH
from bot.telegram.callbacks import language_data, parse_callback
from bot.telegram.context import Context
from bot.telegram.keyboards import button, markup, rows, without_buttons
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
    """The language of the sender's commands: their choice, else their Telegram
    language ("en", "en-GB": English), else Chinese."""
    choice = chosen_language(update, context)
    if choice in LANGUAGES:
        return choice
    user = update.effective_user
    code = (user.language_code or "") if user is not None else ""
    return EN if code.lower().startswith("en") else ZH


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
    return messages_en.LANGUAGE_SET if language == EN else texts.LANGUAGE_SET


async def lang(update: Update, context: Context) -> None:
    """/lang en, /lang zh: answer in that language from now on; /lang alone: buttons."""
    word = " ".join(context.args or ()).strip().lower()
    language = LANGUAGE_WORDS.get(word)
    if language is not None:
        _keep(update, context, language)
        await send(update, escape(_confirmation(language)))
        return
    said = messages_en if interface_language(update, context) == EN else texts
    prompt = said.LANGUAGE_UNKNOWN if word else said.LANGUAGE_PROMPT
    choices = [button(label, language_data(code)) for code, label in texts.LANGUAGE_BUTTONS]
    await send(update, escape(prompt), markup(rows(choices)))


async def on_language(update: Update, context: Context) -> None:
    """A /lang button: the choice kept, the buttons gone, and a word in that language."""
    query = query_of(update)
    tapped = parse_callback(query.data)
    if tapped is None or tapped.language not in LANGUAGES:
        await query.answer(texts.TAMPERED)
        return
    language = tapped.language
    _keep(update, context, language)
    await query.answer()
    await edit_markup(update, without_buttons(carried_markup(update), LANGUAGE_PREFIX))
    await send(update, escape(_confirmation(language)))
