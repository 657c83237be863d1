"""The bot process killed (SIGKILL) in the middle of a load, then started again.

The bot runs as a real `policybot run` process against the fake Bot API on loopback,
with its real SQLite file and Telegram's own rate limiter. After the kill and after the
restart: the database passes its integrity check, every update whose offset the bot
confirmed to getUpdates has its question in the log, each question is logged once, no
update is answered twice, and at most the updates in flight at the kill (up to
bot.delivery.CONCURRENT_UPDATES, handled side by side) go unanswered (they were claimed
and written, so the restarted bot cannot know whether their replies went out: it errs on
the side of not answering twice).
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fake_bot_api import MIXED_QUESTIONS, TEST_TOKEN, FakeBotApi, bot_process_env

from bot.delivery import CONCURRENT_UPDATES

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = MIXED_QUESTIONS[:8]
USERS = 160  # two getUpdates batches (PTB fetches up to 100 at a time)
KILL_AFTER = 120  # replies: inside the second batch, once the first one is confirmed


class RecordingApi(FakeBotApi):
    """The fake Bot API, also noting the offset each getUpdates confirmed and what it
    delivered to which bot process."""

    def __init__(self) -> None:
        super().__init__()
        self.process = 1
        self.confirmed = 0  # every update id below this was confirmed
        self.delivered: dict[int, set[int]] = {}
        self._offsets = threading.Lock()

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        with self._offsets:
            self.confirmed = max(self.confirmed, int(params.get("offset") or 0))
        updates = await super()._get_updates(params)
        with self._offsets:
            process = self.delivered.setdefault(self.process, set())
            process.update(u["update_id"] for u in updates)
        return updates


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def start_bot(api: FakeBotApi, db_path: Path, log: Path) -> subprocess.Popen[bytes]:
    env = bot_process_env(api, db_path, "INFO")
    with log.open("ab") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )


def check_database(db_path: Path) -> tuple[set[int], int]:
    """(update ids with a logged question, number of questions); asserts integrity."""
    with sqlite3.connect(db_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        logged = {
            row[0]
            for row in db.execute(
                "SELECT u.update_id FROM updates u JOIN questions q ON q.id = u.question_id"
            )
        }
        (questions,) = db.execute("SELECT COUNT(*) FROM questions").fetchone()
    return logged, questions


def replies_by_chat(api: FakeBotApi) -> Counter[int]:
    return Counter(call.params["chat_id"] for call in api.sent())


def test_a_bot_killed_mid_load_loses_nothing_confirmed_and_answers_nothing_twice(tmp_path):
    db_path, log = tmp_path / "policybot.db", tmp_path / "bot.log"
    with RecordingApi() as api:
        # One message per user, so that a chat's replies count its update's replies.
        chats = {}
        for number in range(USERS):
            message = api.message(QUESTIONS[number % len(QUESTIONS)], user_id=30_000 + number)
            chats[message["chat"]["id"]] = number + 1  # update ids count from 1
        bot = start_bot(api, db_path, log)
        try:
            wait_until(
                lambda: len(api.sent()) >= KILL_AFTER or bot.poll() is not None,
                90,
                f"{KILL_AFTER} replies",
            )
            assert bot.poll() is None, log.read_text(errors="replace")
            bot.send_signal(signal.SIGKILL)
            bot.wait(10)
        finally:
            if bot.poll() is None:
                bot.kill()
        answered_first = {chat for chat, count in replies_by_chat(api).items() if count}
        confirmed_at_kill = api.confirmed
        assert confirmed_at_kill > 1, "the first batch was never confirmed: kill came too soon"
        assert len(answered_first) < USERS, "everything was answered before the kill"

        logged, _ = check_database(db_path)
        lost = set(range(1, confirmed_at_kill)) - logged
        assert not lost, f"confirmed before the kill but not logged: {sorted(lost)}"

        api.process = 2
        bot = start_bot(api, db_path, log)
        try:
            wait_until(
                lambda: api.confirmed > USERS or bot.poll() is not None,
                90,
                "every update to be confirmed",
            )
            assert bot.poll() is None, log.read_text(errors="replace")
            bot.send_signal(signal.SIGTERM)
            assert bot.wait(30) == 0, log.read_text(errors="replace")
        finally:
            if bot.poll() is None:
                bot.kill()

        replies = replies_by_chat(api)
        redelivered = api.delivered.get(2, set())

    text = log.read_text(errors="replace")
    assert TEST_TOKEN not in text
    # The kill really left answered updates unconfirmed, which Telegram sent again.
    assert {chats[chat] for chat in answered_first} & redelivered
    twice = {chat: count for chat, count in replies.items() if count > 1}
    assert not twice, f"answered more than once: {twice}"
    logged, questions = check_database(db_path)
    assert logged == set(range(1, USERS + 1))  # every confirmed update: all of them now
    assert questions == USERS  # and each question once
    unanswered = {update for chat, update in chats.items() if not replies[chat]}
    # Only updates in flight at the kill (at most CONCURRENT_UPDATES) may go unanswered.
    assert len(unanswered) <= CONCURRENT_UPDATES, f"not answered: {sorted(unanswered)}"
