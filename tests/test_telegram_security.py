"""Security end to end: curator commands and buttons only for curators, webhook requests
only with the secret, no secret in any log line, and no personal data in the database.

Each protection has a test that fails if it is removed, with a positive control showing
the protected thing works for whoever is allowed.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import re
import socket
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import closing
from dataclasses import replace
from html import escape, unescape
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from fake_bot_api import (
    CURATOR_ID,
    TEST_TOKEN,
    Call,
    FakeBotApi,
    FakeStore,
    Fault,
    running,
    webhook_body,
)
from telegram import Update
from telegram.ext import TypeHandler

from bot.cli.curation import missed
from bot.config import Settings
from bot.engine.answering import Engine
from bot.privacy import BANK_CARD, EMAIL, ID_CARD, LANDLINE, PHONE
from bot.store.question_log import Store
from bot.telegram.application import build_application, webhook_options
from bot.telegram.curators import PRIVATE_ONLY, REFUSAL, TOP_GROUPS, curator_handlers
from bot.telegram.limits import RetryingRateLimiter

pytestmark = pytest.mark.slow  # the security matrix, through the whole bot

ROOT = Path(__file__).resolve().parents[1]
CURATOR, RESIDENT, OTHER = CURATOR_ID, 2002, 3003
MISSED = "谁帮我白天照看小娃娃"  # a question the entries miss (see test_curation_telegram)
SECRET = "hook_Secret-0123456789"
TOKEN_SECRET_PART = TEST_TOKEN.split(":", 1)[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def settings(curator_settings: Settings) -> Settings:
    return curator_settings


@pytest.fixture
def bot(curator_bot: Any) -> Any:
    return curator_bot


async def say(api: FakeBotApi, text: str, user: int, **kw: Any) -> Call:
    mark = api.mark()
    api.message(text, user_id=user, **kw)
    return await api.wait_for("sendMessage", after=mark)


async def tap(api: FakeBotApi, data: str, message: Call, user: int) -> Call:
    mark = api.mark()
    api.tap(data, api.bot_message(message), user_id=user)
    return await api.wait_for("answerCallbackQuery", after=mark)


async def missed_listing(api: FakeBotApi, store: Store) -> Call:
    """A resident's missed question, then the curator's /missed message for its group."""
    await say(api, MISSED, RESIDENT)
    assert store.flush()
    mark = api.mark()
    api.message("/missed", user_id=CURATOR)
    return await api.wait_for(
        "sendMessage", lambda c: any(d.startswith("m:a:") for _, d in c.buttons), after=mark
    )


def resolved_groups(path: Path) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(path)) as db:
        return db.execute("SELECT id, status FROM missed_groups").fetchall()


# --- curators only ------------------------------------------------------------------------

COMMANDS = ["/missed", "/reload", "/missed 全部", "/reload now", "/missed@policy_test_bot"]


@pytest.mark.parametrize("command", COMMANDS)
async def test_curator_commands_are_refused_to_everyone_else(
    bot: Any, fake_api: FakeBotApi, command: str
) -> None:
    """Residents, in private and in a group, get the refusal only; the curator does not."""
    store: Store = bot.bot_data.store
    await say(fake_api, MISSED, RESIDENT)
    assert store.flush()
    engine = bot.bot_data.engine
    group = FakeBotApi.group(-100_321)
    for user, chat in ((RESIDENT, None), (OTHER, None), (OTHER, group)):
        mark = fake_api.mark()
        fake_api.message(command, user_id=user, chat=chat)
        refused = await fake_api.wait_for("sendMessage", after=mark)
        sent = [c for c in fake_api.requests()[mark:] if c.method == "sendMessage"]
        assert [c.text for c in sent] == [REFUSAL], (user, chat)
        assert MISSED not in refused.text  # other residents' questions stay hidden
        assert bot.bot_data.engine is engine  # /reload did not run
    # The curator is let through (so the refusal above is the curator check at work).
    mark = fake_api.mark()
    fake_api.message(command, user_id=CURATOR)
    allowed = await fake_api.wait_for("sendMessage", after=mark)
    assert allowed.text != REFUSAL


async def test_a_real_curator_button_tapped_by_a_resident_changes_nothing(
    bot: Any, fake_api: FakeBotApi, settings: Settings
) -> None:
    """The curator's real buttons tapped by residents: refused, and nothing changes."""
    # No group attached or ignored, no file written, no engine swapped.
    store: Store = bot.bot_data.store
    listing = await missed_listing(fake_api, store)
    attach = next(d for _, d in listing.buttons if d.startswith("m:a:"))
    ignore = next(d for _, d in listing.buttons if d.startswith("m:i:"))
    confirm = attach.replace("m:a:", "m:c:", 1)  # what the curator's preview carries
    engine = bot.bot_data.engine
    for data in (attach, confirm, ignore):
        for user in (RESIDENT, OTHER):
            answer = await tap(fake_api, data, listing, user)
            assert answer.params["text"] == REFUSAL and answer.params["show_alert"] is True
    assert resolved_groups(store.path) == []
    assert not settings.curated_path.exists()
    assert bot.bot_data.engine is engine
    assert not fake_api.requests("editMessageText")
    # The curator's own taps work: the preview of the entry's answer, then the attach.
    mark = fake_api.mark()
    fake_api.tap(attach, fake_api.bot_message(listing), user_id=CURATOR)
    preview = await fake_api.wait_for("sendMessage", after=mark)
    assert preview.data_for("归入") == confirm
    fake_api.tap(confirm, fake_api.bot_message(preview), user_id=CURATOR)
    await fake_api.wait_for("editMessageText", after=mark)
    assert [status for _, status in resolved_groups(store.path)] == ["answered"]


