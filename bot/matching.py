"""Matching a question against the knowledge base. This module owns all fuzzy matching.

Signals, all computed on sound keys (one code point per syllable, so homophones agree):

* phrasing: rapidfuzz ratio between the question and each way of asking an entry;
* keyword: an entry's distinctive word (or term name) found inside the question;
* coverage: how much of the question's information (IDF-weighted syllables and syllable
  pairs) the entry's wording explains. Words no entry knows (公积金, 天气) weigh the most,
  which is what keeps out-of-scope questions from borrowing a nearby answer.

Sentences of the reports (the passage index) are scored by coverage too, for facts and
figures no entry states; they answer only when no entry does.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.knowledge import Entry, KnowledgeBase
from bot.textnorm import content, fold, sound_key

ANSWER_AT = 72.0  # at or above: answer
CLARIFY_AT = 56.0  # at or above (and below ANSWER_AT): offer candidates
PASSAGE_ANSWER_AT = 70.0
CLOSE_MARGIN = 6.0  # two different entries this close: ask which one
INTENT_AT = 86.0
MAX_QUERY_CHARS = 300  # a 10,000-character message is matched on its beginning
CANDIDATES = 12
STREET_NAMES = {
    "pingshan": ("坪山街道", "坪山区", "坪山"),
    "guanhu": ("观湖街道", "观湖"),
}
OTHER_STREET_PENALTY = 0.6
# Weight of an entry's wording vs. its answer text in coverage: a question is about an
# entry mostly through how it is asked, partly through what the answer says.
FORM_WEIGHT = 1.0
ANSWER_WEIGHT = 0.6
UNIGRAM_SHARE = 0.35


@dataclass(frozen=True)
class Scored:
    id: str
    score: float


@dataclass(frozen=True)
class Match:
    outcome: str  # "answer" | "clarify" | "miss" | "intent"
    reason: str
    score: float
    chosen: tuple[str, ...] = ()  # entries or passages answered (two when both streets)
    candidates: tuple[Scored, ...] = ()  # best entries, for clarify and curation
    intent: str | None = None
    street: str | None = None
    passage: bool = False


@dataclass
class _Doc:
    id: str
    street: str
    topic: str | None
    forms: list[str]  # sound keys of every way of asking
    keywords: list[str]  # sound keys of distinctive words and term names


def _grams(key: str) -> tuple[set[str], set[str]]:
    return set(key), {key[i : i + 2] for i in range(len(key) - 1)}


def _strip_streets(text: str) -> str:
    for names in STREET_NAMES.values():
        for name in names:
            text = text.replace(name, "")
    return text


def _key(text: str) -> str:
    return sound_key(_strip_streets(content(text)))


class Matcher:
    """Indexes a knowledge base once; ``match`` is then cheap and side-effect free."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self.docs: list[_Doc] = []
        self.passage_docs: list[_Doc] = []
        self._postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self._passage_postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self._keyword_index: dict[str, list[int]] = defaultdict(list)
        for entry in kb.entries.values():
            self._add_entry(entry)
        for passage in kb.passages:
            street = kb.reports[passage.report].street
            doc = _Doc(passage.id, street, None, [], [])
            self.passage_docs.append(doc)
            index = len(self.passage_docs) - 1
            uni, bi = _grams(_key(passage.text))
            for gram in uni | bi:
                self._passage_postings[gram].append((index, ANSWER_WEIGHT))
        documents = len(self.docs) + len(self.passage_docs)
        df: dict[str, int] = defaultdict(int)
        for postings in (self._postings, self._passage_postings):
            for gram, hits in postings.items():
                df[gram] += len(hits)
        self._idf = {g: math.log((documents + 1) / (n + 0.5)) for g, n in df.items()}
        self._unknown_idf = math.log((documents + 1) / 0.5)
        self._intents = [
            (intent.id, fold(p)) for intent in kb.intents.values() for p in intent.phrasings
        ]
        self._intent_keys = [key for _, key in self._intents]
        self._other_places = self._place_patterns(kb)

    def _add_entry(self, entry: Entry) -> None:
        forms = [_key(text) for text in (entry.question, *entry.phrasings)]
        names = [entry.term] if entry.term else []
        keywords = [_key(k) for k in (*entry.keywords, *names)]
        doc = _Doc(
            entry.id,
            entry.street,
            entry.topic,
            [f for f in forms if f],
            [k for k in keywords if len(k) >= 2],
        )
        self.docs.append(doc)
        index = len(self.docs) - 1
        weights: dict[str, float] = {}
        for key in (*doc.forms, *doc.keywords):
            uni, bi = _grams(key)
            for gram in uni | bi:
                weights[gram] = FORM_WEIGHT
        uni, bi = _grams(_key(entry.answer))
        for gram in uni | bi:
            weights.setdefault(gram, ANSWER_WEIGHT)
        for gram, weight in weights.items():
            self._postings[gram].append((index, weight))
        for keyword in set(doc.keywords):
            self._keyword_index[keyword[:2]].append(index)

    @staticmethod
    def _place_patterns(kb: KnowledgeBase) -> list[tuple[str, list[str]]]:
        # A place the reports do not cover may still be part of a name they use (南山园区
        # is in 观湖's glossary, 观澜河 flows through 观湖): such names do not count.
        corpus_names = set()
        for report in kb.reports.values():
            corpus_names.add(fold(report.text))
        patterns = []
        for place in kb.other_places:
            folded = fold(place)
            inside = sorted(
                {
                    m.group(0)
                    for text in corpus_names
                    for m in re.finditer(re.escape(folded) + r".{1,3}", text)
                }
            )
            patterns.append((folded, inside))
        return patterns

    # --- signals ------------------------------------------------------------------

    def _weights(self, key: str) -> tuple[dict[str, float], dict[str, float]]:
        uni, bi = _grams(key)
        idf = self._idf
        unknown = self._unknown_idf
        return {g: idf.get(g, unknown) for g in uni}, {g: idf.get(g, unknown) for g in bi}

    @staticmethod
    def _coverage(
        weights: tuple[dict[str, float], dict[str, float]],
        postings: dict[str, list[tuple[int, float]]],
    ) -> dict[int, float]:
        share = {}
        for part, portion in zip(weights, (UNIGRAM_SHARE, 1 - UNIGRAM_SHARE), strict=True):
            total = sum(part.values())
            if not total:
                continue
            for gram, weight in part.items():
                for index, level in postings.get(gram, ()):
                    share[index] = share.get(index, 0.0) + portion * weight * level / total
        if not weights[1]:  # one syllable: unigrams carry everything
            share = {index: value / UNIGRAM_SHARE for index, value in share.items()}
        return share

    def _entry_score(self, doc: _Doc, key: str, coverage: float) -> float:
        phrase = process.extractOne(
            key, doc.forms, scorer=fuzz.ratio, processor=None, score_cutoff=0
        )
        phrase_score = phrase[1] if phrase else 0.0
        keyword_score = 0.0
        for keyword in doc.keywords:
            if keyword in key:
                # The longer the keyword relative to the question, the more of the
                # question it explains.
                portion = len(keyword) / len(key)
                keyword_score = max(keyword_score, 100.0 * (0.55 + 0.45 * portion))
        # Coverage says the entry explains the question; the keyword says the question is
        # about the entry. Either alone is weaker than both.
        blended = 100.0 * coverage
        if keyword_score:
            blended = max(keyword_score * (0.8 + 0.2 * coverage), blended)
        return max(phrase_score, blended)

    # --- outcomes ------------------------------------------------------------------

    def street_of(self, folded: str) -> str | None:
        """The street a question names, if it names exactly one."""
        named = [s for s, names in STREET_NAMES.items() if any(n in folded for n in names)]
        return named[0] if len(named) == 1 else None

    def other_place(self, folded: str) -> str | None:
        """A place outside the two streets that the question is about, if any."""
        for place, inside in self._other_places:
            if place not in folded:
                continue
            masked = folded
            for name in inside:
                masked = masked.replace(name, "")
            if place in masked:
                return place
        return None

    def intent_of(self, folded: str) -> tuple[str, float] | None:
        if not folded or len(folded) > 16:
            return None
        best = process.extractOne(
            folded, self._intent_keys, scorer=fuzz.ratio, processor=None, score_cutoff=INTENT_AT
        )
        if best is None:
            return None
        return self._intents[best[2]][0], best[1]

    def rank(self, text: str, street: str | None = None, limit: int = CANDIDATES) -> list[Scored]:
        """Entries ordered by score for a question (no outcome decided)."""
        key = _key(text[:MAX_QUERY_CHARS])
        if not key:
            return []
        return self._rank_key(key, street, limit)

    def _rank_key(self, key: str, street: str | None, limit: int) -> list[Scored]:
        weights = self._weights(key)
        coverage = self._coverage(weights, self._postings)
        pool = set(sorted(coverage, key=coverage.__getitem__, reverse=True)[: limit * 2])
        for index in self._keyword_index.get(key[:2], ()):
            pool.add(index)
        for i in range(len(key) - 1):
            pool.update(self._keyword_index.get(key[i : i + 2], ()))
        scored = []
        for index in pool:
            doc = self.docs[index]
            score = self._entry_score(doc, key, coverage.get(index, 0.0))
            if street and doc.street != street:
                score *= OTHER_STREET_PENALTY
            scored.append(Scored(doc.id, round(score, 1)))
        scored.sort(key=lambda s: (-s.score, s.id))
        return scored[:limit]

    def _best_passage(self, key: str, street: str | None) -> Scored | None:
        coverage = self._coverage(self._weights(key), self._passage_postings)
        if not coverage:
            return None
        best_index = max(coverage, key=lambda i: (coverage[i], -i))
        doc = self.passage_docs[best_index]
        if street and doc.street != street:
            candidates = [i for i in coverage if self.passage_docs[i].street == street]
            if not candidates:
                return None
            best_index = max(candidates, key=lambda i: (coverage[i], -i))
            doc = self.passage_docs[best_index]
        # Passages are worded for reading, not asking; their coverage counts the answer
        # text at ANSWER_WEIGHT, so rescale it to the entries' scale.
        return Scored(doc.id, round(100.0 * coverage[best_index] / ANSWER_WEIGHT, 1))

    def match(self, text: str) -> Match:
        """Decide answer, clarify, miss or intent for one question."""
        text = text[:MAX_QUERY_CHARS]
        folded = fold(text)
        if not folded:
            return Match("miss", "empty", 0.0)
        intent = self.intent_of(folded)
        if intent:
            return Match("intent", "intent", intent[1], intent=intent[0])
        place = self.other_place(folded)
        if place:
            return Match("miss", f"other place: {place}", 0.0)
        street = self.street_of(folded)
        key = _key(text)
        if not key:
            return Match("miss", "only a street name", 0.0, street=street)
        ranked = self._rank_key(key, street, CANDIDATES)
        best = ranked[0] if ranked else Scored("", 0.0)
        if best.score >= ANSWER_AT:
            rivals = [s for s in ranked[1:4] if best.score - s.score < CLOSE_MARGIN]
            rivals = [s for s in rivals if not self._same_answer(best.id, s.id)]
            if not rivals:
                chosen = self._both_streets(best, ranked, street)
                return Match(
                    "answer", "entry", best.score, chosen, tuple(ranked[:5]), street=street
                )
            return Match(
                "clarify", "close candidates", best.score, (), tuple(ranked[:3]), street=street
            )
        passage = self._best_passage(key, street)
        if passage and passage.score >= PASSAGE_ANSWER_AT and passage.score > best.score:
            return Match(
                "answer",
                "passage",
                passage.score,
                (passage.id,),
                tuple(ranked[:5]),
                street=street,
                passage=True,
            )
        if best.score >= CLARIFY_AT:
            close = [s for s in ranked[:3] if s.score >= CLARIFY_AT]
            return Match("clarify", "middling score", best.score, (), tuple(close), street=street)
        return Match("miss", "low score", best.score, (), tuple(ranked[:3]), street=street)

    def _same_answer(self, first: str, second: str) -> bool:
        a, b = self.kb.entries[first], self.kb.entries[second]
        return a.answer == b.answer or (
            a.topic is not None and a.topic == b.topic and a.street != b.street
        )

    def _both_streets(
        self, best: Scored, ranked: list[Scored], street: str | None
    ) -> tuple[str, ...]:
        """The best entry, plus the other street's entry on the same topic when none is named."""
        entry = self.kb.entries[best.id]
        if street or not entry.topic:
            return (best.id,)
        for other in ranked[1:]:
            candidate = self.kb.entries[other.id]
            if (
                candidate.topic == entry.topic
                and candidate.street != entry.street
                and other.score >= CLARIFY_AT
            ):
                return (best.id, other.id)
        return (best.id,)
