"""The files around the question log: whether a path can hold it at all, the user key, and
one bot per database.

The key that turns Telegram user ids into pseudonyms lives in its own 0600 file beside
the database (``policybot.db-userkey``), never in it: a copy of the database alone cannot
be used to recompute anyone's pseudonym.

``InstanceLock``: a second ``policybot run`` on the same database would answer every
message twice. The running bot holds an exclusive lock on a file beside the database;
curator commands do not take it.
"""

from __future__ import annotations

import errno
import fcntl
import os
import secrets
from contextlib import suppress
from pathlib import Path

PRIVATE_FILE = 0o600


class UnusableDatabase(Exception):
    """The database path cannot hold the question log until someone changes it (not an
    SQLite file, damaged, a directory, a directory that cannot be created)."""


class AlreadyRunning(Exception):
    """Another bot process holds the database's instance lock."""


def check_database_path(db_path: Path) -> None:
    """UnusableDatabase if ``db_path`` is plainly no database file (SQLite would only
    say "unable to open database file")."""
    if db_path.is_dir():
        raise UnusableDatabase(f"{db_path} is a directory, not a database file")


def key_path(db_path: Path) -> Path:
    """Named like SQLite's own side files (``policybot.db-wal``): ``policybot.db-userkey``."""
    return db_path.with_name(db_path.name + "-userkey")


def read_key(path: Path) -> str | None:
    """The key in ``path``, or None if there is no such file (OSError if unreadable)."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    return text or None


def create_key(path: Path, key: str | None = None) -> str:
    """Write ``key`` (default: a new random one) to ``path``, 0600, unless the file exists;
    the key the file then holds. Atomic: of two processes creating it at once, the
    second reads the first one's key."""
    key = key or secrets.token_hex(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)  # whatever the umask
        os.write(fd, f"{key}\n".encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(temporary, path)  # unlike a rename, never replaces an existing file
    except FileExistsError:
        existing = read_key(path)
        if existing is None:
            raise
        return existing
    finally:
        temporary.unlink(missing_ok=True)
    return key


def lock_path(db_path: Path) -> Path:
    """Named like SQLite's own side files (``policybot.db-wal``): ``policybot.db-lock``."""
    return db_path.with_name(db_path.name + "-lock")


class InstanceLock:
    """An exclusive lock (flock) on ``<database>-lock``, held while the bot runs.

    The kernel drops it when the process ends, however it ends, so a crash never leaves
    a stale lock behind. The file holds the owner's pid, for the message to a second bot.
    """

    def __init__(self, db_path: Path):
        self.db_path = db_path
        self.path = lock_path(db_path)
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock; AlreadyRunning if another process holds it, UnusableDatabase
        if the lock file cannot be made."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
        except OSError as error:
            raise UnusableDatabase(f"cannot create {self.path}: {error.strerror}") from error
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            holder = os.read(fd, 32).decode(errors="replace").strip()
            os.close(fd)
            if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise UnusableDatabase(f"cannot lock {self.path}: {error.strerror}") from error
            pid = f" (pid {holder})" if holder.isdigit() else ""
            raise AlreadyRunning(
                f"another policybot is already running on {self.db_path}{pid}; stop it "
                "first (two would answer every message twice)"
            ) from None
        with suppress(OSError):  # not ours to change: holding the lock is what matters
            os.fchmod(fd, PRIVATE_FILE)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        """Let another bot start. The file stays: removing it would race a new owner."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