async def handled_in_order(api: FakeBotApi, chat: dict[str, Any]) -> None:
    """Wait until every earlier update of ``chat`` is handled: its next one is answered."""
    mark = api.mark()
    api.message("@policy_test_bot 谢谢", user_id=OTHER, chat=chat)
    await api.wait_for("sendMessage", lambda c: "不客气" in c.text, after=mark)


@pytest.mark.parametrize("command", ["/missed", "/reload", "/missed@policy_test_bot"])
async def test_curator_commands_in_a_group_post_nothing_of_residents(
    bot: Any, fake_api: FakeBotApi, command: str
) -> None:
    """The curator in a group gets a short note: no resident's question is posted there,
    and nothing is reloaded. In a private chat the same command works."""
    store: Store = bot.bot_data.store
    await say(fake_api, MISSED, RESIDENT)
    assert store.flush()
    engine = bot.bot_data.engine
    group = FakeBotApi.group(-100_654)
    mark = fake_api.mark()
    fake_api.message(command, user_id=CURATOR, chat=group)
    await handled_in_order(fake_api, group)
    sent = [c.text for c in fake_api.requests()[mark:] if c.method == "sendMessage"]
    assert sent[:-1] == [PRIVATE_ONLY], sent
    assert bot.bot_data.engine is engine
    allowed = await say(fake_api, command, CURATOR)
    assert allowed.text not in (PRIVATE_ONLY, REFUSAL)


async def test_curator_buttons_in_a_group_change_nothing(
    bot: Any, fake_api: FakeBotApi, settings: Settings
) -> None:
    """A curator's button on a message in a group (a listing posted there before this
    rule): refused even to the curator, and nothing changes."""
    store: Store = bot.bot_data.store
    listing = await missed_listing(fake_api, store)
    in_group = {**fake_api.bot_message(listing), "chat": FakeBotApi.group(-100_655)}
    engine = bot.bot_data.engine
    for data in (d for _, d in listing.buttons if d.startswith("m:")):
        mark = fake_api.mark()
        fake_api.tap(data, in_group, user_id=CURATOR)
        answer = await fake_api.wait_for("answerCallbackQuery", after=mark)
        assert answer.params["text"] == PRIVATE_ONLY and answer.params["show_alert"] is True
    assert resolved_groups(store.path) == []
    assert not settings.curated_path.exists()
    assert bot.bot_data.engine is engine
    assert not fake_api.requests("editMessageText")


