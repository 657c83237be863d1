"""Handovers to the street's staff: a resident's question passed on, and the one reply
relayed back.

A handover is opened when the resident confirms, marked with the staff chat's message
once posted there, and answered at most once: the first staff reply claims it (an UPDATE
that only an open handover matches), so two staff members replying at once, or one
replying twice, relay one answer. The resident's chat id is kept only until the reply is
relayed, as a notification's is. Text is masked before it gets here.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import sqlite_utils

TABLE = "handovers"
OPEN, ANSWERED = "open", "answered"


@dataclass(frozen=True)
class Handover:
    id: str
    question_id: str
    question: str  # masked
    chat_id: int | None  # the resident's, until the reply is relayed
    shared_contact: bool
    status: str
    reply: str | None = None  # masked
    language: str = ""  # the resident's /lang choice, else their language when they asked
    replied_at: str | None = None


def new_handover_id() -> str:
    """A short id staff see as #h…, and buttons carry."""
    return "h" + secrets.token_hex(4)


def open_handover(db: sqlite_utils.Database, record: dict[str, Any]) -> None:
    db.table(TABLE).insert({**record, "status": OPEN}, ignore=True)


# A handover with the resident's language: their /lang choice now, else the one kept.
SELECT = (
    f"SELECT h.*, COALESCE(l.language, h.language, '') AS reading FROM {TABLE} h"
    " LEFT JOIN languages l ON l.user_key = h.user_key"
)


def handover(db: sqlite_utils.Database, handover_id: str) -> Handover | None:
    rows = list(db.query(f"{SELECT} WHERE h.id = ?", [handover_id]))
    return _handover(rows[0]) if rows else None


def open_for_question(db: sqlite_utils.Database, question_id: str) -> Handover | None:
    """The handover already opened for a question, if any: a second tap opens none."""
    query = f"{SELECT} WHERE h.question_id = ? ORDER BY h.time LIMIT 1"
    rows = list(db.query(query, [question_id]))
    return _handover(rows[0]) if rows else None


def answered(db: sqlite_utils.Database) -> list[Handover]:
    """Handovers a staff member replied to, newest reply first (curators may turn a reply
    into an answer entry, bot.curation.staff_replies)."""
    query = f"{SELECT} WHERE h.status = ? AND h.reply != '' ORDER BY h.replied_at DESC"
    return [_handover(row) for row in db.query(query, [ANSWERED])]


def claim_reply(db: sqlite_utils.Database, handover_id: str, record: dict[str, Any]) -> bool:
    """Record the staff reply if the handover is still open; whether this call did."""
    cursor = db.execute(
        f"UPDATE {TABLE} SET status = ?, reply = ?, replied_by = ?, replied_at = ?"
        " WHERE id = ? AND status = ?",
        [ANSWERED, record["reply"], record["replied_by"], record["replied_at"], handover_id, OPEN],
    )
    return cursor.rowcount == 1


def forget_chat(db: sqlite_utils.Database, handover_id: str, delivered: bool) -> None:
    """The reply went out (or never can): the resident's chat id is no longer needed."""
    db.execute(
        f"UPDATE {TABLE} SET chat_id = NULL, delivered = ? WHERE id = ?",
        [int(delivered), handover_id],
    )


def _handover(row: dict[str, Any]) -> Handover:
    return Handover(
        id=row["id"],
        question_id=row["question_id"],
        question=row["question"] or "",
        chat_id=int(row["chat_id"]) if row["chat_id"] is not None else None,
        shared_contact=bool(row["shared_contact"]),
        status=row["status"],
        reply=row["reply"],
        language=row["reading"],
        replied_at=row["replied_at"],
    )
