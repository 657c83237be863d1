"""The question log: every question, vote and notification request, in SQLite.

The Telegram handlers call ``log_question``/``log_vote``/``request_notification`` straight
from the event loop, so those never touch the database: they put a record on a queue and
return. One writer thread drains the queue in batches. When a write fails (database
locked, read-only, disk full) the batch stays in memory and is retried with backoff, so a
broken database never stops the bot from answering and nothing acknowledged is lost while
the process lives.

Every record carries an id made when it is queued and is written with INSERT OR IGNORE,
so retrying a batch that was in fact partly written cannot duplicate anything.

Telegram redelivers every update whose offset was not confirmed, so after a crash the bot
may see again updates it had already handled. ``claim_update`` records each update id
(queued like any record; the caller may wait until it is written) and says whether a
process before this one claimed it, and which question it logged; ``durable`` lets a
handler wait until its question is written before replying. The bot uses both to answer
an update at most once and to confirm it only when its question is on disk
(bot/delivery.py, bot/telegram_bot.py).

Privacy: question text is masked (bot.privacy) before it is queued, users are stored as a
keyed hash, and ``apply_retention`` blanks question text older than the retention period.
The raw chat id is kept only for a pending notification and cleared once it is sent.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import hmac
import logging
import queue
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlite_utils

from bot.config import Settings
from bot.engine import Reply
from bot.privacy import mask
from bot.textnorm import content

log = logging.getLogger(__name__)

CHANNELS = ("telegram", "terminal")
VOTES = ("up", "down", "none")
MAX_BATCH = 500
RETENTION_EVERY = 24 * 3600.0
IDLE_POLL = 0.5  # seconds the writer waits for work before checking its timers
FAILURE_LOG_EVERY = 60.0  # while a failure persists, repeat the warning this often
# Telegram keeps an unconfirmed update for 24 hours, and update ids may start again at a
# random number after a quiet week: claims older than this can never be redelivered.
CLAIM_KEEP = timedelta(hours=48)
CLAIM_PRUNE_EVERY = 3600.0


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime) -> str:
    """UTC ISO time with milliseconds: sorts as text, and its first 10 chars are the day."""
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def new_id() -> str:
    return secrets.token_hex(6)


# --- schema ----------------------------------------------------------------------------


def _step_1_log(db: sqlite_utils.Database) -> None:
    """Questions, votes and notification requests; the per-database user key secret."""
    db["questions"].create(
        {
            "id": str,
            "time": str,
            "channel": str,
            "chat_kind": str,
            "user_key": str,
            "text": str,  # masked; blanked by retention
            "normalized": str,  # masked; blanked by retention
            "outcome": str,
            "entry_id": str,
            "intent": str,
            "score": float,
            "ms": float,
            "reason": str,
        },
        pk="id",
        if_not_exists=True,
    )
    db["questions"].create_index(["time"], if_not_exists=True)
    db["questions"].create_index(["outcome"], if_not_exists=True)
    db["votes"].create(
        {
            "id": str,
            "time": str,
            "question_id": str,
            "user_key": str,
            "entry_id": str,
            "vote": str,
        },
        pk="id",
        if_not_exists=True,
    )
    db["votes"].create_index(["question_id"], if_not_exists=True)
    db["notifications"].create(
        {
            "id": str,
            "time": str,
            "question_id": str,
            "user_key": str,
            "chat_id": int,  # needed to send; cleared once sent
            "sent_at": str,
        },
        pk="id",
        if_not_exists=True,
    )
    db["notifications"].create_index(["question_id"], if_not_exists=True)
    db.execute(
        "INSERT OR IGNORE INTO meta (key, value) VALUES ('user_key_secret', ?)",
        [secrets.token_hex(32)],
    )


def _step_2_curation(db: sqlite_utils.Database) -> None:
    """What curators decided about groups of missed questions."""
    db["missed_groups"].create(
        {"id": str, "status": str, "entry_id": str, "time": str, "questions": int},
        pk="id",
        if_not_exists=True,
    )
    # The questions a group held when the curator acted: grouping is recomputed on every
    # listing, so membership is frozen here for notifications and for hiding the group.
    db["missed_group_questions"].create(
        {"question_id": str, "group_id": str},
        pk="question_id",
        if_not_exists=True,
    )
    db["missed_group_questions"].create_index(["group_id"], if_not_exists=True)


def _step_3_updates(db: sqlite_utils.Database) -> None:
    """Telegram update ids seen, and the question each one logged (see claim_update)."""
    db["updates"].create(
        {"update_id": int, "time": str, "question_id": str},
        pk="update_id",
        if_not_exists=True,
    )
    db["updates"].create_index(["time"], if_not_exists=True)


MIGRATIONS: tuple[Callable[[sqlite_utils.Database], None], ...] = (
    _step_1_log,
    _step_2_curation,
    _step_3_updates,
)
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(db: sqlite_utils.Database) -> int:
    if "meta" not in db.table_names():
        return 0
    row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def migrate(db: sqlite_utils.Database) -> int:
    """Bring the schema up to SCHEMA_VERSION, one numbered step at a time; the new version.

    BEGIN IMMEDIATE serialises two processes (the bot and a curator's command) that open
    the same new database at once; the version is re-read inside the transaction.
    """
    if schema_version(db) >= SCHEMA_VERSION:
        return schema_version(db)
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        version = schema_version(db)
        for number, step in enumerate(MIGRATIONS, start=1):
            if number > version:
                step(db)
                db.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                    [str(number)],
                )
        db.execute("COMMIT")
    except BaseException:
        db.rollback()
        raise
    return SCHEMA_VERSION


# --- records ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Op:
    """One queued write: an insert into ``table``, or an update named by ``kind``.

    ``done``, when set, is resolved (with None) once the op's batch is committed.
    """

    kind: str  # "insert" | "notified" | "retention" | "claim" | "durable"
    table: str = ""
    record: dict[str, Any] | None = None
    done: concurrent.futures.Future[Any] | None = field(default=None, compare=False)


_WAKE = _Op("wake")  # wakes the writer at close(); not a record


@dataclass(frozen=True)
class Claim:
    """What the store knew about an update id when it was claimed."""

    new: bool  # not claimed by an earlier process (as far as the store could read)
    question_id: str | None  # the question it logged then, if it was claimed and logged one
    written: concurrent.futures.Future[None]  # done once this claim is on disk


@dataclass(frozen=True)
class Notification:
    id: str
    question_id: str
    chat_id: int
    question: str  # as stored: masked
    entry_id: str
    group_id: str


class Store:
    """The SQLite question log. ``open()`` before use, ``close()`` at shutdown."""

    def __init__(
        self,
        path: Path,
        *,
        secret: str | None = None,
        retention_days: int | None = None,
        busy_timeout: float = 2.0,
        max_backoff: float = 5.0,
    ):
        self.path = Path(path)
        self.retention_days = retention_days
        self.busy_timeout = busy_timeout
        self.max_backoff = max_backoff
        self.failures = 0  # failed write attempts since open()
        self._secret = secret.encode() if secret else None
        self._queue: queue.Queue[_Op] = queue.Queue()
        self._counts = threading.Condition()
        self._queued = 0
        self._written = 0
        self._stopping = threading.Event()
        self._retry_now = threading.Event()
        self._writer: threading.Thread | None = None
        self._notified: set[str] = set()  # sent in this process, maybe not yet written
        self._last_retention = 0.0
        self._last_claim_prune = -CLAIM_PRUNE_EVERY  # prune with the first claim
        self._migrated = False
        self._failing_since: float | None = None
        self._last_failure_log = 0.0
        self._close_deadline = 0.0
        self._keeper: sqlite3.Connection | None = None
        # Update ids claimed by earlier processes (Telegram redelivers only recent ones),
        # with the question each logged; read once at open().
        self._earlier_claims: dict[int, str | None] = {}

    # --- life cycle ----------------------------------------------------------------

    def open(self) -> Store:
        """Create or migrate the schema, then start the writer; returns self.

        A database that cannot be migrated now (locked, read-only) is logged and
        counted, not raised: the writer migrates before its first successful write.
        """
        if self._writer is not None and self._writer.is_alive():
            return self
        try:
            with self._connection() as db:
                migrate(db)
            self._migrated = True
        except (sqlite3.DatabaseError, OSError) as error:
            self._count_failure("cannot migrate the schema now", error)
        self._load_secret()
        self._load_claims()
        self._keep_open()
        self._stopping.clear()
        self._writer = threading.Thread(target=self._run, name="policybot-store", daemon=True)
        self._writer.start()
        if self.retention_days is not None:
            self.apply_retention()
        return self

    def close(self, timeout: float = 10.0) -> None:
        """Write everything pending (retrying for up to ``timeout`` s), stop the writer."""
        if self._writer is None:
            return
        self._close_deadline = time.monotonic() + timeout * 0.8
        self._stopping.set()
        self._retry_now.set()
        self._queue.put(_WAKE)  # the writer may be waiting for work
        self._writer.join(timeout)
        if self._writer.is_alive():
            log.error("store: writer did not stop within %.0f s", timeout)
        self._writer = None
        if self._keeper is not None:
            self._keeper.close()
            self._keeper = None

    def _keep_open(self) -> None:
        """Hold one idle connection for the store's lifetime.

        When the last connection to a WAL database closes, SQLite checkpoints and deletes
        the WAL file, and the next connection builds it again: about 2 ms per batch, which
        each claimed update waits for. The idle connection holds no transaction or lock,
        so it neither blocks checkpoints nor other writers. Best effort: without it the
        store is only slower.
        """
        if self._keeper is not None:
            return
        try:
            keeper = sqlite3.connect(str(self.path), check_same_thread=False)
            keeper.execute("PRAGMA schema_version").fetchall()  # maps the WAL index; ends
            self._keeper = keeper
        except (sqlite3.DatabaseError, OSError) as error:
            log.debug("store: no idle connection (%s); each write reopens the file", error)

    def __enter__(self) -> Store:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

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
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return sqlite3.connect(str(self.path), timeout=self.busy_timeout)

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

    # --- pseudonymous users ------------------------------------------------------

    def _load_secret(self) -> None:
        if self._secret is not None:
            return
        try:
            with self._connection() as db:
                row = db.execute("SELECT value FROM meta WHERE key = 'user_key_secret'").fetchone()
        except (sqlite3.DatabaseError, OSError) as error:
            row = None
            self._count_failure("cannot read the user key secret", error)
        if row:
            self._secret = str(row[0]).encode()
        else:
            # Keys made now will not match later runs' keys; better than not answering.
            log.warning("store: using a temporary user key secret for this run")
            self._secret = secrets.token_hex(32).encode()

    def _load_claims(self) -> None:
        cutoff = iso(utc_now() - CLAIM_KEEP)
        try:
            with self._connection() as db:
                rows = db.execute(
                    "SELECT update_id, question_id FROM updates WHERE time >= ?", [cutoff]
                ).fetchall()
        except (sqlite3.DatabaseError, OSError) as error:
            rows = []
            self._count_failure("cannot read the updates handled before", error)
        self._earlier_claims = {int(update_id): question for update_id, question in rows}

    def user_key(self, user_id: int | None) -> str | None:
        """A keyed hash of a Telegram user id: stable per database, never the raw id."""
        if user_id is None:
            return None
        if self._secret is None:
            self._load_secret()
        assert self._secret is not None
        return hmac.new(self._secret, str(user_id).encode(), hashlib.sha256).hexdigest()[:32]

    # --- logging (non-blocking) --------------------------------------------------

    def _put(self, op: _Op) -> None:
        with self._counts:
            self._queued += 1
        self._queue.put(op)

    def log_question(
        self,
        *,
        channel: str,
        chat_kind: str,
        user_id: int | None,
        chat_id: int | None,
        reply: Reply,
        seconds: float,
        update_id: int | None = None,
    ) -> str:
        """Queue one question and the engine's reply; the new question id, at once.

        ``chat_id`` is not stored: a question needs no chat to be counted or grouped.
        ``update_id`` (the Telegram update that asked) is noted on the update's claim.
        """
        del chat_id
        question_id = new_id()
        text = mask(reply.question)
        # Normalised from the masked text (the engine's reply.normalized is content() of
        # the same question), then masked again: normalising can join digits that
        # separators kept apart, and must not reveal what masking hid.
        normalized = mask(content(text)) if text else ""
        record = {
            "id": question_id,
            "time": iso(utc_now()),
            "channel": channel,
            "chat_kind": chat_kind,
            "user_key": self.user_key(user_id),
            "text": text,
            "normalized": normalized,
            "outcome": reply.outcome,
            "entry_id": reply.entry_id,
            "intent": reply.intent,
            "score": float(reply.score),
            "ms": round(seconds * 1000, 3),
            "reason": mask(reply.reason_label),
        }
        self._put(_Op("insert", "questions", record))
        if update_id is not None:
            self._put(_Op("claim", record={"update_id": update_id, "question_id": question_id}))
        return question_id

    def claim_update(self, update_id: int) -> Claim:
        """Record that Telegram update ``update_id`` is being handled; at once.

        ``new`` unless a process before this one (killed before confirming it) claimed
        it, in which case ``question_id`` is the question it logged, if any. The claim is
        queued: wait on ``written`` before doing anything that must not happen twice.
        """
        done: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._put(_Op("claim", record={"update_id": update_id}, done=done))
        if update_id in self._earlier_claims:
            return Claim(False, self._earlier_claims[update_id], done)
        return Claim(True, None, done)

    def durable(self) -> concurrent.futures.Future[None]:
        """A future that completes once everything queued before this call is written."""
        done: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._put(_Op("durable", done=done))
        return done

    def log_vote(
        self,
        *,
        question_id: str | None,
        user_id: int | None,
        entry_id: str | None,
        vote: str,
    ) -> None:
        """Queue a vote: "up", "down", or "none" (都不是: the question counts as missed)."""
        if vote not in VOTES:
            raise ValueError(f"vote must be one of {VOTES}, not {vote!r}")
        record = {
            "id": new_id(),
            "time": iso(utc_now()),
            "question_id": question_id,
            "user_key": self.user_key(user_id),
            "entry_id": entry_id,
            "vote": vote,
        }
        self._put(_Op("insert", "votes", record))

    def request_notification(self, *, question_id: str, user_id: int, chat_id: int) -> None:
        """Queue "tell me when this is answered"; asking twice is one request."""
        user_key = self.user_key(user_id)
        notification_id = hashlib.sha256(f"{question_id}:{user_key}".encode()).hexdigest()[:12]
        record = {
            "id": notification_id,
            "time": iso(utc_now()),
            "question_id": question_id,
            "user_key": user_key,
            "chat_id": chat_id,
            "sent_at": None,
        }
        self._put(_Op("insert", "notifications", record))

    def mark_notified(self, notification_id: str) -> None:
        """Record that a notification was sent (queued; never offered again meanwhile)."""
        self._notified.add(notification_id)
        record = {"id": notification_id, "sent_at": iso(utc_now())}
        self._put(_Op("notified", record=record))

    def apply_retention(self, now: datetime | None = None) -> None:
        """Queue blanking question text older than ``retention_days`` (rows stay for stats)."""
        if self.retention_days is None:
            return
        cutoff = (now or utc_now()) - timedelta(days=self.retention_days)
        self._last_retention = time.monotonic()
        self._put(_Op("retention", record={"cutoff": iso(cutoff)}))

    # --- curators' decisions (blocking) ---------------------------------------------

    def resolve_group(
        self, group_id: str, status: str, entry_id: str | None, question_ids: list[str]
    ) -> None:
        """Record that a group was answered or ignored, with the questions it held.

        Written at once, not queued: the curator is told it is done. Blocking: async code
        calls it through a thread.
        """
        with self._connection() as db:
            migrate(db)
            with db.atomic():
                db["missed_groups"].insert(
                    {
                        "id": group_id,
                        "status": status,
                        "entry_id": entry_id,
                        "time": iso(utc_now()),
                        "questions": len(question_ids),
                    },
                    replace=True,
                )
                db["missed_group_questions"].insert_all(
                    [{"question_id": q, "group_id": group_id} for q in question_ids],
                    replace=True,
                )

    # --- reading ---------------------------------------------------------------------

    def pending_notifications(self) -> list[Notification]:
        """Requests whose question's group was answered and that were not sent yet."""
        with self.reader() as db:
            rows = db.query(
                """
                SELECT n.id, n.question_id, n.chat_id, q.text, g.entry_id, g.id AS group_id
                FROM notifications n
                JOIN missed_group_questions m ON m.question_id = n.question_id
                JOIN missed_groups g ON g.id = m.group_id
                JOIN questions q ON q.id = n.question_id
                WHERE g.status = 'answered' AND n.sent_at IS NULL AND n.chat_id IS NOT NULL
                ORDER BY n.time
                """
            )
            return [
                Notification(
                    id=row["id"],
                    question_id=row["question_id"],
                    chat_id=int(row["chat_id"]),
                    question=row["text"] or "",
                    entry_id=row["entry_id"],
                    group_id=row["group_id"],
                )
                for row in rows
                if row["id"] not in self._notified
            ]

    # --- the writer thread -----------------------------------------------------------

    def _take(self, into: list[_Op], wait: bool) -> None:
        """Move queued ops into ``into``: wait for the first one only if ``wait``."""
        try:
            op = self._queue.get(timeout=IDLE_POLL) if wait else self._queue.get_nowait()
            while True:
                if op is not _WAKE:
                    into.append(op)
                if wait and len(into) >= MAX_BATCH:
                    return
                op = self._queue.get_nowait()
        except queue.Empty:
            pass

    def _run(self) -> None:
        batch: list[_Op] = []
        delay = 0.0
        while True:
            # Once closing, never wait for work: close() may have queued its wake-up
            # while the last records were taken, and waiting would idle for IDLE_POLL.
            self._take(batch, wait=not batch and not self._stopping.is_set())
            if not batch:
                if self._stopping.is_set() and self._queue.empty():
                    return
                self._maybe_retention()
                continue
            if self._write(batch):
                if self._failing_since is not None:
                    log.info("store: writing again; %d held record(s) written", len(batch))
                    self._failing_since = None
                self._acknowledge(len(batch))
                _resolve(batch)
                batch, delay = [], 0.0
                continue
            if self._stopping.is_set() and time.monotonic() >= self._close_deadline:
                log.error("store: closing with %d record(s) unwritten", len(batch))
                return
            delay = min(self.max_backoff, max(0.05, delay * 2))
            self._retry_now.wait(delay)
            self._retry_now.clear()

    def _acknowledge(self, count: int) -> None:
        with self._counts:
            self._written += count
            self._counts.notify_all()

    def _maybe_retention(self) -> None:
        due = time.monotonic() - self._last_retention >= RETENTION_EVERY
        if self.retention_days is not None and due:
            self.apply_retention()

    def _write(self, batch: list[_Op]) -> bool:
        """Write one batch in one transaction; False (logged, counted) if it failed."""
        try:
            with self._connection() as db:
                if not self._migrated:
                    migrate(db)
                    self._migrated = True
                # The write lock first: a transaction that has read cannot take it once
                # another connection (the webhook inbox, a curator's command) has written,
                # and SQLite then fails at once instead of waiting ("database is locked").
                db.execute("BEGIN IMMEDIATE")
                with db.atomic():
                    self._apply(db, batch)
                db.execute("COMMIT")
            return True
        except (sqlite3.DatabaseError, OSError) as error:  # incl. OperationalError
            self._count_failure(f"write of {len(batch)} record(s) failed", error)
        except Exception as error:  # a bug must not kill the writer and lose the queue
            log.exception("store: unexpected error writing %d record(s)", len(batch))
            self._count_failure(f"write of {len(batch)} record(s) failed", error)
        return False

    def _apply(self, db: sqlite_utils.Database, batch: list[_Op]) -> None:
        inserts: dict[str, list[dict[str, Any]]] = {}
        for op in batch:
            if op.kind == "insert":
                inserts.setdefault(op.table, []).append(op.record or {})
        for table, records in inserts.items():
            db[table].insert_all(records, ignore=True)
        if any(op.kind == "claim" for op in batch):
            now = time.monotonic()
            if now - self._last_claim_prune >= CLAIM_PRUNE_EVERY:
                # Before this batch's claims: a stale row would hide a new update's claim.
                cutoff = iso(utc_now() - CLAIM_KEEP)
                db.execute("DELETE FROM updates WHERE time < ?", [cutoff])
                self._last_claim_prune = now
        for op in batch:
            record = op.record or {}
            if op.kind == "claim":
                _claim(db, record)
            elif op.kind == "notified":
                db.execute(
                    "UPDATE notifications SET sent_at = ?, chat_id = NULL WHERE id = ?",
                    [record["sent_at"], record["id"]],
                )
            elif op.kind == "retention":
                _blank_old_text(db, record["cutoff"])

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


def _claim(db: sqlite_utils.Database, record: dict[str, Any]) -> None:
    """Claim an update id, or note the question it logged (``question_id`` in record)."""
    update_id, question_id = record["update_id"], record.get("question_id")
    db.execute(
        "INSERT OR IGNORE INTO updates (update_id, time, question_id) VALUES (?, ?, ?)",
        [update_id, iso(utc_now()), question_id],
    )
    if question_id is not None:
        db.execute(
            "UPDATE updates SET question_id = ? WHERE update_id = ?", [question_id, update_id]
        )


def _resolve(batch: list[_Op]) -> None:
    """Tell the callers waiting for these ops that they are written (a caller that
    stopped waiting is fine)."""
    for op in batch:
        if op.done is not None and not op.done.done():
            with suppress(concurrent.futures.InvalidStateError):
                op.done.set_result(None)


def _blank_old_text(db: sqlite_utils.Database, cutoff: str) -> None:
    db.execute(
        "UPDATE questions SET text = '', normalized = '' WHERE time < ? AND text != ''",
        [cutoff],
    )
    # An unanswered request older than the retention period still holds a chat id.
    db.execute("DELETE FROM notifications WHERE time < ? AND sent_at IS NULL", [cutoff])


def open_store(settings: Settings) -> Store:
    """The question log as configured (POLICYBOT_DB, POLICYBOT_RETENTION_DAYS, …), opened."""
    return Store(
        settings.db_path,
        secret=settings.user_key_secret,
        retention_days=settings.retention_days,
    ).open()
