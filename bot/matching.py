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
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz, process

from bot.knowledge import Entry, KnowledgeBase
from bot.textnorm import content, fold, sound_key, subject

ANSWER_AT = 72.0  # at or above: answer
# Below ANSWER_AT a clear lead over the runner-up, on a distinctive shared word, still
# answers: residents' own words rarely reach the wording of an entry.
LEAD_ANSWER_AT = 44.0
LEAD = 6.0
CLARIFY_AT = 55.0  # at or above (and not answered): offer candidates
PASSAGE_ANSWER_AT = 70.0
# A question asking a detail the reports never give (电话, 地址) is a miss whatever its
# score; from this score on, the programme it is about is named with the miss.
DETAIL_POINTER_AT = 45.0
KEYWORD_COMPANION_AT = 50.0
TERM_WITHIN_SHARE = 0.35  # of a question's information, for it to be a look-up of a term
# A term's core name without the generic kind of thing it is (“三事分流”工作机制).
TERM_SUFFIX = re.compile(
    r"(工作机制|工作模式|工作体系|机制|模式|体系|制度)$"
)  # the other street's entry with the same keyword answers too
CLOSE_MARGIN = 6.0  # two different entries this close: ask which one
INTENT_AT = 86.0
MAX_QUERY_CHARS = 300  # a 10,000-character message is matched on its beginning
CANDIDATES = 12
STREET_NAMES = {
    "pingshan": ("坪山街道", "坪山区", "坪山"),
    "guanhu": ("观湖街道", "观湖"),
}
OTHER_STREET_PENALTY = 0.6
TRAVEL_VERBS = "(?:从|来回|往返|跑)"
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


@dataclass(frozen=True)
class Scored:
    id: str
    score: float
    keyword: str = ""  # the entry's keyword the question contains, if any
    anchored: bool = False  # shares a distinctive syllable pair with the question
    written: bool = False  # ... and spells it the same way (not a mere homophone)


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
    written_keywords: list[str] = field(default_factory=list)  # the same, as written
    text: str = ""  # every word of the entry, folded: for exact codes (PM2.5, 5G)
    report: str = ""
    half: str | None = None  # "review" or "plan": the half of its report it comes from
    spelled_forms: list[str] = field(default_factory=list)  # every way of asking, as written


