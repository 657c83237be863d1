"""Curation: missed questions grouped for curators, answering a group, statistics.

No Telegram and no click here: bot.cli.curation and bot.telegram.curators present these.

A question is *missed* when the engine missed it, or when the asker said "都不是" (a vote
"none") to what it offered. Missed questions are grouped greedily in the order they were
asked: each joins the first group holding a similar question, or starts a new group. In
that order a question's group never changes when later questions arrive, so a group's id
(made from its first question's id) stays the same from one listing to the next.

Answering a group writes one curated file (``Settings.curated_path``: POLICYBOT_CURATED,
default curated.yaml next to the database, on the data volume), validates the whole
knowledge base with it, and puts the previous file back if anything is wrong. A
faq/curated.yaml from earlier releases is still read, as any file in faq/, never written.
The group is then marked in the database: it leaves the list, and the residents who asked
to be told get the answer.
"""

from __future__ import annotations

import csv
import functools
import json
import os
import re
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import sqlite_utils
import yaml
from rapidfuzz import fuzz, process

from bot.config import PROJECT_ROOT
from bot.engine.answering import Engine
from bot.engine.matching import CLARIFY_P
from bot.engine.textnorm import content, fold
from bot.knowledge.loading import ENTRY_ID, KnowledgeBase, KnowledgeError, Problem, load_knowledge
from bot.knowledge.reports import place_names
from bot.privacy import BANK_CARD, EMAIL, ID_CARD, LANDLINE, NUMBER, PHONE
from bot.store.question_log import Store, iso

try:
    import fcntl
except ImportError:  # Windows: one curator at a time is then on trust
    fcntl = None  # type: ignore[assignment]

# Two missed questions are the same question when their grouping keys score at least
# GROUP_AT (0-100). The key is the normalised text without the scaffolding every question
# shares (street names, 哪里, 可以, 怎么…), its characters sorted: rapidfuzz's ratio of
# sorted strings is then the share of characters two questions have in common, whatever
# their order (公积金怎么提取 = 怎么提取公积金: 100; 公积金提取 vs 社保提取: 44;
# 坪山哪里可以打疫苗 vs 坪山哪里可以办护照: 0). Chosen on hand-made pairs; see the tests.
GROUP_AT = 60.0
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
# wordings (the probability at which it offers candidates, bot.engine.matching.CLARIFY_P).
# Below that they share little, and the curator is asked before the group is attached to
# it: "公积金怎么提取" attached to 一园一策 would answer with 一园一策 from then on.
# Most missed groups are below it (that is why they were missed): the question is there
# so that a person reads the answer, not to judge for them.
FITS_AT = CLARIFY_P
MAX_EXAMPLES = 3
MAX_NEAREST = 3
RANKED_TEXTS = 5  # distinct questions of a group ranked for its nearest entries
CURATED_FILE = "curated.yaml"
CURATED_HEADER = """\
# Answers curators gave to questions the bot had missed: written by
# `policybot missed answer` and the /missed buttons in Telegram. Edit by hand if needed;
# `policybot check` validates this file like every other one (see faq/README.md), and
# answers must still be verbatim quotes of the cited report. Comments below this header
# are not kept when the tools rewrite the file.
"""
_PLACEHOLDER = "|".join(re.escape(p) for p in (PHONE, LANDLINE, ID_CARD, BANK_CARD, EMAIL, NUMBER))
PLACEHOLDERS = re.compile(rf"[\s,，;；:：、]*(?:{_PLACEHOLDER})[\s,，;；:：、。.!！?？]*")
SOURCE = re.compile(r"^(?P<report>[a-z0-9-]+):(?P<section>[0-9.]+|appendix)$")


class CurationError(Exception):
    """A curator's request cannot be carried out; ``problems`` says why, line by line."""

    def __init__(self, message: str, problems: Sequence[Problem | str] = ()):
        self.problems = [str(p) for p in problems]
        super().__init__(message)


# --- missed questions and their groups ---------------------------------------------------


