"""The question log (bot.store.question_log) against real SQLite files in tmp_path."""

from __future__ import annotations

import os
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlite_utils

from bot.engine.answering import Reply
from bot.engine.textnorm import content
from bot.store.clock import iso, utc_now
from bot.store.migrations import is_current, migrate, migrations
from bot.store.question_log import Store
from bot.store.records import QuestionRecord

USER = 987654321  # distinctive, so a leak of the raw id would be found by a scan


def reply(question: str, outcome: str = "miss", entry_id: str | None = None) -> Reply:
    return Reply(
        question=question,
        outcome=outcome,
        entry_id=entry_id,
        score=42.0,
        reason="low score",
        normalized=content(question),
    )


def log(
    store: Store, question: str, *, channel: str = "telegram", user_id: int | None = USER
) -> str:
    kind = "private" if channel == "telegram" else "terminal"
    record = QuestionRecord.of(
        reply(question), normalize=content, channel=channel, chat_kind=kind, seconds=0.0123
    )
    return store.log_question(record, user_id=user_id)


def rows(path: Path, table: str) -> list[dict]:
    return list(sqlite_utils.Database(path)[table].rows)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "policybot.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    store = Store(db_path, busy_timeout=0.05, max_backoff=0.1).open()
    yield store
    store.close()


# --- schema ---------------------------------------------------------------------------------


def test_open_creates_schema_in_wal_mode(store: Store, db_path: Path) -> None:
    db = sqlite_utils.Database(db_path)
    assert db.journal_mode == "wal"
    tables = {"questions", "votes", "notifications", "missed_groups", "conversations", "handovers"}
    assert tables | {"languages"} <= set(db.table_names())
    assert is_current(db) and len(migrations.applied(db)) == 7


def test_migrates_an_older_database_and_keeps_its_rows(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db = sqlite_utils.Database(db_path)
    first = migrations.pending(db)[0]
    with db.atomic():  # a database written by a version with only step 1
        first.fn(db)
        migrations.ensure_migrations_table(db)
        db.table(migrations.migrations_table).insert(
            {"migration_set": migrations.name, "name": first.name, "applied_at": iso(utc_now())}
        )
    db["questions"].insert({"id": "aaaaaaaaaaaa", "time": iso(utc_now()), "text": "旧问题"})
    db.close()
    with Store(db_path) as store:
        assert store.flush()
    db = sqlite_utils.Database(db_path)
    assert is_current(db)
    assert "missed_group_questions" in db.table_names()
    assert [r["text"] for r in db["questions"].rows] == ["旧问题"]
    migrate(db)  # nothing left to do
    assert len(migrations.applied(db)) == 7


# --- logging --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "chat_kind", "user_id"),
    [("telegram", "private", USER), ("telegram", "group", USER), ("terminal", "terminal", None)],
)
def test_logs_a_question_from_each_channel(
    store: Store, db_path: Path, channel: str, chat_kind: str, user_id: int | None
) -> None:
    answered = reply("六零行动是什么", "answer", "gh-term-26")
    record = QuestionRecord.of(
        answered, normalize=content, channel=channel, chat_kind=chat_kind, seconds=0.0042
    )
    question_id = store.log_question(record, user_id=user_id)
    assert re.fullmatch(r"[0-9a-f]{12}", question_id)
    assert store.flush()
    (row,) = rows(db_path, "questions")
    assert row["id"] == question_id
    assert (row["channel"], row["chat_kind"]) == (channel, chat_kind)
    assert row["text"] == "六零行动是什么"
    assert row["normalized"] == content("六零行动是什么")
    assert (row["outcome"], row["entry_id"], row["score"]) == ("answer", "gh-term-26", 42.0)
    assert row["ms"] == 4.2
    assert row["reason"] == "low score"
    assert row["time"].endswith("+00:00")
    assert (row["user_key"] is None) == (user_id is None)


def test_user_key_is_a_stable_keyed_hash(db_path: Path) -> None:
    with Store(db_path) as first:
        key = first.user_key(USER)
    with Store(db_path) as again:
        assert again.user_key(USER) == key  # the secret is kept in a file beside it
    other = db_path.with_name("other.db")
    with Store(other) as elsewhere:
        assert elsewhere.user_key(USER) != key  # another database, another secret
    with Store(other, secret="s3cret") as keyed, Store(db_path, secret="s3cret") as same:
        assert keyed.user_key(USER) == same.user_key(USER) != key
    assert str(USER) not in key
    assert Store(db_path).user_key(None) is None


