"""Hostile input through the terminal: `policybot ask`, `ask --json -` and `chat`.

The commands run in-process through click's CliRunner with the session's engine (loading
it takes a second, a hundred times over would be slow), and write to a real SQLite file.
A few cases run as real processes, to feed stdin bytes that are not UTF-8 under a strict
decoder, and argv bytes (which Python turns into surrogateescape code points).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hostile_cases import (
    CHILDCARE,
    EMPTY_MARK,
    TEXT_CASES,
    assert_clear_chinese,
    assert_db_intact,
    case_ids,
    check_record,
    check_text_reply,
    db_rows,
)

from bot.cli import main as cli
from bot.engine import messages

pytestmark = pytest.mark.slow  # hostile-input matrix through the CLI

ROOT = Path(__file__).resolve().parents[1]
PROMPT = "问> "


@pytest.fixture
def terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tg_engine: Any) -> Iterator[Path]:
    """The CLI on a fresh database holding one earlier question; the database's path."""
    db_path = tmp_path / "policybot.db"
    monkeypatch.setenv("POLICYBOT_DB", str(db_path))
    monkeypatch.setenv("POLICYBOT_ROOT", str(ROOT))
    monkeypatch.setattr(cli, "load_engine", lambda root, *options, **named: tg_engine)
    earlier = run(["ask", CHILDCARE])
    assert "来源" in earlier.output
    yield db_path


def run(args: list[str], stdin: str | bytes | None = None) -> Result:
    result = CliRunner().invoke(cli.main, args, input=stdin, catch_exceptions=True)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code == 0, result.output
    return result


def chat_replies(output: str) -> list[str]:
    """The replies of a chat session, one per line typed (the last prompt met /quit)."""
    return [part.strip() for part in output.split(PROMPT)[1:-1]]


@pytest.mark.parametrize(("case", "text", "expect"), TEXT_CASES, ids=case_ids(TEXT_CASES))
def test_ask_with_a_hostile_argument(terminal: Path, tg_engine: Any, case, text, expect) -> None:
    """`policybot ask TEXT` replies clearly, logs it once and leaves the database valid."""
    before = db_rows(terminal)
    result = run(["ask", text])
    check_text_reply(tg_engine, expect, result.output.strip(), text)
    assert_db_intact(terminal, before)
    assert len(db_rows(terminal)["questions"]) == len(before["questions"]) + 1


def typed(text: str) -> bytes:
    """The bytes a terminal would send for ``text``: a lone surrogate cannot be typed,
    its CESU-8 bytes (not valid UTF-8) are what arrives instead."""
    return text.encode("utf-8", "surrogatepass")


@pytest.mark.parametrize(("case", "text", "expect"), TEXT_CASES, ids=case_ids(TEXT_CASES))
def test_ask_json_stdin_with_a_hostile_line(
    terminal: Path, tg_engine: Any, case, text, expect
) -> None:
    """`policybot ask --json -`: one valid JSON reply per line read, each one logged."""
    before = db_rows(terminal)
    result = run(["ask", "--json", "-"], stdin=typed(text) + b"\n")
    records = [json.loads(line) for line in result.output.splitlines()]
    assert records
    for record in records:  # several only for the cases made of line breaks
        check_record(tg_engine, expect, record)
    assert_db_intact(terminal, before)
    assert len(db_rows(terminal)["questions"]) == len(before["questions"]) + len(records)


@pytest.mark.parametrize(("case", "text", "expect"), TEXT_CASES, ids=case_ids(TEXT_CASES))
def test_chat_with_a_hostile_line(terminal: Path, tg_engine: Any, case, text, expect) -> None:
    """`policybot chat` answers every line typed, then still answers a real question."""
    result = run(["chat"], stdin=typed(f"{text}\n{CHILDCARE}\n/quit\n"))
    replies = chat_replies(result.output)
    *hostile, last = replies
    assert hostile, result.output[-300:]
    for reply in hostile:
        if expect == "empty" and EMPTY_MARK not in reply:
            # A blank line gets the terminal's own prompt to type a question.
            assert reply == messages.CHAT_EMPTY
        else:
            # One question per line typed: a text of several lines is read line by line.
            check_text_reply(tg_engine, expect, reply, None if "\n" in text else text)
    check_text_reply(tg_engine, "answer:ps-childcare-centre", last)


