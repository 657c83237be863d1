"""The lexical index: every entry and report sentence as posting lists of syllables and
syllable pairs, and the lexical score of each for a question.

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
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process

from bot.engine.index_cache import cached_postings
from bot.engine.postings import ANSWER_WEIGHT, Doc, PostingMap, grams_of
from bot.engine.textnorm import fold, romanizations, sound_key
from bot.engine.wording import Wording
from bot.knowledge.loading import KnowledgeBase
from bot.knowledge.reports import Street

CANDIDATES = 12
OTHER_STREET_PENALTY = 0.6
UNIGRAM_SHARE = 0.35
WORDING_SHARE = 0.2
NO_ANCHOR_CAP = 50.0
# A syllable pair that at most this share of documents contain is distinctive enough to
# tie a question to an entry.
ANCHOR_MAX_DF_SHARE = 0.02
SOUND_ONLY = 0.6
SOUND_KEYWORD_MIN = 3  # syllables: a shorter keyword must be found as written
# A code of letters and digits (PM10, 5G) names one thing exactly: an entry that does not
# contain it is about something else, however much of the rest it shares (PM2.5).
MISSING_CODE_PENALTY = 0.6
OTHER_HALF_PENALTY = 0.9


@dataclass(frozen=True)
class Scored:
    """A document's lexical score for a question (0-100) and how it was reached."""

    id: str
    score: float
    keyword: str = ""  # the entry's keyword the question contains, if any
    anchored: bool = False  # shares a distinctive syllable pair with the question
    written: bool = False  # ... and spells it the same way (not a mere homophone)
    index: int = -1
    coverage: float = 0.0
    other_half: bool = False
    missing_code: bool = False


def _spelled(key: str, spelling: str) -> dict[str, str]:
    """For each gram of a sound key, the characters it was spelled with (the first
    spelling, when one sound is spelled two ways in a question)."""
    spelled: dict[str, str] = {}
    for size in (1, 2):
        for i in range(len(key) - size + 1):
            spelled.setdefault(key[i : i + size], spelling[i : i + size])
    return spelled


def _scored(
    doc: Doc,
    index: int,
    score: float,
    keyword: str,
    coverage: np.ndarray,
    anchored: np.ndarray,
    codes: tuple[str, ...],
    halves: dict[str, str] | None,
) -> Scored:
    """A document's lexical score, lowered for a code (PM10) it lacks, with what was seen."""
    missing_code = any(code not in doc.text for code in codes)
    if missing_code:
        score *= MISSING_CODE_PENALTY
    return Scored(
        doc.id,
        round(score, 1),
        keyword,
        bool(anchored[index]),
        bool(anchored[index] == 2),
        index=index,
        coverage=float(coverage[index]),
        other_half=bool(halves and doc.half and halves.get(doc.report, doc.half) != doc.half),
        missing_code=missing_code,
    )


def names_asked(street: Street) -> tuple[str, ...]:
    """Every name a question may give a street: its own and its aliases, and, for an
    English question, each of them in pinyin (guanhu, pingshan) and its English name,
    folded (an English question is folded without spaces: "pingshansubdistrict")."""
    latin = [fold(street.name_en)] if street.name_en else []
    for name in street.names:
        latin += [spelling for spelling in romanizations(name) if len(spelling) >= 5]
    return (*street.names, *dict.fromkeys(latin))


