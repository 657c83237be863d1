"""Time as the question log writes it: UTC stamps, row ids, and the store's own clock."""

from __future__ import annotations

import secrets
import time
from datetime import datetime, timedelta, timezone

import sqlite_utils


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime) -> str:
    """UTC ISO time with milliseconds: sorts as text, and its first 10 chars are the day."""
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def stamp() -> str:
    """The time a row written now carries."""
    return iso(utc_now())


def new_id() -> str:
    return secrets.token_hex(6)


class StoreClock:
    """The clock that expires claims and question text: the wall clock, but never ahead
    of the newest row on disk at open() plus the time this store has run since
    (monotonic, which no clock change moves).

    A wall clock that jumped forward between two runs would otherwise make every earlier
    claim look expired (a redelivered update answered again) and every question look old
    enough to blank. The price: after a real stop, expiry runs late by the length of the
    stop, until the next start.
    """

    def __init__(self) -> None:
        self._newest_on_disk: datetime | None = None
        self._read_at: float | None = None  # monotonic

    def read_newest(self, db: sqlite_utils.Database) -> None:
        """Note the newest question or claim on disk, once per open()."""
        if self._read_at is not None:
            return
        newest = db.execute(
            "SELECT max(t) FROM (SELECT max(time) AS t FROM questions "
            "UNION ALL SELECT max(time) FROM updates)"
        ).fetchone()[0]
        self._newest_on_disk = datetime.fromisoformat(newest) if newest else None
        self._read_at = time.monotonic()

    def now(self) -> datetime:
        now = utc_now()
        if self._newest_on_disk is None or self._read_at is None:
            return now
        running = timedelta(seconds=time.monotonic() - self._read_at)
        return min(now, self._newest_on_disk + running)