def _freeze(
    postings: dict[str, list[tuple[int, float]]],
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Posting lists as arrays, so a query adds a whole list in one vectorised step."""
    return {
        gram: (
            np.fromiter((i for i, _ in hits), dtype=np.int64, count=len(hits)),
            np.fromiter((w for _, w in hits), dtype=np.float64, count=len(hits)),
        )
        for gram, hits in postings.items()
    }


def _grams(key: str) -> tuple[set[str], set[str]]:
    return set(key), {key[i : i + 2] for i in range(len(key) - 1)}


def _strip_streets(text: str) -> str:
    for names in STREET_NAMES.values():
        for name in names:
            text = text.replace(name, "")
    return text


def _spelling(text: str) -> str:
    # Like a street's name, a year the reports cover is context, not subject: "2021年养老
    # 有啥新打算" is about 养老, not about every entry that names 2021.
    return subject(YEAR_WORD.sub("", _strip_streets(content(text))))


def _key(text: str) -> str:
    return sound_key(_spelling(text))


def _spelled(key: str, spelling: str) -> dict[str, str]:
    """For each gram of a sound key, the characters it was spelled with (the first
    spelling, when one sound is spelled two ways in a question)."""
    spelled: dict[str, str] = {}
    for size in (1, 2):
        for i in range(len(key) - size + 1):
            spelled.setdefault(key[i : i + size], spelling[i : i + size])
    return spelled


def _inside_a_number(phrase: str, text: str) -> bool:
    """Whether a phrase of letters or digits (88, 886, hi) occurs only as part of a longer
    run of them (2088号, this): 坪山大道2088号 says no goodbye."""
    if not phrase.isascii():
        return False
    pattern = rf"(?<![0-9a-z]){re.escape(phrase)}(?![0-9a-z])"
    return re.search(pattern, text) is None


class Matcher:
    """Indexes a knowledge base once; ``match`` is then cheap and side-effect free."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self._halves = self._report_halves(kb)
        self.docs: list[_Doc] = []
        self.passage_docs: list[_Doc] = []
        self._postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self._passage_postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        # The same grams as written, to tell a match in spelling from one in sound only.
        self._spelled_postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self._passage_spelled_postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self._keyword_index: dict[str, list[int]] = defaultdict(list)
        for entry in kb.entries.values():
            self._add_entry(entry)
        for passage in kb.passages:
            street = kb.reports[passage.report].street
            doc = _Doc(passage.id, street, None, [], [], [], fold(passage.text))
            self.passage_docs.append(doc)
            index = len(self.passage_docs) - 1
            spelling = _spelling(passage.text)
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
                name_key = _key(name)
                if len(name_key) >= 2:
                    self._term_names.setdefault(name_key, entry.id)
        # ... and a question that is mostly one term's own name ("三事分流机制怎么运作").
        self._canonical_terms = sorted(
            {
                (_key(name), entry.id)
                for entry in kb.glossary
                for name in (entry.term or "", *entry.keywords[:1])
                for name in (name, TERM_SUFFIX.sub("", name))
                if len(_key(name)) >= 3
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
        self._intent_contained = sorted(
            ((intent_id, content(p)) for intent_id, p in self._intents if len(content(p)) >= 2),
            key=lambda pair: -len(pair[1]),
        )

    def _add_entry(self, entry: Entry) -> None:
        forms = [_key(text) for text in (entry.question, *entry.phrasings)]
        names = [entry.term] if entry.term else []
        written = [_spelling(k) for k in (*entry.keywords, *names)]
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
            [w for w in (_spelling(t) for t in (entry.question, *entry.phrasings)) if w],
        )
        self.docs.append(doc)
        index = len(self.docs) - 1
        wording = [_spelling(text) for text in (entry.question, *entry.phrasings)]
        wording += [_spelling(k) for k in (*entry.keywords, *names)]
        answer = _spelling(entry.answer)
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
            if keyword in key and len(keyword) > len(matched):
                if len(keyword) < SOUND_KEYWORD_MIN and written not in spelling:
                    # Two syllables that merely sound alike (翻译 / 防疫, 征地 / 阵地) are
                    # a coincidence far more often than a typing error.
                    continue
                # The more of the question the keyword explains, the surer the match:
                # by length, or by information when the rest is generic (落实得怎么样).
                portion = min(1.0, max(len(keyword) / len(key), self._explained(weights, keyword)))
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
        named = [s for s, names in STREET_NAMES.items() if any(n in folded for n in names)]
        return named[0] if len(named) == 1 else None

    @staticmethod
    def names_both_streets(folded: str) -> bool:
        """Whether a question asks about both streets at once (坪山和观湖, 两个街道)."""
        return all(any(n in folded for n in names) for names in STREET_NAMES.values()) or any(
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
        """Entries ordered by score for a question (no outcome decided)."""
        spelling = _spelling(text[:MAX_QUERY_CHARS])
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
    ) -> list[Scored]:
        key = sound_key(spelling)
        weights = self._weights(key)
        coverage, anchored = self._coverage(
            weights,
            self._entry_arrays,
            len(self.docs),
            _spelled(key, spelling),
            self._entry_spelled_arrays,
        )
        covered = np.flatnonzero(coverage)
        if len(covered) > limit * 2:
            covered = covered[np.argpartition(-coverage[covered], limit * 2)[: limit * 2]]
        pool = {int(i) for i in covered}
        for i in range(len(key) - 1):
            pool.update(self._keyword_index.get(key[i : i + 2], ()))
        scored = []
        for index in pool:
            doc = self.docs[index]
            score, keyword = self._entry_score(
                doc, key, float(coverage[index]), bool(anchored[index]), weights, spelling
            )
            if street and doc.street != street:
                score *= OTHER_STREET_PENALTY
            if any(code not in doc.text for code in codes):
                score *= MISSING_CODE_PENALTY
            if halves and doc.half and halves.get(doc.report, doc.half) != doc.half:
                score *= OTHER_HALF_PENALTY
            scored.append(
                Scored(
                    doc.id,
                    round(score, 1),
                    keyword,
                    bool(anchored[index]),
                    bool(anchored[index] == 2),
                )
            )
        scored.sort(key=lambda s: (-s.score, s.id))
        return scored[:limit]

    def _best_passage(
        self, spelling: str, street: str | None, codes: tuple[str, ...] = ()
    ) -> Scored | None:
        key = sound_key(spelling)
        coverage, anchored = self._coverage(
            self._weights(key),
            self._passage_arrays,
            len(self.passage_docs),
            _spelled(key, spelling),
            self._passage_spelled_arrays,
        )
        eligible = (anchored > 0) & (coverage > 0)
        if street:
            eligible &= self._passage_streets == street
        if codes:
            eligible &= np.array(
                [all(code in doc.text for code in codes) for doc in self.passage_docs]
            )
        if not eligible.any():
            return None
        best_index = int(np.argmax(np.where(eligible, coverage, -1.0)))
        # Passages are worded for reading, not asking; their coverage counts the answer
        # text at ANSWER_WEIGHT, so rescale it to the entries' scale.
        score = 100.0 * float(coverage[best_index]) / ANSWER_WEIGHT
        return Scored(self.passage_docs[best_index].id, round(score, 1))

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
        answer = fold(self.kb.entries[entry_id].answer)
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
            result.outcome == "answer"
            and QUANTITY.search(fold(text))
            and not any(DIGIT.search(self._chosen_text(i, result.passage)) for i in result.chosen)
        ):
            return Match(
                "miss",
                "unstated figure",
                result.score,
                (),
                result.candidates[:3] if not result.passage else (),
                street=result.street,
            )
        return result

    def _chosen_text(self, chosen_id: str, passage: bool) -> str:
        # As written, not folded: a figure's unit may be punctuation (95%).
        if passage:
            return next(p.text for p in self.kb.passages if p.id == chosen_id)
        return self.kb.entries[chosen_id].answer

    def _decide(self, text: str) -> Match:
        folded = fold(text)
        if not folded:
            return Match("miss", "empty", 0.0)
        intent = self.intent_of(folded)
        if intent:
            return Match("intent", "intent", intent[1], intent=intent[0])
        place = self.other_place(folded)
        if place:
            return Match("miss", f"other place: {place}", 0.0)
        topic = self.uncovered_topic(folded)
        if topic:
            # A service neither report covers makes the question a miss, unless the rest of
            # it is plainly about a programme they do describe ("一下雨下水道就返臭水,是不是
            # 雨水污水混在一起了" is about 雨污分流, not the weather).
            rest = folded.replace(topic, " ")
            ranked = self._rank_key(_spelling(rest), self.street_of(folded), 2)
            if not ranked or ranked[0].score < ANSWER_AT or not ranked[0].written:
                return Match("miss", f"uncovered topic: {topic}", 0.0)
            text, folded = rest, fold(rest)
        street = self.street_of(folded)
        year = self.uncovered_year(folded, street)
        if year:
            return Match("miss", f"uncovered year: {year}", 0.0, street=street)
        spelling = _spelling(text)
        key = sound_key(spelling)
        if not key:
            return Match("miss", "only a street name", 0.0, street=street)
        if ONLY_NUMBERS.fullmatch(spelling) and key not in self._term_names:
            # "2021" or "1234567" alone asks nothing; as a rare token it would match
            # whatever entry happens to contain it.
            return Match("miss", "only numbers", 0.0, street=street)
        codes = tuple(dict.fromkeys(CODE.findall(folded)))
        ranked = self._rank_key(spelling, street, CANDIDATES, codes, self.halves_asked(folded))
        term = self._term_names.get(key) or self._term_within(key)
        if term and (street and self.kb.entries[term].street != street):
            term = None
        if term:
            ranked = [
                Scored(term, 100.0, anchored=True, written=True),
                *(s for s in ranked if s.id != term),
            ]
        best = ranked[0] if ranked else Scored("", 0.0)
        detail = self.detail_asked(folded)
        if (
            detail
            and best.anchored
            and best.score >= DETAIL_POINTER_AT
            and not self._answer_mentions(best.id, detail)
        ):
            # The programme is known, the detail is not: say so, and point to the programme.
            return Match(
                "miss",
                f"unstated detail: {detail}",
                best.score,
                (),
                tuple(ranked[:3]),
                street=street,
            )
        if term:
            used = next(
                (
                    s.id
                    for s in ranked[1:]
                    if s.score >= ANSWER_AT
                    and self.kb.entries[s.id].kind == "faq"
                    and self.kb.entries[s.id].report == self.kb.entries[term].report
                    and self._defines(best, s)
                ),
                None,
            )
            # The definition, then where the report puts the term to work, if it does.
            chosen = (term, used) if used else (term,)
            return Match("answer", "term name", 100.0, chosen, tuple(ranked[:5]), street=street)
        if not street and self.names_both_streets(folded):
            pair = self._one_per_street(ranked)
            if pair:
                return Match(
                    "answer", "both streets", best.score, pair, tuple(ranked[:5]), street=None
                )
            if best.score >= CLARIFY_AT:
                # Asked of both streets, found for one at most: offer, do not half-answer.
                close = tuple(s for s in ranked[:3] if s.score >= CLARIFY_AT)
                return Match("clarify", "both streets asked", best.score, (), close, street=None)
        if best.score < ANSWER_AT:
            within = self.intent_within(text, loose=best.score < CLARIFY_AT)
            if within:
                return Match("intent", "intent phrase", best.score, intent=within)
        competitors = [s for s in ranked[1:] if not self._same_answer(best.id, s.id)]
        runner_up = competitors[0].score if competitors else 0.0
        # Below ANSWER_AT only a distinctive word spelled as the entry spells it will do:
        # a homophone (大新闻 / 大型文体) is too weak to answer on.
        # ... and, where the question names a street, only that street's entry: the other
        # street's programme would read as if the named street had it.
        ours = not street or self.kb.entries[best.id].street == street
        leads = (
            ours
            and best.written
            and best.score >= LEAD_ANSWER_AT
            and best.score - runner_up >= LEAD
        )
        if best.score >= ANSWER_AT or leads:
            rivals = [s for s in ranked[1:4] if best.score - s.score < CLOSE_MARGIN]
            rivals = [s for s in rivals if not self._same_answer(best.id, s.id)]
            # Close entries that both contain the asked-for word are two facets of it,
            # not two readings of the question: answer with both.
            facets = [
                s
                for s in rivals
                if (best.keyword and s.keyword == best.keyword) or self._defines(best, s)
            ]
            if len(facets) == 1 and len(rivals) == 1:
                pair = sorted((best, facets[0]), key=self._definition_first)
                return Match(
                    "answer",
                    "two facets",
                    best.score,
                    tuple(p.id for p in pair),
                    tuple(ranked[:5]),
                    street=street,
                )
            if not rivals:
                chosen = self._companions(best, ranked, street)
                return Match(
                    "answer", "entry", best.score, chosen, tuple(ranked[:5]), street=street
                )
            return Match(
                "clarify", "close candidates", best.score, (), tuple(ranked[:3]), street=street
            )
        passage = self._best_passage(spelling, street, codes)
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
        if best.score >= CLARIFY_AT and (best.anchored or best.keyword):
            close = [s for s in ranked[:3] if s.score >= CLARIFY_AT]
            return Match("clarify", "middling score", best.score, (), tuple(close), street=street)
        return Match("miss", "low score", best.score, (), tuple(ranked[:3]), street=street)

    def _one_per_street(self, ranked: list[Scored]) -> tuple[str, ...]:
        """The best entry of each street, when both are good enough to offer: a question
        that names both streets is answered from both reports or not at all."""
        chosen: dict[str, Scored] = {}
        for scored in ranked:
            street = self.kb.entries[scored.id].street
            if street not in chosen and scored.score >= CLARIFY_AT and scored.written:
                chosen[street] = scored
        if len(chosen) < len(STREET_NAMES):
            return ()
        return tuple(s.id for s in sorted(chosen.values(), key=lambda s: -s.score))

    def _same_answer(self, first: str, second: str) -> bool:
        """Two entries that answer together rather than compete: same text or same topic."""
        a, b = self.kb.entries[first], self.kb.entries[second]
        return a.answer == b.answer or (a.topic is not None and a.topic == b.topic)

    def _defines(self, first: Scored, second: Scored) -> bool:
        """Whether one of two entries defines a term that the other one's answer uses
        (八大行动 and the plan that names 排水八大行动): two facets of one question."""
        for term, other in ((first, second), (second, first)):
            entry = self.kb.entries[term.id]
            if entry.kind == "faq":
                continue
            answer = fold(self.kb.entries[other.id].answer)
            names = (entry.term or "", *entry.keywords[:1])
            if any(len(fold(n)) >= 3 and fold(n) in answer for n in names):
                return True
        return False

    def _definition_first(self, scored: Scored) -> tuple[float, bool]:
        # A look-up of jargon wants the definition before the report's use of it.
        return (-scored.score, self.kb.entries[scored.id].kind == "faq")

    def _shares_keyword(self, best: Scored, other: Scored) -> bool:
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
            key = self._answer_keys[entry_id] = _key(self.kb.entries[entry_id].answer)
        return key

    def _companions(
        self, best: Scored, ranked: list[Scored], street: str | None
    ) -> tuple[str, ...]:
        """The best entry, plus one on the same topic: the other street's when the question
        names none (a topic both reports cover is answered for both), else a close one."""
        entry = self.kb.entries[best.id]
        if not street and best.keyword:
            # The other street's entry holding a distinctive word of the question that the
            # best entry speaks of too (油烟, 停车难) is the same subject seen from its
            # report: a question naming neither street gets both.
            for other in ranked[1:]:
                if (
                    other.keyword
                    and self.kb.entries[other.id].street != entry.street
                    and other.score >= KEYWORD_COMPANION_AT
                    and self._shares_keyword(best, other)
                ):
                    return (best.id, other.id)
        if not entry.topic:
            return (best.id,)
        same_topic = [
            s
            for s in ranked[1:]
            if self.kb.entries[s.id].topic == entry.topic
            and self.kb.entries[s.id].answer != entry.answer
        ]
        if not street:
            for other in same_topic:
                if self.kb.entries[other.id].street != entry.street and other.score >= CLARIFY_AT:
                    return (best.id, other.id)
        for other in same_topic:
            if best.score - other.score < CLOSE_MARGIN:
                return (best.id, other.id)
        return (best.id,)
