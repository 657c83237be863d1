"""The wording a question is compared on: streets and years stripped, sound keys, the
text the embedding model reads, and whether it is English."""

from __future__ import annotations

import re
import unicodedata

from bot.engine.textnorm import content, fold, sound_key, subject, to_simplified

STREET_NAMES = {
    "pingshan": ("坪山街道", "坪山区", "坪山"),
    "guanhu": ("观湖街道", "观湖"),
}
BOTH_STREETS = ("两个街道", "两街道", "两边街道")
# Which street (or both) is context, not subject: stripped before wording is compared.
STREET_WORDS = sorted(
    {fold(w) for w in (*BOTH_STREETS, *(n for names in STREET_NAMES.values() for n in names))},
    key=len,
    reverse=True,
)
YEAR_WORD = re.compile(r"(?<![0-9])20[0-9]{2}年(?:度)?")
ENGLISH_SHARE = 0.5  # of a question's letters in Latin script: read as English
REPEATED_MARK = re.compile(r"([^\w\s])\1+")
CLAUSE_BREAK = re.compile(r"[；;。，,：:！!？?]")
CLAUSE_MIN_CHARS = 6


def strip_streets(text: str) -> str:
    # Longest first: 两个街道 before 街道 names, 坪山街道 before 坪山.
    for name in STREET_WORDS:
        text = text.replace(name, "")
    return text


def spelling_of(text: str) -> str:
    # Like a street's name, a year the reports cover is context, not subject: "2021年养老
    # 有啥新打算" is about 养老, not about every entry that names 2021.
    return subject(YEAR_WORD.sub("", strip_streets(content(text))))


def key_of(text: str) -> str:
    return sound_key(spelling_of(text))


def latin_share(text: str) -> float:
    """Share of a question's letters and characters that are Latin letters (English)."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    return sum(c.isascii() for c in letters) / len(letters)


def clauses(text: str) -> list[str]:
    """The clauses of a long sentence: a resident's question is usually about one of them,
    and a whole sentence's vector blurs what each clause says."""
    parts = [part.strip() for part in CLAUSE_BREAK.split(text)]
    found = [part for part in parts if len(part) >= CLAUSE_MIN_CHARS]
    return found if len(found) > 1 else []


def for_model(text: str) -> str:
    """A question as the embedding model should read it: simplified, half-width, no
    invisible characters; filler and punctuation kept, they are part of natural text."""
    text = unicodedata.normalize("NFKC", to_simplified(text)).strip()
    # "托育服务吗????????" means what "托育服务吗?" means; a run of one mark would not.
    return REPEATED_MARK.sub(r"\1", text)
