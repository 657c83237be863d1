"""What curators read and write in the question log: missed questions, their groups'
decisions, and the figures behind `policybot stats` (bot.curation presents them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlite_utils

from bot.store.clock import stamp

# A question is missed when the engine missed it, or when the asker said "都不是" (a vote
# "none") to what it offered. Questions whose text retention has blanked cannot be read
# or grouped, so they are left out (they still count in the statistics).
MISSED_SQL = """
SELECT q.id, q.time, q.text, q.normalized, q.channel, q.outcome, q.reason
FROM questions q
WHERE (q.outcome = 'miss'
       OR EXISTS (SELECT 1 FROM votes v WHERE v.question_id = q.id AND v.vote = 'none'))
  AND coalesce(q.normalized, '') != ''
  AND q.id NOT IN (SELECT question_id FROM missed_group_questions)
ORDER BY q.time, q.rowid
"""
PER_DAY_SQL = """
SELECT substr(time, 1, 10) AS day, count(*) AS questions,
       sum(outcome IN ('answer', 'intent')) AS answered,
       sum(outcome = 'clarify') AS clarify, sum(outcome = 'miss') AS miss
FROM questions GROUP BY day ORDER BY day
"""
TOP_ENTRIES_SQL = """
SELECT entry_id, count(*) AS questions FROM questions
WHERE outcome = 'answer' AND entry_id IS NOT NULL
GROUP BY entry_id ORDER BY questions DESC, entry_id LIMIT ?
"""
VOTES_SQL = """
SELECT coalesce(v.entry_id, q.entry_id) AS entry_id,
       sum(v.vote = 'up') AS up, sum(v.vote = 'down') AS down,
       sum(v.vote = 'none') AS none
FROM votes v LEFT JOIN questions q ON q.id = v.question_id
GROUP BY 1 ORDER BY count(*) DESC, 1
"""


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
class Decision:
    """What a curator decided about a group: "answered" (with an entry) or "ignored"."""

    status: str
    entry_id: str | None


def missed_questions(db: sqlite_utils.Database) -> list[MissedQuestion]:
    """Missed questions no curator has dealt with yet, in the order asked."""
    return [MissedQuestion(**row) for row in db.query(MISSED_SQL)]


def decided_group_ids(db: sqlite_utils.Database) -> set[str]:
    return {row["id"] for row in db.query("SELECT id FROM missed_groups")}


def decision(db: sqlite_utils.Database, group_id: str) -> Decision | None:
    rows = list(db.query("SELECT status, entry_id FROM missed_groups WHERE id = ?", [group_id]))
    return Decision(rows[0]["status"], rows[0]["entry_id"]) if rows else None


def record_decision(
    db: sqlite_utils.Database,
    group_id: str,
    status: str,
    entry_id: str | None,
    question_ids: list[str],
) -> None:
    """The decision and the questions the group held, in one transaction."""
    with db.atomic():
        db.table("missed_groups").insert(
            {
                "id": group_id,
                "status": status,
                "entry_id": entry_id,
                "time": stamp(),
                "questions": len(question_ids),
            },
            replace=True,
        )
        db.table("missed_group_questions").insert_all(
            [{"question_id": q, "group_id": group_id} for q in question_ids],
            replace=True,
        )


def figures(db: sqlite_utils.Database, top: int) -> dict[str, Any]:
    """Questions per day, per channel, the ``top`` entries answered, votes per entry, and
    notifications (requested, sent): rows as dicts."""
    channels = "SELECT channel, count(*) AS n FROM questions GROUP BY channel"
    sent = db.execute("SELECT count(*), sum(sent_at IS NOT NULL) FROM notifications").fetchone()
    return {
        "per_day": list(db.query(PER_DAY_SQL)),
        "channels": {row["channel"]: row["n"] for row in db.query(channels)},
        "top_entries": list(db.query(TOP_ENTRIES_SQL, [top])),
        "votes": list(db.query(VOTES_SQL)),
        "notifications": {"requested": sent[0] or 0, "sent": sent[1] or 0},
    }