def test_votes_and_notification_requests(store: Store, db_path: Path) -> None:
    question_id = log(store, "公积金怎么提取")
    store.log_vote(question_id=question_id, user_id=USER, entry_id="ps-x", vote="down")
    store.log_vote(question_id=question_id, user_id=USER, entry_id=None, vote="none")
    store.request_notification(question_id=question_id, user_id=USER, chat_id=USER)
    store.request_notification(question_id=question_id, user_id=USER, chat_id=USER)  # twice
    assert store.flush()
    assert sorted(v["vote"] for v in rows(db_path, "votes")) == ["down", "none"]
    (request,) = rows(db_path, "notifications")
    assert (request["question_id"], request["chat_id"], request["sent_at"]) == (
        question_id,
        USER,
        None,
    )
    with pytest.raises(ValueError):
        store.log_vote(question_id=question_id, user_id=USER, entry_id=None, vote="meh")


def test_a_later_message_keeps_the_language_unless_the_user_chooses_another(
    store: Store,
) -> None:
    question_id = log(store, "Is there childcare?")
    handover, _ = store.open_handover(
        question_id=question_id,
        question="Is there childcare?",
        user_id=USER,
        chat_id=USER,
        shared_contact=False,
        language="en",
    )
    assert handover.language == "en"
    store.save_language(USER, "zh")  # /lang zh before the staff replied
    assert store.flush()
    assert store.handover(handover.id).language == "zh"  # type: ignore[union-attr]


PERSONAL = [
    ("我的手机13812345678,公积金怎么提取", "13812345678"),
    ("电话 138 1234 5678 社保", "12345678"),
    ("座机0755-12345678在哪", "12345678"),
    ("身份证440306199001011234能办吗", "440306199001011234"),
    ("卡号6222 0212 3456 7890 123", "021234567890"),
    ("发到zhang.san@qq.com", "zhang.san@qq.com"),
    ("１３８１２３４５６７８ 托育", "１３８１２３４５６７８"),
    ("一三八一二三四五六七八 托育", "一三八一二三四五六七八"),
]


def test_nothing_unmasked_reaches_the_database(db_path: Path) -> None:
    with Store(db_path) as store:
        for channel in ("telegram", "terminal"):
            for text, _ in PERSONAL:
                question_id = log(store, text, channel=channel)
                store.log_vote(question_id=question_id, user_id=USER, entry_id=None, vote="none")
                store.request_notification(question_id=question_id, user_id=USER, chat_id=55)
        assert store.flush()
    db = sqlite_utils.Database(db_path)
    values = [
        str(value)
        for table in db.table_names()
        for row in db[table].rows
        for column, value in row.items()
        if value is not None and column != "chat_id"  # the one raw id, needed to notify
    ]
    for _, secret in PERSONAL:
        compact = re.sub(r"[\s-]", "", secret)
        for value in values:
            assert secret not in value and compact not in re.sub(r"[\s-]", "", value)
    for row in db["questions"].rows:  # the free-text columns: no long digit run at all
        for column in ("text", "normalized", "reason"):
            assert not re.search(r"\d{7,}", re.sub(r"[\s-]", "", row[column] or "")), row[column]
    assert not any("@" in value or str(USER) in value for value in values)
    raw = db_path.read_bytes()
    assert b"13812345678" not in raw and b"zhang.san" not in raw


def test_log_question_returns_at_once(store: Store) -> None:
    start = time.perf_counter()
    ids = {log(store, f"问题{n}") for n in range(200)}
    assert time.perf_counter() - start < 1.0  # queueing only: no database round trip
    assert len(ids) == 200
    assert store.flush()


# --- retention ------------------------------------------------------------------------------


def test_retention_blanks_old_text_and_keeps_rows(db_path: Path) -> None:
    with Store(db_path) as store:
        old, new = log(store, "很久以前的问题"), log(store, "今天的问题")
        store.request_notification(question_id=old, user_id=USER, chat_id=USER)
        assert store.flush()
    long_ago = iso(utc_now() - timedelta(days=40))
    sqlite_utils.Database(db_path).execute(
        "UPDATE questions SET time = ? WHERE id = ?", [long_ago, old]
    )
    sqlite_utils.Database(db_path).execute("UPDATE notifications SET time = ?", [long_ago])
    with Store(db_path, retention_days=30) as store:  # applied when opened
        assert store.flush()
    by_id = {r["id"]: r for r in rows(db_path, "questions")}
    assert (by_id[old]["text"], by_id[old]["normalized"]) == ("", "")
    assert by_id[old]["outcome"] == "miss"  # still counted
    assert by_id[new]["text"] == "今天的问题"
    assert rows(db_path, "notifications") == []


# --- failures -------------------------------------------------------------------------------


