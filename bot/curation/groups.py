"""Missed questions grouped for curators: grouping, the entries nearest a group, and
finding one open group.

A question is *missed* when the engine missed it, or when the asker said "都不是" (a vote
"none") to what it offered (bot.store.curator_queries reads them). Missed questions are
grouped greedily in the order they were asked: each joins the group holding a question
worded alike (the same distinctive characters), failing that one the everyday lexicon reads
as the same thing in the reports' words ("托儿所", "娃没人带" and "孩子白天谁看" all stand
for 托育, data/lexicon-zh.yaml), failing that one near in meaning (the engine's sentence
vectors, bot.engine.semantic), or starts a new group. In that order a
question's group never changes when later questions arrive, so a group's id (made from
its first question's id) stays the same from one listing to the next. A group's label is
its most central question: the one nearest in meaning to all the others.
"""

from __future__ import annotations

import functools
import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process

from bot.config import PROJECT_ROOT
from bot.engine.answering import Engine, configured_model
from bot.engine.lexicon import Lexicon
from bot.engine.policy import CLARIFY_P
from bot.engine.semantic import embedder_named
from bot.engine.textnorm import fold
from bot.engine.wording import for_model
from bot.knowledge.loading import Problem, read_lexicons
from bot.knowledge.reports import place_names
from bot.store.curator_queries import MissedQuestion
from bot.store.handovers import Handover
from bot.store.question_log import Store

__all__ = ["MissedQuestion"]  # read by bot.store, part of this module's vocabulary

# Two missed questions are the same question when their grouping keys score at least
# GROUP_AT (0-100). The key is the normalised text without the scaffolding every question
# shares (street names, 哪里, 可以, 怎么…), its characters sorted: rapidfuzz's ratio of
# sorted strings is then the share of characters two questions have in common, whatever
# their order (公积金怎么提取 = 怎么提取公积金: 100; 公积金提取 vs 社保提取: 44;
# 坪山哪里可以打疫苗 vs 坪山哪里可以办护照: 0). Chosen on hand-made pairs; see the tests.
GROUP_AT = 60.0
# Two questions worded apart are the same question when the cosine of their sentence vectors
# is at least this, per model. Chosen on hand-made pairs (tests/test_curation.py): with
# "use", 孩子白天谁看 / 白天谁照看孩子 0.83, 打疫苗去哪 / 疫苗接种点在哪 0.84, while the
# closest pairs about different things stay below (坪山有没有停车场 / 坪山有没有游泳池 0.66,
# 坪山哪里可以打疫苗 / 坪山哪里可以办护照 0.65). Neither shipped model puts 托儿所 near
# 娃没人带 (0.30 with "use") without also joining those pairs: the lexicon joins them. The
# e5 model's cosines are all high (different things reach 0.94).
MEANING_AT = {"use": 0.75, "e5": 0.97, "fusion": 0.86}
# The place names (street and district names) come from data/reports.yaml.
GROUPING_STOPWORDS = (
    "街道",
    "社区",
    "可不可以",
    "能不能",
    "有没有",
    "是不是",
    "怎么样",
    "怎么办",
    "为什么",
    "哪里",
    "哪儿",
    "哪个",
    "在哪",
    "可以",
    "有无",
    "怎样",
    "怎么",
    "如何",
    "什么",
    "多少",
    "我们",
    "你们",
    "办理",
    "一下",
    "怎",
    "谁",
    "吗",
    "我",
    "你",
    "请",
    "能",
    "会",
    "要",
    "去",
)
# An entry fits a group when the engine would at least offer it for one of the group's
# wordings (the probability at which it offers candidates, bot.engine.policy.CLARIFY_P).
# Below that they share little, and the curator is asked before the group is attached to
# it: "公积金怎么提取" attached to 一园一策 would answer with 一园一策 from then on.
# Most missed groups are below it (that is why they were missed): the question is there
# so that a person reads the answer, not to judge for them.
FITS_AT = CLARIFY_P
MAX_EXAMPLES = 3
MAX_NEAREST = 3
RANKED_TEXTS = 5  # distinct questions of a group ranked for its nearest entries


class CurationError(Exception):
    """A curator's request cannot be carried out; ``problems`` says why, line by line."""

    def __init__(self, message: str, problems: Sequence[Problem | str] = ()):
        self.problems = [str(p) for p in problems]
        super().__init__(message)


# --- missed questions and their groups ---------------------------------------------------


@dataclass(frozen=True)
class Nearest:
    entry_id: str
    question: str
    score: float


