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

import functools
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import Enum

import numpy as np
from rapidfuzz import fuzz, process

from bot.engine.scoring import PRIOR, Calibration, Candidate, describe, same_answer
from bot.engine.semantic import SemanticIndex, VectorCache
from bot.engine.textnorm import content, fold, sound_key, subject, to_simplified
from bot.knowledge.loading import Entry, KnowledgeBase

# The decision, on the calibrated probability that the best candidate is the right answer
# (bot/engine/scoring.py); the calibration table in data/calibration.yaml says what each means.
ANSWER_P = 0.5  # answer when the best candidate is more likely right than wrong
CLARIFY_P = 0.3  # offer the likely candidates when about one in three would be right
# A second answer that belongs with the first (the other street's, or a facet) is added
# from this probability: it is shown beside a confident answer, not instead of it.
COMPANION_P = 0.1
# Two answers that belong together (facets of one subject) are given together when the
# second is this close to the first.
CLOSE_P = 0.25
INTENT_OVER_WORDING = 40.0  # lexical score below which an intent phrase is what counts
KEYWORD_COMPANION_AT = 50.0  # lexical score of the other street's text on the same word
SEMANTIC_CANDIDATES = 12  # documents nearest in meaning, added to those nearest in wording
PASSAGE_CANDIDATES = 8
TERM_WITHIN_SHARE = 0.35  # of a question's information, for it to be a look-up of a term
# A term's core name without the generic kind of thing it is (“三事分流”工作机制).
TERM_SUFFIX = re.compile(
    r"(工作机制|工作模式|工作体系|机制|模式|体系|制度)$"
)  # the other street's entry with the same keyword answers too
INTENT_AT = 86.0
MAX_QUERY_CHARS = 300  # a 10,000-character message is matched on its beginning
CANDIDATES = 12
OTHER_STREET_PENALTY = 0.6
TRAVEL_VERBS = "(?:从|来回|往返|跑)"
# Verbs that ask for a service to be done (办护照, 开证明, 换驾照).
SERVICE_VERBS = "(?:办理|申请|提取|办|开|换|补|领|考|拿|交|缴|查)"
BOTH_STREETS = ("两个街道", "两街道", "两边街道")
# Weight of an entry's wording vs. its answer text in coverage: a question is about an
# entry mostly through how it is asked, partly through what the answer says.
FORM_WEIGHT = 1.0
ANSWER_WEIGHT = 0.6
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
CODE = re.compile(r"[a-z]+[0-9][a-z0-9.]*|[0-9][0-9.]*[a-z]+[a-z0-9]*")
# A year as a year (2021年), not a house number or a count (2088号, 2030个岗位).
YEAR = re.compile(r"(?<![0-9])(20[0-9]{2})(?=年)")
ONLY_NUMBERS = re.compile(r"[0-9.%\-]+")
# Each report reviews its first year and plans its second (坪山: 2020 done, 2021 planned;
# 观湖: 2019 done, 2020 planned). A year in the question says which half it asks about.
PLAN_HEADING = re.compile(r"计划|重点|打算|思路")
REVIEW_HEADING = re.compile(r"情况|回顾|总结")
OTHER_HALF_PENALTY = 0.9
YEAR_WORD = re.compile(r"(?<![0-9])20[0-9]{2}年(?:度)?")
# A question asking how many or how much, answered by text with no number in it, asks a
# figure the report does not give (广场舞音量最多允许多少分贝).
QUANTITY = re.compile(r"多少|(?<!哪)几[个家条次所座名人岁天项处宗件位台辆间]|比例|百分之几|几成")
# A figure: a number with a unit or a counter ("一是" folds to "1是", which is none).
DIGIT = re.compile(
    r"[0-9０-９〇零一二三四五六七八九十百千万两][0-9０-９.．〇零一二三四五六七八九十百千万两]*(?:余|多)?"
    r"(?:%|％|个|家|所|条|名|人|万|亿|元|宗|件|次|项|平方|公里|米|岁|座|台|辆|间|户|栋|处|支|批|场|套"
    r"|吨|微克|倍|小时|分钟|天|年|月|日|号|期|轮|类|级|位|棵|公顷|亩|以上|以下)"
)
# Kinds of detail (as intents/scope.yaml labels them) an answer can state in words of
# its own: a day, an opening time, a price.
DETAIL_EVIDENCE = {
    "日期": re.compile(r"20[0-9]{2}年|[0-9]+月[0-9]+日|每月|每周|每年|星期[一二三四五六日天]"),
    "开放时间": re.compile(r"[0-9]+小时|不打烊|[0-9]+点|全天"),
    "收费": re.compile(r"[0-9.]+元|免费"),
}
# What may follow a detail word anchored at the end of a question (托育中心电话是啥).
TRAILING_PARTICLES = "(?:是啥|是什么|是多少|有吗|呗|吧|呀|啊|呢|吗|嘛|哈|哦|哇)*$"
# A short message that holds an intent phrase and nothing the knowledge base fits.
LOOSE_INTENT_CHARS = 40


# Rules that can be switched off one at a time (``policybot eval --ablate``); each one
# must earn its place there and has its own test with it on and off.
RULES = (
    "other_place",  # a place outside the streets the reports cover: miss
    "uncovered_topic",  # a service neither report mentions (公积金): miss
    "uncovered_year",  # a year no report covers: miss
    "only_numbers",  # a bare number asks nothing
    "term_name",  # a glossary term's own name: its definition
    "named_street",  # a street named: only its report answers
    "code",  # a code named (PM10): only texts that contain it answer
    "unstated_detail",  # a detail the reports never give (电话, 几点): miss
    "unstated_figure",  # a how-many answered by text with no number: miss
    "both_streets",  # both streets named: one answer from each, or none
    "companions",  # the other street's answer on the same subject, or a close facet
    "intent_phrase",  # an intent phrase in a message nothing else fits
    "lexicon",  # the reports' words for everyday ones (带娃 → 托育, childcare → 托育)
)
ENGLISH_SHARE = 0.5  # of a question's letters in Latin script: read as English


