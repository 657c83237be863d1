"""The bot process killed (SIGKILL) in the middle of a load, then started again.

The bot runs as a real `policybot run` process against the fake Bot API on loopback,
with its real SQLite file and Telegram's own rate limiter. After the kill and after the
restart: the database passes its integrity check, every update whose offset the bot
confirmed to getUpdates has its question in the log, each question is logged once, no
update is answered twice, and at most the updates in flight at the kill (up to
bot.telegram.delivery.CONCURRENT_UPDATES, handled side by side) go unanswered (they were claimed
and written, so the restarted bot cannot know whether their replies went out: it errs on
the side of not answering twice).

Its webhook twin kills the bot after it has answered 200 to every update Telegram
posted, while most are still waiting to be handled: Telegram never posts an update again
once it got a 200, so the restarted bot must find them itself.
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fake_bot_api import MIXED_QUESTIONS, TEST_TOKEN, FakeBotApi, bot_process_env

from bot.telegram.limits import CONCURRENT_UPDATES

pytestmark = pytest.mark.slow  # kills and restarts the bot

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


def start_bot(
    api: FakeBotApi, db_path: Path, log: Path, extra_env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    env = {**bot_process_env(api, db_path, "INFO"), **(extra_env or {})}
    with log.open("ab") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli.main", "run"],
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


# --- the webhook twin ------------------------------------------------------------------

WEBHOOK_USERS = 40
ANSWERED_BEFORE_KILL = 10  # replies the fake Bot API lets out before it stops answering
SECRET = "kill_Restart-secret-1"


class HoldingApi(FakeBotApi):
    """The fake Bot API, which stops answering sendMessage after ``answer`` messages
    until released: the bot is killed with accepted updates in hand and in flight."""

    def __init__(self, answer: int) -> None:
        super().__init__()
        self.answer = answer
        self.released = threading.Event()

    async def _answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        holding = not self.released.is_set() and len(self.sent()) >= self.answer
        if method == "sendMessage" and holding:
            while not self.released.is_set():
                await asyncio.sleep(0.05)
            # Released once the bot that sent it is dead: nothing was delivered.
            return 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}
        return await super()._answer(method, params)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def webhook_env(port: int) -> dict[str, str]:
    return {
        "POLICYBOT_WEBHOOK_URL": "https://bot.example.test/hook",
        "POLICYBOT_WEBHOOK_SECRET": SECRET,
        "POLICYBOT_LISTEN": "127.0.0.1",
        "POLICYBOT_PORT": str(port),
    }


def post_update(port: int, update_id: int, text: str, user_id: int, bot: Any) -> None:
    """POST one private message as Telegram does; asserts the bot answered 200. Waits
    for the bot's listener to come up (the process loads the engine first)."""
    user = FakeBotApi.user(user_id)
    message = {"message_id": 1, "date": 0, "chat": FakeBotApi.private(user_id), "from": user}
    body = json.dumps({"update_id": update_id, "message": {**message, "text": text}})
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
    deadline = time.monotonic() + 90
    while True:
        try:
            answer = httpx.post(f"http://127.0.0.1:{port}/hook", content=body, headers=headers)
            break
        except httpx.TransportError:
            if bot.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    assert answer.status_code == 200, answer.status_code


def test_a_webhook_bot_killed_after_its_200s_answers_every_accepted_update_once(tmp_path):
    db_path, log = tmp_path / "policybot.db", tmp_path / "bot.log"
    first_user = 40_000
    with HoldingApi(answer=ANSWERED_BEFORE_KILL) as api:
        port = free_port()
        bot = start_bot(api, db_path, log, webhook_env(port))
        try:
            for number in range(WEBHOOK_USERS):  # update ids 1…40, one chat each
                question = QUESTIONS[number % len(QUESTIONS)]
                post_update(port, number + 1, question, first_user + number, bot)
            wait_until(
                lambda: len(api.sent()) >= ANSWERED_BEFORE_KILL or bot.poll() is not None,
                90,
                f"{ANSWERED_BEFORE_KILL} replies",
            )
            assert bot.poll() is None, log.read_text(errors="replace")
            bot.send_signal(signal.SIGKILL)  # every update had its 200; most unanswered
            bot.wait(10)
        finally:
            if bot.poll() is None:
                bot.kill()
        answered_first = len(api.sent())
        api.released.set()

        port = free_port()
        bot = start_bot(api, db_path, log, webhook_env(port))
        try:
            # A new update, posted once the restarted bot listens, from a new chat.
            post_update(port, WEBHOOK_USERS + 1, "谢谢", first_user + WEBHOOK_USERS, bot)
            api.wait_for_sync(
                "sendMessage",
                lambda c: c.params["chat_id"] == first_user + WEBHOOK_USERS,
                timeout=90,
            )
            bot.send_signal(signal.SIGTERM)  # handles what is queued, then exits
            assert bot.wait(60) == 0, log.read_text(errors="replace")
        finally:
            if bot.poll() is None:
                bot.kill()
        replies = replies_by_chat(api)

    assert answered_first == ANSWERED_BEFORE_KILL
    text = log.read_text(errors="replace")
    assert TEST_TOKEN not in text and SECRET not in text
    twice = {chat: count for chat, count in replies.items() if count > 1}
    assert not twice, f"answered more than once: {twice}"
    chats = range(first_user, first_user + WEBHOOK_USERS)
    unanswered = [chat - first_user + 1 for chat in chats if not replies[chat]]
    # Only the updates in flight at the kill (their answers may have gone out) may be
    # left unanswered; every other update that got its 200 is answered after the restart.
    assert len(unanswered) <= CONCURRENT_UPDATES, f"accepted, never answered: {unanswered}"
    _, questions = check_database(db_path)
    assert questions == WEBHOOK_USERS + 1  # each question logged once