async def test_curator_ids_are_user_ids_not_chat_ids(
    bot: Any, fake_api: FakeBotApi, settings: Settings
) -> None:
    """A resident writing in a chat whose id equals the curator's user id is not a curator."""
    chat = {"id": CURATOR, "type": "group", "title": "同名群"}
    mark = fake_api.mark()
    fake_api.message("/missed", user_id=RESIDENT, chat=chat)
    refused = await fake_api.wait_for("sendMessage", after=mark)
    assert refused.text == REFUSAL


def test_no_curators_configured_means_nobody() -> None:
    """An empty POLICYBOT_CURATORS lets no one in, not everyone."""
    assert Settings.from_env({"POLICYBOT_CURATORS": ""}).curators == frozenset()
    assert Settings.from_env({"POLICYBOT_CURATORS": " , ;"}).curators == frozenset()


# --- the webhook secret -------------------------------------------------------------------

HEADER = "X-Telegram-Bot-Api-Secret-Token"
BAD_HEADERS: dict[str, dict[str, str]] = {
    "missing": {},
    "empty": {HEADER: ""},
    "wrong": {HEADER: "guess"},
    "prefix": {HEADER: SECRET[:-1]},
    "longer": {HEADER: SECRET + "x"},
    "other-case": {HEADER: SECRET.upper()},
    "with-a-nul": {HEADER: SECRET + "%00"},
    "bot-token-instead": {HEADER: TOKEN_SECRET_PART},
    "other-header": {"X-Telegram-Bot-Api-Secret": SECRET},
}


@pytest.fixture
async def webhook(tg_settings, tg_engine, fake_api, tg_store) -> AsyncIterator[dict[str, Any]]:
    """The bot in webhook mode on a free loopback port; every update reaching PTB's
    handlers is recorded."""
    settings = replace(
        tg_settings,
        webhook_url="https://bot.example.test/tg-hook",
        webhook_secret=SECRET,
        port=free_port(),
    )
    application = build_application(settings, tg_engine, tg_store)
    reached: list[Update] = []

    async def record(update: Update, context: Any) -> None:
        reached.append(update)

    application.add_handler(TypeHandler(Update, record), group=-5)
    await application.initialize()
    await application.post_init(application)
    await application.updater.start_webhook(**webhook_options(settings))
    await application.start()
    try:
        yield {"url": f"http://127.0.0.1:{settings.port}/tg-hook", "reached": reached}
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        await application.post_shutdown(application)


@pytest.mark.parametrize("headers", BAD_HEADERS.values(), ids=BAD_HEADERS.keys())
async def test_webhook_requests_without_the_right_secret_never_reach_a_handler(
    webhook, fake_api, tg_store, headers
) -> None:
    """403 for each wrong secret; the same update with the secret is handled."""
    async with httpx.AsyncClient() as client:
        refused = await client.post(
            webhook["url"],
            content=webhook_body(1, "孩子两岁有托育服务吗"),
            headers={"Content-Type": "application/json", **headers},
        )
        assert refused.status_code == 403
        accepted = await client.post(
            webhook["url"],
            content=webhook_body(2, "谢谢"),
            headers={"Content-Type": "application/json", HEADER: SECRET},
        )
        assert accepted.status_code == 200
    await fake_api.wait_for("sendMessage")
    assert [u.update_id for u in webhook["reached"]] == [2]
    assert [q["text"] for q in tg_store.questions] == ["谢谢"]


# --- no secret in the logs ----------------------------------------------------------------


class _Everything(logging.Handler):
    """Formats every record of every logger, tracebacks included."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.stream = io.StringIO()
        self.records: list[logging.LogRecord] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.stream.write(self.format(record) + "\n")


@pytest.fixture
def every_log_line(tg_restore_logging) -> Iterator[_Everything]:
    """All logging at DEBUG into one handler, installed as configure_logging would be:
    on the root logger before the bot is built. Libraries' own levels too."""
    handler = _Everything()
    root = logging.getLogger()
    levels = {}
    for name in ("telegram", "httpx", "httpcore", "tornado", "apscheduler", "bot"):
        levels[name] = logging.getLogger(name).level
        logging.getLogger(name).setLevel(logging.DEBUG)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


