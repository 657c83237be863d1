"""The question log's schema steps (bot.store.migrations): a new file, a file an earlier
release made with its own version count, and two processes opening a new file at once."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest
import sqlite_utils
from test_storage import log, rows

from bot.store.migrations import is_current, migrate, migrations
from bot.store.question_log import Store

STEPS = [
    "create_question_log",
    "create_curation",
    "create_update_claims",
    "create_conversations",
    "create_handovers",
    "create_languages",
    "add_later_message_languages",
]

# The schema as releases before sqlite-utils migrations made it, step by step, with their
# own bookkeeping: meta.schema_version counted the steps applied.
LEGACY_STEPS = (
    """
    CREATE TABLE "questions" ("id" TEXT PRIMARY KEY, "time" TEXT, "channel" TEXT,
        "chat_kind" TEXT, "user_key" TEXT, "text" TEXT, "normalized" TEXT, "outcome" TEXT,
        "entry_id" TEXT, "intent" TEXT, "score" REAL, "ms" REAL, "reason" TEXT);
    CREATE INDEX "idx_questions_time" ON "questions" ("time");
    CREATE INDEX "idx_questions_outcome" ON "questions" ("outcome");
    CREATE TABLE "votes" ("id" TEXT PRIMARY KEY, "time" TEXT, "question_id" TEXT,
        "user_key" TEXT, "entry_id" TEXT, "vote" TEXT);
    CREATE INDEX "idx_votes_question_id" ON "votes" ("question_id");
    CREATE TABLE "notifications" ("id" TEXT PRIMARY KEY, "time" TEXT, "question_id" TEXT,
        "user_key" TEXT, "chat_id" INTEGER, "sent_at" TEXT);
    CREATE INDEX "idx_notifications_question_id" ON "notifications" ("question_id");
    """,
    """
    CREATE TABLE "missed_groups" ("id" TEXT PRIMARY KEY, "status" TEXT, "entry_id" TEXT,
        "time" TEXT, "questions" INTEGER);
    CREATE TABLE "missed_group_questions" ("question_id" TEXT PRIMARY KEY, "group_id" TEXT);
    CREATE INDEX "idx_missed_group_questions_group_id"
        ON "missed_group_questions" ("group_id");
    """,
    """
    CREATE TABLE "updates" ("update_id" INTEGER PRIMARY KEY, "time" TEXT, "question_id" TEXT);
    CREATE INDEX "idx_updates_time" ON "updates" ("time");
    """,
)
LEGACY_ROWS = {
    "questions": [
        ("aaaaaaaaaaaa", "2026-01-05T08:00:00.000+00:00", "telegram", "private", "k1",
         "公积金怎么提取", "公积金怎么提取", "miss", None, None, 0.1, 3.5, "low score"),
    ],
    "votes": [("bbbbbbbbbbbb", "2026-01-05T08:00:01.000+00:00", "aaaaaaaaaaaa", "k1", None,
               "none")],
    "notifications": [("cccccccccccc", "2026-01-05T08:00:02.000+00:00", "aaaaaaaaaaaa", "k1",
                       42, None)],
    "missed_groups": [("gdddddd", "ignored", None, "2026-01-06T08:00:00.000+00:00", 1)],
    "missed_group_questions": [("dddddddddddd", "gdddddd")],
    "updates": [(7, "2026-01-05T08:00:00.000+00:00", "aaaaaaaaaaaa")],
}  # fmt: skip


def legacy_database(path: Path, version: int) -> dict[str, list[tuple[object, ...]]]:
    """A file as a release before sqlite-utils migrations left it after ``version`` steps;
    the rows written into it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    written: dict[str, list[tuple[object, ...]]] = {}
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        for step in LEGACY_STEPS[:version]:
            db.executescript(step)
        db.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(version)])
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        for table, values in LEGACY_ROWS.items():
            if table in tables:
                marks = ", ".join("?" * len(values[0]))
                db.executemany(f"INSERT INTO {table} VALUES ({marks})", values)
                written[table] = values
    return written


