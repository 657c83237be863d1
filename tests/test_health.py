"""The container's health check against a real `policybot run` process: healthy while
updates get through, unhealthy once the bot is wedged (alive, but every update it takes
hangs), healthy again when it recovers.

The check run is the one deploy/Dockerfile's HEALTHCHECK names, with this interpreter.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fake_bot_api import FakeBotApi, bot_process_env

from bot.telegram.health import INTERVAL_ENV, check
from bot.telegram.limits import CONCURRENT_UPDATES

pytestmark = pytest.mark.slow  # a running bot and its heartbeat

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


class GatedApi(FakeBotApi):
    """The fake Bot API, whose sendMessage hangs while the gate is closed."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.gate.set()

    async def _answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        while method == "sendMessage" and not self.gate.is_set():
            await asyncio.sleep(0.05)
        return await super()._answer(method, params)


def healthcheck_command() -> list[str]:
    """The HEALTHCHECK's CMD in deploy/Dockerfile, run with this environment's Python."""
    text = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    found = re.search(r"^HEALTHCHECK\b.*?\bCMD\s+(\[.*\])\s*$", text, re.MULTILINE)
    assert found, "deploy/Dockerfile has no HEALTHCHECK in exec form"
    command = json.loads(found.group(1))
    if command[0] == "python":
        return [sys.executable, *command[1:]]
    return [str(BIN / command[0]), *command[1:]]


def wait_for_health(
    command: list[str], env: dict[str, str], healthy: bool, bot: subprocess.Popen[bytes]
) -> str:
    """Run the check until it says ``healthy`` (exit 0) or not; its last line."""
    deadline = time.monotonic() + 90
    while True:
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        if (done.returncode == 0) == healthy:
            return done.stdout.strip()
        assert bot.poll() is None, "the bot exited"
        if time.monotonic() > deadline:
            wanted = "healthy" if healthy else "unhealthy"
            raise AssertionError(f"never {wanted}: {done.returncode} {done.stdout}{done.stderr}")
        time.sleep(0.2)


def test_the_container_health_check_sees_a_wedged_bot(tmp_path: Path) -> None:
    db_path, log = tmp_path / "policybot.db", tmp_path / "bot.log"
    command = healthcheck_command()
    with GatedApi() as api:
        env = {**bot_process_env(api, db_path, "INFO"), INTERVAL_ENV: "0.5"}
        with log.open("ab") as stderr:
            bot = subprocess.Popen(
                [sys.executable, "-m", "bot.cli.main", "run"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        try:
            assert wait_for_health(command, env, True, bot).startswith("ok")

            api.gate.clear()  # from now on every reply hangs: all handling slots fill up
            with api.together():  # in one batch, or the first few could be taken alone
                for number in range(CONCURRENT_UPDATES + 2):
                    api.message("谢谢", user_id=50_000 + number)
            line = wait_for_health(command, env, False, bot)
            assert "stuck" in line, line

            api.gate.set()
            assert wait_for_health(command, env, True, bot).startswith("ok")
            done = subprocess.run(
                [str(BIN / "policybot"), "health"], cwd=ROOT, env=env, capture_output=True
            )
            assert done.returncode == 0, done.stdout

            bot.send_signal(signal.SIGTERM)
            assert bot.wait(60) == 0, log.read_text(errors="replace")
        finally:
            if bot.poll() is None:
                bot.kill()
    # Once the bot has stopped, the heartbeat ages: the check fails without it running.
    assert not check(db_path.with_suffix(".heartbeat"), max_age=1.0, now=time.time() + 2)[0]


def test_a_missing_or_stale_heartbeat_is_unhealthy(tmp_path: Path) -> None:
    path = tmp_path / "policybot.heartbeat"
    assert check(path, 90)[0] is False
    path.write_text(json.dumps({"time": 1000.0, "polled_seconds_ago": None}))
    assert check(path, 90, now=1080.0) == (True, "ok: an update got through 80 s ago")
    healthy, line = check(path, 90, now=1100.0)
    assert not healthy and "100 s" in line
    path.write_text(json.dumps({"time": 1000.0, "polled_seconds_ago": 55.0}))
    healthy, line = check(path, 30, now=1010.0)  # polling: last asked 65 s ago
    assert not healthy and "getUpdates" in line
    assert check(path, 90, now=1010.0)[0]  # within a max age longer than a poll's wait
    path.write_text("{half a rec")
    assert check(path, 90, now=1000.0)[0] is False
