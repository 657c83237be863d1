"""Notification requests ("tell me when this is answered"): their ids, which are due, and
marking one sent (its chat id is kept only until then)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

import sqlite_utils

from bot.store.records import Notification

DUE_SQL = """
SELECT n.id, n.question_id, n.chat_id, q.text, g.entry_id, g.id AS group_id,
  COALESCE(l.language, n.language, '') AS language
FROM notifications n
LEFT JOIN languages l ON l.user_key = n.user_key
JOIN missed_group_questions m ON m.question_id = n.question_id
JOIN missed_groups g ON g.id = m.group_id
JOIN questions q ON q.id = n.question_id
WHERE g.status = 'answered' AND n.sent_at IS NULL AND n.chat_id IS NOT NULL
ORDER BY n.time
"""


def notification_id(question_id: str, user_key: str | None) -> str:
    """The same for the same asker and question: asking twice is one request."""
    return hashlib.sha256(f"{question_id}:{user_key}".encode()).hexdigest()[:12]


def due(db: sqlite_utils.Database) -> list[Notification]:
    """Requests whose question's group was answered and that were not sent yet."""
    return [
        Notification(
            id=row["id"],
            question_id=row["question_id"],
            chat_id=int(row["chat_id"]),
            question=row["text"] or "",
            entry_id=row["entry_id"],
            group_id=row["group_id"],
            language=row["language"],
        )
        for row in db.query(DUE_SQL)
    ]


def mark_sent(db: sqlite_utils.Database, record: dict[str, Any]) -> None:
    db.execute(
        "UPDATE notifications SET sent_at = ?, chat_id = NULL WHERE id = ?",
        [record["sent_at"], record["id"]],
    )


def waiting(db: sqlite_utils.Database, question_ids: Iterable[str]) -> int:
    """How many requests for these questions have not been sent yet."""
    row = db.execute(
        "SELECT count(*) FROM notifications WHERE sent_at IS NULL"
        " AND question_id IN (SELECT value FROM json_each(?))",
        [json.dumps(list(question_ids))],
    ).fetchone()
    return int(row[0])
