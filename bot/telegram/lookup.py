"""Looking things up for the handlers: a glossary term by word, ids a vote may name."""

from __future__ import annotations

import re

from bot.engine.answering import Engine
from bot.engine.textnorm import clean
from bot.telegram.limits import ECHO_CHARS


def _plain(text: str) -> str:
    return re.sub(r"[\s“”‘’\"'「」《》]", "", text).lower()


def find_term(engine: Engine, word: str) -> str | None:
    """The glossary entry for ``word``: its name, then a keyword, then the best match."""
    wanted = _plain(word)
    if not wanted:
        return None
    glossary = engine.kb.glossary
    for entry in glossary:
        if _plain(entry.term or "") == wanted:
            return entry.id
    for entry in glossary:
        if wanted in {_plain(k) for k in entry.keywords}:
            return entry.id
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
