"""English renderings of entries (faq/en/*.yaml): read, checked against their entries, and
joined to them.

Each file maps entry ids to a `question_en` (for buttons) and an `answer_en` (a faithful
rendering of the Chinese quote). They live beside the entries rather than inside them so
that generated entries (the glossary) can have them too, and translators work apart from
curators. A rendering must state exactly the figures of its answer (bot.knowledge.figures).
Generated-only mode reads none: they are written by hand for one report.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from bot.knowledge.figures import figure_mismatch
from bot.knowledge.problems import LINE, Problem, read_yaml
from bot.knowledge.schema import ENGLISH_FILE_KEYS, ENGLISH_KEYS

if TYPE_CHECKING:
    from bot.knowledge.loading import Entry

ENGLISH_DIR = "en"  # under faq/
QUESTION_EN_CHARS = 60  # a button's label


def english_files(faq_dir: Path) -> list[Path]:
    return sorted((faq_dir / ENGLISH_DIR).glob("*.yaml"))


def add_english(
    entries: dict[str, Entry], path: Path, display: str, problems: list[Problem]
) -> None:
    """Join the renderings in ``path`` to ``entries`` (id -> Entry), in place; each
    problem (unknown id, missing text, a figure changed) is added to ``problems``."""
    data = read_yaml(path, display, problems)
    if data is None:
        return
    for key in sorted(str(k) for k in data if k != LINE and k not in ENGLISH_FILE_KEYS):
        problems.append(Problem(display, data[LINE], None, f"unknown key {key!r}"))
    renderings = data.get("entries") or {}
    if not isinstance(renderings, dict):
        problems.append(Problem(display, data[LINE], None, "'entries' must map ids to renderings"))
        return
    for entry_id, rendering in renderings.items():
        if entry_id == LINE:
            continue
        line = rendering.get(LINE, data[LINE]) if isinstance(rendering, dict) else data[LINE]
        problem = _problem(entries, str(entry_id), rendering)
        if problem:
            problems.append(Problem(display, line, str(entry_id), problem))
            continue
        entries[entry_id] = replace(
            entries[entry_id],
            question_en=str(rendering["question_en"]).strip(),
            answer_en=str(rendering["answer_en"]).strip(),
        )


def _problem(entries: dict[str, Entry], entry_id: str, rendering: object) -> str | None:
    if entry_id not in entries:
        return "English given for an entry that does not exist"
    if not isinstance(rendering, dict):
        return "each rendering must be a mapping with question_en and answer_en"
    unknown = sorted(str(k) for k in rendering if k != LINE and k not in ENGLISH_KEYS)
    if unknown:
        return f"unknown key {unknown[0]!r}"
    question, answer = rendering.get("question_en"), rendering.get("answer_en")
    if not (isinstance(question, str) and question.strip()):
        return "'question_en' is missing or empty"
    if len(question.strip()) > QUESTION_EN_CHARS:
        return f"'question_en' is longer than {QUESTION_EN_CHARS} characters (a button)"
    if not (isinstance(answer, str) and answer.strip()):
        return "'answer_en' is missing or empty"
    mismatch = figure_mismatch(entries[entry_id].answer, answer)
    if mismatch:
        return f"answer_en does not state the answer's figures: {mismatch}"
    return None