@dataclass
class MissedGroup:
    id: str
    questions: list[MissedQuestion]  # in the order asked
    nearest: list[Nearest] = field(default_factory=list)
    central: str | None = None  # the most central wording, when grouped by meaning
    # Staff replies to its questions handed over (bot.store.handovers), newest first.
    staff_replies: list[Handover] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.questions)

    @property
    def first_seen(self) -> str:
        return self.questions[0].time

    @property
    def last_seen(self) -> str:
        return self.questions[-1].time

    @property
    def texts(self) -> list[str]:
        """Distinct wordings, most asked first (then first asked)."""
        counts = Counter(q.text for q in self.questions)
        order = {text: n for n, text in enumerate(dict.fromkeys(q.text for q in self.questions))}
        return sorted(counts, key=lambda text: (-counts[text], order[text]))

    @property
    def label(self) -> str:
        """What the group is about in one question: its most central wording (the most
        asked one when grouped without a model)."""
        return self.central or self.texts[0]

    @property
    def examples(self) -> list[str]:
        return self.texts[:MAX_EXAMPLES]

    def summary(self) -> dict[str, Any]:
        """The group as `missed list --json` prints it."""
        return {
            "id": self.id,
            "label": self.label,
            "count": self.count,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "examples": self.examples,
            "nearest": [
                {"entry_id": n.entry_id, "question": n.question, "score": n.score}
                for n in self.nearest
            ],
            "staff_replies": [
                {"tag": h.id, "date": h.replied_at, "question": h.question, "text": h.reply}
                for h in self.staff_replies
            ],
        }


@functools.lru_cache(maxsize=1)
def _grouping_stopwords() -> re.Pattern[str]:
    # The installed project's places: grouping must not depend on which engine (if any)
    # a listing has, or a group's members would change between two listings.
    words = (*place_names(PROJECT_ROOT / "data"), *GROUPING_STOPWORDS)
    return re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))


def grouping_key(normalized: str) -> str:
    """What two questions are compared on: their distinctive characters, sorted."""
    core = _grouping_stopwords().sub("", normalized) or normalized
    return "".join(sorted(core))


def similarity(first: str, second: str) -> float:
    """0-100: how alike two normalised questions are for grouping."""
    return fuzz.ratio(grouping_key(first), grouping_key(second), processor=None)


class Meaning:
    """Sentence vectors of missed questions for one model, kept for the texts of the last
    grouping only (a long-running bot lists /missed again and again; the log is masked,
    and its vectors are kept in memory, never on disk)."""

    def __init__(self, model: str):
        self.model = model
        self.threshold = MEANING_AT[model]
        self._rows: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()  # /missed and the digest may group at once

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        with self._lock:
            wanted = list(dict.fromkeys(texts))
            missing = [t for t in wanted if t not in self._rows]
            if missing:
                encoded = embedder_named(self.model).encode(missing, query=True)
                self._rows.update(zip(missing, encoded, strict=True))
            self._rows = {t: self._rows[t] for t in wanted}
            return np.stack([self._rows[t] for t in texts])


@functools.lru_cache(maxsize=4)
def meaning_for(model: str) -> Meaning | None:
    """The process's Meaning for a model; None for "none" (wording alone)."""
    return Meaning(model) if model in MEANING_AT else None


@functools.cache
def grouping_lexicon() -> Lexicon:
    """The installed project's everyday lexicon (a listing may have no engine)."""
    lexicons, _ = read_lexicons(PROJECT_ROOT / "data", PROJECT_ROOT)
    return Lexicon.from_pairs(lexicons)


def cluster(
    questions: Iterable[MissedQuestion],
    taken_ids: Set[str] = frozenset(),
    meaning: Meaning | None = None,
    lexicon: Lexicon | None = None,
) -> list[MissedGroup]:
    """Greedy grouping, in the order given: join the group of the question most alike in
    wording, else of one the lexicon reads alike, else of the one nearest in meaning, else
    start a group."""
    questions = list(questions)
    vectors = meaning.vectors([for_model(q.text) for q in questions]) if meaning else None
    groups: list[MissedGroup] = []
    keys: list[str] = []  # every member's grouping key...
    owners: list[int] = []  # ...and the index of its group
    # The first group of each set of official words the lexicon reads in a question.
    by_lexicon: dict[frozenset[str], int] = {}
    for number, question in enumerate(questions):
        key = grouping_key(question.normalized)
        index = _alike_in_wording(key, keys, owners)
        read_as = lexicon.meaning(question.text) if lexicon else frozenset()
        if index is None and read_as:
            index = by_lexicon.get(read_as)
        if index is None and vectors is not None and meaning is not None and number:
            cosines = vectors[:number] @ vectors[number]
            nearest = int(np.argmax(cosines))
            index = owners[nearest] if cosines[nearest] >= meaning.threshold else None
        if index is None:
            group_id = _group_id(question.id, taken_ids)
            taken_ids = taken_ids | {group_id}
            groups.append(MissedGroup(group_id, []))
            index = len(groups) - 1
        groups[index].questions.append(question)
        if read_as:
            by_lexicon.setdefault(read_as, index)
        keys.append(key)
        owners.append(index)
    if vectors is not None:
        _label_by_meaning(groups, owners, vectors)
    return groups


