"""The reply language each user chose (/lang), by user key: kept across restarts.

Only the user's keyed hash and a language code are stored; the store does not know what
the codes mean (bot.engine.languages does), and keeps the choice until it is changed.
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

TABLE = "languages"


def load(db: sqlite_utils.Database, user_key: str) -> str | None:
    """The language ``user_key`` chose, if any."""
    row = db.execute(f"SELECT language FROM {TABLE} WHERE user_key = ?", [user_key]).fetchone()
    return str(row[0]) if row else None


def save(db: sqlite_utils.Database, record: dict[str, Any]) -> None:
    """Keep ``record["language"]`` for ``record["user_key"]``, replacing what was there."""
    db.execute(
        f"INSERT INTO {TABLE} (user_key, language, updated) VALUES (?, ?, ?) "
        "ON CONFLICT(user_key) DO UPDATE SET language = excluded.language, "
        "updated = excluded.updated",
        [record["user_key"], record["language"], record["updated"]],
    )
