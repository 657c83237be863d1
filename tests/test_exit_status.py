"""Configuration errors exit 2 from every command, so that a service manager does not
restart what only a changed configuration can fix (deploy/README.md)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # starts the bot in subprocesses

ROOT = Path(__file__).resolve().parents[1]
EXIT_CONFIG = 2


def policybot(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "POLICYBOT_ROOT": str(ROOT),
        "POLICYBOT_DB": str(tmp_path / "policybot.db"),
        "TELEGRAM_BOT_TOKEN": "",
        "POLICYBOT_WEBHOOK_URL": "",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "bot.cli.main", *args],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("args", "env", "named"),
    [
        (("run",), {}, "TELEGRAM_BOT_TOKEN"),
        (("run",), {"TELEGRAM_BOT_TOKEN": "1:x", "POLICYBOT_PORT": "https"}, "POLICYBOT_PORT"),
        (("run",), {"TELEGRAM_BOT_TOKEN": "1:x", "POLICYBOT_PORT": "70000"}, "POLICYBOT_PORT"),
        (("run",), {"TELEGRAM_BOT_TOKEN": "1:x", "POLICYBOT_CURATORS": "bob"}, "CURATORS"),
        (("check",), {"POLICYBOT_RETENTION_DAYS": "forever"}, "RETENTION"),
        (("missed", "list"), {"POLICYBOT_PORT": "-1"}, "POLICYBOT_PORT"),
        (("stats",), {"POLICYBOT_CURATORS": "x"}, "CURATORS"),
        (("run",), {"TELEGRAM_BOT_TOKEN": "1:x", "POLICYBOT_STAFF_CHAT": "@staff"}, "STAFF_CHAT"),
    ],
)
def test_a_configuration_error_exits_2_with_one_line_naming_the_setting(tmp_path, args, env, named):
    done = policybot(tmp_path, *args, **env)
    assert done.returncode == EXIT_CONFIG, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and named in lines[0], lines
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "policybot.db").exists()  # refused before touching anything
