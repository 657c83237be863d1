"""Retention: question text older than POLICYBOT_RETENTION_DAYS is blanked (rows stay for
the statistics), and unanswered notification requests that old, with their chat ids, go."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlite_utils

from bot.store.clock import iso

RETENTION_EVERY = 24 * 3600.0  # seconds between two runs while the bot runs


def blank_old_text(db: sqlite_utils.Database, now: datetime, days: int) -> None:
    cutoff = iso(now - timedelta(days=days))
    db.execute(
        "UPDATE questions SET text = '', normalized = '' WHERE time < ? AND text != ''",
        [cutoff],
    )
    # An unanswered request older than the retention period still holds a chat id.
    db.execute("DELETE FROM notifications WHERE time < ? AND sent_at IS NULL", [cutoff])