def test_locked_database_keeps_questions_and_writes_them_later(store: Store, db_path: Path) -> None:
    blocker = sqlite3.connect(db_path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        start = time.perf_counter()
        ids = [log(store, f"锁住时的问题{n}") for n in range(50)]
        assert time.perf_counter() - start < 0.5  # still accepted at once
        assert not store.flush(timeout=0.5)
        assert store.failures >= 1
        assert store.pending == 50
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert store.flush(timeout=5)
    assert store.pending == 0
    assert sorted(r["id"] for r in rows(db_path, "questions")) == sorted(ids)


def _read_only(path: Path):
    return lambda: sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.05)


def _full(path: Path):
    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(path, timeout=0.05)
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")  # SQLITE_FULL, as on a full disk
        return conn

    return connect


@pytest.mark.parametrize("broken", [_read_only, _full], ids=["read-only", "disk-full"])
def test_unwritable_database_keeps_questions_until_it_is_fixed(db_path: Path, broken) -> None:
    Store(db_path).open().close()  # the schema exists; now the file cannot be written
    store = Store(db_path, busy_timeout=0.05, max_backoff=0.1)
    store._connect = broken(db_path)  # type: ignore[method-assign]
    store.open()
    try:
        ids = [log(store, "x" * 400 + str(n)) for n in range(300)]
        assert not store.flush(timeout=0.5)
        assert store.failures >= 1
        del store._connect  # the file is writable again
        assert store.flush(timeout=5)
    finally:
        store.close()
    assert sorted(r["id"] for r in rows(db_path, "questions")) == sorted(ids)


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_file_on_disk(db_path: Path) -> None:
    Store(db_path).open().close()
    db_path.chmod(0o444)
    store = Store(db_path, busy_timeout=0.05, max_backoff=0.1).open()
    try:
        log(store, "只读")
        assert not store.flush(timeout=0.5)
        assert store.failures >= 1
        db_path.chmod(0o644)
        assert store.flush(timeout=5)
    finally:
        db_path.chmod(0o644)
        store.close()


def test_close_writes_everything_pending(db_path: Path) -> None:
    store = Store(db_path).open()
    ids = [log(store, f"问{n}") for n in range(300)]
    store.close()
    assert len(rows(db_path, "questions")) == len(ids)


def test_close_right_after_a_write_does_not_wait_for_more_work(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """close() just after log_question (as every `policybot ask` does) stops at once."""
    # close()'s wake-up could be taken with the last record; the writer then idled for
    # IDLE_POLL before seeing it should stop. With IDLE_POLL longer than close()'s
    # timeout, that shows as a writer that did not stop.
    monkeypatch.setattr("bot.store.writer.IDLE_POLL", 30.0)
    for attempt in range(20):  # the race needs close() to land while the record is taken
        store = Store(db_path).open()
        log(store, f"问{attempt}")
        store.close(timeout=2.0)
    assert "did not stop" not in caplog.text
    assert len(rows(db_path, "questions")) == 20


# --- concurrency ----------------------------------------------------------------------------


def test_many_concurrent_writers_lose_and_duplicate_nothing(db_path: Path) -> None:
    threads, each = 20, 250
    returned: list[list[str]] = [[] for _ in range(threads)]
    with Store(db_path) as store:
        barrier = threading.Barrier(threads)

        def writer(number: int) -> None:
            barrier.wait()
            for n in range(each):
                question_id = log(store, f"线程{number}问题{n}", user_id=number)
                returned[number].append(question_id)
                if n % 50 == 0:
                    store.log_vote(
                        question_id=question_id, user_id=number, entry_id=None, vote="up"
                    )

        workers = [threading.Thread(target=writer, args=(i,)) for i in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert store.flush(timeout=20)
    all_ids = [question_id for ids in returned for question_id in ids]
    written = rows(db_path, "questions")
    assert len(all_ids) == len(set(all_ids)) == threads * each
    assert len(written) == threads * each
    assert {r["id"] for r in written} == set(all_ids)
    texts = {r["text"] for r in written}
    assert len(texts) == threads * each  # every question, once
    assert len(rows(db_path, "votes")) == threads * (each // 50)


def test_two_stores_on_one_file(db_path: Path) -> None:
    """The bot and a curator's command may hold the same database at once."""
    with Store(db_path) as bot, Store(db_path) as terminal:
        for n in range(100):
            log(bot, f"电报{n}")
            log(terminal, f"终端{n}", channel="terminal", user_id=None)
        assert bot.flush() and terminal.flush()
    channels = [r["channel"] for r in rows(db_path, "questions")]
    assert channels.count("telegram") == channels.count("terminal") == 100
