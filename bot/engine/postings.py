"""What building the lexical index computes from a knowledge base: its documents, their
sound grams and the posting lists of syllables and syllable pairs; and its form as plain
arrays, which bot/engine/index_cache.py keeps on disk so that a restart does not rebuild it."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import astuple, dataclass, field

import numpy as np

from bot.engine.textnorm import fold, sound_key
from bot.engine.wording import Wording
from bot.knowledge.loading import Entry, KnowledgeBase

# Weight of an entry's wording vs. its answer text in coverage: a question is about an
# entry mostly through how it is asked, partly through what the answer says.
FORM_WEIGHT = 1.0
ANSWER_WEIGHT = 0.6
# Each report reviews its first year and plans its second (坪山: 2020 done, 2021 planned;
# 观湖: 2019 done, 2020 planned). A year in the question says which half it asks about.
PLAN_HEADING = re.compile(r"计划|重点|打算|思路")
REVIEW_HEADING = re.compile(r"情况|回顾|总结")

# A gram's posting list: the documents that contain it and the weight it has in each.
PostingList = tuple[np.ndarray, np.ndarray]
POSTING_MAPS = ("entries", "passages", "entries_spelled", "passages_spelled")


@dataclass
class Doc:
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


def grams_of(key: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A text's distinct syllables and syllable pairs, each in the order it first comes.
    In order, not as sets: a query's weights are summed gram by gram, and a set's order
    changes with PYTHONHASHSEED, so a score's last bits did too (0.6154 in one process,
    0.618 in the next), enough to break a tie or cross a threshold."""
    return tuple(dict.fromkeys(key)), tuple(
        dict.fromkeys(key[i : i + 2] for i in range(len(key) - 1))
    )


class PostingMap:
    """Each gram's posting list as views into two arrays shared by all grams, made when a
    query asks for it: making them all at start took longer than building the rest."""

    def __init__(
        self, grams: list[str], lengths: np.ndarray, indices: np.ndarray, weights: np.ndarray
    ):
        self.grams = grams
        self.lengths = lengths
        self.indices = indices
        self.weights = weights
        self._position = {gram: position for position, gram in enumerate(grams)}
        ends = np.cumsum(lengths)
        self._ends: list[int] = ends.tolist()
        self._starts: list[int] = (ends - lengths).tolist()

    @classmethod
    def frozen(cls, postings: dict[str, list[tuple[int, float]]]) -> PostingMap:
        hits = [hit for gram_hits in postings.values() for hit in gram_hits]
        return cls(
            list(postings),
            np.array([len(h) for h in postings.values()], dtype=np.int64),
            np.array([i for i, _ in hits], dtype=np.int64),
            np.array([w for _, w in hits], dtype=np.float64),
        )

    def get(self, gram: str) -> PostingList | None:
        position = self._position.get(gram)
        if position is None:
            return None
        start, end = self._starts[position], self._ends[position]
        return self.indices[start:end], self.weights[start:end]

    def counts(self) -> dict[str, int]:
        """How many documents contain each gram."""
        return dict(zip(self.grams, self.lengths.tolist(), strict=True))


def report_halves(kb: KnowledgeBase) -> dict[tuple[str, str], str]:
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


