"""The inline keyboards under replies: which buttons an outcome gets, and the /term pages."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.engine import messages as texts
from bot.engine import messages_en
from bot.engine.answering import Engine, Reply, Suggestion
from bot.engine.languages import EN, ZH, english_name
from bot.engine.matching import Reason
from bot.telegram import callbacks
from bot.telegram.limits import TERMS_PER_PAGE

logger = logging.getLogger(__name__)

Rows = list[list[InlineKeyboardButton]]


def button(text: str, data: str) -> InlineKeyboardButton | None:
    """A callback button, or None (logged) if the data is invalid or would not fit."""
    if not callbacks.fits(data):
        logger.warning("skipping a button whose callback data is invalid: %r", data)
        return None
    return InlineKeyboardButton(text, callback_data=data)


def rows(*lines: Sequence[InlineKeyboardButton | None]) -> Rows:
    """Rows without the buttons that could not be made, and without empty rows."""
    kept = [[b for b in line if b is not None] for line in lines]
    return [line for line in kept if line]


def pairs(buttons: Sequence[InlineKeyboardButton | None]) -> Rows:
    """``buttons`` two to a row."""
    return rows(*(buttons[i : i + 2] for i in range(0, len(buttons), 2)))


def markup(keyboard: Rows) -> InlineKeyboardMarkup | None:
    return InlineKeyboardMarkup(keyboard) if keyboard else None


def texts_in(language: str) -> Any:
    """The texts of buttons and commands in ``language``: bot.engine.messages or
    messages_en (the two name their texts alike)."""
    return messages_en if language == EN else texts


def term_label(engine: Engine, suggestion: Suggestion, language: str = ZH) -> str:
    """A glossary entry's short name for a button ("“六零”行动", "road chief system"),
    else its question."""
    entry = engine.kb.entries.get(suggestion.id)
    if entry is None:
        return suggestion.question
    name = english_name(entry) if language == EN else None
    return name or entry.term or suggestion.question


def suggestion_rows(suggestions: Sequence[Suggestion], language: str = ZH) -> Rows:
    english = language == EN
    return rows(*([button(s.question, callbacks.answer_data(s.id, english))] for s in suggestions))


def notify_row(question_id: str, language: str = ZH) -> Rows:
    label = texts_in(language).NOTIFY_BUTTON
    return rows([button(label, callbacks.notify_data(question_id))])


def handover_row(question_id: str, language: str = ZH) -> Rows:
    label = texts_in(language).HANDOVER_BUTTON
    return rows([button(label, callbacks.handover_offer_data(question_id))])


def can_notify(reply: Reply) -> bool:
    """Whether "有答案时通知我" makes sense: not for an empty message, another place or a
    service neither report mentions, which no curated answer (a quote) will ever cover."""
    return reply.question.strip() != "" and reply.reason not in (
        Reason.EMPTY,
        Reason.OTHER_PLACE,
        Reason.UNCOVERED_TOPIC,
    )


def reply_keyboard(
    engine: Engine, reply: Reply, question_id: str, stored: bool, staff: bool = False
) -> InlineKeyboardMarkup | None:
    """The buttons under a reply: votes and related questions, candidates, or examples.

    Buttons that record something (votes, 通知我) are only offered when there is a store;
    "转给工作人员" under a miss only when there is also a staff chat to pass it to.
    """
    keyboard: Rows = []
    language, said = reply.language, texts_in(reply.language)
    english = language == EN
    if reply.outcome == "answer":
        if stored and reply.entry_id:
            up = callbacks.vote_data("up", question_id, reply.entry_id)
            down = callbacks.vote_data("down", question_id, reply.entry_id)
            keyboard += rows([button(said.VOTE_UP, up), button(said.VOTE_DOWN, down)])
        keyboard += suggestion_rows(reply.suggestions, language)
        keyboard += pairs(
            [
                button(
                    texts.TERM_BUTTON.format(term=term_label(engine, s, language)),
                    callbacks.term_data(s.id, english),
                )
                for s in reply.terms
            ]
        )
    elif reply.outcome == "clarify":
        keyboard += suggestion_rows(reply.suggestions, language)
        keyboard += rows([button(said.NONE_BUTTON, callbacks.none_data(question_id))])
    elif reply.outcome == "miss":
        keyboard += suggestion_rows(reply.suggestions, language)
        if stored and can_notify(reply):
            keyboard += notify_row(question_id, language)
        if stored and staff and reply.reason is not Reason.EMPTY:
            keyboard += handover_row(question_id, language)
    else:  # intent: greetings and "what can you do" come with examples
        keyboard += suggestion_rows(reply.suggestions, language)
    return markup(keyboard)


def term_page(
    engine: Engine, page: int, language: str = ZH
) -> tuple[str, InlineKeyboardMarkup | None] | None:
    """Text and buttons for one page of the glossary, or None if there is no such page."""
    glossary = engine.glossary(language)
    pages = max(1, -(-len(glossary) // TERMS_PER_PAGE))
    if not 0 <= page < pages:
        return None
    said, english = texts_in(language), language == EN
    shown = glossary[page * TERMS_PER_PAGE : (page + 1) * TERMS_PER_PAGE]
    keyboard = pairs(
        [button(term_label(engine, s, language), callbacks.term_data(s.id, english)) for s in shown]
    )
    nav = []
    if page > 0:
        nav.append(button(said.PREVIOUS_PAGE, callbacks.page_data(page - 1, english)))
    if page < pages - 1:
        nav.append(button(said.NEXT_PAGE, callbacks.page_data(page + 1, english)))
    keyboard += rows(nav)
    text = said.TERM_LIST.format(count=len(glossary), page=page + 1, pages=pages)
    return text, markup(keyboard)


def without_buttons(carried: InlineKeyboardMarkup | None, prefix: str) -> InlineKeyboardMarkup:
    """``carried`` minus the buttons whose data starts with ``prefix`` (an empty keyboard
    removes the keyboard)."""
    keyboard = []
    for line in carried.inline_keyboard if carried else ():
        kept = [b for b in line if not str(b.callback_data or "").startswith(prefix)]
        if kept:
            keyboard.append(kept)
    return InlineKeyboardMarkup(keyboard)