CHAT_COMMANDS = [
    "/help",
    "/term 六零",
    "/term " + "x" * 5_000,
    "/nonsense",
    "/" + "a" * 5_000,
    "/\ud800",
]


@pytest.mark.parametrize("line", CHAT_COMMANDS, ids=lambda line: repr(line[:12]))
def test_chat_commands_other_than_quit_are_explained(terminal: Path, line: str) -> None:
    """Telegram commands typed in the terminal get a pointer to how it works there."""
    result = run(["chat"], stdin=typed(f"{line}\n/quit\n"))
    (reply,) = chat_replies(result.output)
    assert reply == messages.CHAT_UNKNOWN_COMMAND
    assert_clear_chinese(reply)


@pytest.mark.parametrize("line", ["/start", "/new"])
def test_start_and_new_start_a_new_conversation_in_the_chat(terminal: Path, line: str) -> None:
    result = run(["chat"], stdin=typed(f"{line}\n/quit\n"))
    (reply,) = chat_replies(result.output)
    assert reply == messages.CHAT_NEW


# Bytes that are not UTF-8: a lone continuation byte, a truncated sequence, an overlong
# NUL, an encoded surrogate (CESU-8), 0xFF, and NUL itself.
BAD_BYTES = [b"\x80", b"\xc3", b"\xc0\x80", b"\xed\xa0\x80", b"\xff\xfe", b"\x00"]


@pytest.mark.parametrize("raw", BAD_BYTES, ids=repr)
def test_stdin_bytes_that_are_not_utf8_in_process(terminal: Path, tg_engine: Any, raw) -> None:
    """CliRunner decodes stdin strictly, like most locales: bad bytes must not crash."""
    result = run(["ask", "--json", "-"], stdin=raw + CHILDCARE.encode() + b"\n" + raw + b"\n")
    first, second = (json.loads(line) for line in result.output.splitlines())
    check_record(tg_engine, "answer:ps-childcare-centre", first)
    check_record(tg_engine, "empty", second)
    chat = run(["chat"], stdin=raw + b"\n/quit\n")
    (reply,) = chat_replies(chat.output)
    assert reply == messages.CHAT_EMPTY or EMPTY_MARK in reply


def _process(args: list[Any], stdin: bytes, db_path: Path, **env: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli.main", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        timeout=60,
        env={**os.environ, "POLICYBOT_DB": str(db_path), "POLICYBOT_ROOT": str(ROOT), **env},
    )
    assert b"Traceback" not in done.stderr, done.stderr.decode(errors="replace")
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout.decode()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8:surrogateescape"])
def test_real_process_reads_bad_stdin_bytes(terminal: Path, tg_engine: Any, encoding: str) -> None:
    """A real `ask --json -` and `chat`, under a strict and a surrogateescape stdin."""
    before = db_rows(terminal)
    stdin = b"".join(raw + CHILDCARE.encode() + b"\n" for raw in BAD_BYTES)
    output = _process(["ask", "--json", "-"], stdin, terminal, PYTHONIOENCODING=encoding)
    records = [json.loads(line) for line in output.splitlines()]
    assert len(records) == len(BAD_BYTES)
    for record in records:
        check_record(tg_engine, "answer:ps-childcare-centre", record)
    chat_input = b"\xff\xfe\n" + CHILDCARE.encode() + b"\n"  # then end of input
    chat = _process(["chat"], chat_input, terminal, PYTHONIOENCODING=encoding)
    empty, answer = chat_replies(chat)
    assert empty == messages.CHAT_EMPTY or EMPTY_MARK in empty
    check_text_reply(tg_engine, "answer:ps-childcare-centre", answer)
    assert_db_intact(terminal, before)


def test_real_process_with_undecodable_argv(terminal: Path, tg_engine: Any) -> None:
    """argv bytes that are not UTF-8 arrive as surrogateescape code points."""
    before = db_rows(terminal)
    answer = _process(["ask", b"\xff" + CHILDCARE.encode() + b"\xfe"], b"", terminal)
    check_text_reply(tg_engine, "answer:ps-childcare-centre", answer.strip())
    empty = _process(["ask", "--json", b"\xff\xfe\x80"], b"", terminal)
    check_record(tg_engine, "empty", json.loads(empty))
    assert_db_intact(terminal, before)
    assert len(db_rows(terminal)["questions"]) == len(before["questions"]) + 2
