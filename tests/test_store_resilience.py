"""The question log when things go wrong (real SQLite files)."""

from __future__ import annotations

import logging
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from test_storage import USER, _read_only, log, reply, rows

from bot.engine.textnorm import content
from bot.store.clock import utc_now
from bot.store.question_log import Store
from bot.store.records import QuestionRecord

pytestmark = pytest.mark.slow  # fault matrix on the store


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "policybot.db"


# --- a record the database refuses (issue 11, point 3) --------------------------------------


@pytest.mark.parametrize("bad_update_id", ["not-a-number", 2**63], ids=["text", "2**63"])
def test_a_record_the_database_refuses_is_dropped_alone_and_every_other_is_written(
    db_path: Path, caplog: pytest.LogCaptureFixture, bad_update_id: object
) -> None:
    store = Store(db_path, busy_timeout=0.05, max_backoff=0.1).open()
    try:
        before = log(store, "六零行动是什么")
        store.claim_update(bad_update_id)  # type: ignore[arg-type]
        record = QuestionRecord.of(
            reply("孩子两岁有托育服务吗"),
            normalize=content,
            channel="telegram",
            chat_kind="private",
            seconds=0.01,
        )
        asked = store.log_question(
            record,
            user_id=USER,
            update_id=bad_update_id,  # type: ignore[arg-type]
        )
        after = [log(store, f"之后的问题{n}") for n in range(5)]
        store.log_vote(question_id=after[0], user_id=USER, entry_id=None, vote="up")
        assert store.flush(timeout=5), "the writer is stuck on the refused record"
        assert not store.failing
        later = log(store, "再问一次")  # and it goes on writing
        assert store.flush(timeout=5)
    finally:
        store.close()
    questions = {row["id"] for row in rows(db_path, "questions")}
    assert questions == {before, asked, *after, later}
    assert len(rows(db_path, "votes")) == 1
    assert rows(db_path, "updates") == []  # the two claims of the bad update id
    refused = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(refused) == 2 and all(r.levelno == logging.ERROR for r in refused)
    assert all("not-a-number" not in r.getMessage() for r in caplog.records)  # no values


# --- a database failing for long (issue 11, point 2) ----------------------------------------


def test_records_held_while_the_database_fails_are_bounded(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Beyond MAX_HELD records in memory, new ones are dropped, counted and logged."""
    monkeypatch.setattr("bot.store.writer.MAX_HELD", 100, raising=False)
    Store(db_path).open().close()
    store = Store(db_path, busy_timeout=0.05, max_backoff=0.1)
    store._connect = _read_only(db_path)  # type: ignore[method-assign]
    store.open()
    try:
        ids = [log(store, f"只读时的问题{n}") for n in range(250)]
        assert store.pending == 100
        del store._connect  # writable again
        assert store.flush(timeout=5)
    finally:
        store.close()
    assert {row["id"] for row in rows(db_path, "questions")} == set(ids[:100])
    dropped = [r for r in caplog.records if "dropped" in r.getMessage()]
    assert dropped and all(r.levelno == logging.ERROR for r in dropped)
    assert store.dropped == 150


# --- shutdown with the production defaults (issue 11, point 5) -----------------------------


def test_shutdown_with_the_production_defaults_counts_what_it_could_not_write(
    db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """2 s busy timeout, 5 s backoff, close() within 10 s: the loss is counted and logged."""
    Store(db_path).open().close()
    store = Store(db_path).open()  # as open_store makes it: the production defaults
    blocker = sqlite3.connect(db_path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        for n in range(3):
            log(store, f"关机前的问题{n}")
        store.close()  # post_shutdown's call
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    lost = [r for r in caplog.records if "unwritten" in r.getMessage()]
    assert len(lost) == 1 and lost[0].levelno == logging.ERROR, caplog.text
    assert "3 record(s) unwritten" in lost[0].getMessage()


# --- a clock that jumps forward at a restart (issue 11, point 7) ---------------------------


def _clock_jumps(monkeypatch: pytest.MonkeyPatch, days: float) -> None:
    later = utc_now() + timedelta(days=days)
    monkeypatch.setattr("bot.store.clock.utc_now", lambda: later)


def test_a_clock_jumping_forward_at_restart_does_not_make_a_handled_update_new(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store(db_path) as before:
        assert before.claim_update(41).new
        asked = log(before, "六零行动是什么")
        assert before.flush()
    _clock_jumps(monkeypatch, days=3)  # Telegram redelivers update 41 minutes later
    with Store(db_path) as after:
        claim = after.claim_update(41)
        assert not claim.new  # handled before the restart: not answered again
        assert after.claim_update(42).new
        assert after.flush()
    assert {row["update_id"] for row in rows(db_path, "updates")} == {41, 42}  # kept on disk
    assert asked in {row["id"] for row in rows(db_path, "questions")}


def test_a_clock_jumping_forward_at_restart_does_not_make_retention_blank_new_questions(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store(db_path) as before:
        for n in range(3):
            log(before, f"今天的问题{n}")
        assert before.flush()
    _clock_jumps(monkeypatch, days=400)
    with Store(db_path, retention_days=30) as after:  # retention runs at open
        log(after, "跳钟之后的问题")
        assert after.flush()
    texts = sorted(row["text"] for row in rows(db_path, "questions"))
    assert texts == ["今天的问题0", "今天的问题1", "今天的问题2", "跳钟之后的问题"]