class LexicalIndex:
    """Entries and passages indexed once for lexical scoring; queries are side-effect free."""

    def __init__(self, kb: KnowledgeBase, cache_dir: Path | None = None):
        self.wording = Wording({s.id: names_asked(s) for s in kb.streets.values()})
        built = cached_postings(kb, self.wording, cache_dir)
        self.docs = built.docs
        self.passage_docs = built.passage_docs
        self.doc_sounds = built.doc_sounds
        self._keyword_index = built.keyword_index
        self._entry_arrays = built.lists["entries"]
        self._passage_arrays = built.lists["passages"]
        # The same grams as written, to tell a match in spelling from one in sound only.
        self._entry_spelled_arrays = built.lists["entries_spelled"]
        self._passage_spelled_arrays = built.lists["passages_spelled"]
        documents = len(self.docs) + len(self.passage_docs)
        df: dict[str, int] = defaultdict(int)
        for postings in (self._entry_arrays, self._passage_arrays):
            for gram, count in postings.counts().items():
                df[gram] += count
        self.idf = {g: math.log((documents + 1) / (n + 0.5)) for g, n in df.items()}
        self.unknown_idf = math.log((documents + 1) / 0.5)
        self._anchor_idf = math.log((documents + 1) / (ANCHOR_MAX_DF_SHARE * documents + 0.5))

    # --- signals ------------------------------------------------------------------

    def weights(self, key: str) -> tuple[dict[str, float], dict[str, float]]:
        uni, bi = grams_of(key)
        idf = self.idf
        unknown = self.unknown_idf
        unigrams = {g: idf.get(g, unknown) for g in uni}
        # A syllable pair no document contains is mostly two words meeting (落实|得): its
        # rarity is an accident, so it carries no more than its two syllables do. Pairs of
        # rare syllables (公积金) keep their weight; that is what marks a topic we lack.
        bigrams = {
            g: idf[g] if g in idf else min(unknown, unigrams[g[0]] + unigrams[g[1]]) for g in bi
        }
        return unigrams, bigrams

    def _coverage(
        self,
        weights: tuple[dict[str, float], dict[str, float]],
        arrays: PostingMap,
        size: int,
        spelled: dict[str, str],
        spelled_arrays: PostingMap,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Share of the question's information each document explains, and which documents
        share a distinctive syllable pair with it (both indexed by document).

        A gram matched in sound only (义警 / 亿增, 新闻 / 型文) counts SOUND_ONLY of a gram
        matched as written: enough to forgive a typing error, not enough for two words that
        merely sound alike to pass for the same one."""
        share = np.zeros(size)
        anchored = np.zeros(size, dtype=np.int8)  # 1: in sound, 2: as written too
        # Every addition is gathered first and made in one np.add.at, in the order the
        # grams come: each document's share is the same sum, added in the same order, as
        # one fancy-index addition per gram made it (a dozen small numpy calls a gram were
        # most of the ranking's time).
        places: list[np.ndarray] = []
        amounts: list[np.ndarray] = []
        in_sound: list[np.ndarray] = []
        as_written: list[np.ndarray] = []
        for part, portion in zip(weights, (UNIGRAM_SHARE, 1 - UNIGRAM_SHARE), strict=True):
            total = sum(part.values())
            if not total:
                continue
            for gram, weight in part.items():
                hit = arrays.get(gram)
                if hit is None:
                    continue
                indices, levels = hit
                amount = portion * weight / total
                places.append(indices)
                amounts.append((amount * SOUND_ONLY) * levels)
                written = spelled_arrays.get(spelled.get(gram, ""))
                if written is not None:
                    places.append(written[0])
                    amounts.append((amount * (1 - SOUND_ONLY)) * written[1])
                if weight >= self._anchor_idf and len(gram) > 1:
                    in_sound.append(indices)
                    if written is not None:
                        as_written.append(written[0])
        if places:
            np.add.at(share, np.concatenate(places), np.concatenate(amounts))
        if in_sound:
            anchored[np.concatenate(in_sound)] = 1
        if as_written:
            anchored[np.concatenate(as_written)] = 2
        if not weights[1]:  # one syllable: unigrams carry everything
            share /= UNIGRAM_SHARE
        return share, anchored

    @staticmethod
    def explained(weights: tuple[dict[str, float], dict[str, float]], part: str) -> float:
        """Share of the question's information that one word of it carries."""
        uni, bi = grams_of(part)
        share = 0.0
        for grams, wanted, portion in zip(
            weights, (uni, bi), (UNIGRAM_SHARE, 1 - UNIGRAM_SHARE), strict=True
        ):
            total = sum(grams.values())
            if total:
                share += portion * sum(w for g, w in grams.items() if g in wanted) / total
        return share if weights[1] else share / UNIGRAM_SHARE

    def concept_coverage(self, groups: list[list[str]], unlent: int, passages: bool) -> np.ndarray:
        """Each entry's (or passage's) share of a question's lent concepts, each concept
        counted by the best of its alternative words (养老 or 养老服务 or 为老服务) and
        weighed by its most informative one: coverage over all the alternatives at once
        counts those a text does not use as information it lacks. ``unlent`` words of the
        question, which the lexicon lent nothing for, weigh as much as its heaviest concept
        and no document explains them."""
        arrays, spelled_arrays, size = (
            (self._passage_arrays, self._passage_spelled_arrays, len(self.passage_docs))
            if passages
            else (self._entry_arrays, self._entry_spelled_arrays, len(self.docs))
        )
        covered = np.zeros(size)
        total = heaviest = 0.0
        for group in groups:
            best = np.zeros(size)
            weight = 0.0
            for word in group:
                key = sound_key(word)
                weights = self.weights(key)
                share, _ = self._coverage(
                    weights, arrays, size, _spelled(key, word), spelled_arrays
                )
                best = np.maximum(best, share)
                weight = max(weight, sum(weights[0].values()) + sum(weights[1].values()))
            covered += weight * best
            total += weight
            heaviest = max(heaviest, weight)
        total += unlent * heaviest
        return covered / total if total else covered

    def _entry_score(
        self,
        doc: Doc,
        key: str,
        coverage: float,
        anchored: bool,
        weights: tuple[dict[str, float], dict[str, float]],
        spelling: str,
        expanded: str = "",
        expansion: str = "",
    ) -> tuple[float, str]:
        phrase = process.extractOne(
            key, doc.forms, scorer=fuzz.ratio, processor=None, score_cutoff=0
        )
        as_written = process.extractOne(
            spelling, doc.spelled_forms, scorer=fuzz.ratio, processor=None, score_cutoff=0
        )
        # As with coverage, sounding alike counts for less than being written alike: 讲个笑话
        # sounds three quarters like 违建消化, but shares only 消化's sound.
        sounded = phrase[1] if phrase else 0.0
        written_alike = as_written[1] if as_written else 0.0
        phrase_score = SOUND_ONLY * sounded + (1 - SOUND_ONLY) * written_alike
        keyword_score = 0.0
        matched = ""
        for keyword, written in zip(doc.keywords, doc.written_keywords, strict=True):
            found = keyword in key or (expanded and keyword in expanded)
            if found and len(keyword) > len(matched):
                if len(keyword) < SOUND_KEYWORD_MIN and written not in spelling + expansion:
                    # Two syllables that merely sound alike (翻译 / 防疫, 征地 / 阵地) are
                    # a coincidence far more often than a typing error.
                    continue
                # The more of the question the keyword explains, the surer the match:
                # by length, or by information when the rest is generic (落实得怎么样).
                portion = min(
                    1.0, max(len(keyword) / max(len(key), 1), self.explained(weights, keyword))
                )
                keyword_score = 100.0 * (0.55 + 0.45 * portion)
                matched = keyword
        coverage_score = 100.0 * coverage
        if not anchored:
            # Sharing only common syllables (的, 是, 服务) says nothing about the topic.
            coverage_score = min(coverage_score, NO_ANCHOR_CAP)
        primary = max(phrase_score, coverage_score)
        if keyword_score:
            primary = max(primary, keyword_score * (0.8 + 0.2 * coverage))
        # Among entries that all contain the asked-for word, the one whose own wording is
        # closest to the question (a term's glossary entry for "路长制") should win.
        wording = max(phrase_score, coverage_score)
        return (1 - WORDING_SHARE) * primary + WORDING_SHARE * wording, matched

    def rank(
        self,
        spelling: str,
        street: str | None,
        limit: int,
        codes: tuple[str, ...] = (),
        halves: dict[str, str] | None = None,
        extra: Iterable[int] = (),
        expansion: str = "",
    ) -> list[Scored]:
        """Entries by lexical score: the best ``limit``, plus any ``extra`` ones asked for
        (those found by meaning, so that every candidate is described the same way).
        ``expansion`` holds the reports' words for the question's everyday ones: it counts
        in coverage and keywords, not in how alike the wording is."""
        key = sound_key(spelling)
        covered_spelling = spelling + expansion
        covered_key = sound_key(covered_spelling)
        weights = self.weights(covered_key)
        coverage, anchored = self._coverage(
            weights,
            self._entry_arrays,
            len(self.docs),
            _spelled(covered_key, covered_spelling),
            self._entry_spelled_arrays,
        )
        covered = np.flatnonzero(coverage)
        if len(covered) > limit * 2:
            covered = covered[np.argpartition(-coverage[covered], limit * 2)[: limit * 2]]
        pool = {int(i) for i in covered}
        for i in range(len(covered_key) - 1):
            pool.update(self._keyword_index.get(covered_key[i : i + 2], ()))
        wanted = set(extra)
        scored = []
        expanded = sound_key(expansion)
        for index in pool | wanted:
            doc = self.docs[index]
            score, keyword = self._entry_score(
                doc,
                key,
                float(coverage[index]),
                bool(anchored[index]),
                weights,
                spelling,
                expanded,
                expansion,
            )
            if street and doc.street != street:
                score *= OTHER_STREET_PENALTY
            found = _scored(doc, index, score, keyword, coverage, anchored, codes, halves)
            if found.other_half:
                found = replace(found, score=round(found.score * OTHER_HALF_PENALTY, 1))
            scored.append(found)
        scored.sort(key=lambda s: (-s.score, s.id))
        return [s for n, s in enumerate(scored) if n < limit or s.index in wanted]

    def rank_passages(
        self,
        spelling: str,
        limit: int,
        codes: tuple[str, ...] = (),
        halves: dict[str, str] | None = None,
        extra: Iterable[int] = (),
        expansion: str = "",
    ) -> list[Scored]:
        """Sentences of the reports by how much of the question they explain."""
        spelling += expansion
        key = sound_key(spelling)
        coverage, anchored = self._coverage(
            self.weights(key),
            self._passage_arrays,
            len(self.passage_docs),
            _spelled(key, spelling),
            self._passage_spelled_arrays,
        )
        eligible = np.flatnonzero((anchored > 0) & (coverage > 0))
        if len(eligible) > limit:
            eligible = eligible[np.argpartition(-coverage[eligible], limit)[:limit]]
        scored = []
        for index in {int(i) for i in eligible} | set(extra):
            doc = self.passage_docs[index]
            # Passages are worded for reading, not asking; their coverage counts the answer
            # text at ANSWER_WEIGHT, so rescale it to the entries' scale.
            score = min(100.0, 100.0 * float(coverage[index]) / ANSWER_WEIGHT)
            scored.append(_scored(doc, index, score, "", coverage, anchored, codes, halves))
        scored.sort(key=lambda s: (-s.score, s.id))
        return scored