async def test_no_secret_in_any_log_line_of_a_full_session(
    settings: Settings, fake_api: FakeBotApi, every_log_line: _Everything
) -> None:
    """No token, token half or webhook secret in any DEBUG line of a full session."""
    # Polling with faults and retries, buttons, inline, an error with its traceback,
    # curator commands, then webhook mode; tracebacks are formatted too.
    store = Store(settings.db_path).open()
    application = build_application(
        settings, Engine.load(settings.root), store, curator_handlers(), http_timeout=0.3
    )
    # quiet_http_logging() (inside build_application) sets httpx to WARNING: undo it, so
    # that its request lines, which hold the token in the URL, are produced and filtered.
    logging.getLogger("httpx").setLevel(logging.DEBUG)
    limiter = application.bot.rate_limiter
    assert isinstance(limiter, RetryingRateLimiter)
    limiter.backoff = 0.01
    async with running(application, poll_timeout=1):
        fake_api.inject("sendMessage", Fault.error(500), Fault.drop(), Fault.stall(1.0))
        fake_api.inject("getUpdates", Fault.error(502))
        reply = await say(fake_api, "孩子两岁有托育服务吗", RESIDENT)
        await tap(fake_api, reply.data_for("👍"), reply, RESIDENT)
        mark = fake_api.mark()
        fake_api.inline("六零", user_id=RESIDENT)
        await fake_api.wait_for("answerInlineQuery", after=mark)
        await missed_listing(fake_api, store)
        await say(fake_api, "/reload", CURATOR)
        application.bot_data.engine = None  # every handler now fails: tracebacks
        await say(fake_api, "谢谢", OTHER)
    webhook_settings = replace(
        settings, webhook_url="https://bot.example.test/hook", webhook_secret=SECRET
    )
    webhook_settings = replace(webhook_settings, port=free_port())
    application = build_application(webhook_settings, Engine.load(settings.root), FakeStore())
    logging.getLogger("httpx").setLevel(logging.DEBUG)
    await application.initialize()
    await application.updater.start_webhook(**webhook_options(webhook_settings))
    await application.start()
    try:
        async with httpx.AsyncClient() as client:
            await client.post(
                f"http://127.0.0.1:{webhook_settings.port}/hook",
                content=webhook_body(99, "谢谢"),
                headers={"Content-Type": "application/json", HEADER: SECRET},
            )
        await fake_api.wait_for("sendMessage", lambda c: "不客气" in c.text)
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()

    text = every_log_line.stream.getvalue()
    names = {r.name for r in every_log_line.records}
    # The test means something only if the chatty loggers did log at DEBUG.
    assert {"telegram.ext.ExtBot", "telegram.ext.Updater", "httpx"} <= names, names
    assert "retry 1 of 3" in text and "Traceback" in text and "setWebhook" in text
    for secret in (TEST_TOKEN, TOKEN_SECRET_PART, SECRET):
        assert secret not in text, next(line for line in text.splitlines() if secret in line)


# --- personal data is masked in storage ---------------------------------------------------

PERSONAL = [
    ("我的手机13812345678,孩子两岁有托育服务吗", "13812345678", PHONE),
    ("电话 +86 139-8765-4321 托育", "13987654321", PHONE),
    ("手机号一三七一二三四五六七八", "一三七一二三四五六七八", PHONE),
    ("１５９１２３４５６７８ 怎么办", "１５９１２３４５６７８", PHONE),
    ("座机0755-28901234在哪", "28901234", LANDLINE),
    ("身份证440306199001011234能办吗", "440306199001011234", ID_CARD),
    ("身份证号 11010519491231002X 办证", "11010519491231002X", ID_CARD),
    ("卡号6222 0212 3456 7890 123", "6222021234567890123", BANK_CARD),
    ("银行卡6228480402564890018退钱", "6228480402564890018", BANK_CARD),
]


def _compact(text: str) -> str:
    return re.sub(r"[\s\-+]", "", text)


def _unescaped(text: str) -> str:
    """``text`` with JSON's and repr's \\uXXXX escapes decoded (a raw webhook body
    escapes every non-ASCII character), pairs of surrogates joined."""
    decoded = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
    return decoded.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