class Outcome(str, Enum):
    ANSWER = "answer"
    CLARIFY = "clarify"
    MISS = "miss"
    INTENT = "intent"


class Reason(str, Enum):
    """Why a question got its outcome; ``Match.detail`` carries the word or year."""

    EMPTY = "empty"
    INTENT = "intent"
    INTENT_PHRASE = "intent phrase"
    INTENT_NOTHING_ELSE = "intent phrase, nothing else fits"
    OTHER_PLACE = "other place"
    UNCOVERED_TOPIC = "uncovered topic"
    UNCOVERED_YEAR = "uncovered year"
    ONLY_STREET = "only a street name"
    ONLY_NUMBERS = "only numbers"
    TERM_NAME = "term name"
    UNSTATED_DETAIL = "unstated detail"
    UNSTATED_FIGURE = "unstated figure"
    BOTH_STREETS = "both streets"
    BOTH_STREETS_ASKED = "both streets asked"
    CONFIDENT = "confident"
    UNSURE = "unsure"
    LOW_SCORE = "low score"
    CHOSEN = "chosen"


# Outcomes decided by a rule before any candidate is scored: the calibrated model is never
# consulted for them, so it is not fitted on them either.
DECIDED_BEFORE_SCORING = frozenset(
    {
        Reason.EMPTY,
        Reason.INTENT,
        Reason.OTHER_PLACE,
        Reason.UNCOVERED_TOPIC,
        Reason.UNCOVERED_YEAR,
        Reason.ONLY_STREET,
        Reason.ONLY_NUMBERS,
        Reason.TERM_NAME,
        Reason.INTENT_PHRASE,
    }
)


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


@dataclass(frozen=True)
class Match:
    outcome: Outcome
    reason: Reason
    score: float  # the probability that the answer is right (1.0 for rules that decide)
    chosen: tuple[str, ...] = ()  # entries or passages answered (two when both streets)
    candidates: tuple[Candidate, ...] = ()  # likely answers, for clarify and curation
    intent: str | None = None
    street: str | None = None
    detail: str | None = None  # the place, topic, year or detail word the reason names


@dataclass
class _Doc:
    id: str
    street: str
    topic: str | None
    forms: list[str]  # sound keys of every way of asking
    keywords: list[str]  # sound keys of distinctive words and term names
    written_keywords: list[str] = field(default_factory=list)  # the same, as written
    text: str = ""  # every word of the entry, folded: for exact codes (PM2.5, 5G)
    report: str = ""
    half: str | None = None  # "review" or "plan": the half of its report it comes from
    spelled_forms: list[str] = field(default_factory=list)  # every way of asking, as written


