"""Looking things up for the handlers: a glossary term by word (its Chinese or English
name), inline results, ids a vote may name."""

from __future__ import annotations

import re

from bot.engine.answering import Engine, Suggestion
from bot.engine.languages import EN, ZH, english_name
from bot.engine.textnorm import clean
from bot.knowledge.loading import Entry
from bot.telegram.limits import ECHO_CHARS

# Part of a term's English name ("road chief" of "road chief system") finds it from this
# many letters: shorter words ("the", "law") are in too many names.
ENGLISH_PART_CHARS = 4


def _plain(text: str) -> str:
    return re.sub(r"[\s“”‘’\"'「」《》]", "", text).lower()


def find_term(engine: Engine, word: str) -> str | None:
    """The glossary entry for ``word``: its name, then a keyword, then the best match."""
    wanted = _plain(word)
    if not wanted:
        return None
    glossary = engine.kb.glossary
    for entry in glossary:
        if wanted in (_plain(entry.term or ""), _plain(english_name(entry) or "")):
            return entry.id
    for entry in glossary:
        if wanted in {_plain(k) for k in entry.keywords}:
            return entry.id
    named = terms_named(engine, word)
    if len(named) == 1:
        return named[0].id
    # Below, any glossary entry among twenty search results would do, so junk and words
    # the reports never use ("公积金", "%s{0}") borrowed a term ("公厕革命", "“六零”行动").
    # What the engine itself declines has no term.
    if engine.ask(word).outcome == "miss":
        return None
    ids = {entry.id for entry in glossary}
    for suggestion in engine.search(word, limit=20):
        if suggestion.id in ids:
            return suggestion.id
    return None


def _english_part(wanted: str, entry: Entry) -> bool:
    name = _plain(english_name(entry) or "")
    return len(wanted) >= ENGLISH_PART_CHARS and wanted.isascii() and wanted in name


def terms_named(engine: Engine, words: str) -> list[Entry]:
    """Glossary entries whose name, Chinese or English, holds ``words``, in report order."""
    wanted = _plain(words)
    if not wanted:
        return []
    return [
        entry
        for entry in engine.kb.glossary
        if (len(wanted) >= 2 and wanted in _plain(entry.term or "")) or _english_part(wanted, entry)
    ]


def inline_results(engine: Engine, words: str, limit: int, language: str = ZH) -> list[Suggestion]:
    """What inline mode offers for ``words``: the terms so named first, then the search."""
    named = [
        Suggestion(e.id, (e.question_en if language == EN else None) or e.question)
        for e in terms_named(engine, words)
    ]
    shown = {s.id for s in named}
    searched = [s for s in engine.search(words, limit, language) if s.id not in shown]
    return (named + searched)[:limit]


def echo(word: str) -> str:
    """``word`` fit to quote back: without control, zero-width, bidi or surrogate
    characters (a lone surrogate cannot even be sent), and short."""
    cleaned = clean(word)
    return cleaned if len(cleaned) <= ECHO_CHARS else cleaned[: ECHO_CHARS - 1] + "…"


def known_answer_id(engine: Engine, entry_id: str) -> bool:
    """An id a vote may name: an entry, or a report passage the engine quoted."""
    return entry_id in engine.kb.entries or any(p.id == entry_id for p in engine.kb.passages)


def is_glossary_entry(engine: Engine, entry_id: str) -> bool:
    """Whether a "t:" button may name ``entry_id``."""
    return any(entry.id == entry_id for entry in engine.kb.glossary)
