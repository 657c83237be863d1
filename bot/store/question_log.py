"""The question log: every question, vote and notification request, in SQLite.

The Telegram handlers call ``log_question``/``log_vote``/``request_notification`` straight
from the event loop, so those never touch the database: they put a record on a queue and
return. One writer thread drains the queue in batches. When a write fails (database
locked, read-only, disk full) the batch stays in memory and is retried with backoff, so a
broken database never stops the bot from answering and nothing acknowledged is lost while
the process lives, up to MAX_HELD records (then new ones are dropped and counted). A
record the database refuses (a value it cannot store) is found, logged and dropped alone.

Every record carries an id made when it is queued and is written with INSERT OR IGNORE,
so retrying a batch that was in fact partly written cannot duplicate anything.

Telegram redelivers every update whose offset was not confirmed, so after a crash the bot
may see again updates it had already handled. ``claim_update`` records each update id
(queued like any record; the caller may wait until it is written) and says whether a
process before this one claimed it, and which question it logged; ``durable`` lets a
handler wait until its question is written before replying. The bot uses both to answer
an update at most once and to confirm it only when its question is on disk
(bot/telegram/delivery.py, bot/telegram/app.py).

Privacy: question text is masked (bot.privacy) before it is queued, users are stored as a
keyed hash whose key is kept out of the database (bot.store.files), and ``apply_retention``
blanks question text older than the retention period.
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
from bot.engine.answering import Reply
from bot.engine.textnorm import content
from bot.privacy import mask
from bot.store.files import (
    UnusableDatabase,
    check_database_path,
    create_key,
    key_path,
    make_private,
    private_file,
    read_key,
)

log = logging.getLogger(__name__)

CHANNELS = ("telegram", "terminal")
VOTES = ("up", "down", "none")
MAX_BATCH = 500
RETENTION_EVERY = 24 * 3600.0
IDLE_POLL = 0.5  # seconds the writer waits for work before checking its timers
FAILURE_LOG_EVERY = 60.0  # while a failure persists, repeat the warning this often
# Telegram keeps an unconfirmed update for 24 hours, and update ids may start again at a
# random number after a quiet week: claims older than this can never be redelivered.
# "Older" on the store's clock (Store._now), which a clock jumping forward cannot move.
CLAIM_KEEP = timedelta(hours=48)
CLAIM_PRUNE_EVERY = 3600.0
# Records held in memory while the database fails (about 600 bytes each, more for long
# questions); beyond this, new ones are dropped and counted rather than growing forever.
MAX_HELD = 20_000
# SQLite's primary result codes for a file that is no usable database: no retry helps.
UNUSABLE_CODES = {11: "SQLITE_CORRUPT", 14: "SQLITE_CANTOPEN", 26: "SQLITE_NOTADB"}
UNUSABLE_MESSAGES = ("file is not a database", "malformed", "unable to open database file")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime) -> str:
    """UTC ISO time with milliseconds: sorts as text, and its first 10 chars are the day."""
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def new_id() -> str:
    return secrets.token_hex(6)


# --- schema ----------------------------------------------------------------------------


def _step_1_log(db: sqlite_utils.Database) -> None:
    """Questions, votes and notification requests."""
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
    # Earlier versions kept the user key here; Store moves such a key out (_load_secret).


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
        self.refused = 0  # records the database refused, dropped (each logged)
        self.dropped = 0  # records not accepted: MAX_HELD were waiting already
        self._last_drop_log = 0.0
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
        # The newest time on disk at open(), and when (monotonic) it was read: see _now.
        self._newest_on_disk: datetime | None = None
        self._newest_read_at: float | None = None

    # --- life cycle ----------------------------------------------------------------

    def open(self) -> Store:
        """Create or migrate the schema, then start the writer; returns self.

        A database that cannot be migrated now (locked, read-only, full) is logged and
        counted, not raised: the writer migrates before its first successful write. A
        path that can never hold it (not an SQLite file, damaged, a directory) raises
        UnusableDatabase: nothing could ever be written there.
        """
        if self._writer is not None and self._writer.is_alive():
            return self
        check_database_path(self.path)
        make_private(self.path)
        try:
            with self._connection() as db:
                migrate(db)
            self._migrated = True
        except (sqlite3.DatabaseError, OSError) as error:
            if _unusable(error):
                raise UnusableDatabase(f"{self.path}: {_reason(error)}") from error
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
        """Write everything pending (retrying for up to ``timeout`` s), stop the writer;
        what could not be written is counted in the log."""
        if self._writer is None:
            return
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

    # --- pseudonymous users ------------------------------------------------------

    def _load_secret(self) -> None:
        """The key behind pseudonyms: POLICYBOT_USER_KEY_SECRET, else the key file beside
        the database, made once. A key an earlier version kept in the database moves to
        that file, so its users keep their pseudonyms, and is erased from the database."""
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
        path = key_path(self.path)
        try:
            key = read_key(path)
            empty = not self.path.exists() or self.path.stat().st_size == 0
            if key is None and (legacy is not None or readable or empty):
                key = create_key(path, legacy)
        except OSError as error:
            log.warning("store: cannot use the user key file %s: %s", path, error.strerror)
            return None
        return key

    def _legacy_key(self) -> tuple[str | None, bool]:
        """(the key an earlier version kept in the database, whether it could be read)."""
        try:
            with self._connection() as db:
                if "meta" not in db.table_names():
                    return None, True
                row = db.execute("SELECT value FROM meta WHERE key = 'user_key_secret'").fetchone()
        except (sqlite3.DatabaseError, OSError) as error:
            self._count_failure("cannot read the user key secret", error)
            return None, False
        return (str(row[0]) if row else None), True

    def _erase_legacy_key(self, legacy: str, key: str | None) -> None:
        """Delete the database's copy of the key once the key file holds it: overwritten
        in place (secure_delete), and the WAL, which may hold it too, emptied."""
        if key != legacy:
            log.warning(
                "store: the database holds a user key other than %s; left it there",
                key_path(self.path),
            )
            return
        try:
            with self._connection() as db:
                db.execute("PRAGMA secure_delete = ON")
                with db.conn:
                    db.execute("DELETE FROM meta WHERE key = 'user_key_secret'")
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            log.info("store: moved the user key out of the database, to its key file")
        except (sqlite3.DatabaseError, OSError) as error:
            self._count_failure("cannot erase the user key from the database", error)

    def _load_claims(self) -> None:
        try:
            with self._connection() as db:
                self._read_newest(db)
                cutoff = iso(self._now() - CLAIM_KEEP)
                rows = db.execute(
                    "SELECT update_id, question_id FROM updates WHERE time >= ?", [cutoff]
                ).fetchall()
        except (sqlite3.DatabaseError, OSError) as error:
            rows = []
            self._count_failure("cannot read the updates handled before", error)
        self._earlier_claims = {int(update_id): question for update_id, question in rows}

    # --- the store's clock ----------------------------------------------------------

    def _read_newest(self, db: sqlite_utils.Database) -> None:
        """Note the newest question or claim on disk, once per open()."""
        if self._newest_read_at is not None:
            return
        newest = db.execute(
            "SELECT max(t) FROM (SELECT max(time) AS t FROM questions "
            "UNION ALL SELECT max(time) FROM updates)"
        ).fetchone()[0]
        self._newest_on_disk = datetime.fromisoformat(newest) if newest else None
        self._newest_read_at = time.monotonic()

    def _now(self) -> datetime:
        """The clock that expires claims and question text: the wall clock, but never
        ahead of the newest row on disk at open() plus the time this store has run since
        (monotonic, which no clock change moves).

        A wall clock that jumped forward between two runs would otherwise make every
        earlier claim look expired (a redelivered update answered again) and every
        question look old enough to blank. The price: after a real stop, expiry runs late
        by the length of the stop, until the next start.
        """
        now = utc_now()
        if self._newest_on_disk is None or self._newest_read_at is None:
            return now
        running = timedelta(seconds=time.monotonic() - self._newest_read_at)
        return min(now, self._newest_on_disk + running)

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
            full = self._queued - self._written >= MAX_HELD
            if full:
                self.dropped += 1
            else:
                self._queued += 1
        if full:
            self._drop(op)
        else:
            self._queue.put(op)

    def _drop(self, op: _Op) -> None:
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
        """Queue blanking question text older than ``retention_days`` (rows stay for stats),
        as of ``now`` (default: the store's clock when it is written, see _now)."""
        if self.retention_days is None:
            return
        self._last_retention = time.monotonic()
        self._put(_Op("retention", record={"now": iso(now) if now else None}))

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

    def _acknowledge(self, count: int) -> None:
        with self._counts:
            self._written += count
            self._counts.notify_all()

    def _maybe_retention(self) -> None:
        due = time.monotonic() - self._last_retention >= RETENTION_EVERY
        if self.retention_days is not None and due:
            self.apply_retention()

    def _write(self, batch: list[_Op]) -> list[_Op]:
        """Write ``batch`` in one transaction; what is left to write (all of it, logged and
        counted, if the database failed).

        When the database refuses a record rather than failing (a value it cannot
        store), the batch is written one op at a time to find it, and only it is dropped.
        """
        try:
            with self._connection() as db:
                if not self._migrated:
                    migrate(db)
                    self._migrated = True
                self._read_newest(db)  # if open() could not
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

    def _write_one_by_one(self, batch: list[_Op]) -> list[_Op]:
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

    def _settle(self, ops: list[_Op]) -> None:
        """Count ``ops`` as done and tell whoever waits for them."""
        self._acknowledge(len(ops))
        _resolve(ops)

    def _refuse(self, op: _Op, error: BaseException) -> None:
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
                cutoff = iso(self._now() - CLAIM_KEEP)
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
                self._blank_old_text(db, record["now"])

    def _blank_old_text(self, db: sqlite_utils.Database, now: str | None) -> None:
        moment = datetime.fromisoformat(now) if now else self._now()
        assert self.retention_days is not None
        cutoff = iso(moment - timedelta(days=self.retention_days))
        db.execute(
            "UPDATE questions SET text = '', normalized = '' WHERE time < ? AND text != ''",
            [cutoff],
        )
        # An unanswered request older than the retention period still holds a chat id.
        db.execute("DELETE FROM notifications WHERE time < ? AND sent_at IS NULL", [cutoff])

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


def _unusable(error: BaseException) -> bool:
    """Whether ``error``, met while opening, means no retry can help: the file is no
    SQLite database, is damaged, or cannot be opened or created at all."""
    if isinstance(error, OSError):  # creating its directory failed
        return True
    code = getattr(error, "sqlite_errorcode", None)  # Python 3.11+
    if code is not None:
        return code & 0xFF in UNUSABLE_CODES
    return any(message in str(error) for message in UNUSABLE_MESSAGES)


def _reason(error: BaseException) -> str:
    return error.strerror or str(error) if isinstance(error, OSError) else str(error)


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


def _resolve(batch: list[_Op]) -> None:
    """Tell the callers waiting for these ops that they are written (a caller that
    stopped waiting is fine)."""
    for op in batch:
        if op.done is not None and not op.done.done():
            with suppress(concurrent.futures.InvalidStateError):
                op.done.set_result(None)


def open_store(settings: Settings) -> Store:
    """The question log as configured (POLICYBOT_DB, POLICYBOT_RETENTION_DAYS, …), opened."""
    return Store(
        settings.db_path,
        secret=settings.user_key_secret,
        retention_days=settings.retention_days,
    ).open()
