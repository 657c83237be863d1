"""Turning a staff member's reply to a handed-over question into an answer entry grounded
in the reports: the report texts nearest the reply proposed, the one a curator picks
written as a curated entry, with the reply kept as its provenance.

A staff reply is not a report: it may give phone numbers, hours or fees the reports do
not, and the bot only ever quotes the reports. So the reply is used to find what the
reports say about it (the engine's own candidates, as `fit` ranks them for the "answer a
group" preview), never as an answer; when no proposal says what the staff said, nothing
is written and the question stays missed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.curation.answering import NewEntry, Outcome, answer_group, phrasing_of
from bot.curation.groups import CurationError, MissedGroup, find_group, missed_groups
from bot.engine.answering import Engine
from bot.engine.matching import MAX_QUERY_CHARS
from bot.engine.scoring import Candidate, same_answer
from bot.engine.textnorm import fold
from bot.privacy import mask
from bot.store.handovers import Handover
from bot.store.question_log import Store

MAX_PROPOSALS = 3
SHORT_REPLY = 120  # characters of a staff reply shown in a listing


@dataclass(frozen=True)
class Proposal:
    """A report text (an entry's answer or a passage) that may say what the staff said."""

    id: str
    text: str  # verbatim, as the report has it
    report: str
    section: str
    citation: str  # one line: street, report, section, date
    probability: float  # the engine's, that it answers the question and reply together


def shortened(text: str, limit: int = SHORT_REPLY) -> str:
    """A staff reply on one line, cut to ``limit`` characters."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def reply_of(store: Store, reference: str) -> tuple[MissedGroup, Handover]:
    """The open group and the staff reply a curator names: a handover's tag (h1a2b3c4d or
    #h1a2b3c4d), or a group id (its newest staff reply)."""
    wanted = reference.strip().lstrip("#")
    for group in missed_groups(store, None):
        for handover in group.staff_replies:
            if wanted in (handover.id, group.id):
                return group, handover
    if wanted.startswith("g"):
        group = find_group(store, wanted)  # says why when it is unknown or dealt with
        raise CurationError(f"group {group.id} has no staff reply to turn into an answer")
    raise CurationError(
        f"no staff reply {wanted!r} to a question still missed: see `policybot missed list`"
    )


def propose(engine: Engine, question: str, reply: str) -> list[Proposal]:
    """At most MAX_PROPOSALS report texts nearest the staff reply with its question, most
    probable first; one of an entry and the passage it quotes."""
    best: dict[str, Candidate] = {}
    for text in (f"{question}\n{reply}", reply):
        text = text[:MAX_QUERY_CHARS]
        folded = fold(text)
        for candidate in engine.matcher.assess(text, folded, engine.matcher.street_of(folded)):
            known = best.get(candidate.id)
            if known is None or candidate.probability > known.probability:
                best[candidate.id] = candidate
    chosen: list[Candidate] = []
    for candidate in sorted(best.values(), key=lambda c: (-c.probability, c.id)):
        if not any(same_answer(candidate, other) for other in chosen):
            chosen.append(candidate)
    return [proposal(engine, c.id, c.probability) for c in chosen[:MAX_PROPOSALS]]


def proposal(engine: Engine, doc_id: str, probability: float = 0.0) -> Proposal:
    """An entry or passage of the engine as a proposal; CurationError if it has none."""
    reply = engine.entry_reply(doc_id)
    if reply is None or not reply.blocks:  # gone since it was proposed (a /reload)
        raise CurationError(f"no entry or passage {doc_id!r}")
    block = reply.blocks[0]
    passage = engine.matcher.assessor.passage_by_id.get(doc_id)
    located = passage if passage is not None else engine.kb.entries[doc_id]
    return Proposal(
        doc_id, block.body, located.report, located.section, block.source.cite(), probability
    )


def answer_from_reply(
    root: Path, store: Store, engine: Engine, reference: str, doc_id: str, *, curated: Path
) -> Outcome:
    """Answer the group of a staff reply with a new curated entry: its question the one
    handed over, the group's wordings its phrasings, the chosen report text (``doc_id``)
    its answer, and the staff reply (masked) its ``staff_reply``. Validated and written by
    ``answer_group``; the residents waiting to be told are told as for any answer."""
    group, handover = reply_of(store, reference)
    chosen = proposal(engine, doc_id)
    new = NewEntry(
        question=phrasing_of(handover.question) or phrasing_of(group.label),
        answer=chosen.text,
        report=chosen.report,
        section=chosen.section,
        staff_reply={
            "tag": handover.id,
            "date": (handover.replied_at or "")[:10],
            "text": mask(handover.reply or ""),
        },
    )
    return answer_group(root, store, group.id, curated=curated, new=new)


def decline(store: Store, reference: str) -> MissedGroup:
    """No proposal says what the staff said: nothing is written, the group stays missed
    (the group, to say so; CurationError if the reference names no staff reply)."""
    group, _ = reply_of(store, reference)
    return group
