"""The question log's writer thread: a queue drained in batches, retried while SQLite fails.

Handlers on the event loop only put an ``Op`` on the queue and return. One thread takes
up to MAX_BATCH ops at a time and writes them in one transaction. When a write fails
(database locked, read-only, disk full) the batch stays in memory and is retried with
backoff, so a broken database never stops the bot from answering and nothing accepted is
lost while the process lives, up to MAX_HELD records (then new ones are dropped and
counted). An op the database refuses (a value it cannot store) is found, logged and
dropped alone.

``Writer`` is the machinery; bot.store.question_log.Store says what each op writes
(``_apply``) and what a connection needs first (``_prepare``).
"""

from __future__ import annotations

import concurrent.futures
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils

from bot.store.files import private_file

log = logging.getLogger(__name__)

MAX_BATCH = 500
IDLE_POLL = 0.5  # seconds the writer waits for work before checking its timers
FAILURE_LOG_EVERY = 60.0  # while a failure persists, repeat the warning this often
# Records held in memory while the database fails (about 600 bytes each, more for long
# questions); beyond this, new ones are dropped and counted rather than growing forever.
MAX_HELD = 20_000


@dataclass(frozen=True)
class Op:
    """One queued write: an insert into ``table``, or an update named by ``kind``.

    ``done``, when set, is resolved (with None) once the op's batch is committed.
    """

    # "insert" | "notified" | "retention" | "claim" | "durable" | "conversation" | "forget"
    kind: str
    table: str = ""
    record: dict[str, Any] | None = None
    done: concurrent.futures.Future[Any] | None = field(default=None, compare=False)


_WAKE = Op("wake")  # wakes the writer at close(); not a record


