"""The question log: every question, vote and notification request, in SQLite.

``Store`` is what the rest of the bot uses. Logging (``log_question``, ``log_vote``,
``request_notification``, ``claim_update``) never touches the database from the caller's
thread: it queues a record for the writer thread (bot.store.writer) and returns. Every
record carries an id made when it is queued and is written with INSERT OR IGNORE, so
retrying a batch that was in fact partly written cannot duplicate anything.
``durable`` lets a handler wait until its question is written before replying.

The jobs behind it, one module each: the schema (bot.store.migrations), update claims
(bot.store.claims), pseudonyms (bot.store.user_keys), retention (bot.store.retention),
notifications (bot.store.notifications), conversation state (bot.store.conversations),
the language each user chose (bot.store.languages),
curators' reads and writes (bot.store.curator_queries), and the files around the database
(bot.store.files).

Privacy: question text arrives masked (QuestionRecord.of, bot.privacy), users are stored
as a keyed hash whose key is kept out of the database, and retention blanks question
text older than the retention period. The raw chat id is kept only for a pending
notification and cleared once it is sent.
"""

from __future__ import annotations

import concurrent.futures
import logging
import sqlite3
import time
from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from bot.config import Settings
from bot.privacy import mask
from bot.store import (
    claims,
    conversations,
    curator_queries,
    handovers,
    languages,
    notifications,
    retention,
)
from bot.store.clock import StoreClock, iso, new_id, stamp
from bot.store.curator_queries import Decision, MissedQuestion
from bot.store.files import UnusableDatabase, check_database_path, make_private
from bot.store.handovers import Handover
from bot.store.migrations import migrate
from bot.store.records import VOTES, Claim, Notification, QuestionRecord
from bot.store.user_keys import UserKeys
from bot.store.writer import Op, Writer

log = logging.getLogger(__name__)

# SQLite's primary result codes for a file that is no usable database: no retry helps.
UNUSABLE_CODES = {11: "SQLITE_CORRUPT", 14: "SQLITE_CANTOPEN", 26: "SQLITE_NOTADB"}
UNUSABLE_MESSAGES = ("file is not a database", "malformed", "unable to open database file")
# Conversations whose latest state is held in memory: the one just saved may still be
# queued when the next message of the conversation arrives.
CONVERSATIONS_HELD = 10_000


