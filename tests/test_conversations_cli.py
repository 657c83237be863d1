"""`policybot ask --json --conversation -` and `policybot eval --dialogs` go through the
same conversation (bot.engine.conversation.dialogue); the terminal chat keeps one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main as cli
from bot.engine.answering import Engine

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = Path(__file__).with_name("dialogs_sample.yaml")


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tg_engine: Engine) -> CliRunner:
    monkeypatch.setenv("POLICYBOT_ROOT", str(ROOT))
    monkeypatch.setenv("POLICYBOT_DB", str(tmp_path / "policybot.db"))
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.setattr(cli, "load_engine", lambda *args, **kwargs: tg_engine)
    return CliRunner()


def test_ask_conversation_reads_turns_and_blank_lines_start_afresh(runner: CliRunner) -> None:
    turns = "坪山街道整治了多少家散乱污企业\n那观湖呢\n\n那观湖呢\n"
    done = runner.invoke(cli.main, ["ask", "--json", "--no-log", "--conversation", "-"], turns)
    assert done.exit_code == 0, done.output
    records = [json.loads(line) for line in done.output.splitlines()]
    assert len(records) == 3
    assert all("understood" in r for r in records)
    assert records[0]["understood"] is None
    assert records[1]["understood"].startswith("观湖街道") and records[1]["outcome"] == "miss"
    assert records[2]["understood"] is None  # a new conversation: nothing to follow


def test_ask_conversation_needs_standard_input(runner: CliRunner) -> None:
    done = runner.invoke(cli.main, ["ask", "--conversation", "那观湖呢"])
    assert done.exit_code == 2


def test_stateless_ask_json_is_unchanged(runner: CliRunner) -> None:
    done = runner.invoke(cli.main, ["ask", "--json", "--no-log", "-"], "那观湖呢\n")
    assert "understood" not in json.loads(done.output)


def test_eval_dialogs_prints_the_figures_and_failures(runner: CliRunner) -> None:
    done = runner.invoke(cli.main, ["eval", "--dialogs", str(SAMPLE), "--failures"])
    assert done.exit_code == 0, done.output
    assert "turns right: 13 / 14" in done.output
    assert "follow-up turns right (2nd and later): 8 / 8" in done.output
    assert "dialogs fully right: 5 / 6" in done.output
    # by the kind of follow-up each dialog is (its category)
    kinds = "follow-up turns by kind: another street 2 / 2, detail 3 / 3, choice 1 / 1"
    assert kinds in done.output
    # A clarify is no correct miss: the one failure, listed.
    assert "choice-by-number turn 1 '有什么要求'" in done.output


def test_eval_dialogs_refuses_a_malformed_set(runner: CliRunner, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("- id: x\n  turns:\n    - q: 托育\n", encoding="utf-8")
    done = runner.invoke(cli.main, ["eval", "--dialogs", str(broken)])
    assert done.exit_code == 2 and "needs 'q' and 'expect'" in done.output


def test_the_terminal_chat_picks_an_option_by_number_and_starts_afresh(
    tg_engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = iter(["有什么要求", "1", "/new", "1", "/quit"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(lines))
    logged = []
    cli.chat_loop(tg_engine, lambda reply, seconds: logged.append(reply), logged=False)
    offer, chosen, alone = logged
    assert offer.outcome == "clarify"
    assert chosen.outcome == "answer" and chosen.entry_id == offer.suggestions[0].id
    assert alone.outcome == "miss"  # after /new, "1" asks nothing
    assert "开始新的对话" in capsys.readouterr().out
