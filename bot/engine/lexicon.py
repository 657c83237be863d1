"""The report-independent lexicons: the reports' words for a resident's everyday ones
(带娃 → 托育, childcare → 托育), found in a question.

A Chinese phrase written ``verb|object`` ("看|孩子", "带|娃") is also found the other way
round, object first, a few characters before its verb within one clause: residents put the
thing they ask about first ("孩子白天谁看", "娃没人带"), which a contiguous phrase never
matches. That reading is the ``either_order`` rule.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from itertools import pairwise

from bot.engine.textnorm import fold
from bot.engine.wording import latin_share
from bot.knowledge.schema import VERB_OBJECT

# Characters allowed between an object put first and its verb, within one clause:
# "孩子白天谁看" (3), "娃没人带" (2), "路什么时候修" (4).
OBJECT_FIRST_GAP = 4
# What ends a clause: an object and a verb on either side of one belong to different
# statements ("孩子上学了, 看什么书").
CLAUSE_BREAK = re.compile(r"[\s,，。.？?！!；;：:、~～…]+")

# English number words and the numerals of Chinese names built on them: 六零 is "six
# zeros", 两个全覆盖 "two coverages", 五老 "five elders". Two is 两 or 双 in such names
# (两新, 双减), seldom 二.
NUMBER_WORDS = {
    "zero": "零",
    "one": "一",
    "two": "两双",
    "three": "三",
    "four": "四",
    "five": "五",
    "six": "六",
    "seven": "七",
    "eight": "八",
    "nine": "九",
    "ten": "十",
}
# A number word as such, also plural ("zeros"), not inside another word ("someone").
NUMBER_WORD = re.compile(r"\b(" + "|".join(NUMBER_WORDS) + r")(?:e?s)?\b", re.IGNORECASE)
# Number words in a row ("six zeros") make one name, read as one compound (六零).
NUMBER_RUN = re.compile(NUMBER_WORD.pattern + r"(?:\s+" + NUMBER_WORD.pattern + ")+", re.I)

Pairs = Sequence[tuple[Sequence[str], Sequence[str]]]


def _object_first(verb: str, obj: str) -> re.Pattern[str]:
    """The object, then a few characters, then its verb (娃没人带 for 带|娃)."""
    return re.compile(f"{re.escape(obj)}.{{0,{OBJECT_FIRST_GAP}}}?{re.escape(verb)}")


# English words that carry no topic: what is left of a question once they and the
# lexicon's phrases are taken out is what the lexicon could not lend.
FUNCTION_WORDS = frozenset(
    """
    the and for are is was were will would can could should may might must shall does did
    done has have had having been being not any some all each every other another such
    this that these those there here where when what which who whom whose why how than
    then too very just only also still yet ever even more most much many few lot lots
    about above after again against around before below between into onto from with
    without within during over under through until upon out off own same both either
    you your yours they them their theirs she her hers him his its our ours mine
    get got gets getting make made makes let lets say says said tell told know think
    want wants need needs like really actually please thanks thank okay yes yeah lol
    anyone anything someone something somebody everyone everything nobody nothing
    now today currently already soon ever new old good bad big small
    find go goes going come comes coming see look looking use using give take put keep try
    ask asking happen happens happening thing things stuff way place area nearby
    """.split()  # noqa: SIM905 (a list literal of 150 words would read worse)
)


# An English word's stem, as the lexicon's phrases are found with their words apart: a
# possessive, a plural, -ing, -ed and a final e dropped (throwing, throw; windows, window;
# centres, centre), which is enough to tell resident from residential and community from
# communist.
ENGLISH_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
STEM_ENDINGS = re.compile(r"(?:'s|’s|s'|ies|ing|ed|es|s)$")
# What ends a clause in English: a phrase's words found apart must be in one.
ENGLISH_CLAUSE = re.compile(r"[,.;:?!()]+|\band\b|\bor\b|\bbut\b")


def _stem(word: str) -> str:
    stripped = word
    if len(word) > 4 and not word.endswith("ss"):
        ending = STEM_ENDINGS.search(word)
        if ending:
            stripped = word[: ending.start()] + ("y" if ending.group() == "ies" else "")
    return stripped.removesuffix("e")


# Topic words that may stand between two of a phrase's found apart: "throw stuff out of
# high windows" is "throwing things from windows" (stuff, out and of carry no topic).
APART_GAP = 3


def _content_stems(phrase: str) -> tuple[str, ...]:
    """The stems of a phrase's words that carry its topic (no function word), in order, a
    hyphened word read as its parts (english-speaking: english, speaking)."""
    words = re.findall(r"[a-z0-9]+", phrase.lower())
    stems = (_stem(w) if len(w) > 3 else w for w in words if len(w) > 2 and w not in FUNCTION_WORDS)
    return tuple(dict.fromkeys(stems))


def _in_order(need: tuple[str, ...], stems: list[str]) -> bool:
    """Whether a phrase's topic stems stand in a clause in their order, each at most
    ``APART_GAP`` words after the one before (the first anywhere)."""
    for start, stem in enumerate(stems):
        if stem != need[0]:
            continue
        at, found = start, 1
        while found < len(need):
            window = stems[at + 1 : at + 2 + APART_GAP]
            if need[found] not in window:
                break
            at += 1 + window.index(need[found])
            found += 1
        if found == len(need):
            return True
    return False


def _singulars(found: str) -> tuple[str, ...]:
    """A phrase as found, then without a plural ending: "schemes" is "scheme" less its s,
    "churches" is "church" less its es (which to strip depends on the phrase listed)."""
    return (found, found.removesuffix("s"), found.removesuffix("es"))


class Lexicon:
    """Everyday phrases and the official words they stand for, in Chinese and English."""

    def __init__(self, chinese: Pairs = (), english: Pairs = ()):
        phrases = [
            (fold(phrase.replace(VERB_OBJECT, "")), tuple(meant))
            for everyday, meant in chinese
            for phrase in everyday
        ]
        # Longest first, as a scan of every phrase would find them.
        self._chinese = sorted(
            ((phrase, meant) for phrase, meant in phrases if len(phrase) >= 2),
            key=lambda pair: -len(pair[0]),
        )
        self._chinese_starting: dict[str, list[int]] = defaultdict(list)
        for position, (phrase, _) in enumerate(self._chinese):
            self._chinese_starting[phrase[0]].append(position)
        self._object_first = [
            (obj, _object_first(verb, obj), tuple(meant))
            for everyday, meant in chinese
            for phrase in everyday
            if phrase.count(VERB_OBJECT) == 1
            for verb, obj in [tuple(fold(part) for part in phrase.split(VERB_OBJECT))]
            if verb and obj
        ]
        # Likewise an object-first phrase can be found only where its object's first
        # character is: a search of every clause for each of them was most of a question's
        # look-up.
        self._object_starting: dict[str, list[int]] = defaultdict(list)
        for position, (obj, _, _) in enumerate(self._object_first):
            self._object_starting[obj[0]].append(position)
        self._english = {
            phrase.lower().strip(): tuple(meant)
            for everyday, meant in english
            for phrase in everyday
            if phrase.strip()
        }
        # The phrases of two topic words or more, by their stems: found inflected or with
        # a few words between ("throw stuff out of high windows" is "throwing things from
        # windows"), in their order (the ``words_apart`` reading). In another order they
        # may say another thing: "speak english" is no "english-speaking" service.
        # Only phrases of long topic words: a short one is most often a common verb (set
        # up a company, pay), found apart in questions about something else; nor one
        # written with a hyphen (clean-up, english-speaking), whose parts apart say
        # another thing ("are the rivers clean", "speak english").
        apart: dict[tuple[str, ...], tuple[str, ...]] = {}
        for everyday, meant in english:
            for phrase in everyday:
                stems = _content_stems(phrase)
                if len(stems) >= 2 and "-" not in phrase and min(map(len, stems)) >= 4:
                    apart.setdefault(stems, tuple(meant))
        self._english_apart = apart

    @classmethod
    def from_pairs(cls, lexicons: Mapping[str, Pairs]) -> Lexicon:
        """From a knowledge base's lexicons, by language ("zh", "en")."""
        return cls(lexicons.get("zh", ()), lexicons.get("en", ()))

    @functools.cached_property
    def _english_pattern(self) -> re.Pattern[str] | None:
        """Every English phrase in one pattern; compiled at the first English question (a
        twentieth of a second that a Chinese-only start-up does not need)."""
        if not self._english:
            return None
        phrases = sorted(self._english, key=len, reverse=True)
        return re.compile(r"\b(?:" + "|".join(re.escape(p) for p in phrases) + r")(?:es|s)?\b")

    def official_words(
        self, text: str, folded: str, either_order: bool = True, words_apart: bool = True
    ) -> list[str]:
        """The reports' words for the everyday phrases in a question, each once, in the
        lexicon's order (longest phrase first)."""
        groups = self.official_groups(text, folded, either_order, words_apart)
        return list(dict.fromkeys(word for group in groups for word in group))

    def official_groups(
        self, text: str, folded: str, either_order: bool = True, words_apart: bool = True
    ) -> list[tuple[str, ...]]:
        """The reports' words for each everyday phrase found in a question: one group of
        alternatives a phrase (养老, 养老服务, 为老服务), of which a text uses one or two."""
        groups: list[tuple[str, ...]] = []
        # Only the phrases that start with one of the question's characters can be in it.
        candidates = {i for char in set(folded) for i in self._chinese_starting.get(char, ())}
        for index in sorted(candidates):
            phrase, meant = self._chinese[index]
            if phrase in folded:
                groups.append(meant)
        if either_order and self._object_first:
            clauses = [fold(clause) for clause in CLAUSE_BREAK.split(text)]
            said = {char for clause in clauses for char in clause}
            for index in sorted(i for c in said for i in self._object_starting.get(c, ())):
                _, pattern, meant = self._object_first[index]
                if any(pattern.search(clause) for clause in clauses):
                    groups.append(meant)
        if latin_share(text) > 0 and self._english_pattern is not None:
            for found in self._english_pattern.findall(text.lower()):
                meant = next(
                    (self._english[f] for f in _singulars(found) if f in self._english), ()
                )
                if meant:
                    groups.append(meant)
            if words_apart:
                groups += [meant for _, meant in self._apart_in(text)]
        return list(dict.fromkeys(groups))

    def english_compounds(self, text: str) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
        """Each two English phrases found next to each other in a question (only spaces or
        a hyphen between them), as the reports' words for each: "social work village" is
        社工 then 村, which the reports may write as one word (社工村) naming one thing."""
        if latin_share(text) == 0 or self._english_pattern is None:
            return []
        lowered = text.lower()
        found = [
            (m.start(), m.end(), meant)
            for m in self._english_pattern.finditer(lowered)
            if (
                meant := next(
                    (self._english[f] for f in _singulars(m.group(0)) if f in self._english), ()
                )
            )
        ]
        return [
            (first, second)
            for (_, end, first), (start, _, second) in pairwise(found)
            if not lowered[end:start].strip(" -")
        ]

    def _apart_in(self, text: str) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
        """The phrases of two topic words or more whose stems stand in one clause of an
        English question, in order, a few words apart at most."""
        found = []
        for clause in ENGLISH_CLAUSE.split(text.lower()):
            words = (w for word in ENGLISH_WORD.findall(clause) for w in word.split("-"))
            # the gap is counted in words that carry a topic ("out of" stands for nothing)
            stems = [_stem(w) for w in words if len(w) > 2 and w not in FUNCTION_WORDS]
            present = set(stems)
            found += [
                (need, meant)
                for need, meant in self._english_apart.items()
                if present.issuperset(need) and _in_order(need, stems)
            ]
        return found

    def unlent_words(self, text: str, words_apart: bool = True) -> int:
        """How many of an English question's content words the lexicon lends nothing for
        (the "dentist" of "a dentist in the health centre"): information no lent word
        carries, which a text matched on the lent ones does not explain."""
        lowered = text.lower()
        if self._english_pattern is not None:
            lowered = self._english_pattern.sub(" ", lowered)
        lent = {s for need, _ in self._apart_in(text) for s in need} if words_apart else set()
        words = re.findall(r"[a-z]+", lowered)
        return sum(len(w) > 2 and w not in FUNCTION_WORDS and _stem(w) not in lent for w in words)

    @staticmethod
    def numerals(text: str) -> list[str]:
        """The Chinese numerals of an English question's number words ("six zeros" →
        六, 零, 六零): the names of many terms are built on them."""
        if not latin_share(text):
            return []
        lowered = text.lower()
        words = [n for found in NUMBER_WORD.findall(lowered) for n in NUMBER_WORDS[found]]
        for run in NUMBER_RUN.finditer(lowered):
            # Each word's first numeral: 两 for "two", as in 两个全覆盖.
            words.append("".join(NUMBER_WORDS[w][0] for w in NUMBER_WORD.findall(run.group())))
        return list(dict.fromkeys(words))

    def meaning(self, text: str) -> frozenset[str]:
        """What a question is about in the reports' words ({托育, 婴幼儿照护}), empty when
        it uses no everyday phrase the lexicon knows."""
        return frozenset(self.official_words(text, fold(text)))