async def test_personal_data_is_masked_in_every_stored_row_and_on_the_curators_screen(
    bot: Any, fake_api: FakeBotApi, settings: Settings
) -> None:
    """Numbers sent to the bot: masked in every column, the files' bytes and /missed."""
    # Phone, 身份证 and bank card numbers, then 都不是 / 通知我 on each reply.
    store: Store = bot.bot_data.store
    for number, (text, _, _) in enumerate(PERSONAL):
        user = 7000 + number  # one user each: the flood guard stays out of it
        reply = await say(fake_api, text, user)
        for _, data in reply.buttons:
            if data.startswith(("n:", "x:")):
                await tap(fake_api, data, reply, user)
                break
    assert store.flush()
    with closing(sqlite3.connect(settings.db_path)) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        values = [
            (table, str(value))
            for table in tables
            for row in db.execute(f"SELECT * FROM {table}")
            for value in row
            if value is not None
        ]
        texts = [r[0] for r in db.execute("SELECT text FROM questions ORDER BY time, rowid")]
    assert len(texts) == len(PERSONAL)
    for (_, _, placeholder), stored in zip(PERSONAL, texts, strict=True):
        assert placeholder in stored, stored
    raw_bytes = b"".join(
        p.read_bytes() for p in settings.db_path.parent.glob(settings.db_path.name + "*")
    )
    for _, raw, _ in PERSONAL:
        digits = _compact(raw)
        for table, value in values:
            assert digits not in _compact(value), (table, value)
        assert raw.encode() not in raw_bytes and digits.encode() not in raw_bytes
    # The curator sees the masked text only.
    mark = fake_api.mark()
    fake_api.message("/missed", user_id=CURATOR)
    await fake_api.wait_for("sendMessage", lambda c: "组" in c.text, after=mark)
    await say(fake_api, "谢谢", CURATOR)  # /missed has sent all its messages by now
    screen = "\n".join(c.text for c in fake_api.sent(CURATOR))
    assert "[" in screen
    for _, raw, _ in PERSONAL:
        assert _compact(raw) not in _compact(screen)


# Numbers with the separators that slipped past masking (issue 11), each with its own
# digits and topic so that each question is a group of its own in /missed:
# (text, number as typed, placeholder, what must never show).
SEPARATED = [
    ("火星探测器什么时候发射 回电138 - 1201 - 5678", "138 - 1201 - 5678", PHONE, "13812015678"),
    ("周末钓鱼哪个水库最好 回电138.1202.5678", "138.1202.5678", PHONE, "13812025678"),
    ("钢琴考级报名费多少钱 回电138—1203—5678", "138—1203—5678", PHONE, "13812035678"),
    ("演唱会门票还能退吗 回电(138)1204-5678", "(138)1204-5678", PHONE, "13812045678"),
    ("足球世界杯决赛几点开始 回电138/1205/5678", "138/1205/5678", PHONE, "13812055678"),
    ("外卖骑手送餐超时咋办 回电138_1206_5678", "138_1206_5678", PHONE, "13812065678"),
    ("外星人真的存在吗 回电138~1207~5678", "138~1207~5678", PHONE, "13812075678"),
    (
        "电影院今晚放什么片 回电138\u20101208\u20105678",
        "138\u20101208\u20105678",
        PHONE,
        "13812085678",
    ),
    (
        "火锅底料自己炒行不行 回电138\u22121209\u22125678",
        "138\u22121209\u22125678",
        PHONE,
        "13812095678",
    ),
    ("冲浪板租一天贵不贵 回电138，1210，5678", "138，1210，5678", PHONE, "13812105678"),
    (
        "熊猫宝宝吃竹子吗 回电6222.0212.3456.7811",
        "6222.0212.3456.7811",
        BANK_CARD,
        "6222021234567811",
    ),
    ("魔方复原最快记录 回电壹叁捌壹贰壹贰伍陆柒捌", "壹叁捌壹贰壹贰伍陆柒捌", PHONE, "13812125678"),
    ("油画颜料用哪个牌子 回电zhangsan@qq。com", "zhangsan@qq。com", EMAIL, "zhangsan"),
]


def traces(raw: str, key: str) -> list[str]:
    """How a number could show: as typed, JSON-escaped (a webhook's body), bare."""
    return [raw, json.dumps(raw)[1:-1], key]


