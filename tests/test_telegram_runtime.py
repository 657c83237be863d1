"""Start-up, webhook mode, shutdown, and keeping the token out of logs and messages."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from fake_bot_api import TEST_TOKEN, FakeBotApi, FakeStore, running, webhook_body

from bot.config import EXIT_CONFIG, EXIT_UNAVAILABLE, Settings, mask_token
from bot.engine.messages import SORRY
from bot.telegram.application import COMMANDS, build_application, run_bot, webhook_options

pytestmark = pytest.mark.slow  # the bot's run loop and subprocesses

ROOT = Path(__file__).resolve().parents[1]
SECRET = "s3cret_Token-1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_commands_are_published_at_start(tg_bot, fake_api):
    call = await fake_api.wait_for("setMyCommands")
    assert [c["command"] for c in call.params["commands"]] == [c.command for c in COMMANDS]


async def test_a_refused_set_my_commands_is_logged_and_the_bot_still_works(
    tg_settings, tg_engine, caplog
):
    with FakeBotApi(refuse_commands=True) as api:
        settings = replace(tg_settings, base_url=api.base_url)
        async with running(build_application(settings, tg_engine, FakeStore())):
            mark = api.mark()
            api.message("孩子两岁有托育服务吗")
            reply = await api.wait_for("sendMessage", after=mark)
            assert "来源" in reply.text
        assert api.requests("setMyCommands")
    assert any(
        r.levelno == logging.WARNING and "setMyCommands was refused" in r.getMessage()
        for r in caplog.records
    )


async def test_webhook_mode_answers_with_the_secret_and_refuses_without(
    tg_settings, tg_engine, fake_api, tg_store
):
    port = free_port()
    settings = replace(
        tg_settings,
        webhook_url="https://bot.example.test/tg-hook",
        webhook_secret=SECRET,
        port=port,
    )
    application = build_application(settings, tg_engine, tg_store)
    await application.initialize()
    await application.post_init(application)
    await application.updater.start_webhook(**webhook_options(settings))
    await application.start()
    try:
        registered = await fake_api.wait_for("setWebhook")
        assert registered.params["url"] == "https://bot.example.test/tg-hook"
        assert registered.params["secret_token"] == SECRET
        assert set(registered.params["allowed_updates"]) >= {"message", "callback_query"}

        url = f"http://127.0.0.1:{port}/tg-hook"
        headers = {"Content-Type": "application/json"}
        async with httpx.AsyncClient() as client:
            missing = await client.post(url, content=webhook_body(1, "谢谢"), headers=headers)
            wrong = await client.post(
                url,
                content=webhook_body(2, "谢谢"),
                headers={**headers, "X-Telegram-Bot-Api-Secret-Token": "guess"},
            )
            right = await client.post(
                url,
                content=webhook_body(3, "孩子两岁有托育服务吗"),
                headers={**headers, "X-Telegram-Bot-Api-Secret-Token": SECRET},
            )
        assert (missing.status_code, wrong.status_code, right.status_code) == (403, 403, 200)
        reply = await fake_api.wait_for("sendMessage")
        assert "来源" in reply.text
        assert len(fake_api.sent()) == 1  # the refused updates were never handled
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        await application.post_shutdown(application)
    assert tg_store.closed


async def test_no_log_line_contains_the_token(tg_settings, tg_engine, fake_api, caplog):
    names = ("", "telegram", "telegram.ext", "httpx", "httpcore", "bot", "apscheduler", "tornado")
    for name in names:
        caplog.set_level(logging.DEBUG, logger=name)
    store = FakeStore()
    application = build_application(tg_settings, tg_engine, store)
    async with running(application):
        mark = fake_api.mark()
        fake_api.message("孩子两岁有托育服务吗")
        reply = await fake_api.wait_for("sendMessage", after=mark)
        fake_api.tap(reply.data_for("👍"), fake_api.bot_message(reply))
        await fake_api.wait_for("answerCallbackQuery", after=mark)
        fake_api.inline("六零")
        await fake_api.wait_for("answerInlineQuery", after=mark)
        application.bot_data.engine = None  # every handler now fails
        fake_api.message("谢谢")
        await fake_api.wait_for("sendMessage", lambda c: c.text == SORRY, after=mark)
    # The test only means something if the libraries did log at DEBUG.
    assert any(r.name.startswith("telegram") and r.levelno == logging.DEBUG for r in caplog.records)
    assert any("error while handling" in r.getMessage() for r in caplog.records)
    leaks = [r for r in caplog.records if TEST_TOKEN in r.getMessage()]
    assert not leaks, leaks[0].getMessage()
    assert TEST_TOKEN not in caplog.text  # formatted lines, tracebacks included


def _one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    return lines[0]


def test_a_rejected_token_gives_one_masked_line_and_exit_1(tmp_path):
    with FakeBotApi(reject_token=True) as api:
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TEST_TOKEN,
            "TELEGRAM_BASE_URL": api.base_url,
            "POLICYBOT_DB": str(tmp_path / "policybot.db"),
            "POLICYBOT_ROOT": str(ROOT),
            "POLICYBOT_WEBHOOK_URL": "",
        }
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli.main", "run"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert api.rejected, "the bot never asked the Bot API"
    assert done.returncode == EXIT_CONFIG  # a service manager should not retry this
    line = _one_line(done.stderr)
    assert mask_token(TEST_TOKEN) in line and "rejected" in line
    assert TEST_TOKEN not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


def test_webhook_mode_without_a_secret_refuses_to_start(
    tg_settings, tg_engine, fake_api, capsys, tg_restore_logging
):
    settings = replace(tg_settings, webhook_url="https://bot.example.test/hook")
    assert run_bot(settings, tg_engine, FakeStore()) == EXIT_CONFIG
    assert "POLICYBOT_WEBHOOK_SECRET" in _one_line(capsys.readouterr().err)
    assert fake_api.requests() == []  # refused before contacting anything

    bad = replace(settings, webhook_secret="has spaces and ünïcode")
    assert run_bot(bad, tg_engine, FakeStore()) == EXIT_CONFIG
    assert "POLICYBOT_WEBHOOK_SECRET" in _one_line(capsys.readouterr().err)


def test_a_missing_token_is_one_line(tg_engine, capsys, tg_restore_logging):
    assert run_bot(Settings(token=None), tg_engine) == EXIT_CONFIG
    assert "TELEGRAM_BOT_TOKEN" in _one_line(capsys.readouterr().err)


def test_an_unreachable_bot_api_is_one_line_and_worth_a_retry(
    tg_settings, tg_engine, capsys, tg_restore_logging
):
    settings = replace(tg_settings, base_url=f"http://127.0.0.1:{free_port()}/bot")
    assert run_bot(settings, tg_engine, FakeStore()) == EXIT_UNAVAILABLE
    line = _one_line(capsys.readouterr().err)
    assert "cannot reach the Bot API" in line and TEST_TOKEN not in line


def _stop_after_one_answer(
    api: FakeBotApi, post_update: object, result: dict, finished: threading.Event
) -> threading.Thread:
    """A thread that sends one question, waits for the answer, then sends SIGTERM."""

    def run() -> None:
        try:
            if api.wait_for_sync("setMyCommands", timeout=20) is None:
                result["error"] = "the bot did not start"
                return
            post_update()  # type: ignore[operator]
            result["reply"] = api.wait_for_sync("sendMessage", timeout=10)
        finally:
            # Stop a bot that is still running (else the test would hang), but never
            # signal a process whose bot has already returned: nothing would catch it.
            if not finished.is_set():
                os.kill(os.getpid(), signal.SIGTERM)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("mode", ["polling", "webhook"])
def test_run_bot_serves_with_the_real_store_and_stops_cleanly_on_sigterm(
    tg_settings, tg_engine, fake_api, tg_restore_logging, mode
):
    """The whole run: check the token, open the SQLite store in post_init, answer,
    SIGTERM, close (flush) the store in post_shutdown, exit code 0."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals can only be handled in the main thread")
    settings = tg_settings
    if mode == "webhook":
        settings = replace(
            tg_settings,
            webhook_url="https://bot.example.test/hook",
            webhook_secret=SECRET,
            port=free_port(),
        )

        def post_update() -> None:
            message = {
                "message_id": 1,
                "date": 0,
                "chat": FakeBotApi.private(),
                "from": FakeBotApi.user(),
                "text": "孩子两岁有托育服务吗",
            }
            for _ in range(50):  # the webhook server may not listen quite yet
                try:
                    httpx.post(
                        f"http://127.0.0.1:{settings.port}/hook",
                        json={"update_id": 1, "message": message},
                        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                    ).raise_for_status()
                    return
                except httpx.TransportError:
                    threading.Event().wait(0.1)

    else:

        def post_update() -> None:
            fake_api.message("孩子两岁有托育服务吗")

    result: dict = {}
    finished = threading.Event()
    thread = _stop_after_one_answer(fake_api, post_update, result, finished)
    try:
        code = run_bot(settings, tg_engine)  # store=None: post_init opens the real one
    finally:
        finished.set()
    thread.join(5)
    assert code == 0
    assert "error" not in result
    assert result["reply"] is not None and "来源" in result["reply"].text
    if mode == "webhook":
        assert fake_api.webhook_url == "https://bot.example.test/hook"
    # post_shutdown closed the store, which wrote everything queued before returning.
    with sqlite3.connect(settings.db_path) as db:
        rows = db.execute("SELECT channel, chat_kind, outcome, entry_id FROM questions").fetchall()
    assert rows == [("telegram", "private", "answer", "ps-childcare-centre")]


def test_webhook_port_in_use_is_one_line(
    tg_settings, tg_engine, fake_api, capsys, tg_restore_logging
):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        settings = replace(
            tg_settings,
            webhook_url="https://bot.example.test/hook",
            webhook_secret=SECRET,
            port=taken.getsockname()[1],
        )
        store = FakeStore()
        assert run_bot(settings, tg_engine, store) == EXIT_UNAVAILABLE
    line = _one_line(capsys.readouterr().err)
    assert "cannot listen on 127.0.0.1" in line
    assert store.closed  # post_shutdown ran although the bot never started


async def test_repeating_jobs_run_on_the_job_queue(tg_settings, tg_engine, fake_api):
    runs: list[object] = []

    async def job(context) -> None:
        runs.append(context.bot_data.store)
        if len(runs) == 2:
            done.set()

    done = asyncio.Event()
    store = FakeStore()
    application = build_application(tg_settings, tg_engine, store, repeating_jobs=[(job, 0.05)])
    async with running(application):
        await asyncio.wait_for(done.wait(), 5)
    assert runs == [store, store]