@dataclass(frozen=True)
class MissedQuestion:
    id: str
    time: str
    text: str  # masked
    normalized: str  # masked
    channel: str
    outcome: str
    reason: str


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
    def examples(self) -> list[str]:
        return self.texts[:MAX_EXAMPLES]

    def summary(self) -> dict[str, Any]:
        """The group as `missed list --json` prints it."""
        return {
            "id": self.id,
            "count": self.count,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "examples": self.examples,
            "nearest": [
                {"entry_id": n.entry_id, "question": n.question, "score": n.score}
                for n in self.nearest
            ],
        }


MISSED_SQL = """
SELECT q.id, q.time, q.text, q.normalized, q.channel, q.outcome, q.reason
FROM questions q
WHERE (q.outcome = 'miss'
       OR EXISTS (SELECT 1 FROM votes v WHERE v.question_id = q.id AND v.vote = 'none'))
  AND coalesce(q.normalized, '') != ''
  AND q.id NOT IN (SELECT question_id FROM missed_group_questions)
ORDER BY q.time, q.rowid
"""


def missed_questions(db: sqlite_utils.Database) -> list[MissedQuestion]:
    """Missed questions no curator has dealt with yet, in the order asked.

    Questions whose text retention has blanked cannot be read or grouped, so they are left
    out (they still count in the statistics).
    """
    return [MissedQuestion(**row) for row in db.query(MISSED_SQL)]


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


def cluster(
    questions: Iterable[MissedQuestion], taken_ids: set[str] = frozenset()
) -> list[MissedGroup]:
    """Greedy grouping, in the order given: join the most similar group or start one."""
    groups: list[MissedGroup] = []
    keys: list[str] = []  # every member's grouping key...
    owners: list[int] = []  # ...and the index of its group
    for question in questions:
        key = grouping_key(question.normalized)
        best = process.extractOne(
            key,
            keys,
            scorer=fuzz.ratio,
            processor=None,
            score_cutoff=GROUP_AT,
        )
        if best is None:
            group_id = _group_id(question.id, taken_ids)
            taken_ids = taken_ids | {group_id}
            groups.append(MissedGroup(group_id, []))
            index = len(groups) - 1
        else:
            index = owners[best[2]]
        groups[index].questions.append(question)
        keys.append(key)
        owners.append(index)
    return groups


def _group_id(first_question_id: str, taken: set[str]) -> str:
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


def resolved_group_ids(db: sqlite_utils.Database) -> set[str]:
    return {row["id"] for row in db.query("SELECT id FROM missed_groups")}


def missed_groups(
    store: Store, engine: Engine | None = None, nearest_for: int | None = None
) -> list[MissedGroup]:
    """Open groups of missed questions, most asked first (then most recently asked).

    With an engine, the first ``nearest_for`` groups (default: all) get their nearest
    entries: ranking costs a few milliseconds a group, so a listing ranks what it shows.
    """
    with store.reader() as db:
        questions = missed_questions(db)
        taken = resolved_group_ids(db)
    groups = cluster(questions, taken)
    groups.sort(key=lambda g: g.last_seen, reverse=True)
    groups.sort(key=lambda g: g.count, reverse=True)  # stable: ties stay most recent first
    if engine is not None:
        for group in groups[:nearest_for]:
            group.nearest = nearest_entries(engine, group)
    return groups


def find_group(store: Store, group_id: str, engine: Engine | None = None) -> MissedGroup:
    """One open group by id; CurationError if it is unknown or already dealt with."""
    for group in missed_groups(store, None):
        if group.id == group_id:
            if engine is not None:
                group.nearest = nearest_entries(engine, group)
            return group
    with store.reader() as db:
        done = list(db.query("SELECT status, entry_id FROM missed_groups WHERE id = ?", [group_id]))
    if done:
        status, entry = done[0]["status"], done[0]["entry_id"]
        detail = f" with {entry}" if entry else ""
        raise CurationError(f"group {group_id} was already {status}{detail}")
    raise CurationError(f"no open group {group_id!r}: see `policybot missed list`")


# --- the curated file --------------------------------------------------------------------


@dataclass(frozen=True)
class NewEntry:
    question: str
    answer: str
    report: str
    section: str
    street: str | None = None
    id: str | None = None
    keywords: tuple[str, ...] = ()


