"""Update claims in the store and the confirm-after-handling ledger (bot/telegram/delivery.py).

The whole story (a bot process killed mid-load) is tests/test_kill_restart.py; these
are its parts, each small enough to say which one broke.
"""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from fake_bot_api import running

from bot.engine.answering import Reply
from bot.engine.textnorm import content
from bot.store.claims import CLAIM_KEEP
from bot.store.clock import iso, utc_now
from bot.store.question_log import Store
from bot.store.records import QuestionRecord
from bot.telegram.application import build_application
from bot.telegram.delivery import Ledger


def reply(question: str) -> Reply:
    return Reply(question=question, outcome="miss", score=0.0, reason="low score")


def log(store: Store, question: str, update_id: int | None) -> str:
    record = QuestionRecord.of(
        reply(question), normalize=content, channel="telegram", chat_kind="private", seconds=0.001
    )
    return store.log_question(record, user_id=1, update_id=update_id)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "policybot.db"


def test_a_claim_is_new_in_its_own_process_and_known_to_the_next(db_path: Path) -> None:
    with Store(db_path) as first:
        claims = [first.claim_update(7), first.claim_update(8)]
        question_id = log(first, "六零行动是什么", update_id=7)
        assert all(claim.new for claim in claims)
        for claim in claims:
            claim.written.result(timeout=5)
    with Store(db_path) as second:
        answered, silent, unseen = (second.claim_update(u) for u in (7, 8, 9))
    assert (answered.new, answered.question_id) == (False, question_id)
    assert (silent.new, silent.question_id) == (False, None)  # claimed, logged nothing
    assert (unseen.new, unseen.question_id) == (True, None)


def test_durable_completes_once_what_was_queued_before_is_on_disk(db_path: Path) -> None:
    with Store(db_path) as store:
        question_id = log(store, "路长治", update_id=1)
        store.durable().result(timeout=5)
        # Read from another connection, as a restarted process would.
        with sqlite3.connect(db_path) as db:
            found = db.execute("SELECT id FROM questions WHERE id = ?", [question_id]).fetchall()
            claimed = db.execute("SELECT question_id FROM updates WHERE update_id = 1").fetchall()
    assert found == [(question_id,)]
    assert claimed == [(question_id,)]


def test_claims_older_than_telegram_can_redeliver_are_pruned_and_not_loaded(
    db_path: Path,
) -> None:
    """Older than CLAIM_KEEP before the newest claim on disk (not by the wall clock alone:
    see test_store_resilience.py for a clock that jumps)."""
    old = iso(utc_now() - CLAIM_KEEP - timedelta(hours=1))
    with Store(db_path) as store:
        store.claim_update(1).written.result(timeout=5)
        store.claim_update(2).written.result(timeout=5)
    with sqlite3.connect(db_path) as db:
        db.execute("UPDATE updates SET time = ? WHERE update_id = 1", [old])
    with Store(db_path) as store:
        # Update ids start again at random after a quiet week: an old id is a new update.
        assert store.claim_update(1).new
        assert not store.claim_update(2).new
        store.claim_update(3).written.result(timeout=5)
    with sqlite3.connect(db_path) as db:
        times = dict(db.execute("SELECT update_id, time FROM updates").fetchall())
    assert set(times) == {1, 2, 3} and times[1] > old  # the stale row was pruned, then claimed


def test_a_question_without_an_update_is_logged_as_before(db_path: Path) -> None:
    with Store(db_path) as store:
        log(store, "终端里的问题", update_id=None)
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT COUNT(*) FROM questions").fetchone() == (1,)
        assert db.execute("SELECT COUNT(*) FROM updates").fetchone() == (0,)


async def test_the_ledger_confirms_only_handled_updates_then_flushes() -> None:
    flushed: list[float] = []

    async def flush(timeout: float) -> bool:
        flushed.append(timeout)
        return True

    ledger = Ledger(flush)
    ledger.received([5, 6, 7])
    settling = asyncio.create_task(ledger.settle(7))  # confirms 5 and 6, not 7
    ledger.handled(5)
    await asyncio.sleep(0.05)
    assert not settling.done() and not flushed  # 6 is still being handled
    ledger.handled(6)
    await asyncio.wait_for(settling, 5)
    assert len(flushed) == 1
    assert ledger.unhandled_below(100) == [7]


async def test_the_ledger_gives_up_on_a_handler_that_hangs(caplog) -> None:
    ledger = Ledger()
    ledger.received([1])
    await asyncio.wait_for(ledger.settle(2, timeout=0.1), 5)
    assert "confirming them anyway" in caplog.text


# --- the bot's side: which redelivered updates it answers -----------------------------


@pytest.mark.slow
async def test_after_a_restart_only_the_update_cut_short_is_answered(
    tg_settings, tg_engine, fake_api
):
    # What a killed process left: update 1 answered (its question logged), update 2
    # claimed but cut short before its question was written, update 3 (/start) handled.
    with Store(tg_settings.db_path) as before:
        for update_id in (1, 2, 3):
            before.claim_update(update_id)
        log(before, "孩子两岁有托育服务吗", update_id=1)
    store = Store(tg_settings.db_path).open()
    async with running(build_application(tg_settings, tg_engine, store)):
        mark = fake_api.mark()
        fake_api.message("孩子两岁有托育服务吗", user_id=1)  # Telegram sends all three again
        fake_api.message("六零行动是什么", user_id=2)
        fake_api.message("/start", user_id=3)
        fake_api.message("路长治", user_id=4)  # and a new one
        await fake_api.wait_for("sendMessage", lambda c: c.params["chat_id"] == 4, after=mark)
    assert sorted(call.params["chat_id"] for call in fake_api.sent()) == [2, 4]
    with sqlite3.connect(tg_settings.db_path) as db:
        logged = dict(db.execute("SELECT update_id, question_id IS NOT NULL FROM updates"))
    assert logged == {1: 1, 2: 1, 3: 0, 4: 1}


def _read_only(path: Path):
    return lambda: sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.05)


async def test_a_store_that_cannot_write_still_lets_every_message_be_answered(
    tg_settings, tg_engine, fake_api
):
    Store(tg_settings.db_path).open().close()  # the schema exists; now it cannot be written
    store = Store(tg_settings.db_path, busy_timeout=0.05, max_backoff=0.1)
    store._connect = _read_only(tg_settings.db_path)  # type: ignore[method-assign]
    store.open()
    async with running(build_application(tg_settings, tg_engine, store)):
        for text in ("/start", "孩子两岁有托育服务吗", "路长治"):
            fake_api.message(text)
        for _ in range(500):  # every message answered while every write fails
            if len(fake_api.sent()) >= 3:
                break
            await asyncio.sleep(0.02)
        assert len(fake_api.sent()) == 3
        assert store.failing and store.pending > 0  # held in memory, not written
        del store._connect  # writable again: shutdown writes what was held
    with sqlite3.connect(tg_settings.db_path) as db:
        assert db.execute("SELECT COUNT(*) FROM questions").fetchone() == (2,)
        assert db.execute("SELECT COUNT(*) FROM updates").fetchone() == (3,)


async def test_updates_confirmed_after_the_timeout_are_not_waited_for_again() -> None:
    """A handler stuck past SETTLE_TIMEOUT delays one getUpdates, not every later one."""
    ledger = Ledger()
    ledger.received([1, 2])
    ledger.handled(1)
    await ledger.settle(3, timeout=0.05)  # update 2 is stuck: confirmed anyway
    ledger.received([3])
    ledger.handled(3)
    assert ledger.unhandled_below(4) == []
