"""The question log's schema: one sqlite-utils migration per step, applied at open.

Each step is a function registered on ``migrations`` in order; sqlite-utils records the
ones applied in its ``_sqlite_migrations`` table. A step, once released, is never edited:
a change to the schema is a new step at the end.

Databases written before sqlite-utils kept this record counted their steps in a ``meta``
table (``schema_version``) instead. The first three steps below create only what does
not exist yet, so on such a database they change nothing and are simply recorded: those
three must stay that way. ``meta`` is left as it was (an older release opening the file
again finds its own count there).
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils import Migrations

migrations = Migrations("policybot")


@migrations()
def create_question_log(db: sqlite_utils.Database) -> None:
    """Questions, votes and notification requests."""
    db.table("questions").create(
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
    db.table("questions").create_index(["time"], if_not_exists=True)
    db.table("questions").create_index(["outcome"], if_not_exists=True)
    db.table("votes").create(
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
    db.table("votes").create_index(["question_id"], if_not_exists=True)
    db.table("notifications").create(
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
    db.table("notifications").create_index(["question_id"], if_not_exists=True)
    # Earlier versions kept the user key in ``meta``; UserKeys moves such a key out.


@migrations()
def create_curation(db: sqlite_utils.Database) -> None:
    """What curators decided about groups of missed questions."""
    db.table("missed_groups").create(
        {"id": str, "status": str, "entry_id": str, "time": str, "questions": int},
        pk="id",
        if_not_exists=True,
    )
    # The questions a group held when the curator acted: grouping is recomputed on every
    # listing, so membership is frozen here for notifications and for hiding the group.
    db.table("missed_group_questions").create(
        {"question_id": str, "group_id": str},
        pk="question_id",
        if_not_exists=True,
    )
    db.table("missed_group_questions").create_index(["group_id"], if_not_exists=True)


@migrations()
def create_update_claims(db: sqlite_utils.Database) -> None:
    """Telegram update ids seen, and the question each one logged (bot.store.claims)."""
    db.table("updates").create(
        {"update_id": int, "time": str, "question_id": str},
        pk="update_id",
        if_not_exists=True,
    )
    db.table("updates").create_index(["time"], if_not_exists=True)


@migrations()
def create_conversations(db: sqlite_utils.Database) -> None:
    """Conversation state by conversation key, masked JSON (bot.store.conversations)."""
    db.table("conversations").create(
        {"key": str, "state": str, "updated": str}, pk="key", if_not_exists=True
    )
    db.table("conversations").create_index(["updated"], if_not_exists=True)


@migrations()
def create_handovers(db: sqlite_utils.Database) -> None:
    """Questions residents passed to the staff chat, and the reply relayed (bot.store.handovers)."""
    db.table("handovers").create(
        {
            "id": str,
            "time": str,
            "question_id": str,
            "user_key": str,
            "chat_id": int,  # the resident's, needed to relay the reply; cleared then
            "question": str,  # masked
            "shared_contact": int,  # whether the resident let the staff see who asked
            "status": str,  # open | answered
            "reply": str,  # masked
            "replied_by": str,  # the staff member's user key
            "replied_at": str,
            "delivered": int,
        },
        pk="id",
    )
    db.table("handovers").create_index(["question_id"])


@migrations()
def create_languages(db: sqlite_utils.Database) -> None:
    """The reply language each user chose with /lang, by user key (bot.store.languages)."""
    db.table("languages").create({"user_key": str, "language": str, "updated": str}, pk="user_key")


@migrations()
def add_later_message_languages(db: sqlite_utils.Database) -> None:
    """The language a resident reads, kept with what is sent to them later: a
    notification's answer, a handover's relayed reply (empty on older rows: Chinese)."""
    db.table("notifications").add_column("language", str)
    db.table("handovers").add_column("language", str)


def is_current(db: sqlite_utils.Database) -> bool:
    """Whether every step is applied (read only)."""
    return not migrations.pending(db)


def migrate(db: sqlite_utils.Database) -> None:
    """Apply the steps not applied yet.

    BEGIN IMMEDIATE serialises two processes (the bot and a curator's command) that open
    the same new database at once: the second waits for the first's write lock, then
    finds nothing pending, because sqlite-utils reads what is applied inside the
    transaction. Each step runs in a savepoint of it, so a failing step leaves nothing.
    """
    if is_current(db):
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        migrations.apply(db)
        db.execute("COMMIT")
    except BaseException:
        db.rollback()
        raise