@dataclass
class Postings:
    """The documents (entries, then passages) and every gram's posting list, in sound
    (homophones agree) and as written."""

    docs: list[Doc] = field(default_factory=list)
    passage_docs: list[Doc] = field(default_factory=list)
    # Each document's syllables and syllable pairs, to see what of a question it lacks.
    doc_sounds: list[frozenset[str]] = field(default_factory=list)
    keyword_index: dict[str, list[int]] = field(default_factory=dict)
    lists: dict[str, PostingMap] = field(default_factory=dict)

    @classmethod
    def build(cls, kb: KnowledgeBase, wording: Wording) -> Postings:
        return _Builder(kb, wording).postings()

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Everything built, as arrays numpy saves without pickling."""
        arrays: dict[str, np.ndarray] = {}
        for name in POSTING_MAPS:
            posting_map = self.lists[name]
            arrays[f"{name}.grams"] = np.array(posting_map.grams, dtype=str)
            arrays[f"{name}.lengths"] = posting_map.lengths
            arrays[f"{name}.indices"] = posting_map.indices
            arrays[f"{name}.weights"] = posting_map.weights
        documents = {
            "docs": [astuple(doc) for doc in self.docs],
            "passage_docs": [astuple(doc) for doc in self.passage_docs],
            "doc_sounds": [sorted(sounds) for sounds in self.doc_sounds],
            "keyword_index": self.keyword_index,
        }
        arrays["documents"] = np.array(json.dumps(documents, ensure_ascii=False), dtype=str)
        return arrays

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> Postings:
        """The inverse of ``to_arrays``; KeyError, ValueError or TypeError if malformed."""
        documents = json.loads(str(arrays["documents"]))
        lists = {
            name: PostingMap(
                arrays[f"{name}.grams"].tolist(),
                arrays[f"{name}.lengths"],
                arrays[f"{name}.indices"],
                arrays[f"{name}.weights"],
            )
            for name in POSTING_MAPS
        }
        return cls(
            docs=[Doc(*row) for row in documents["docs"]],
            passage_docs=[Doc(*row) for row in documents["passage_docs"]],
            doc_sounds=[frozenset(sounds) for sounds in documents["doc_sounds"]],
            keyword_index={k: list(v) for k, v in documents["keyword_index"].items()},
            lists=lists,
        )


class _Builder:
    """Walks a knowledge base once, collecting posting lists as Python lists."""

    def __init__(self, kb: KnowledgeBase, wording: Wording):
        self.kb = kb
        self.wording = wording
        self.halves = report_halves(kb)
        self.built = Postings()
        self.open: dict[str, dict[str, list[tuple[int, float]]]] = {
            name: defaultdict(list) for name in POSTING_MAPS
        }
        self.keyword_index: dict[str, list[int]] = defaultdict(list)

    def postings(self) -> Postings:
        for entry in self.kb.entries.values():
            self._add_entry(entry)
        for passage in self.kb.passages:
            self._add_passage(passage.id, passage.report, passage.section, passage.text)
        self.built.keyword_index = dict(self.keyword_index)
        self.built.lists = {name: PostingMap.frozen(self.open[name]) for name in POSTING_MAPS}
        return self.built

    def _half(self, report: str, section: str) -> str | None:
        return self.halves.get((report, section.split(".")[0]))

    def _add_entry(self, entry: Entry) -> None:
        # Each text is spelled once: the spellings feed the forms, keywords and postings.
        spell = self.wording.spelling_of
        asked = [spell(text) for text in (entry.question, *entry.phrasings)]
        names = [entry.term] if entry.term else []
        named = [spell(k) for k in (*entry.keywords, *names)]
        written = [w for w in named if len(w) >= 2]
        forms = [sound_key(spelling) for spelling in asked]
        doc = Doc(
            entry.id,
            entry.street,
            entry.topic,
            [f for f in forms if f],
            [sound_key(w) for w in written],
            written,
            fold(" ".join((entry.question, *entry.phrasings, *entry.keywords, entry.answer))),
            entry.report,
            self._half(entry.report, entry.section),
            [w for w in asked if w],
        )
        self.built.docs.append(doc)
        index = len(self.built.docs) - 1
        wording = asked + named
        answer = spell(entry.answer)
        sounds: set[str] = set()
        for text in (*wording, answer):
            sounds.update(*grams_of(sound_key(text)))
        self.built.doc_sounds.append(frozenset(sounds))
        for name, convert in (("entries", sound_key), ("entries_spelled", str)):
            weights: dict[str, float] = {}
            for text in wording:
                uni, bi = grams_of(convert(text))
                for gram in (*uni, *bi):
                    weights[gram] = FORM_WEIGHT
            uni, bi = grams_of(convert(answer))
            for gram in (*uni, *bi):
                weights.setdefault(gram, ANSWER_WEIGHT)
            postings = self.open[name]
            for gram, weight in weights.items():
                postings[gram].append((index, weight))
        # Each keyword once, in order, not a set's order: the saved file is then the same
        # whatever the process's hash seed.
        for keyword in dict.fromkeys(doc.keywords):
            self.keyword_index[keyword[:2]].append(index)

    def _add_passage(self, passage_id: str, report: str, section: str, text: str) -> None:
        street = self.kb.reports[report].street
        doc = Doc(passage_id, street, None, [], [], [], fold(text), report)
        doc.half = self._half(report, section)
        self.built.passage_docs.append(doc)
        index = len(self.built.passage_docs) - 1
        spelling = self.wording.spelling_of(text)
        self.built.doc_sounds.append(frozenset(set().union(*grams_of(sound_key(spelling)))))
        for name, converted in (("passages", sound_key(spelling)), ("passages_spelled", spelling)):
            uni, bi = grams_of(converted)
            for gram in (*uni, *bi):
                self.open[name][gram].append((index, ANSWER_WEIGHT))