def _alike_in_wording(key: str, keys: list[str], owners: list[int]) -> int | None:
    best = process.extractOne(key, keys, scorer=fuzz.ratio, processor=None, score_cutoff=GROUP_AT)
    return None if best is None else owners[best[2]]


def _label_by_meaning(groups: list[MissedGroup], owners: list[int], vectors: np.ndarray) -> None:
    """Each group's central wording: the member with the highest summed cosine to the
    group's members (ties: the first asked)."""
    members = np.asarray(owners)
    for index, group in enumerate(groups):
        rows = vectors[members == index]
        central = int(np.argmax((rows @ rows.T).sum(axis=1)))
        group.central = group.questions[central].text


def _group_id(first_question_id: str, taken: Set[str]) -> str:
    """ "g" + 6 hex of the first question's id; longer in the rare case that is taken."""
    for length in range(6, len(first_question_id) + 1):
        candidate = "g" + first_question_id[:length]
        if candidate not in taken:
            return candidate
    return "g" + first_question_id


def nearest_entries(engine: Engine, group: MissedGroup) -> list[Nearest]:
    """The entries the engine finds closest to any of the group's wordings."""
    best: dict[str, float] = {}
    for text in group.texts[:RANKED_TEXTS]:
        for scored in engine.matcher.rank(text)[:MAX_NEAREST]:
            best[scored.id] = max(best.get(scored.id, 0.0), scored.score)
    ranked = sorted(best, key=lambda entry_id: (-best[entry_id], entry_id))[:MAX_NEAREST]
    return [Nearest(i, engine.kb.entries[i].question, best[i]) for i in ranked]


def fit(engine: Engine, group: MissedGroup, entry_id: str) -> float:
    """How well an entry fits a group: the engine's calibrated probability (bot.engine.scoring)
    that answering one of the group's most asked wordings with it is right, at best; 0 for
    a wording the entry is not even a candidate for."""
    best = 0.0
    for text in group.texts[:RANKED_TEXTS]:
        folded = fold(text)
        street = engine.matcher.street_of(folded)
        for candidate in engine.matcher.assess(text, folded, street):
            if candidate.id == entry_id:
                best = max(best, candidate.probability)
    return best


def missed_groups(
    store: Store, engine: Engine | None = None, nearest_for: int | None = None
) -> list[MissedGroup]:
    """Open groups of missed questions, most asked first (then most recently asked).

    With an engine, the first ``nearest_for`` groups (default: all) get their nearest
    entries: ranking costs a few milliseconds a group, so a listing ranks what it shows.
    """
    questions, taken = store.missed_questions()
    # The configured model, not the engine's: a listing without an engine (a button's
    # look-up) must find the same groups.
    groups = cluster(questions, taken, meaning_for(configured_model()), grouping_lexicon())
    groups.sort(key=lambda g: g.last_seen, reverse=True)
    groups.sort(key=lambda g: g.count, reverse=True)  # stable: ties stay most recent first
    _attach_staff_replies(groups, store.staff_replies())
    if engine is not None:
        for group in groups[:nearest_for]:
            group.nearest = nearest_entries(engine, group)
    return groups


def _attach_staff_replies(groups: list[MissedGroup], replies: list[Handover]) -> None:
    """Give each group the staff replies to its questions (``replies``: newest first)."""
    group_of = {q.id: group for group in groups for q in group.questions}
    for handover in replies:
        group = group_of.get(handover.question_id)
        if group is not None:
            group.staff_replies.append(handover)


def find_group(store: Store, group_id: str, engine: Engine | None = None) -> MissedGroup:
    """One open group by id; CurationError if it is unknown or already dealt with."""
    for group in missed_groups(store, None):
        if group.id == group_id:
            if engine is not None:
                group.nearest = nearest_entries(engine, group)
            return group
    done = store.decision(group_id)
    if done is not None:
        detail = f" with {done.entry_id}" if done.entry_id else ""
        raise CurationError(f"group {group_id} was already {done.status}{detail}")
    raise CurationError(f"no open group {group_id!r}: see `policybot missed list`")
