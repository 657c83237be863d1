"""Pseudonymous users: a keyed hash of each Telegram user id, with the key kept out of the
database (its file is made by bot.store.files)."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import sqlite_utils

from bot.store.files import create_key, key_path, read_key

log = logging.getLogger(__name__)

Connect = Callable[[], AbstractContextManager[sqlite_utils.Database]]
OnFailure = Callable[[str, BaseException], None]


class UserKeys:
    """The key behind pseudonyms: POLICYBOT_USER_KEY_SECRET, else the key file beside the
    database, made once. A key an earlier version kept in the database moves to that
    file, so its users keep their pseudonyms, and is erased from the database."""

    def __init__(self, db_path: Path, secret: str | None, connect: Connect, on_failure: OnFailure):
        self.db_path = db_path
        self._secret = secret.encode() if secret else None
        self._connect = connect
        self._on_failure = on_failure

    def key(self, user_id: int | None) -> str | None:
        """A keyed hash of a Telegram user id: stable per database, never the raw id."""
        if user_id is None:
            return None
        if self._secret is None:
            self.load()
        assert self._secret is not None
        return hmac.new(self._secret, str(user_id).encode(), hashlib.sha256).hexdigest()[:32]

    def load(self) -> None:
        legacy, readable = self._legacy_key()
        key = None
        if self._secret is None or legacy is not None:
            key = self._key_from_file(legacy, readable)
        if legacy is not None:
            self._erase_legacy_key(legacy, key)
        if self._secret is None:
            if key is None:
                # Keys made now will not match later runs' keys; better than not answering.
                log.warning("store: using a temporary user key secret for this run")
                key = secrets.token_hex(32)
            self._secret = key.encode()

    def _key_from_file(self, legacy: str | None, readable: bool) -> str | None:
        """The key file's key, made now if there is none and the database cannot hold an
        older key it could not read (None then, and on a file error)."""
        path = key_path(self.db_path)
        try:
            key = read_key(path)
            empty = not self.db_path.exists() or self.db_path.stat().st_size == 0
            if key is None and (legacy is not None or readable or empty):
                key = create_key(path, legacy)
        except OSError as error:
            log.warning("store: cannot use the user key file %s: %s", path, error.strerror)
            return None
        return key

    def _legacy_key(self) -> tuple[str | None, bool]:
        """(the key an earlier version kept in the database, whether it could be read)."""
        try:
            with self._connect() as db:
                if "meta" not in db.table_names():
                    return None, True
                row = db.execute("SELECT value FROM meta WHERE key = 'user_key_secret'").fetchone()
        except (sqlite3.DatabaseError, OSError) as error:
            self._on_failure("cannot read the user key secret", error)
            return None, False
        return (str(row[0]) if row else None), True

    def _erase_legacy_key(self, legacy: str, key: str | None) -> None:
        """Delete the database's copy of the key once the key file holds it: overwritten
        in place (secure_delete), and the WAL, which may hold it too, emptied."""
        if key != legacy:
            log.warning(
                "store: the database holds a user key other than %s; left it there",
                key_path(self.db_path),
            )
            return
        try:
            with self._connect() as db:
                db.execute("PRAGMA secure_delete = ON")
                with db.conn:
                    db.execute("DELETE FROM meta WHERE key = 'user_key_secret'")
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            log.info("store: moved the user key out of the database, to its key file")
        except (sqlite3.DatabaseError, OSError) as error:
            self._on_failure("cannot erase the user key from the database", error)
