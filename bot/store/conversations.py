"""Conversation state by conversation key: the engine's JSON text with personal data
masked, kept in SQLite so a conversation survives a restart.

The store never reads what is inside the state (it does not import the engine): it masks
every string in it and keeps it with the time it was saved. The caller decides the key
(a chat id and a user key, say). State older than CONVERSATION_KEEP is deleted: the
engine starts afresh after ten quiet minutes anyway.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import sqlite_utils

from bot.privacy import mask
from bot.store.clock import StoreClock, iso

TABLE = "conversations"
CONVERSATION_KEEP = timedelta(days=1)
PRUNE_EVERY = 3600.0


def masked_state(state: str) -> str:
    """``state`` with personal data masked in every string it holds; text that is not
    JSON is masked as a whole."""
    try:
        data = json.loads(state)
    except (TypeError, ValueError, RecursionError):
        return mask(state)
    return json.dumps(_masked(data), ensure_ascii=False, sort_keys=True)


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, list):
        return [_masked(v) for v in value]
    if isinstance(value, dict):
        return {mask(str(k)): _masked(v) for k, v in value.items()}
    return value


def load(db: sqlite_utils.Database, key: str) -> str | None:
    """The state saved under ``key``, if any."""
    row = db.execute(f"SELECT state FROM {TABLE} WHERE key = ?", [key]).fetchone()
    return str(row[0]) if row else None


def save(db: sqlite_utils.Database, record: dict[str, Any]) -> None:
    """Keep ``record["state"]`` under ``record["key"]``, replacing what was there."""
    db.execute(
        f"INSERT INTO {TABLE} (key, state, updated) VALUES (?, ?, ?) "
        "ON CONFLICT(key) DO UPDATE SET state = excluded.state, updated = excluded.updated",
        [record["key"], record["state"], record["updated"]],
    )


def forget(db: sqlite_utils.Database, key: str) -> None:
    db.execute(f"DELETE FROM {TABLE} WHERE key = ?", [key])


class Pruner:
    """Deletes state older than CONVERSATION_KEEP, at most once every PRUNE_EVERY."""

    def __init__(self, clock: StoreClock):
        self.clock = clock
        self._last = -PRUNE_EVERY

    def prune_if_due(self, db: sqlite_utils.Database) -> None:
        now = time.monotonic()
        if now - self._last >= PRUNE_EVERY:
            cutoff = iso(self.clock.now() - CONVERSATION_KEEP)
            db.execute(f"DELETE FROM {TABLE} WHERE updated < ?", [cutoff])
            self._last = now