async def test_numbers_with_any_separator_are_masked_in_the_files_missed_csv_and_logs(
    every_log_line: _Everything,  # first: the bot guards the root handlers it finds
    bot: Any,
    fake_api: FakeBotApi,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Each form is stored, shown in /missed, exported and logged masked, nowhere as typed."""
    store: Store = bot.bot_data.store
    masked = [text.replace(raw, placeholder) for text, raw, placeholder, _ in SEPARATED]
    screen = []
    for first in range(0, len(SEPARATED), TOP_GROUPS):  # /missed shows the newest groups
        for number in range(first, min(first + TOP_GROUPS, len(SEPARATED))):
            await say(fake_api, SEPARATED[number][0], 7300 + number)
        assert store.flush()
        mark = fake_api.mark()
        fake_api.message("/missed", user_id=CURATOR)
        for expected in masked[first : first + TOP_GROUPS]:
            shown = await fake_api.wait_for(
                "sendMessage",
                lambda c, e=expected: c.params["chat_id"] == CURATOR and escape(e) in c.text,
                after=mark,
            )
            screen.append(shown.text)

    monkeypatch.setenv("POLICYBOT_ROOT", str(settings.root))
    monkeypatch.setenv("POLICYBOT_DB", str(settings.db_path))
    exported = tmp_path / "missed.csv"
    assert CliRunner().invoke(missed, ["export", "--csv", str(exported)]).exit_code == 0
    with exported.open(encoding="utf-8-sig", newline="") as handle:
        assert sorted(row["text"] for row in csv.DictReader(handle)) == sorted(masked)

    files = b"".join(p.read_bytes() for p in settings.db_path.parent.glob("policybot.db*"))
    assert any(name.endswith("-wal") for name in os.listdir(settings.db_path.parent))
    places = {
        "database and WAL": files.decode("utf-8", "replace"),
        "/missed": unescape("\n".join(screen)),
        "CSV": exported.read_text(encoding="utf-8-sig"),
        "logs": every_log_line.stream.getvalue(),
    }
    assert "Processing update" in places["logs"]
    for _, raw, _, key in SEPARATED:
        for place, text in places.items():
            for trace in traces(raw, key):
                assert trace not in text, (place, trace)


LOGGED = {
    "plain": [(text, raw, _compact(raw)) for text, raw, _ in PERSONAL],
    "separated": [(text, raw, key) for text, raw, _, key in SEPARATED],
}


@pytest.mark.parametrize("cases", LOGGED.values(), ids=LOGGED.keys())
async def test_personal_data_is_masked_in_debug_logs(
    tg_settings, tg_engine, fake_api: FakeBotApi, every_log_line: _Everything, cases
) -> None:
    """Numbers a resident typed are masked in DEBUG lines, polling and webhook alike."""
    # PTB logs each update at DEBUG (and a webhook body, were it logged, is JSON-escaped).
    application = build_application(tg_settings, tg_engine, FakeStore())
    async with running(application):
        for number, (text, _, _) in enumerate(cases):
            await say(fake_api, text, 7100 + number)
        await say(fake_api, "/term 13812345678", 7200)  # echoed in the reply's text
    settings = replace(
        tg_settings,
        webhook_url="https://bot.example.test/hook",
        webhook_secret=SECRET,
        port=free_port(),
    )
    application = build_application(settings, tg_engine, FakeStore())
    await application.initialize()
    await application.updater.start_webhook(**webhook_options(settings))
    await application.start()
    try:
        async with httpx.AsyncClient() as client:
            for number, (text, _, _) in enumerate(cases):
                await client.post(
                    f"http://127.0.0.1:{settings.port}/hook",
                    content=webhook_body(500 + number, text),
                    headers={"Content-Type": "application/json", HEADER: SECRET},
                )
        await fake_api.wait_for("sendMessage", lambda c: c.params["chat_id"] == 1001)
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
    text = every_log_line.stream.getvalue()
    # The webhook logs an update's id; PTB's Application the whole update, at DEBUG.
    assert "Processing update" in text and "webhook: update 500 stored" in text
    # Escaped in a JSON body ("\\u4e00\\u4e09…") is still readable: decoded first.
    text = _unescaped(text)
    for _, raw, key in cases:
        assert _compact(raw) not in _compact(text), raw
        for trace in traces(raw, key):
            assert trace not in text, trace
