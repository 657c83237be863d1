"""What the curators' dashboard reads from the question log: only columns safe to show
(masked text, outcomes, entries, times), never a user key, a chat id or a vote's asker."""

from __future__ import annotations

from typing import Any

import sqlite_utils

# ``text`` is masked when logged (bot.privacy) and blanked by retention.
QUESTIONS_SQL = """
SELECT id, time, substr(time, 1, 10) AS day, channel, chat_kind, outcome, entry_id, intent,
       round(score, 3) AS score, reason, coalesce(text, '') AS text
FROM questions ORDER BY time, rowid
"""
ASKERS_SQL = """
SELECT substr(time, 1, 10) AS day, count(DISTINCT user_key) AS askers
FROM questions GROUP BY day
"""
DOWN_VOTES_SQL = """
SELECT v.time, coalesce(v.entry_id, q.entry_id) AS entry_id, coalesce(q.text, '') AS question
FROM votes v LEFT JOIN questions q ON q.id = v.question_id
WHERE v.vote = 'down' ORDER BY v.time
"""


def dashboard_rows(db: sqlite_utils.Database) -> dict[str, list[dict[str, Any]]]:
    """Questions, askers per day (counted, never listed) and 👎 votes, as rows."""
    return {
        "questions": list(db.query(QUESTIONS_SQL)),
        "askers": list(db.query(ASKERS_SQL)),
        "down_votes": list(db.query(DOWN_VOTES_SQL)),
    }


WEEK_SQL = """
SELECT count(*) AS questions, coalesce(sum(outcome IN ('answer', 'intent')), 0) AS answered,
       coalesce(sum(outcome = 'clarify'), 0) AS clarified,
       coalesce(sum(outcome = 'miss'), 0) AS missed, count(DISTINCT user_key) AS askers
FROM questions WHERE time >= ? AND time < ?
"""
DAYS_SQL = """
SELECT substr(time, 1, 10) AS day, coalesce(sum(outcome IN ('answer', 'intent')), 0) AS answered,
       coalesce(sum(outcome = 'clarify'), 0) AS clarified,
       coalesce(sum(outcome = 'miss'), 0) AS missed
FROM questions WHERE time >= ? AND time < ? GROUP BY day ORDER BY day
"""


def week_counts(db: sqlite_utils.Database, start: str, end: str) -> dict[str, int]:
    """Questions, answered, clarified, missed and distinct askers between two stamps."""
    return dict(next(iter(db.query(WEEK_SQL, [start, end]))))


def day_counts(db: sqlite_utils.Database, start: str, end: str) -> list[dict[str, Any]]:
    """Answered, clarified and missed for each day (UTC) between two stamps."""
    return list(db.query(DAYS_SQL, [start, end]))
