"""The wording a question is compared on: streets and years stripped, sound keys, the
text the embedding model reads, and whether it is English."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping, Sequence

from bot.engine.textnorm import content, fold, sound_key, subject, to_simplified

BOTH_STREETS = ("两个街道", "两街道", "两边街道")
YEAR_WORD = re.compile(r"(?<![0-9])20[0-9]{2}年(?:度)?")
ENGLISH_SHARE = 0.5  # of a question's letters in Latin script: read as English
REPEATED_MARK = re.compile(r"([^\w\s])\1+")
LATIN_RUN = re.compile(r"[A-Za-z]+")
CLAUSE_BREAK = re.compile(r"[；;。，,：:！!？?]")
CLAUSE_MIN_CHARS = 6


class Wording:
    """How one knowledge base's texts are compared: its streets' names (from
    data/reports.yaml) and years are context, not subject."""

    def __init__(self, street_names: Mapping[str, Sequence[str]]):
        self.street_names = {street: tuple(names) for street, names in street_names.items()}
        # Longest first: 两个街道 before 街道 names, 坪山街道 before 坪山.
        self._street_words = sorted(
            {fold(w) for w in (*BOTH_STREETS, *(n for ns in street_names.values() for n in ns))},
            key=len,
            reverse=True,
        )

    def strip_streets(self, text: str) -> str:
        for name in self._street_words:
            text = text.replace(name, "")
        return text

    def spelling_of(self, text: str) -> str:
        # Like a street's name, a year the reports cover is context, not subject: "2021年
        # 养老有啥新打算" is about 养老, not about every entry that names 2021.
        return subject(YEAR_WORD.sub("", self.strip_streets(content(text))))

    def key_of(self, text: str) -> str:
        return sound_key(self.spelling_of(text))


@functools.lru_cache(maxsize=4096)  # asked of the same texts a dozen times a question
def latin_share(text: str) -> float:
    """Share of a question's letters and characters that are Latin letters (English)."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    return sum(c.isascii() for c in letters) / len(letters)


def reads_as_english(text: str) -> bool:
    """Whether a message as the resident typed it (not folded) is written in English.

    Letters glued to digits are a code (PM2.5, 5G), and one Latin word among Chinese is a
    name or a borrowed word (wifi密码, Guanhu呢): neither makes a Chinese message English."""
    letters = sum(c.isalpha() for c in text)
    words = [w.group(0) for w in LATIN_RUN.finditer(text) if not _glued_to_a_digit(text, w)]
    if len(words) == 1 and any(c.isalpha() and not c.isascii() for c in text):
        return False
    return bool(letters) and sum(map(len, words)) / letters >= ENGLISH_SHARE


def _glued_to_a_digit(text: str, word: re.Match[str]) -> bool:
    before = text[word.start() - 1] if word.start() else ""
    after = text[word.end()] if word.end() < len(text) else ""
    return before.isdigit() or after.isdigit()


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
