"""Telegram update ids claimed: answer an update at most once across restarts.

Telegram redelivers every update whose offset was not confirmed, so after a crash the bot
may see again updates it had already handled. Each update id is recorded (queued like any
record; the caller may wait until it is written) with the question it logged; at open,
the claims of earlier processes are read, so a redelivered update is known as such
(bot/telegram/delivery.py, bot/telegram/handlers.py).
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import sqlite_utils

from bot.store.clock import StoreClock, iso, stamp

# Telegram keeps an unconfirmed update for 24 hours, and update ids may start again at a
# random number after a quiet week: claims older than this can never be redelivered.
# "Older" on the store's clock (StoreClock), which a clock jumping forward cannot move.
CLAIM_KEEP = timedelta(hours=48)
CLAIM_PRUNE_EVERY = 3600.0


class UpdateClaims:
    """The claims earlier processes left, and the SQL that writes and prunes claims."""

    def __init__(self, clock: StoreClock):
        self.clock = clock
        # Update ids claimed by earlier processes (Telegram redelivers only recent ones),
        # with the question each logged; read once at open().
        self.earlier: dict[int, str | None] = {}
        self._last_prune = -CLAIM_PRUNE_EVERY  # prune with the first claim

    def load(self, db: sqlite_utils.Database) -> None:
        self.clock.read_newest(db)
        cutoff = iso(self.clock.now() - CLAIM_KEEP)
        rows = db.execute(
            "SELECT update_id, question_id FROM updates WHERE time >= ?", [cutoff]
        ).fetchall()
        self.earlier = {int(update_id): question for update_id, question in rows}

    def prune_if_due(self, db: sqlite_utils.Database) -> None:
        """Delete claims too old to be redelivered, once an hour. Called before a batch's
        claims are written: a stale row would hide a new update's claim."""
        now = time.monotonic()
        if now - self._last_prune >= CLAIM_PRUNE_EVERY:
            cutoff = iso(self.clock.now() - CLAIM_KEEP)
            db.execute("DELETE FROM updates WHERE time < ?", [cutoff])
            self._last_prune = now


def write_claim(db: sqlite_utils.Database, record: dict[str, Any]) -> None:
    """Claim an update id, or note the question it logged (``question_id`` in record)."""
    update_id, question_id = record["update_id"], record.get("question_id")
    db.execute(
        "INSERT OR IGNORE INTO updates (update_id, time, question_id) VALUES (?, ?, ?)",
        [update_id, stamp(), question_id],
    )
    if question_id is not None:
        db.execute(
            "UPDATE updates SET question_id = ? WHERE update_id = ?", [question_id, update_id]
        )
