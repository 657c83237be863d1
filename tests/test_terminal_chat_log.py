"""`policybot chat` records its questions like `ask` does, and says so only when it does.

Real processes on a scratch database: the chat reads its lines from stdin, then
`policybot missed list --json` is what a curator would run next.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
from hostile_cases import CHILDCARE

pytestmark = pytest.mark.slow  # terminal chat in a subprocess

ROOT = Path(__file__).resolve().parents[1]
MISSED = "谁帮我白天照看小娃娃"  # no entry answers it (see test_curation_telegram)
RECORDED = "问题已记下"


def policybot(db_path: Path, *args: str, stdin: str = "") -> str:
    """Run `policybot ARGS` on ``db_path``; its standard output."""
    env = {**os.environ, "POLICYBOT_DB": str(db_path), "POLICYBOT_ROOT": str(ROOT)}
    for name in ("POLICYBOT_RETENTION_DAYS", "POLICYBOT_USER_KEY_SECRET", "TELEGRAM_BOT_TOKEN"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli.main", *args],
        cwd=ROOT,
        input=stdin.encode(),
        capture_output=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout.decode()


def logged(db_path: Path) -> list[tuple[str, str, str]]:
    if not db_path.exists():
        return []
    with closing(sqlite3.connect(db_path)) as db:
        return db.execute("SELECT channel, outcome, text FROM questions ORDER BY rowid").fetchall()


def test_chat_questions_are_logged_and_missed_ones_reach_the_curators(tmp_path: Path) -> None:
    db_path = tmp_path / "policybot.db"
    output = policybot(db_path, "chat", stdin=f"{CHILDCARE}\n{MISSED}\n/quit\n")
    assert RECORDED in output  # the chat told the resident the question was recorded…
    assert [(channel, text) for channel, _, text in logged(db_path)] == [
        ("terminal", CHILDCARE),
        ("terminal", MISSED),
    ]  # …and it was
    groups = json.loads(policybot(db_path, "missed", "list", "--json"))
    assert [MISSED] in [group["examples"] for group in groups]


def test_chat_no_log_records_nothing_and_does_not_claim_to(tmp_path: Path) -> None:
    db_path = tmp_path / "policybot.db"
    output = policybot(db_path, "chat", "--no-log", stdin=f"{MISSED}\n/quit\n")
    assert "报告里没有找到" in output or "无法回答" in output  # the miss itself is still said
    assert RECORDED not in output
    assert logged(db_path) == []
    ask = policybot(db_path, "ask", "--no-log", MISSED)
    assert RECORDED not in ask and logged(db_path) == []


def test_an_english_miss_with_no_log_does_not_claim_a_record(tmp_path: Path) -> None:
    db_path = tmp_path / "policybot.db"
    question = "what is the phone number of the childcare centre"
    ask = policybot(db_path, "ask", "--no-log", question)
    assert "phone numbers" in ask and "recorded" not in ask
    assert logged(db_path) == []
    logged_ask = policybot(db_path, "ask", question)
    assert "recorded" in logged_ask  # with the log on, the claim is true and stays
