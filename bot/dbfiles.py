"""The files around the question log: whether a path can hold it at all."""

from __future__ import annotations

from pathlib import Path


class UnusableDatabase(Exception):
    """The database path cannot hold the question log until someone changes it (not an
    SQLite file, damaged, a directory, a directory that cannot be created)."""


def check_database_path(db_path: Path) -> None:
    """UnusableDatabase if ``db_path`` is plainly no database file (SQLite would only
    say "unable to open database file")."""
    if db_path.is_dir():
        raise UnusableDatabase(f"{db_path} is a directory, not a database file")
