"""`policybot run`, as its own process against the fake Bot API, and its database: a file
that cannot hold the question log is refused at start-up, and so is a second bot."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fake_bot_api import FakeBotApi, bot_process_env

from bot.config import EXIT_CONFIG, EXIT_UNAVAILABLE
from bot.engine.textnorm import content
from bot.store.question_log import Store
from bot.store.records import QuestionRecord

pytestmark = pytest.mark.slow  # starts the bot in subprocesses

ROOT = Path(__file__).resolve().parents[1]
START = 90.0  # seconds: loading the engine takes a few, more on a loaded machine


def start_bot(api: FakeBotApi, db_path: Path, mode: str = "polling") -> subprocess.Popen[str]:
    """`policybot run` on ``db_path``; in webhook mode on a free port of its own."""
    env = bot_process_env(api, db_path)
    if mode == "webhook":
        env.update(
            POLICYBOT_WEBHOOK_URL="https://bot.example.test/hook",
            POLICYBOT_WEBHOOK_SECRET="s3cret",
            POLICYBOT_LISTEN="127.0.0.1",
            POLICYBOT_PORT=str(free_port()),
        )
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli.main", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def started(api: FakeBotApi) -> bool:
    """Whether a bot got past post_init (it publishes its commands at the end of it)."""
    return bool(api.requests("setMyCommands"))


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def stop(bot: subprocess.Popen[str]) -> tuple[str, str]:
    """SIGTERM a bot that still runs; its output."""
    if bot.poll() is None:
        bot.send_signal(signal.SIGTERM)
    try:
        return bot.communicate(timeout=30)
    finally:
        if bot.poll() is None:
            bot.kill()


def garbage(path: Path) -> None:
    path.write_bytes(os.urandom(8192))


def truncated(path: Path) -> None:
    with Store(path) as store:
        for n in range(200):
            record = QuestionRecord.of(
                _reply(f"问题{n}" * 20),
                normalize=content,
                channel="terminal",
                chat_kind="terminal",
                seconds=0.0,
            )
            store.log_question(record, user_id=None)
    for side in ("-wal", "-shm"):
        Path(f"{path}{side}").unlink(missing_ok=True)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def directory(path: Path) -> None:
    path.mkdir()


def _reply(question: str):
    from test_storage import reply

    return reply(question)


@pytest.mark.parametrize(
    ("spoil", "mode"),
    [(garbage, "polling"), (truncated, "polling"), (directory, "polling"), (garbage, "webhook")],
    ids=["garbage", "truncated", "directory", "garbage-webhook"],
)
def test_an_unusable_database_is_refused_at_start_with_exit_2(
    tmp_path: Path, spoil: Callable[[Path], None], mode: str
) -> None:
    db_path = tmp_path / "policybot.db"
    spoil(db_path)
    with FakeBotApi() as api:
        api.message("孩子两岁有托育服务吗")
        bot = start_bot(api, db_path, mode)
        try:
            wait_until(
                lambda: bot.poll() is not None or started(api) or bool(api.sent()),
                START,
                "the bot",
            )
        finally:
            out, err = stop(bot)
        answered = api.sent()
        taken = api.requests("getUpdates") + api.requests("setWebhook")
    assert not answered, "it answered with a database that cannot hold the question"
    assert not taken  # so no update was confirmed to Telegram, nor a webhook registered
    assert bot.returncode == EXIT_CONFIG, err
    (line,) = [line for line in err.splitlines() if line.startswith("error: ")]
    assert str(db_path) in line and "POLICYBOT_DB" in line
    assert "Traceback" not in err + out


@pytest.mark.parametrize("command", [["missed", "list"], ["ask", "六零行动是什么"]])
def test_curator_and_terminal_commands_refuse_an_unusable_database_in_one_line(
    tmp_path: Path, command: list[str]
) -> None:
    db_path = tmp_path / "policybot.db"
    garbage(db_path)
    env = {**os.environ, "POLICYBOT_DB": str(db_path), "POLICYBOT_ROOT": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli.main", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == EXIT_CONFIG  # as `run`: only another file helps
    assert "Traceback" not in done.stderr
    (line,) = [line for line in done.stderr.splitlines() if line.startswith("Error: ")]
    assert "the database cannot be used" in line and str(db_path) in line


def test_a_second_bot_on_the_same_database_is_refused_and_each_message_answered_once(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "policybot.db"
    with FakeBotApi() as api:
        first = start_bot(api, db_path)
        second: subprocess.Popen[str] | None = None
        try:
            wait_until(lambda: started(api) or first.poll() is not None, START, "the first bot")
            assert first.poll() is None, stop(first)[1]
            second = start_bot(api, db_path)
            try:
                code = second.wait(START)
            except subprocess.TimeoutExpired:
                code = None
            assert code == EXIT_UNAVAILABLE, "a second bot runs on the same database"
            api.message("孩子两岁有托育服务吗")
            wait_until(lambda: bool(api.sent()) or first.poll() is not None, START, "an answer")
        finally:
            _, first_err = stop(first)
            _, second_err = stop(second) if second is not None else ("", "")
        answers = api.sent()
    assert first.returncode == 0, first_err
    assert len(answers) == 1  # and no other bot is left to answer it again
    (line,) = [line for line in second_err.splitlines() if line.startswith("error: ")]
    assert "already running" in line and str(db_path) in line
    assert "Traceback" not in second_err
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT COUNT(*) FROM questions").fetchone() == (1,)


def test_a_second_bot_in_webhook_mode_is_refused_before_it_registers_a_webhook(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "policybot.db"
    with FakeBotApi() as api:
        first = start_bot(api, db_path, "webhook")
        second: subprocess.Popen[str] | None = None
        code = None
        try:
            wait_until(
                lambda: bool(api.requests("setWebhook")) or first.poll() is not None,
                START,
                "the first bot",
            )
            assert first.poll() is None, stop(first)[1]
            second = start_bot(api, db_path, "webhook")
            try:
                code = second.wait(START)
            except subprocess.TimeoutExpired:
                code = None
        finally:
            _, first_err = stop(first)
            _, second_err = stop(second) if second is not None else ("", "")
        registered = api.requests("setWebhook")
    assert code == EXIT_UNAVAILABLE, second_err
    assert first.returncode == 0, first_err
    assert len(registered) == 1  # the first bot's; the second never took the webhook
    assert any("already running" in line for line in second_err.splitlines())