class Writer:
    """Queued, batched, retried writes to the SQLite file at ``path``."""

    def __init__(self, path: Path, *, busy_timeout: float, max_backoff: float):
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self.max_backoff = max_backoff
        self.failures = 0  # failed write attempts since open()
        self.refused = 0  # records the database refused, dropped (each logged)
        self.dropped = 0  # records not accepted: MAX_HELD were waiting already
        self._last_drop_log = 0.0
        self._queue: queue.Queue[Op] = queue.Queue()
        self._counts = threading.Condition()
        self._queued = 0
        self._written = 0
        self._stopping = threading.Event()
        self._retry_now = threading.Event()
        self._writer: threading.Thread | None = None
        self._failing_since: float | None = None
        self._last_failure_log = 0.0
        self._close_deadline = 0.0

    # --- hooks for the store ------------------------------------------------------

    def _prepare(self, db: sqlite_utils.Database) -> None:
        """Run on the writer's connection before each batch (the schema, if need be)."""

    def _apply(self, db: sqlite_utils.Database, batch: list[Op]) -> None:
        raise NotImplementedError

    def _idle(self) -> None:
        """Run when the writer found no work (timers)."""

    # --- life cycle ----------------------------------------------------------------

    def _start_writer(self) -> None:
        self._stopping.clear()
        self._writer = threading.Thread(target=self._run, name="policybot-store", daemon=True)
        self._writer.start()

    @property
    def running(self) -> bool:
        return self._writer is not None and self._writer.is_alive()

    def _stop_writer(self, timeout: float) -> bool:
        """Write everything pending (retrying for up to ``timeout`` s) and stop the
        writer; False if there was none. What could not be written is logged."""
        if self._writer is None:
            return False
        self._close_deadline = time.monotonic() + timeout * 0.8
        self._stopping.set()
        self._retry_now.set()
        self._queue.put(_WAKE)  # the writer may be waiting for work
        self._writer.join(timeout)
        stuck = self._writer.is_alive()
        unwritten = self.pending
        if unwritten:
            log.error(
                "store: closing with %d record(s) unwritten%s",
                unwritten,
                f" (the writer did not stop within {timeout:.0f} s)" if stuck else "",
            )
        elif stuck:
            log.error("store: writer did not stop within %.0f s", timeout)
        self._writer = None
        return True

    @property
    def pending(self) -> int:
        """Records accepted but not yet written."""
        with self._counts:
            return self._queued - self._written

    @property
    def failing(self) -> bool:
        """Whether the last write failed (and no write has succeeded since)."""
        return self._failing_since is not None

    def flush(self, timeout: float = 5.0, *, unless_failing: bool = False) -> bool:
        """Block until every record queued so far is written; False on timeout.

        With ``unless_failing``, also give up (False) as soon as a write fails: the caller
        would rather go on than wait out a locked or full database.
        """
        deadline = time.monotonic() + timeout
        self._retry_now.set()
        with self._counts:
            target = self._queued
            while self._written < target:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (unless_failing and self.failing):
                    return False
                # Wake now and then to notice a failure, which does not notify.
                self._counts.wait(min(remaining, 0.1) if unless_failing else remaining)
        return True

    # --- connections -------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        """A new connection; tests replace this to simulate a read-only file."""
        private_file(self.path)  # else SQLite creates it readable by everyone
        return sqlite3.connect(str(self.path), timeout=self._busy_wait())

    def _busy_wait(self) -> float:
        """How long a statement waits for a lock: while closing, no longer than close()
        waits, or one attempt could outlast it and the loss would go uncounted."""
        if not self._stopping.is_set():
            return self.busy_timeout
        return min(self.busy_timeout, max(0.01, self._closing_left()))

    @contextmanager
    def _connection(self) -> Iterator[sqlite_utils.Database]:
        conn = self._connect()
        try:
            db = sqlite_utils.Database(conn)
            if db.journal_mode != "wal":
                # Readers (curator commands, stats) then never wait for the bot's writer.
                db.enable_wal()
            yield db
        finally:
            conn.close()

    @contextmanager
    def reader(self) -> Iterator[sqlite_utils.Database]:
        """A short-lived connection for queries, in the calling thread."""
        with self._connection() as db:
            yield db

    # --- queueing ----------------------------------------------------------------

    def _put(self, op: Op) -> None:
        with self._counts:
            full = self._queued - self._written >= MAX_HELD
            if full:
                self.dropped += 1
            else:
                self._queued += 1
        if full:
            self._drop(op)
        else:
            self._queue.put(op)

    def _drop(self, op: Op) -> None:
        """Refuse ``op``: the database has been failing and MAX_HELD records wait already.
        Logged at once, then once a minute while it lasts."""
        now = time.monotonic()
        if self.dropped == 1 or now - self._last_drop_log >= FAILURE_LOG_EVERY:
            self._last_drop_log = now
            log.error(
                "store: %d record(s) already wait for the database; dropped new ones (%d so far)",
                MAX_HELD,
                self.dropped,
            )
        _resolve([op])  # nobody should wait for what will never be written

    # --- the writer thread -----------------------------------------------------------

    def _take(self, into: list[Op], wait: bool) -> None:
        """Move queued ops into ``into``, up to MAX_BATCH: wait for the first one only if
        ``wait``. A batch being retried thus stays one transaction of bounded size, and
        finding a record the database refuses in it (one op at a time) stays quick."""
        try:
            while len(into) < MAX_BATCH:
                op = self._queue.get(timeout=IDLE_POLL) if wait else self._queue.get_nowait()
                wait = False
                if op is not _WAKE:
                    into.append(op)
        except queue.Empty:
            pass

    def _run(self) -> None:
        batch: list[Op] = []
        delay = 0.0
        while True:
            # Once closing, never wait for work: close() may have queued its wake-up
            # while the last records were taken, and waiting would idle for IDLE_POLL.
            self._take(batch, wait=not batch and not self._stopping.is_set())
            if not batch:
                if self._stopping.is_set() and self._queue.empty():
                    return
                self._idle()
                continue
            size = len(batch)
            batch = self._write(batch)
            if not batch:
                if self._failing_since is not None:
                    log.info("store: writing again; %d held record(s) written", size)
                    self._failing_since = None
                delay = 0.0
                continue
            if self._stopping.is_set() and self._closing_left() <= 0:
                return  # close() counts and logs what is left
            delay = min(self.max_backoff, max(0.05, delay * 2))
            if self._stopping.is_set():
                delay = min(delay, self._closing_left())
            self._retry_now.wait(delay)
            self._retry_now.clear()

    def _closing_left(self) -> float:
        """Seconds the writer may still spend trying, once close() has been called."""
        return max(0.0, self._close_deadline - time.monotonic())

    def _write(self, batch: list[Op]) -> list[Op]:
        """Write ``batch`` in one transaction; what is left to write (all of it, logged and
        counted, if the database failed).

        When the database refuses a record rather than failing (a value it cannot
        store), the batch is written one op at a time to find it, and only it is dropped.
        """
        try:
            with self._connection() as db:
                self._prepare(db)
                # The write lock first: a transaction that has read cannot take it once
                # another connection (the webhook inbox, a curator's command) has written,
                # and SQLite then fails at once instead of waiting ("database is locked").
                db.execute("BEGIN IMMEDIATE")
                with db.atomic():
                    self._apply(db, batch)
                db.execute("COMMIT")
        except Exception as error:
            if _database_failing(error):
                self._count_failure(f"write of {len(batch)} record(s) failed", error)
                return batch
            return self._write_one_by_one(batch)
        self._settle(batch)
        return []

    def _write_one_by_one(self, batch: list[Op]) -> list[Op]:
        """Write each op in its own transaction, dropping (and logging) those the database
        refuses; what is left if the database itself fails on the way."""
        left = list(batch)
        try:
            with self._connection() as db:
                while left:
                    op = left[0]
                    try:
                        with db.atomic():
                            self._apply(db, [op])
                    except Exception as error:
                        if _database_failing(error):
                            raise
                        self._refuse(op, error)
                    else:
                        self._settle([op])
                    left.pop(0)
        except Exception as error:
            self._count_failure(f"write of {len(left)} record(s) failed", error)
        return left

    def _settle(self, ops: list[Op]) -> None:
        """Count ``ops`` as done and tell whoever waits for them."""
        with self._counts:
            self._written += len(ops)
            self._counts.notify_all()
        _resolve(ops)

    def _refuse(self, op: Op, error: BaseException) -> None:
        # Named by its kind and the error only: never a record's values.
        self.refused += 1
        log.error(
            "store: the database refused a %s record; dropped it and went on (%d so far): %s: %s",
            op.table or op.kind,
            self.refused,
            type(error).__name__,
            error,
            exc_info=not isinstance(error, (sqlite3.Error, OverflowError)),  # a bug: where
        )
        self._settle([op])

    def _count_failure(self, what: str, error: BaseException) -> None:
        # The message names the operation and SQLite's error only, never record values.
        # While a failure persists it is repeated once a minute, not on every retry.
        self.failures += 1
        now = time.monotonic()
        if self._failing_since is None:
            self._failing_since = now
        elif now - self._last_failure_log < FAILURE_LOG_EVERY:
            return
        self._last_failure_log = now
        log.warning(
            "store: %s (%d failure(s) so far, %d record(s) held): %s: %s",
            what,
            self.failures,
            self.pending,
            type(error).__name__,
            error,
        )


def _database_failing(error: BaseException) -> bool:
    """Whether ``error`` is the database failing (locked, read-only, full, damaged): then
    every record waits. Anything else (a value SQLite cannot store, such as an integer
    beyond 64 bits or text where an integer must be) is about one record."""
    refused = (
        sqlite3.IntegrityError,
        sqlite3.InterfaceError,
        sqlite3.DataError,
        sqlite3.ProgrammingError,
    )
    if isinstance(error, refused):
        return False
    return isinstance(error, (sqlite3.DatabaseError, OSError))


def _resolve(batch: list[Op]) -> None:
    """Tell the callers waiting for these ops that they are written (a caller that
    stopped waiting is fine)."""
    for op in batch:
        if op.done is not None and not op.done.done():
            with suppress(concurrent.futures.InvalidStateError):
                op.done.set_result(None)