class Store(Writer):
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
        super().__init__(path, busy_timeout=busy_timeout, max_backoff=max_backoff)
        self.retention_days = retention_days
        self._users = UserKeys(self.path, secret, self._connection, self._count_failure)
        self._clock = StoreClock()
        self._claims = claims.UpdateClaims(self._clock)
        self._notified: set[str] = set()  # sent in this process, maybe not yet written
        self._last_retention = 0.0
        self._conversations: OrderedDict[str, str | None] = OrderedDict()
        self._conversation_pruner = conversations.Pruner(self._clock)
        self._languages: dict[str, str] = {}  # chosen in this process, maybe not yet written
        self._migrated = False
        self._keeper: sqlite3.Connection | None = None

    # --- life cycle ----------------------------------------------------------------

    def open(self) -> Store:
        """Create or migrate the schema, then start the writer; returns self.

        A database that cannot be migrated now (locked, read-only, full) is logged and
        counted, not raised: the writer migrates before its first successful write. A
        path that can never hold it (not an SQLite file, damaged, a directory) raises
        UnusableDatabase: nothing could ever be written there.
        """
        if self.running:
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
        self._users.load()
        self._load_claims()
        self._keep_open()
        self._start_writer()
        if self.retention_days is not None:
            self.apply_retention()
        return self

    def close(self, timeout: float = 10.0) -> None:
        """Write everything pending (retrying for up to ``timeout`` s), stop the writer;
        what could not be written is counted in the log."""
        if not self._stop_writer(timeout):
            return
        if self._keeper is not None:
            self._keeper.close()
            self._keeper = None

    def __enter__(self) -> Store:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

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

    def _load_claims(self) -> None:
        try:
            with self._connection() as db:
                self._claims.load(db)
        except (sqlite3.DatabaseError, OSError) as error:
            self._claims.earlier = {}
            self._count_failure("cannot read the updates handled before", error)

    def user_key(self, user_id: int | None) -> str | None:
        """A keyed hash of a Telegram user id: stable per database, never the raw id."""
        return self._users.key(user_id)

    # --- logging (non-blocking) --------------------------------------------------

    def log_question(
        self, record: QuestionRecord, *, user_id: int | None, update_id: int | None = None
    ) -> str:
        """Queue one question and what it got; the new question id, at once.

        No chat id is stored: a question needs no chat to be counted or grouped.
        ``update_id`` (the Telegram update that asked) is noted on the update's claim.
        """
        question_id = new_id()
        row = {
            "id": question_id,
            "time": stamp(),
            "channel": record.channel,
            "chat_kind": record.chat_kind,
            "user_key": self.user_key(user_id),
            "text": record.text,
            "normalized": record.normalized,
            "outcome": record.outcome,
            "entry_id": record.entry_id,
            "intent": record.intent,
            "score": record.score,
            "ms": round(record.seconds * 1000, 3),
            "reason": record.reason,
        }
        self._put(Op("insert", "questions", row))
        if update_id is not None:
            self._put(Op("claim", record={"update_id": update_id, "question_id": question_id}))
        return question_id

    def claim_update(self, update_id: int) -> Claim:
        """Record that Telegram update ``update_id`` is being handled; at once.

        ``new`` unless a process before this one (killed before confirming it) claimed
        it, in which case ``question_id`` is the question it logged, if any. The claim is
        queued: wait on ``written`` before doing anything that must not happen twice.
        """
        done: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._put(Op("claim", record={"update_id": update_id}, done=done))
        if update_id in self._claims.earlier:
            return Claim(False, self._claims.earlier[update_id], done)
        return Claim(True, None, done)

    def durable(self) -> concurrent.futures.Future[None]:
        """A future that completes once everything queued before this call is written."""
        done: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._put(Op("durable", done=done))
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
        row = {
            "id": new_id(),
            "time": stamp(),
            "question_id": question_id,
            "user_key": self.user_key(user_id),
            "entry_id": entry_id,
            "vote": vote,
        }
        self._put(Op("insert", "votes", row))

    def request_notification(
        self, *, question_id: str, user_id: int, chat_id: int, language: str = ""
    ) -> None:
        """Queue "tell me when this is answered" (sent in ``language``, unless the user
        chooses another with /lang meanwhile); asking twice is one request."""
        user_key = self.user_key(user_id)
        row = {
            "id": notifications.notification_id(question_id, user_key),
            "time": stamp(),
            "question_id": question_id,
            "user_key": user_key,
            "chat_id": chat_id,
            "sent_at": None,
            "language": language,
        }
        self._put(Op("insert", "notifications", row))

    def mark_notified(self, notification_id: str) -> None:
        """Record that a notification was sent (queued; never offered again meanwhile)."""
        self._notified.add(notification_id)
        self._put(Op("notified", record={"id": notification_id, "sent_at": stamp()}))

    def apply_retention(self, now: datetime | None = None) -> None:
        """Queue blanking question text older than ``retention_days`` (rows stay for stats),
        as of ``now`` (default: the store's clock when it is written, see StoreClock)."""
        if self.retention_days is None:
            return
        self._last_retention = time.monotonic()
        self._put(Op("retention", record={"now": iso(now) if now else None}))

    # --- conversation state ------------------------------------------------------------

    def conversation(self, key: str) -> str | None:
        """The state last saved under ``key`` (masked JSON), or None: held in memory when
        saved by this process, else read (blocking, short); None if it cannot be read."""
        if key in self._conversations:
            self._conversations.move_to_end(key)
            return self._conversations[key]
        try:
            with self.reader() as db:
                return conversations.load(db, key)
        except (sqlite3.DatabaseError, OSError) as error:
            self._count_failure("cannot read a conversation", error)
            return None

    def save_conversation(self, key: str, state: str) -> None:
        """Queue keeping ``state`` under ``key``, its personal data masked; at once."""
        state = conversations.masked_state(state)
        self._hold_conversation(key, state)
        self._put(Op("conversation", record={"key": key, "state": state, "updated": stamp()}))

    def forget_conversation(self, key: str) -> None:
        """Queue forgetting the state under ``key`` (/start); at once."""
        self._hold_conversation(key, None)
        self._put(Op("forget", record={"key": key}))

    def _hold_conversation(self, key: str, state: str | None) -> None:
        self._conversations[key] = state
        self._conversations.move_to_end(key)
        while len(self._conversations) > CONVERSATIONS_HELD:
            self._conversations.popitem(last=False)

    # --- the language each user chose (/lang) -------------------------------------------

    def language(self, user_id: int) -> str | None:
        """The language the user chose, or None: held in memory when chosen in this
        process, else read (blocking, short); None if it cannot be read."""
        key = self.user_key(user_id)
        if key is None:
            return None
        if key in self._languages:
            return self._languages[key]
        try:
            with self.reader() as db:
                return languages.load(db, key)
        except (sqlite3.DatabaseError, OSError) as error:
            self._count_failure("cannot read a language", error)
            return None

    def save_language(self, user_id: int, language: str) -> None:
        """Queue keeping the language the user chose; at once."""
        key = self.user_key(user_id)
        if key is None:
            return
        self._languages[key] = language
        record = {"user_key": key, "language": language, "updated": stamp()}
        self._put(Op("language", record=record))

    # --- reading, and curators' decisions (blocking) -----------------------------------

    def pending_notifications(self) -> list[Notification]:
        """Requests whose question's group was answered and that were not sent yet."""
        with self.reader() as db:
            due = notifications.due(db)
        return [n for n in due if n.id not in self._notified]

    def waiting_notifications(self, question_ids: Iterable[str]) -> int:
        """How many requests for these questions have not been sent yet."""
        with self.reader() as db:
            return notifications.waiting(db, question_ids)

    def missed_questions(self) -> tuple[list[MissedQuestion], set[str]]:
        """(missed questions no curator has dealt with, in the order asked; the ids of
        groups curators decided), read together."""
        with self.reader() as db:
            return curator_queries.missed_questions(db), curator_queries.decided_group_ids(db)

    def decision(self, group_id: str) -> Decision | None:
        """What a curator decided about group ``group_id``, if anything."""
        with self.reader() as db:
            return curator_queries.decision(db, group_id)

    def figures(self, top: int) -> dict[str, Any]:
        """The counts behind `policybot stats` (bot.store.curator_queries.figures)."""
        with self.reader() as db:
            return curator_queries.figures(db, top)

    def resolve_group(
        self, group_id: str, status: str, entry_id: str | None, question_ids: list[str]
    ) -> None:
        """Record that a group was answered or ignored, with the questions it held.

        Written at once, not queued: the curator is told it is done. Blocking: async code
        calls it through a thread.
        """
        with self._connection() as db:
            migrate(db)
            curator_queries.record_decision(db, group_id, status, entry_id, question_ids)

    # --- handovers to the staff (blocking, written at once: a person is waiting) -------

    def asked_by(self, question_id: str, user_id: int | None) -> str | None:
        """The (masked) text of question ``question_id`` if ``user_id`` asked it, else None:
        only its asker may pass a question on."""
        with self.reader() as db:
            rows = list(
                db.query("SELECT text, user_key FROM questions WHERE id = ?", [question_id])
            )
        if not rows or rows[0]["user_key"] != self.user_key(user_id):
            return None
        return rows[0]["text"] or ""

    def last_question(self, user_id: int | None, since: datetime) -> tuple[str, str] | None:
        """(id, masked text) of the newest question ``user_id`` asked since ``since`` that
        was not a greeting, thanks or other intent; None if there is none."""
        with self.reader() as db:
            rows = list(
                db.query(
                    "SELECT id, text FROM questions WHERE user_key = ? AND time >= ?"
                    " AND outcome != 'intent' AND text != '' ORDER BY time DESC LIMIT 1",
                    [self.user_key(user_id), iso(since)],
                )
            )
        return (rows[0]["id"], rows[0]["text"]) if rows else None

    def open_handover(
        self,
        *,
        question_id: str,
        question: str,
        user_id: int | None,
        chat_id: int,
        shared_contact: bool,
        language: str = "",
    ) -> tuple[Handover, bool]:
        """The handover of question ``question_id``, and whether this call opened it (a
        question is handed over once, however often its button is tapped). The reply is
        relayed in ``language``, unless the resident chooses another with /lang meanwhile."""
        with self._connection() as db:
            migrate(db)
            existing = handovers.open_for_question(db, question_id)
            if existing is not None:
                return existing, False
            handover_id = handovers.new_handover_id()
            handovers.open_handover(
                db,
                {
                    "id": handover_id,
                    "time": stamp(),
                    "question_id": question_id,
                    "user_key": self.user_key(user_id),
                    "chat_id": chat_id,
                    "question": mask(question),
                    "shared_contact": int(shared_contact),
                    "language": language,
                },
            )
            opened = handovers.handover(db, handover_id)
        assert opened is not None
        return opened, True

    def handover(self, handover_id: str) -> Handover | None:
        with self.reader() as db:
            return handovers.handover(db, handover_id)

    def claim_handover_reply(
        self, handover_id: str, reply: str, staff_user_id: int | None
    ) -> Handover | None:
        """Record a staff member's reply (masked) to an open handover and return it, to be
        relayed; None if it is unknown or was answered already."""
        with self._connection() as db:
            migrate(db)
            record = {"reply": mask(reply), "replied_by": self.user_key(staff_user_id)}
            if not handovers.claim_reply(db, handover_id, {**record, "replied_at": stamp()}):
                return None
            return handovers.handover(db, handover_id)

    def staff_replies(self) -> list[Handover]:
        """Every handover a staff member replied to, newest first (masked)."""
        with self.reader() as db:
            return handovers.answered(db)

    def handover_relayed(self, handover_id: str, delivered: bool) -> None:
        """The reply went out, or could not: forget the resident's chat id."""
        with self._connection() as db:
            handovers.forget_chat(db, handover_id, delivered)

    # --- what the writer does ------------------------------------------------------

    def _prepare(self, db: sqlite_utils.Database) -> None:
        if not self._migrated:
            migrate(db)
            self._migrated = True
        self._clock.read_newest(db)  # if open() could not

    def _idle(self) -> None:
        due = time.monotonic() - self._last_retention >= retention.RETENTION_EVERY
        if self.retention_days is not None and due:
            self.apply_retention()

    def _apply(self, db: sqlite_utils.Database, batch: list[Op]) -> None:
        inserts: dict[str, list[dict[str, Any]]] = {}
        for op in batch:
            if op.kind == "insert":
                inserts.setdefault(op.table, []).append(op.record or {})
        for table, records in inserts.items():
            db.table(table).insert_all(records, ignore=True)
        if any(op.kind == "claim" for op in batch):
            self._claims.prune_if_due(db)
        for op in batch:
            record = op.record or {}
            if op.kind == "claim":
                claims.write_claim(db, record)
            elif op.kind == "notified":
                notifications.mark_sent(db, record)
            elif op.kind == "retention":
                self._blank_old_text(db, record["now"])
            elif op.kind == "conversation":
                conversations.save(db, record)
            elif op.kind == "forget":
                conversations.forget(db, record["key"])
            elif op.kind == "language":
                languages.save(db, record)
        if any(op.kind == "conversation" for op in batch):
            self._conversation_pruner.prune_if_due(db)

    def _blank_old_text(self, db: sqlite_utils.Database, now: str | None) -> None:
        assert self.retention_days is not None
        moment = datetime.fromisoformat(now) if now else self._clock.now()
        retention.blank_old_text(db, moment, self.retention_days)


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


def open_store(settings: Settings) -> Store:
    """The question log as configured (POLICYBOT_DB, POLICYBOT_RETENTION_DAYS, …), opened."""
    return Store(
        settings.db_path,
        secret=settings.user_key_secret,
        retention_days=settings.retention_days,
    ).open()