def _freeze(
    postings: dict[str, list[tuple[int, float]]],
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Posting lists as arrays, so a query adds a whole list in one vectorised step: views
    into two arrays made in one go (an array per list took a third of the start-up)."""
    hits = [hit for gram_hits in postings.values() for hit in gram_hits]
    indices = np.array([i for i, _ in hits], dtype=np.int64)
    weights = np.array([w for _, w in hits], dtype=np.float64)
    frozen = {}
    start = 0
    for gram, gram_hits in postings.items():
        end = start + len(gram_hits)
        frozen[gram] = (indices[start:end], weights[start:end])
        start = end
    return frozen


def _grams(key: str) -> tuple[set[str], set[str]]:
    return set(key), {key[i : i + 2] for i in range(len(key) - 1)}


def _spelled(key: str, spelling: str) -> dict[str, str]:
    """For each gram of a sound key, the characters it was spelled with (the first
    spelling, when one sound is spelled two ways in a question)."""
    spelled: dict[str, str] = {}
    for size in (1, 2):
        for i in range(len(key) - size + 1):
            spelled.setdefault(key[i : i + size], spelling[i : i + size])
    return spelled


def _scored(
    doc: _Doc,
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


def _inside_a_number(phrase: str, text: str) -> bool:
    """Whether a phrase of letters or digits (88, 886, hi) occurs only as part of a longer
    run of them (2088号, this): 坪山大道2088号 says no goodbye."""
    if not phrase.isascii():
        return False
    pattern = rf"(?<![0-9a-z]){re.escape(phrase)}(?![0-9a-z])"
    return re.search(pattern, text) is None


class Matcher:
    """Indexes a knowledge base once; ``match`` is then cheap and side-effect free."""

    def __init__(
        self,
        kb: KnowledgeBase,
        vectors: VectorCache | None = None,
        calibration: Calibration | None = None,
        disabled: Iterable[str] = (),
    ):
        self.kb = kb
        # Street names, from data/reports.yaml: raw for telling which street is asked
        # about, folded and longest first (两个街道 before 街道 names, 坪山街道 before 坪山)
        # for stripping them as context, not subject, before wording is compared.
        self._street_names = {s.id: s.names for s in kb.streets.values()}
        self._street_words = sorted(
            {
                fold(w)
                for w in (*BOTH_STREETS, *(n for ns in self._street_names.values() for n in ns))
            },
            key=len,
            reverse=True,
        )
        self.calibration = calibration or PRIOR
        self.disabled = frozenset(disabled)
        unknown = self.disabled - set(RULES)
        if unknown:
            raise ValueError(f"unknown rules: {', '.join(sorted(unknown))}")
        self._halves = self._report_halves(kb)
        self.docs: list[_Doc] = []
        self.passage_docs: list[_Doc] = []
        self._postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self._passage_postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        # The same grams as written, to tell a match in spelling from one in sound only.
        self._spelled_postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self._passage_spelled_postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self._keyword_index: dict[str, list[int]] = defaultdict(list)
        # Each document's syllables and syllable pairs, to see what of a question it lacks.
        self._doc_sounds: list[frozenset[str]] = []
        for entry in kb.entries.values():
            self._add_entry(entry)
        for passage in kb.passages:
            street = kb.reports[passage.report].street
            doc = _Doc(passage.id, street, None, [], [], [], fold(passage.text), passage.report)
            doc.half = self._halves.get((passage.report, passage.section.split(".")[0]))
            self.passage_docs.append(doc)
            index = len(self.passage_docs) - 1
            spelling = self._spelling(passage.text)
            self._doc_sounds.append(frozenset(set().union(*_grams(sound_key(spelling)))))
            for postings, text in (
                (self._passage_postings, sound_key(spelling)),
                (self._passage_spelled_postings, spelling),
            ):
                uni, bi = _grams(text)
                for gram in uni | bi:
                    postings[gram].append((index, ANSWER_WEIGHT))
        documents = len(self.docs) + len(self.passage_docs)
        df: dict[str, int] = defaultdict(int)
        for postings in (self._postings, self._passage_postings):
            for gram, hits in postings.items():
                df[gram] += len(hits)
        self._idf = {g: math.log((documents + 1) / (n + 0.5)) for g, n in df.items()}
        self._unknown_idf = math.log((documents + 1) / 0.5)
        self._anchor_idf = math.log((documents + 1) / (ANCHOR_MAX_DF_SHARE * documents + 0.5))
        self._entry_arrays = _freeze(self._postings)
        self._passage_arrays = _freeze(self._passage_postings)
        self._entry_spelled_arrays = _freeze(self._spelled_postings)
        self._passage_spelled_arrays = _freeze(self._passage_spelled_postings)
        self._passage_streets = np.array([d.street for d in self.passage_docs], dtype=object)
        self._street_years: dict[str, set[int]] = defaultdict(set)
        for report in kb.reports.values():
            self._street_years[report.street].update(report.years)
        self._intents = [
            (intent.id, fold(p)) for intent in kb.intents.values() for p in intent.phrasings
        ]
        self._intent_keys = [key for _, key in self._intents]
        self._other_places = self._place_patterns(kb)
        self._answer_keys: dict[str, str] = {}
        self._uncovered = sorted((fold(w) for w in kb.uncovered_topics), key=len, reverse=True)
        # Staff type a term to look it up: a question that is exactly a glossary term's
        # name (in any spelling that sounds the same) goes straight to its definition.
        self._term_names: dict[str, str] = {}
        for entry in kb.glossary:
            for name in (*entry.keywords, entry.term or ""):
                name_key = self._key(name)
                if len(name_key) >= 2:
                    self._term_names.setdefault(name_key, entry.id)
        # ... and a question that is mostly one term's own name ("三事分流机制怎么运作").
        self._canonical_terms = sorted(
            {
                (self._key(name), entry.id)
                for entry in kb.glossary
                for name in (entry.term or "", *entry.keywords[:1])
                for name in (name, TERM_SUFFIX.sub("", name))
                if len(self._key(name)) >= 3
            },
            key=lambda pair: (-len(pair[0]), pair[1]),
        )
        # fold drops the "$" that anchors a detail word at the end of the question.
        self._details = [
            (label, fold(word) + ("$" if word.endswith("$") else ""))
            for label, words in kb.unstated_details.items()
            for word in words
        ]
        self._detail_labels = {word.rstrip("$"): label for label, word in self._details}
        self._passage_by_id = {p.id: p for p in kb.passages}
        self._folded_answers = [fold(self.answer_text(d.id)) for d in self.docs]
        self._folded_answers += [fold(p.text) for p in kb.passages]
        self.semantic = self._semantic_index(vectors) if vectors else None
        self._lexicon_zh = sorted(
            (
                (fold(phrase), tuple(self._spelling(w) for w in meant))
                for phrases, meant in kb.lexicons.get("zh", [])
                for phrase in phrases
                if len(fold(phrase)) >= 2
            ),
            key=lambda pair: -len(pair[0]),
        )
        self._lexicon_zh_starting: dict[str, list[int]] = defaultdict(list)
        for index, (phrase, _) in enumerate(self._lexicon_zh):
            self._lexicon_zh_starting[phrase[0]].append(index)
        self._lexicon_en = {
            phrase.lower().strip(): tuple(self._spelling(w) for w in meant)
            for phrases, meant in kb.lexicons.get("en", [])
            for phrase in phrases
            if phrase.strip()
        }
        self._intent_contained = sorted(
            ((intent_id, content(p)) for intent_id, p in self._intents if len(content(p)) >= 2),
            key=lambda pair: -len(pair[1]),
        )

    def _spelling(self, text: str) -> str:
        """A text's subject as written: without street names and the years the reports
        cover (context, not subject: "2021年养老有啥新打算" is about 养老, not about every
        entry that names 2021)."""
        text = content(text)
        for name in self._street_words:
            text = text.replace(name, "")
        return subject(YEAR_WORD.sub("", text))

    def _key(self, text: str) -> str:
        return sound_key(self._spelling(text))

    @functools.cached_property
    def _lexicon_en_pattern(self) -> re.Pattern[str] | None:
        """Every English lexicon phrase in one pattern; compiled at the first English
        question (a twentieth of a second that a Chinese-only start-up does not need)."""
        if not self._lexicon_en:
            return None
        phrases = sorted(self._lexicon_en, key=len, reverse=True)
        return re.compile(r"\b(?:" + "|".join(re.escape(p) for p in phrases) + r")(?:es|s)?\b")

    def semantic_texts(self) -> tuple[list[int], list[str]]:
        """Every text that stands for a document in meaning, with the document it belongs to
        (entries first, then passages): each way of asking, the answer and its clauses."""
        owners: list[int] = []
        texts: list[str] = []
        for index, doc in enumerate(self.docs):
            entry = self.kb.entries[doc.id]
            names = [entry.term] if entry.term else []
            own = (entry.question, *entry.phrasings, *names, entry.answer, *clauses(entry.answer))
            for text in dict.fromkeys(for_model(t) for t in own):
                owners.append(index)
                texts.append(text)
        for index, passage in enumerate(self.kb.passages, start=len(self.docs)):
            for text in dict.fromkeys(for_model(t) for t in (passage.text, *clauses(passage.text))):
                owners.append(index)
                texts.append(text)
        return owners, texts

    def _semantic_index(self, vectors: VectorCache) -> SemanticIndex:
        owners, texts = self.semantic_texts()
        return SemanticIndex(
            vectors.embedder,
            owners,
            vectors.vectors(texts),
            len(self.docs) + len(self.passage_docs),
        )

    def _add_entry(self, entry: Entry) -> None:
        forms = [self._key(text) for text in (entry.question, *entry.phrasings)]
        names = [entry.term] if entry.term else []
        written = [self._spelling(k) for k in (*entry.keywords, *names)]
        written = [w for w in written if len(w) >= 2]
        doc = _Doc(
            entry.id,
            entry.street,
            entry.topic,
            [f for f in forms if f],
            [sound_key(w) for w in written],
            written,
            fold(" ".join((entry.question, *entry.phrasings, *entry.keywords, entry.answer))),
            entry.report,
            self._halves.get((entry.report, entry.section.split(".")[0])),
            [w for w in (self._spelling(t) for t in (entry.question, *entry.phrasings)) if w],
        )
        self.docs.append(doc)
        index = len(self.docs) - 1
        wording = [self._spelling(text) for text in (entry.question, *entry.phrasings)]
        wording += [self._spelling(k) for k in (*entry.keywords, *names)]
        answer = self._spelling(entry.answer)
        sounds: set[str] = set()
        for text in (*wording, answer):
            sounds.update(*_grams(sound_key(text)))
        self._doc_sounds.append(frozenset(sounds))
        for postings, convert in ((self._postings, sound_key), (self._spelled_postings, str)):
            weights: dict[str, float] = {}
            for text in wording:
                uni, bi = _grams(convert(text))
                for gram in uni | bi:
                    weights[gram] = FORM_WEIGHT
            uni, bi = _grams(convert(answer))
            for gram in uni | bi:
                weights.setdefault(gram, ANSWER_WEIGHT)
            for gram, weight in weights.items():
                postings[gram].append((index, weight))
        for keyword in set(doc.keywords):
            self._keyword_index[keyword[:2]].append(index)

    @staticmethod
    def _report_halves(kb: KnowledgeBase) -> dict[tuple[str, str], str]:
        """Top-level sections that review the past year or plan the next, by heading."""
        halves = {}
        for (report, number), heading in kb.sections.items():
            if "." in number:
                continue
            if PLAN_HEADING.search(heading):
                halves[(report, number)] = "plan"
            elif REVIEW_HEADING.search(heading):
                halves[(report, number)] = "review"
        return halves

    def halves_asked(self, folded: str) -> dict[str, str]:
        """For each report, the half a year named in the question points to."""
        asked: dict[str, str] = {}
        for year in {int(y) for y in YEAR.findall(folded)}:
            for report in self.kb.reports.values():
                if len(report.years) == 2 and year in report.years:
                    asked[report.id] = "review" if year == report.years[0] else "plan"
        return asked

    @staticmethod
    def _place_patterns(kb: KnowledgeBase) -> list[tuple[str, list[str]]]:
        # A place the reports do not cover may still be part of a name they use (南山园区
        # is in 观湖's glossary, 观澜河 flows through 观湖): such names do not count.
        corpus_names = set()
        for report in kb.reports.values():
            corpus_names.add(fold(report.text))
        # Nor is a place that names a street the reports cover (新桥 once 新桥街道 is one).
        covered = [fold(name) for street in kb.streets.values() for name in street.names]
        patterns = []
        for place in kb.other_places:
            folded = fold(place)
            if any(folded in name for name in covered):
                continue
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
        arrays: dict[str, tuple[np.ndarray, np.ndarray]],
        size: int,
        spelled: dict[str, str],
        spelled_arrays: dict[str, tuple[np.ndarray, np.ndarray]],
    ) -> tuple[np.ndarray, np.ndarray]:
        """Share of the question's information each document explains, and which documents
        share a distinctive syllable pair with it (both indexed by document).

        A gram matched in sound only (义警 / 亿增, 新闻 / 型文) counts SOUND_ONLY of a gram
        matched as written: enough to forgive a typing error, not enough for two words that
        merely sound alike to pass for the same one."""
        share = np.zeros(size)
        anchored = np.zeros(size, dtype=np.int8)  # 1: in sound, 2: as written too
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
                # A gram appears once per document, so plain fancy-index addition is exact.
                share[indices] += (amount * SOUND_ONLY) * levels
                written = spelled_arrays.get(spelled.get(gram, ""))
                if written is not None:
                    share[written[0]] += (amount * (1 - SOUND_ONLY)) * written[1]
                if weight >= self._anchor_idf and len(gram) > 1:
                    anchored[indices] = np.maximum(anchored[indices], 1)
                    if written is not None:
                        anchored[written[0]] = 2
        if not weights[1]:  # one syllable: unigrams carry everything
            share /= UNIGRAM_SHARE
        return share, anchored

    @staticmethod
    def _explained(weights: tuple[dict[str, float], dict[str, float]], part: str) -> float:
        """Share of the question's information that one word of it carries."""
        uni, bi = _grams(part)
        share = 0.0
        for grams, wanted, portion in zip(
            weights, (uni, bi), (UNIGRAM_SHARE, 1 - UNIGRAM_SHARE), strict=True
        ):
            total = sum(grams.values())
            if total:
                share += portion * sum(w for g, w in grams.items() if g in wanted) / total
        return share if weights[1] else share / UNIGRAM_SHARE

    def _entry_score(
        self,
        doc: _Doc,
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
                    1.0, max(len(keyword) / max(len(key), 1), self._explained(weights, keyword))
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

    # --- outcomes ------------------------------------------------------------------

    def street_of(self, folded: str) -> str | None:
        """The street a question names, if it names exactly one."""
        named = [s for s, names in self._street_names.items() if any(n in folded for n in names)]
        return named[0] if len(named) == 1 else None

    def names_both_streets(self, folded: str) -> bool:
        """Whether a question asks about both streets at once (坪山和观湖, 两个街道)."""
        names = self._street_names.values()
        return all(any(n in folded for n in ns) for ns in names) or any(
            fold(word) in folded for word in BOTH_STREETS
        )

    def other_place(self, folded: str) -> str | None:
        """A place outside the two streets that the question is about, if any."""
        for place, inside in self._other_places:
            if place not in folded:
                continue
            masked = folded
            for name in inside:
                masked = masked.replace(name, "")
            # A place one travels to or from (跑香港拉货, 去广州) is where the question goes,
            # not what it is about: the programme asked about may still be ours.
            masked = re.sub(TRAVEL_VERBS + re.escape(place), "", masked)
            if place in masked:
                return place
        return None

    def uncovered_topic(self, folded: str) -> str | None:
        """A service neither report mentions (公积金, 护照) that the question asks about."""
        return next((word for word in self._uncovered if word in folded), None)

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
        """Entries ordered by their wording's score for a question (no outcome decided)."""
        spelling = self._spelling(text[:MAX_QUERY_CHARS])
        if not spelling:
            return []
        return self._rank_key(spelling, street, limit)

    def _rank_key(
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
        weights = self._weights(covered_key)
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

    def _rank_passages(
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
            self._weights(key),
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

    def detail_asked(self, folded: str) -> str | None:
        """The detail word (电话, 地址, 几点…) a question asks for, of a kind reports never give.

        A word written with a trailing ``$`` counts only at the end of the question: "托育中心
        在哪" asks an address, "社工村在哪个社区" asks what the report says."""
        for _, word in self._details:
            if word.endswith("$"):
                if re.search(re.escape(word[:-1]) + TRAILING_PARTICLES, folded):
                    return word[:-1]
            elif word in folded:
                return word
        return None

    def uncovered_year(self, folded: str, street: str | None) -> int | None:
        """A year the question names that the (named street's) reports do not cover."""
        covered = (
            self._street_years[street] if street else set().union(*self._street_years.values())
        )
        for year in YEAR.findall(folded):
            if covered and int(year) not in covered:
                return int(year)
        return None

    def _answer_mentions(self, entry_id: str, word: str) -> bool:
        # "厂房租金有没有指导价": the answer itself speaks of 租金, so it is not a detail
        # the report leaves out.
        answer = fold(self.answer_text(entry_id))
        if any(word[i : i + 2] in answer for i in range(len(word) - 1)):
            return True
        # "居民议事日是哪天": the answer gives the day (每月最后一个星期日), so the detail is
        # stated after all, in other words.
        evidence = DETAIL_EVIDENCE.get(self._detail_labels.get(word, ""))
        return bool(evidence and evidence.search(answer))

    def _term_within(self, key: str) -> str | None:
        """The glossary term whose name carries most of a question's information."""
        weights = self._weights(key)
        for name_key, entry_id in self._canonical_terms:
            if name_key in key and self._explained(weights, name_key) >= TERM_WITHIN_SHARE:
                return entry_id
        return None

    def intent_within(self, text: str, loose: bool) -> str | None:
        """An intent phrase inside a short message ("太感谢了,帮大忙了"). Unless ``loose``
        (nothing in the knowledge base fits), the phrase must be most of the message."""
        key = content(text)
        if len(key) > (LOOSE_INTENT_CHARS if loose else 16):
            return None
        # Longest phrases first; an intent's phrases together ("这个机器人" + "哪个单位做")
        # may make up most of the message where no single one does.
        left: dict[str, str] = {}
        for intent_id, phrase in self._intent_contained:
            rest = left.get(intent_id, key)
            if phrase not in rest or _inside_a_number(phrase, rest):
                continue
            greets_first = intent_id == "greeting" and key.startswith(phrase) and len(key) <= 8
            fits = len(key) <= 16 or len(phrase) >= 3
            if loose and (greets_first or (intent_id != "greeting" and fits)):
                # A short phrase is too common to count inside a longer message, and a
                # greeting only opens one: "有人" in "楼顶加盖了一层,有没有人管" is no 有人吗.
                return intent_id
            left[intent_id] = rest.replace(phrase, "\0")
            if 2 * (len(key) - len(left[intent_id].replace("\0", ""))) >= len(key):
                return intent_id
        return None

    def match(self, text: str) -> Match:
        """Decide answer, clarify, miss or intent for one question."""
        text = text[:MAX_QUERY_CHARS]
        result = self._decide(text)
        if (
            result.outcome is Outcome.ANSWER
            and self.rule("unstated_figure")
            and QUANTITY.search(fold(text))
            and not any(self._states_a_figure(self.answer_text(i), text) for i in result.chosen)
        ):
            return replace(
                result,
                outcome=Outcome.MISS,
                reason=Reason.UNSTATED_FIGURE,
                chosen=(),
                candidates=result.candidates[:1],
            )
        return result

    @staticmethod
    def _states_a_figure(answer: str, question: str) -> bool:
        """Whether an answer gives a figure the question does not already hold: "4号线观湖段
        设了几个站" is not answered by "4号线观湖段年内通车"."""
        given = fold(question)
        return any(fold(found.group(0)) not in given for found in DIGIT.finditer(answer))

    def rule(self, name: str) -> bool:
        """Whether a named rule is on (``policybot eval --ablate`` turns each off in turn)."""
        return name not in self.disabled

    def answer_text(self, doc_id: str) -> str:
        """What an entry or passage quotes, as written (a figure's unit may be 95%)."""
        passage = self._passage_by_id.get(doc_id)
        return passage.text if passage else self.kb.entries[doc_id].answer

    def _decide(self, text: str) -> Match:
        folded = fold(text)
        if not folded:
            return Match(Outcome.MISS, Reason.EMPTY, 0.0)
        intent = self.intent_of(folded)
        if intent:
            return Match(Outcome.INTENT, Reason.INTENT, 1.0, intent=intent[0])
        # A message that is mostly an intent phrase ("太感谢了,说得很清楚") is that intent,
        # whatever sentence of a report happens to thank someone too; but a detail asked
        # ("托育中心电话多少") makes it a question.
        within = self.intent_within(text, loose=False) if self.rule("intent_phrase") else None
        if within and not self.detail_asked(folded):
            return Match(Outcome.INTENT, Reason.INTENT_PHRASE, 1.0, intent=within)
        place = self.other_place(folded) if self.rule("other_place") else None
        if place:
            return Match(Outcome.MISS, Reason.OTHER_PLACE, 0.0, detail=place)
        topic = self.uncovered_topic(folded) if self.rule("uncovered_topic") else None
        if topic:
            # A service neither report covers makes the question a miss, unless the rest of
            # it is plainly about a programme they do describe ("一下雨下水道就返臭水,是不是
            # 雨水污水混在一起了" is about 雨污分流, not the weather).
            rest = folded.replace(topic, " ")
            ranked = self.assess(rest, fold(rest), self.street_of(folded))
            # ... but not when the service is what is asked for (大厅能办护照吗).
            asked_for = re.search(SERVICE_VERBS + r".{0,2}" + re.escape(topic), folded)
            plainly = (
                not asked_for
                and ranked
                and ranked[0].confidence >= ANSWER_P
                and ranked[0].written
                and not self.detail_asked(fold(rest))
            )
            if not plainly:
                return Match(Outcome.MISS, Reason.UNCOVERED_TOPIC, 0.0, detail=topic)
            text, folded = rest, fold(rest)
        street = self.street_of(folded)
        year = self.uncovered_year(folded, street) if self.rule("uncovered_year") else None
        if year:
            return Match(Outcome.MISS, Reason.UNCOVERED_YEAR, 0.0, street=street, detail=str(year))
        spelling = self._spelling(text)
        key = sound_key(spelling)
        if not key:
            return Match(Outcome.MISS, Reason.ONLY_STREET, 0.0, street=street)
        # "2021" or "1234567" alone asks nothing; as a rare token it would match whatever
        # entry happens to contain it.
        if (
            self.rule("only_numbers")
            and ONLY_NUMBERS.fullmatch(spelling)
            and key not in self._term_names
        ):
            return Match(Outcome.MISS, Reason.ONLY_NUMBERS, 0.0, street=street)
        ranked = self.assess(text, folded, street)
        term = self._term_asked(key, street) if self.rule("term_name") else None
        if term:
            found = next((c for c in ranked if c.id == term), None)
            if found is None:
                found = self._entry_candidate(term)
            found.probability = found.confidence = 1.0
            ranked = [found, *(c for c in ranked if c.id != term)]
        best = ranked[0] if ranked else None
        detail = self.detail_asked(folded) if self.rule("unstated_detail") else None
        if detail and best and not self._answer_mentions(best.id, detail):
            # The detail is not in the reports. When the programme it belongs to is known,
            # say so and point to it; a likely answer without the detail is no answer.
            known = best.anchored and best.confidence >= CLARIFY_P
            if known or best.confidence >= ANSWER_P:
                return Match(
                    Outcome.MISS,
                    Reason.UNSTATED_DETAIL,
                    best.confidence,
                    (),
                    tuple(ranked[:1]) if known else (),
                    street=street,
                    detail=detail,
                )
        if term:
            return self._term_answer(term, ranked, street)
        if self.rule("both_streets") and not street and self.names_both_streets(folded):
            both = self._both_streets(ranked)
            if both:
                return both
        top = best.confidence if best else 0.0
        # An intent phrase in a message whose words fit nothing well is the intent: a
        # sentence of a report that merely thanks someone too is no answer to 太感谢了.
        worded = best.lexical if best else 0.0
        if self.rule("intent_phrase") and (top < ANSWER_P or worded < INTENT_OVER_WORDING):
            loose = top < CLARIFY_P or worded < INTENT_OVER_WORDING
            within = self.intent_within(text, loose=loose)
            if within:
                return Match(Outcome.INTENT, Reason.INTENT_NOTHING_ELSE, top, intent=within)
        if best and top >= ANSWER_P:
            chosen = self._companions(best, ranked, street) if self.rule("companions") else None
            return Match(
                Outcome.ANSWER,
                Reason.CONFIDENT,
                top,
                chosen or (best.id,),
                tuple(ranked[:5]),
                street=street,
            )
        # Offering candidates needs a word in common with one (or English, where only the
        # meaning can be compared): a question that merely sounds like a passage in meaning
        # (今晚吃什么好 / 夜间经济) is no question about it.
        grounded = best is not None and (
            best.anchored or bool(best.keyword) or _latin_share(text) >= ENGLISH_SHARE
        )
        if best and top >= CLARIFY_P and grounded:
            offered = self._offered(ranked)
            return Match(Outcome.CLARIFY, Reason.UNSURE, top, (), tuple(offered), street=street)
        return Match(
            Outcome.MISS, Reason.LOW_SCORE, top, (), tuple(self._nearest(ranked)), street=street
        )

    # --- candidates and their probability ----------------------------------------------

    def assess(self, text: str, folded: str, street: str | None) -> list[Candidate]:
        """Every plausible answer to a question, most probably right first."""
        latin = _latin_share(text)
        expansion = self.expansion(text, folded) if self.rule("lexicon") else ""
        spelling = self._spelling(text)
        if latin >= ENGLISH_SHARE:
            # English words are compared through the lexicon only: spelled out letter by
            # letter, they would look like rare words no document has.
            spelling = self._spelling("".join(c for c in text if not c.isascii()))
            spelling, expansion = spelling + expansion, ""
        key = sound_key(spelling + expansion)
        similarity = self._similarity(text)
        if not key and similarity is None:
            return []
        codes = tuple(dict.fromkeys(CODE.findall(folded)))
        halves = self.halves_asked(folded)
        entries_by_meaning: list[int] = []
        passages_by_meaning: list[int] = []
        if similarity is not None:
            top = np.argsort(-similarity)[:SEMANTIC_CANDIDATES]
            entries_by_meaning = [int(i) for i in top if i < len(self.docs)]
            passages_by_meaning = [int(i) - len(self.docs) for i in top if i >= len(self.docs)]
        candidates = [
            self._candidate(s, self.docs[s.index], False, similarity)
            for s in self._rank_key(
                spelling, street, CANDIDATES, codes, halves, entries_by_meaning, expansion
            )
        ]
        candidates += [
            self._candidate(s, self.passage_docs[s.index], True, similarity)
            for s in self._rank_passages(
                spelling, PASSAGE_CANDIDATES, codes, halves, passages_by_meaning, expansion
            )
        ]
        if street and self.rule("named_street"):
            # The other street's programme would read as if the named street had it.
            candidates = [c for c in candidates if c.street == street]
        if codes and self.rule("code"):
            # A code of letters and digits (PM10, 5G) names one thing exactly: a text that
            # does not contain it is about something else (PM2.5).
            candidates = [c for c in candidates if not c.missing_code]
        pairs = self._weights(key)[1]
        for candidate in candidates:
            candidate.missing_peak = self._missing_peak(pairs, candidate)
        rows = describe(candidates, self._unknown_share(key), latin)
        probabilities = self.calibration.probability(rows)
        for candidate, row, probability in zip(candidates, rows, probabilities, strict=True):
            candidate.features = row
            candidate.probability = float(probability)
        candidates.sort(key=lambda c: (-c.probability, c.id))
        if candidates:
            best = candidates[0]
            rival = next((c for c in candidates[1:] if not same_answer(best, c)), None)
            best.confidence = self.calibration.confidence(
                best.probability, rival.probability if rival else 0.0
            )
        return candidates

    def _candidate(
        self, scored: Scored, doc: _Doc, passage: bool, similarity: np.ndarray | None
    ) -> Candidate:
        offset = len(self.docs) if passage else 0
        entry = None if passage else self.kb.entries[doc.id]
        return Candidate(
            id=doc.id,
            index=scored.index,
            passage=passage,
            street=doc.street,
            lexical=scored.score,
            coverage=scored.coverage,
            semantic=float(similarity[offset + scored.index]) if similarity is not None else 0.0,
            keyword=scored.keyword,
            anchored=scored.anchored,
            written=scored.written,
            term=bool(entry and entry.kind != "faq"),
            other_half=scored.other_half,
            missing_code=scored.missing_code,
            answer=self._folded_answers[offset + scored.index],
        )

    def _entry_candidate(self, entry_id: str) -> Candidate:
        index = next(i for i, d in enumerate(self.docs) if d.id == entry_id)
        doc = self.docs[index]
        return Candidate(
            id=entry_id,
            index=index,
            passage=False,
            street=doc.street,
            term=self.kb.entries[entry_id].kind != "faq",
            anchored=True,
            written=True,
            answer=self._folded_answers[index],
        )

    def _similarity(self, text: str) -> np.ndarray | None:
        if self.semantic is None:
            return None
        return self.semantic.similarity(self.semantic.query_vector(for_model(text)))

    def expansion(self, text: str, folded: str) -> str:
        """The reports' words for the everyday ones in a question (带娃 → 托育), from the
        report-independent lexicons, that the question does not already use."""
        words: list[str] = []
        # Only the phrases that start with one of the question's characters can be in it;
        # taken in the lexicon's order (longest first), as a scan of every phrase would.
        candidates = {i for char in set(folded) for i in self._lexicon_zh_starting.get(char, ())}
        for index in sorted(candidates):
            phrase, meant = self._lexicon_zh[index]
            if phrase in folded:
                words += meant
        if _latin_share(text) > 0 and self._lexicon_en_pattern is not None:
            for found in self._lexicon_en_pattern.findall(text.lower()):
                words += self._lexicon_en.get(found) or self._lexicon_en.get(
                    re.sub(r"(?:es|s)$", "", found), ()
                )
        return "".join(w for w in dict.fromkeys(words) if w not in folded)

    def _missing_peak(self, pairs: dict[str, float], candidate: Candidate) -> float:
        """The weight of the most informative syllable pair of the question that the
        candidate lacks, on the scale of a pair no document has (公积金 in 公积金怎么提取
        against an entry on 怎么申请): one missing key word is enough to be about
        something else."""
        sounds = self._doc_sounds[candidate.index + (len(self.docs) if candidate.passage else 0)]
        missing = [w for g, w in pairs.items() if g not in sounds]
        return max(missing, default=0.0) / self._unknown_idf

    def _unknown_share(self, key: str) -> float:
        """Share of a question's syllables that no document contains (公积金, 天气)."""
        unigrams, _ = self._weights(key)
        total = sum(unigrams.values())
        if not total:
            return 0.0
        return sum(w for g, w in unigrams.items() if g not in self._idf) / total

    def _distinct(self, candidates: list[Candidate]) -> list[Candidate]:
        """Candidates with different answers, first of each kept."""
        kept: list[Candidate] = []
        for candidate in candidates:
            if not any(same_answer(candidate, k) for k in kept):
                kept.append(candidate)
        return kept

    def _offered(self, ranked: list[Candidate]) -> list[Candidate]:
        """What a clarify offers: the first candidate and the likely others."""
        likely = [c for i, c in enumerate(ranked) if i == 0 or c.probability >= COMPANION_P]
        return self._distinct(likely)[:3]

    def _nearest(self, ranked: list[Candidate]) -> list[Candidate]:
        """What a miss suggests: the entries nearest the question in meaning."""
        entries = [c for c in ranked if not c.passage]
        entries.sort(key=lambda c: (-c.semantic, -c.lexical, c.id))
        return self._distinct(entries)[:3]

    # --- composing an answer ---------------------------------------------------------

    def _term_asked(self, key: str, street: str | None) -> str | None:
        """The glossary term a question names, or is mostly made of."""
        term = self._term_names.get(key) or self._term_within(key)
        if term and street and self.kb.entries[term].street != street:
            return None
        return term

    def _term_answer(self, term: str, ranked: list[Candidate], street: str | None) -> Match:
        """The definition, then where the report puts the term to work, if it does."""
        report = self.kb.entries[term].report
        used = next(
            (
                c.id
                for c in ranked[1:]
                if c.probability >= COMPANION_P
                and not c.term
                and self._report_of(c) == report
                and self._defines(term, c.id)
            ),
            None,
        )
        chosen = (term, used) if used else (term,)
        return Match(
            Outcome.ANSWER, Reason.TERM_NAME, 1.0, chosen, tuple(ranked[:5]), street=street
        )

    def _report_of(self, candidate: Candidate) -> str:
        if candidate.passage:
            return self._passage_by_id[candidate.id].report
        return self.kb.entries[candidate.id].report

    def _both_streets(self, ranked: list[Candidate]) -> Match | None:
        """A question that names both streets is answered from both reports or not at all:
        the best candidate of each street when both are likely enough; else offered."""
        chosen: dict[str, Candidate] = {}
        for candidate in ranked:
            if candidate.street not in chosen and candidate.probability >= COMPANION_P:
                chosen[candidate.street] = candidate
        best = ranked[0] if ranked else None
        # Each street's text on its own counts: the two are not rivals here.
        if len(chosen) == len(self._street_years) and best and best.confidence >= CLARIFY_P:
            pair = tuple(c.id for c in sorted(chosen.values(), key=lambda c: -c.probability))
            return Match(
                Outcome.ANSWER, Reason.BOTH_STREETS, best.confidence, pair, tuple(ranked[:5])
            )
        if best and best.confidence >= CLARIFY_P:
            offered = self._offered(ranked)
            return Match(
                Outcome.CLARIFY, Reason.BOTH_STREETS_ASKED, best.confidence, (), tuple(offered)
            )
        return None

    def _defines(self, first: str, second: str) -> bool:
        """Whether one of two entries defines a term that the other one's answer uses
        (八大行动 and the plan that names 排水八大行动): two facets of one question."""
        for term, other in ((first, second), (second, first)):
            entry = self.kb.entries.get(term)
            if entry is None or entry.kind == "faq":
                continue
            answer = fold(self.answer_text(other))
            names = (entry.term or "", *entry.keywords[:1])
            if any(len(fold(n)) >= 3 and fold(n) in answer for n in names):
                return True
        return False

    def _companions(
        self, best: Candidate, ranked: list[Candidate], street: str | None
    ) -> tuple[str, ...]:
        """The best answer, plus one that belongs with it: the other street's on the same
        subject when the question names none (a topic both reports cover is answered for
        both), or a close one that the best one defines or shares its asked-for word with."""
        close = [c for c in ranked[1:] if c.probability >= COMPANION_P and not same_answer(best, c)]
        if not street:
            # The other street's text on the same subject (a topic both reports cover, or a
            # distinctive word of the question that the best answer speaks of too: 油烟,
            # 高空抛物) is the same subject seen from its report: a question naming neither
            # street gets both.
            for other in ranked[1:]:
                if other.street == best.street or same_answer(best, other):
                    continue
                on_topic = other.probability >= COMPANION_P or other.lexical >= KEYWORD_COMPANION_AT
                if (on_topic and self._same_topic(best, other)) or (
                    best.keyword
                    and other.keyword
                    and other.lexical >= KEYWORD_COMPANION_AT
                    and self._shares_keyword(best, other)
                ):
                    return (best.id, other.id)
        for other in close:
            if best.probability - other.probability >= CLOSE_P or other.street != best.street:
                continue
            if (
                self._same_topic(best, other)
                or (best.keyword and other.keyword == best.keyword)
                or self._defines(best.id, other.id)
            ):
                pair = sorted((best, other), key=self._definition_first)
                return tuple(c.id for c in pair)
        return (best.id,)

    def _same_topic(self, first: Candidate, second: Candidate) -> bool:
        if first.passage or second.passage:
            return False
        a, b = self.kb.entries[first.id], self.kb.entries[second.id]
        return a.topic is not None and a.topic == b.topic

    @staticmethod
    def _definition_first(candidate: Candidate) -> tuple[bool, float]:
        # A look-up of jargon wants the definition before the report's use of it.
        return (not candidate.term, -candidate.probability)

    def _shares_keyword(self, best: Candidate, other: Candidate) -> bool:
        """Whether ``other`` was found by a word of the question that is as specific as the
        best entry's and that the best entry's answer speaks of as well."""
        if best.keyword == other.keyword:
            return True
        return len(other.keyword) >= len(best.keyword) and other.keyword in self._answer_key(
            best.id
        )

    def _answer_key(self, entry_id: str) -> str:
        key = self._answer_keys.get(entry_id)
        if key is None:
            key = self._answer_keys[entry_id] = self._key(self.answer_text(entry_id))
        return key


def _latin_share(text: str) -> float:
    """Share of a question's letters and characters that are Latin letters (English)."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    return sum(c.isascii() for c in letters) / len(letters)


REPEATED_MARK = re.compile(r"([^\w\s])\1+")
CLAUSE_BREAK = re.compile(r"[；;。，,：:！!？?]")
CLAUSE_MIN_CHARS = 6


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
