"""The files around the question log: whether a path can hold it at all, who may read
them, the user key, and one bot per database.

The database's directory, when the store creates it, is 0700, and the database 0600,
whatever the umask (``make run`` and Docker run under 022). SQLite gives its WAL and SHM
files the database's own mode, so those are 0600 too. Existing files are tightened to
0600; an existing directory is left as it is, because it may be shared (``/tmp``, or the
checkout's ``data/``, which holds the reports).

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
import logging
import os
import secrets
import stat
from contextlib import suppress
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_FILE = 0o600
PRIVATE_DIRECTORY = 0o700
SIDE_FILES = ("-wal", "-shm", "-journal", "-userkey", "-lock")


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


def private_directory(path: Path) -> None:
    """Create ``path`` and its missing parents 0700 whatever the umask (OSError if that
    fails); a directory that exists is left as it is."""
    if path.is_dir():
        return
    if path.parent != path:
        private_directory(path.parent)
    try:
        path.mkdir(mode=PRIVATE_DIRECTORY)
    except FileExistsError:
        if path.is_dir():
            return  # made by another process meanwhile: not ours to change
        raise
    path.chmod(PRIVATE_DIRECTORY)  # mkdir's mode passes through the umask


def private_file(path: Path) -> None:
    """Create ``path`` empty and 0600 unless it exists (OSError if that fails): SQLite
    would create a database 0644 under the usual umask."""
    private_directory(path.parent)
    with suppress(FileExistsError):
        os.close(_new_private_file(path))


def _new_private_file(path: Path) -> int:
    """A descriptor, open for writing, of ``path`` made now and 0600; FileExistsError if
    it exists."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    os.fchmod(fd, PRIVATE_FILE)  # a umask such as 0277 would leave it unwritable
    return fd


def make_private(db_path: Path) -> None:
    """Take group and other access away from the database and the files beside it, if
    they exist and are ours to change (made by an earlier version, under another umask)."""
    for path in [db_path, *(Path(f"{db_path}{side}") for side in SIDE_FILES)]:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
            if mode & 0o077:
                path.chmod(mode & 0o700)
        except FileNotFoundError:
            pass
        except OSError as error:  # another user's file: it may stay readable to others
            log.warning("cannot restrict the permissions of %s: %s", path, error.strerror)


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
    private_directory(path.parent)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = _new_private_file(temporary)
    try:
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
            private_directory(self.path.parent)
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