def table_rows(path: Path, table: str) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(path)) as db:
        return db.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()


def applied(path: Path) -> list[str]:
    return [m.name for m in migrations.applied(sqlite_utils.Database(path))]


def test_the_steps_are_registered_in_order() -> None:
    assert [m.name for m in migrations.pending(sqlite_utils.Database(memory=True))] == STEPS


def test_a_new_file_gets_every_step_once(tmp_path: Path) -> None:
    path = tmp_path / "data" / "policybot.db"
    Store(path).open().close()
    Store(path).open().close()
    assert applied(path) == STEPS
    db = sqlite_utils.Database(path)
    assert is_current(db)
    assert "meta" not in db.table_names()  # only files of earlier releases have one


@pytest.mark.parametrize("version", [0, 1, 2, 3])
def test_a_file_of_an_earlier_release_upgrades_with_its_rows(tmp_path: Path, version: int) -> None:
    path = tmp_path / "data" / "policybot.db"
    written = legacy_database(path, version)
    with Store(path) as store:
        asked = log(store, "六零行动是什么")
        assert store.claim_update(7).new is (version < 3)  # a claim it made is still known
        assert store.flush()
    assert applied(path) == STEPS
    for table, values in written.items():
        # Later steps may add columns at the end: the old columns keep their values.
        kept = [row[: len(values[0])] for row in table_rows(path, table)[: len(values)]]
        assert kept == values
    assert asked in {row["id"] for row in rows(path, "questions")}
    # Its own bookkeeping is left as it was, for an older release opening the file again.
    assert table_rows(path, "meta") == [("schema_version", str(version))]


def test_a_migrated_file_is_not_migrated_again(tmp_path: Path) -> None:
    path = tmp_path / "policybot.db"
    legacy_database(path, 3)
    db = sqlite_utils.Database(path)
    migrate(db)
    first = [(m.name, m.applied_at) for m in migrations.applied(db)]
    migrate(db)
    assert [(m.name, m.applied_at) for m in migrations.applied(db)] == first


def test_a_failing_step_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "policybot.db"
    db = sqlite_utils.Database(path)

    def broken(db: sqlite_utils.Database) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    last = migrations._migrations[-1]
    monkeypatch.setattr(last, "fn", broken)
    with pytest.raises(sqlite3.OperationalError):
        migrate(db)
    assert db.table_names() == []  # the whole transaction was rolled back
    monkeypatch.undo()
    migrate(db)
    assert applied(path) == STEPS


def open_at_once(path: Path, count: int) -> list[BaseException]:
    """Open and close ``count`` stores on ``path`` from as many threads at once; errors."""
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def open_close() -> None:
        try:
            start.wait()
            Store(path).open().close()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=open_close) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return errors


def test_threads_opening_a_new_file_at_once_apply_each_step_once(tmp_path: Path) -> None:
    for attempt in range(5):
        path = tmp_path / f"{attempt}" / "policybot.db"
        assert open_at_once(path, 4) == []
        assert applied(path) == STEPS


OPEN_AT = """
import sys, time
from pathlib import Path
from bot.store.question_log import Store
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
with Store(Path(sys.argv[1])) as store:
    store.log_question  # opened: the schema is in place
"""


@pytest.mark.slow
def test_two_processes_opening_a_new_file_at_once_apply_each_step_once(tmp_path: Path) -> None:
    """The bot and a curator's command starting together on a file neither has made."""
    for attempt in range(3):
        path = tmp_path / f"{attempt}" / "policybot.db"
        path.parent.mkdir()
        at = str(time.time() + 3.0)  # both are past their imports by then
        children = [
            subprocess.Popen([sys.executable, "-c", OPEN_AT, str(path), at], stderr=subprocess.PIPE)
            for _ in range(2)
        ]
        for child in children:
            _, stderr = child.communicate(timeout=60)
            assert child.returncode == 0, stderr.decode()
        assert applied(path) == STEPS
