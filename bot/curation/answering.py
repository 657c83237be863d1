"""Answering a group of missed questions: the curated file, written and validated, and
the group marked answered (or ignored) in the question log.

Answering a group writes one curated file (``Settings.curated_path``: POLICYBOT_CURATED,
default curated.yaml next to the database, on the data volume), validates the whole
knowledge base with it, and puts the previous file back if anything is wrong. A
faq/curated.yaml from earlier releases is still read, as any file in faq/, never written.
The group is then marked in the database: it leaves the list, and the residents who asked
to be told get the answer.
"""

from __future__ import annotations

import os
import re
import sqlite3
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.curation.curated_file import text_with
from bot.curation.groups import CurationError, MissedGroup, find_group
from bot.engine.answering import Engine
from bot.engine.textnorm import content
from bot.knowledge.loading import ENTRY_ID, KnowledgeBase, KnowledgeError, load_knowledge
from bot.privacy import BANK_CARD, EMAIL, ID_CARD, LANDLINE, NUMBER, PHONE
from bot.store.question_log import Store

if sys.platform != "win32":
    import fcntl

CURATED_FILE = "curated.yaml"
CURATED_HEADER = """\
# Answers curators gave to questions the bot had missed: written by
# `policybot missed answer` and the /missed buttons in Telegram. Edit by hand if needed;
# `policybot check` validates this file like every other one (see faq/README.md), and
# answers must still be verbatim quotes of the cited report. Comments below this header
# are kept when the tools add to the file.
"""
_PLACEHOLDER = "|".join(re.escape(p) for p in (PHONE, LANDLINE, ID_CARD, BANK_CARD, EMAIL, NUMBER))
PLACEHOLDERS = re.compile(rf"[\s,，;；:：、]*(?:{_PLACEHOLDER})[\s,，;；:：、。.!！?？]*")
SOURCE = re.compile(r"^(?P<report>[a-z0-9-]+):(?P<section>[0-9.]+|appendix)$")


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
    staff_reply: Mapping[str, str] | None = None  # provenance (bot.curation.staff_replies)


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


def phrasing_of(text: str) -> str:
    """A missed question as a phrasing: without masking placeholders ("[手机号]")."""
    return re.sub(r"\s+", " ", PLACEHOLDERS.sub(" ", text)).strip(" ,，。.;；")


def _split_wordings(
    kb: KnowledgeBase, texts: Iterable[str], entry_id: str | None
) -> tuple[list[str], list[str]]:
    """(wordings to add, wordings owned by some other entry)."""
    owners = _owners(kb)
    added, skipped = [], []
    seen: set[str] = set()
    for text in map(phrasing_of, texts):
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
    if new.staff_reply:
        record["staff_reply"] = dict(new.staff_reply)
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
    if sys.platform == "win32":  # no flock: one curator at a time is then on trust
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
    new_kb = (
        _write_validated(root, path, text_with(path, data, dump_curated)) if added or new else kb
    )
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