@dataclass
class Outcome:
    """What answering a group did."""

    group: MissedGroup
    entry_id: str
    added: list[str]  # wordings written as phrasings
    skipped: list[str]  # wordings another entry already owns
    still_missed: list[str]  # wordings a fresh engine still does not answer with entry_id
    engine: Engine
    notifications: int = 0


def parse_source(source: str) -> tuple[str, str]:
    """ "pingshan-2020:3.4" -> ("pingshan-2020", "3.4")."""
    found = SOURCE.match(source.strip())
    if not found:
        raise CurationError(
            f"--source must be REPORT:SECTION, e.g. pingshan-2020:3.4, not {source!r}"
        )
    return found["report"], found["section"]


def read_curated(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as error:
        raise CurationError(f"cannot read {path} ({_reason(error)}){WHAT_TO_DO}") from error
    except yaml.YAMLError as error:
        raise CurationError(f"{path.name} is not valid YAML; fix it by hand: {error}") from error
    if not isinstance(data, dict):
        raise CurationError(f"{path.name} must be a mapping at the top level")
    return data


def dump_curated(data: dict[str, Any]) -> str:
    order = ("street", "report", "phrasings", "keywords", "entries")
    ordered = {key: data[key] for key in order if data.get(key)}
    ordered.update({k: v for k, v in data.items() if k not in ordered and v})
    body = (
        yaml.safe_dump(ordered, allow_unicode=True, sort_keys=False, width=100) if ordered else ""
    )
    return CURATED_HEADER + body


def _owners(kb: KnowledgeBase) -> dict[str, str]:
    """Normalised wording -> the entry that owns it (a wording may belong to one entry)."""
    owners: dict[str, str] = {}
    for entry in kb.entries.values():
        for text in (entry.question, *entry.phrasings):
            owners.setdefault(content(text), entry.id)
    return owners


def _wording(text: str) -> str:
    """A missed question as a phrasing: without masking placeholders ("[手机号]")."""
    return re.sub(r"\s+", " ", PLACEHOLDERS.sub(" ", text)).strip(" ,，。.;；")


def _split_wordings(
    kb: KnowledgeBase, texts: Iterable[str], entry_id: str | None
) -> tuple[list[str], list[str]]:
    """(wordings to add, wordings owned by some other entry)."""
    owners = _owners(kb)
    added, skipped = [], []
    seen: set[str] = set()
    for text in map(_wording, texts):
        key = content(text)
        if not key or key in seen:
            continue
        seen.add(key)
        owner = owners.get(key)
        if owner is None:
            added.append(text)
        elif owner != entry_id:
            skipped.append(text)
    return added, skipped


def _add_phrasings(data: dict[str, Any], entry_id: str, texts: list[str]) -> None:
    phrasings = data.setdefault("phrasings", {}) or {}
    data["phrasings"] = phrasings
    phrasings[entry_id] = list(dict.fromkeys([*(phrasings.get(entry_id) or []), *texts]))


def _new_entry_record(kb: KnowledgeBase, new: NewEntry, entry_id: str, texts: list[str]) -> dict:
    report = kb.reports.get(new.report)
    if report is None:
        raise CurationError(f"unknown report {new.report!r}; one of: {', '.join(kb.reports)}")
    street = new.street or report.street
    record: dict[str, Any] = {
        "id": entry_id,
        "question": new.question.strip(),
        "phrasings": [t for t in texts if content(t) != content(new.question)],
        "answer": new.answer.strip(),
        "report": new.report,
        "street": street,
        "section": new.section,
    }
    if new.keywords:
        record["keywords"] = list(new.keywords)
    if not record["phrasings"]:
        del record["phrasings"]
    return record


def _write_validated(root: Path, path: Path, text: str) -> KnowledgeBase:
    """Write ``path``, validate everything; put the previous content back on any problem."""
    previous = path.read_text(encoding="utf-8") if path.exists() else None
    _replace(path, text)
    try:
        return load_knowledge(root, [path])
    except KnowledgeError as error:
        if previous is None:
            path.unlink()
        else:
            _replace(path, previous)
        raise CurationError(
            f"the knowledge base would not load: {path.name} was left as it was",
            error.problems,
        ) from error


def _replace(path: Path, text: str) -> None:
    """Write whole or not at all: a /reload reading the file meanwhile sees old or new."""
    partial = path.with_name(f".{path.name}.tmp")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    except OSError:
        with suppress(OSError):  # what a full disk left behind
            partial.unlink(missing_ok=True)
        raise


WHAT_TO_DO = (
    ": set POLICYBOT_CURATED to a file in a directory the bot's user can write"
    " (default: curated.yaml next to the database), or make that directory writable"
)


def _reason(error: OSError) -> str:
    return error.strerror or type(error).__name__


def answer_group(
    root: Path,
    store: Store,
    group_id: str,
    *,
    curated: Path,
    entry_id: str | None = None,
    new: NewEntry | None = None,
) -> Outcome:
    """Attach a group to an existing entry, or to a new one, in the file ``curated``;
    validate; mark the group answered.

    Raises CurationError, and leaves the file as it was, if the result does not validate
    or the file cannot be written (a message saying what to do, never an OSError).
    """
    if (entry_id is None) == (new is None):
        raise CurationError("give either an existing entry or a new one")
    try:
        if not curated.parent.exists():
            curated.parent.mkdir(parents=True)
        with _curated_lock(curated.parent):
            return _answer_locked(root, store, group_id, entry_id, new, curated)
    except OSError as error:
        raise CurationError(f"cannot write {curated} ({_reason(error)}){WHAT_TO_DO}") from error


@contextmanager
def _curated_lock(directory: Path) -> Iterator[None]:
    """Serialise writers of the curated file: the bot's buttons and the command line.

    The lock is taken on the file's directory itself, so no lock file is left there.
    """
    if fcntl is None:
        yield
        return
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


def _answer_locked(
    root: Path,
    store: Store,
    group_id: str,
    entry_id: str | None,
    new: NewEntry | None,
    path: Path,
) -> Outcome:
    try:
        kb = load_knowledge(root, [path])
    except KnowledgeError as error:
        raise CurationError("the knowledge base does not load as it is", error.problems) from error
    group = find_group(store, group_id)
    data = read_curated(path)
    if new is None:
        assert entry_id is not None
        if entry_id not in kb.entries:
            raise CurationError(f"no entry {entry_id!r}")
        target = entry_id
        added, skipped = _split_wordings(kb, group.texts, target)
        if added:
            _add_phrasings(data, target, added)
    else:
        target = new.id or f"curated-{group.id[1:]}"
        if not ENTRY_ID.match(target) or target in kb.entries:
            raise CurationError(f"entry id {target!r} is taken or not a valid id")
        added, skipped = _split_wordings(kb, [new.question, *group.texts], None)
        data["entries"] = [*(data.get("entries") or []), _new_entry_record(kb, new, target, added)]
    # Nothing to add means the entry already knows every wording: just close the group.
    new_kb = _write_validated(root, path, dump_curated(data)) if added or new else kb
    engine = Engine(new_kb)
    still = [t for t in group.texts if engine.ask(t).entry_id != target]
    try:
        store.resolve_group(group.id, "answered", target, [q.id for q in group.questions])
    except (sqlite3.DatabaseError, OSError) as error:
        raise CurationError(
            f"{path.name} was written, but the database could not record that {group.id} "
            f"is answered ({error}); run the same command again"
        ) from error
    return Outcome(group, target, added, skipped, still, engine)


def ignore_group(store: Store, group_id: str) -> MissedGroup:
    """Hide a group for good (out of scope, abuse, nothing in the reports)."""
    group = find_group(store, group_id)
    try:
        store.resolve_group(group.id, "ignored", None, [q.id for q in group.questions])
    except (sqlite3.DatabaseError, OSError) as error:
        raise CurationError(
            f"the database could not record that {group.id} is ignored ({error})"
        ) from error
    return group


# --- export ------------------------------------------------------------------------------

EXPORT_COLUMNS = (
    "group",
    "group_count",
    "question_id",
    "time",
    "channel",
    "text",
    "outcome",
    "reason",
    "nearest_entry",
)


# A cell starting with one of these is a formula to Excel and LibreOffice: a resident's
# "=HYPERLINK(…)" would run on the curator's machine. OWASP: prefix a single quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """``value`` as a spreadsheet reads it as text: a formula-like string quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def export_csv(groups: list[MissedGroup], path: Path) -> int:
    """One row per missed question, grouped; the number of rows written."""
    rows = 0
    with path.open("w", encoding="utf-8-sig", newline="") as handle:  # BOM: Excel reads UTF-8
        writer = csv.writer(handle)
        writer.writerow(EXPORT_COLUMNS)
        for group in groups:
            nearest = group.nearest[0].entry_id if group.nearest else ""
            for q in group.questions:
                row = [group.id, group.count, q.id, q.time, q.channel, q.text]
                row += [q.outcome, q.reason, nearest]
                writer.writerow([spreadsheet_safe(value) for value in row])
                rows += 1
    return rows


# --- statistics --------------------------------------------------------------------------

ANSWERED = ("answer", "intent")


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def statistics(store: Store, engine: Engine | None = None, top: int = 10) -> dict[str, Any]:
    """Everything `policybot stats` shows, as one JSON-ready mapping."""
    with store.reader() as db:
        per_day = list(
            db.query(
                """
                SELECT substr(time, 1, 10) AS day, count(*) AS questions,
                       sum(outcome IN ('answer', 'intent')) AS answered,
                       sum(outcome = 'clarify') AS clarify, sum(outcome = 'miss') AS miss
                FROM questions GROUP BY day ORDER BY day
                """
            )
        )
        channels = {
            row["channel"]: row["n"]
            for row in db.query("SELECT channel, count(*) AS n FROM questions GROUP BY channel")
        }
        top_entries = list(
            db.query(
                """
                SELECT entry_id, count(*) AS questions FROM questions
                WHERE outcome = 'answer' AND entry_id IS NOT NULL
                GROUP BY entry_id ORDER BY questions DESC, entry_id LIMIT ?
                """,
                [top],
            )
        )
        votes = list(
            db.query(
                """
                SELECT coalesce(v.entry_id, q.entry_id) AS entry_id,
                       sum(v.vote = 'up') AS up, sum(v.vote = 'down') AS down,
                       sum(v.vote = 'none') AS none
                FROM votes v LEFT JOIN questions q ON q.id = v.question_id
                GROUP BY 1 ORDER BY count(*) DESC, 1
                """
            )
        )
        notifications = db.execute(
            "SELECT count(*), sum(sent_at IS NOT NULL) FROM notifications"
        ).fetchone()
    total = sum(day["questions"] for day in per_day)
    answered = sum(day["answered"] or 0 for day in per_day)
    clarify = sum(day["clarify"] or 0 for day in per_day)
    miss = sum(day["miss"] or 0 for day in per_day)
    names = engine.kb.entries if engine else {}
    for row in (*top_entries, *votes):
        entry = names.get(row["entry_id"]) if row["entry_id"] else None
        row["question"] = entry.question if entry else None
    groups = missed_groups(store, None)[:top]
    return {
        "questions": total,
        "answered": answered,
        "answer_rate": _rate(answered, total),
        "clarify_rate": _rate(clarify, total),
        "miss_rate": _rate(miss, total),
        "channels": channels,
        "per_day": per_day,
        "top_entries": top_entries,
        "missed_groups": [
            {"id": g.id, "count": g.count, "last_seen": g.last_seen, "example": g.examples[0]}
            for g in groups
        ],
        "votes": votes,
        "notifications": {"requested": notifications[0] or 0, "sent": notifications[1] or 0},
        "generated_at": iso(datetime.now(timezone.utc)),
    }


def waiting_notifications(store: Store, group: MissedGroup) -> int:
    """How many askers in ``group`` asked to be told and have not been yet."""
    ids = json.dumps([q.id for q in group.questions])
    with store.reader() as db:
        row = db.execute(
            "SELECT count(*) FROM notifications WHERE sent_at IS NULL"
            " AND question_id IN (SELECT value FROM json_each(?))",
            [ids],
        ).fetchone()
    return int(row[0])
