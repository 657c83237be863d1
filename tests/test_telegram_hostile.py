"""Hostile input through the bot: the real Application, the real SQLite store and the
curator handlers, against the fake Bot API on 127.0.0.1.

Every case follows one earlier conversation (a question and a 👍, so the database holds
rows to lose), sends the hostile update, then a plain question from the same user. The
plain question's answer shows the bot still serves; everything the bot sent in between is
its reply to the hostile update. Afterwards: no error was logged (so the error handler
never ran), nothing Telegram would refuse was sent (the fake_api fixture checks HTML, the
4096-character limit and callback data), the SQLite file passes integrity_check and every
earlier row is still there.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from html import unescape
from typing import Any

import pytest
from fake_bot_api import BOT_USERNAME, Call, FakeBotApi, running
from hostile_cases import (
    CHILDCARE,
    SIX_ZERO,
    TEXT_CASES,
    assert_clear_chinese,
    assert_db_intact,
    case_ids,
    check_text_reply,
    db_rows,
)
from test_telegram_chats import NON_TEXT

from bot.engine import messages_en
from bot.engine.messages import EDITED, FLOOD, SORRY, STALE, TAMPERED, UNKNOWN_COMMAND
from bot.store.question_log import Store
from bot.telegram.application import build_application
from bot.telegram.curators import REFUSAL, curator_handlers
from bot.telegram.limits import ECHO_CHARS

pytestmark = pytest.mark.slow  # hostile-input matrix through the fake Bot API

CURATOR = 4242
PROBE = "观湖义警队伍有多少人?"  # answered by an entry no hostile case may reach
PROBE_ENTRY = "gh-r-volunteer-police"
GROUP = FakeBotApi.group(-100_999)
GROUPS = (GROUP["id"],)
_users = itertools.count(60_000)


@dataclass
class Live:
    """A running bot with one earlier conversation in its database."""

    api: FakeBotApi
    application: Any
    store: Store
    engine: Any
    earlier: Call  # the bot's answer to the earlier question, with its buttons
    before: dict[str, list[tuple[Any, ...]]]


@pytest.fixture
async def live(tg_settings, tg_engine, fake_api) -> AsyncIterator[Live]:
    settings = replace(tg_settings, curators=frozenset({CURATOR}))
    store = Store(settings.db_path, busy_timeout=0.2, max_backoff=0.1).open()
    application = build_application(settings, tg_engine, store, extra_handlers=curator_handlers())
    async with running(application):
        mark = fake_api.mark()
        fake_api.message(CHILDCARE, user_id=1)
        earlier = await fake_api.wait_for("sendMessage", after=mark)
        mark = fake_api.mark()
        fake_api.tap(earlier.data_for("👍"), fake_api.bot_message(earlier), user_id=1)
        await fake_api.wait_for("answerCallbackQuery", after=mark)
        assert store.flush()
        before = db_rows(settings.db_path)
        assert before["questions"] and before["votes"]
        yield Live(fake_api, application, store, tg_engine, earlier, before)


async def exchange(
    live: Live, send: Callable[[int], object], chat: dict[str, Any] | None = None
) -> list[Call]:
    """Send a hostile update with ``send(user_id)``, then a plain question in the same chat;
    the calls the hostile update caused. Each chat's updates are handled in order (chats
    side by side), so the probe's reply comes after everything the hostile update caused."""
    api = live.api
    user = next(_users)
    mark = api.mark()
    send(user)
    probe_answer = live.engine.kb.entries[PROBE_ENTRY].answer[:20]
    if chat is None:
        api.message(PROBE, user_id=user)
    elif chat.get("type") == "private":
        api.message(PROBE, user_id=chat["id"])
    else:
        api.message(f"@{BOT_USERNAME} {PROBE}", user_id=user, chat=chat)
    probe_chat = user if chat is None else chat["id"]
    probe = await api.wait_for(
        "sendMessage",
        lambda c: c.params.get("chat_id") == probe_chat and probe_answer in c.text,
        after=mark,
        timeout=10,
    )
    calls = api.requests()[mark:]
    calls = calls[: calls.index(probe)]
    # Messages to other chats (an earlier burst's tail) are not this update's reply.
    return [c for c in calls if c.params.get("chat_id", user) in (user, *GROUPS)]


def sent_text(calls: list[Call]) -> str:
    parts = [c.text for c in calls if c.method == "sendMessage"]
    assert parts, f"no message sent: {[c.method for c in calls]}"
    assert SORRY not in parts
    return "\n\n".join(parts)


def reply_of(calls: list[Call]) -> str:
    """What the user sees: the messages' text, then the labels of their buttons (a
    clarify's candidates are buttons)."""
    labels = [label for c in calls if c.method == "sendMessage" for label in c.labels]
    return "\n".join([unescape(sent_text(calls)), *labels])


def callback_text(calls: list[Call]) -> str:
    (answer,) = [c for c in calls if c.method == "answerCallbackQuery"]
    return str(answer.params.get("text", ""))


def assert_healthy(live: Live, caplog: pytest.LogCaptureFixture) -> None:
    """No error logged (the error handler logs every one), the database intact."""
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not errors, errors[0].getMessage()
    assert live.store.flush()
    assert_db_intact(live.store.path, live.before)


# --- text messages ------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "text", "expect"), TEXT_CASES, ids=case_ids(TEXT_CASES))
async def test_hostile_text_in_a_private_chat(live: Live, caplog, case, text, expect) -> None:
    """Each hostile text gets a clear, meaningful reply; nothing breaks."""
    calls = await exchange(live, lambda user: live.api.message(text, user_id=user))
    reply = reply_of(calls)
    if text == "":
        # Telegram never sends an empty text: PTB sees a message without text.
        assert reply.startswith("我只能回答文字问题")
    else:
        check_text_reply(live.engine, expect, reply, text)
    assert_healthy(live, caplog)


GROUP_CASES = [case for case in TEXT_CASES if case[0] in {
    "10k-latin", "script", "sql-drop", "surrogate-inside", "nul-inside", "rtl-override-around",
    "html-bold-question", "emoji", "zero-width-only",
}]  # fmt: skip


@pytest.mark.parametrize(("case", "text", "expect"), GROUP_CASES, ids=case_ids(GROUP_CASES))
async def test_hostile_text_mentioning_the_bot_in_a_group(
    live: Live, caplog, case, text, expect
) -> None:
    """In a group, a mention followed by hostile text: answered like in private."""
    calls = await exchange(
        live,
        lambda user: live.api.message(f"@{BOT_USERNAME} {text}", user_id=user, chat=GROUP),
        chat=GROUP,
    )
    check_text_reply(live.engine, expect, reply_of(calls), text)
    assert_healthy(live, caplog)


EDIT_CASES = [case for case in TEXT_CASES if case[0] in {"script", "surrogate-high", "10k-han"}]


@pytest.mark.parametrize(("case", "text", "expect"), EDIT_CASES, ids=case_ids(EDIT_CASES))
async def test_hostile_text_in_an_edited_message(live: Live, caplog, case, text, expect) -> None:
    """An edit is never answered as a question, whatever it holds."""
    calls = await exchange(live, lambda user: live.api.message(text, user_id=user, edited=True))
    assert unescape(sent_text(calls)) == EDITED
    assert_healthy(live, caplog)


INLINE_CASES = [case for case in TEXT_CASES if case[0] in {
    "script", "sql-drop", "surrogate-high", "nul-inside", "html-raw-brackets", "10k-latin",
}]  # fmt: skip


@pytest.mark.parametrize(("case", "text", "expect"), INLINE_CASES, ids=case_ids(INLINE_CASES))
async def test_hostile_inline_query(live: Live, caplog, case, text, expect) -> None:
    """@bot <hostile text>: an answer to the inline query, never an unrelated entry."""
    calls = await exchange(live, lambda user: live.api.inline(text, user_id=user))
    (answer,) = [c for c in calls if c.method == "answerInlineQuery"]
    for result in answer.params["results"]:
        assert_clear_chinese(result["input_message_content"]["message_text"], text)
    if expect == "refuse":
        assert answer.params["results"] == []
    assert answer.params["button"]["text"]
    assert_healthy(live, caplog)


# --- commands -----------------------------------------------------------------------------

TERM_NOT_FOUND_MARK = "这个名词"
TERM_LIST_MARK = "报告里解释过的名词"

COMMAND_CASES: list[tuple[str, str, str]] = [
    ("term-5000-latin", "/term " + "x" * 5_000, "term-not-found"),
    ("term-5000-han", "/term " + "六" * 5_000, "term-not-found"),
    ("term-script", "/term <script>alert(1)</script>", "term-not-found"),
    ("term-sql", "/term '; DROP TABLE questions;--", "term-not-found"),
    ("term-surrogate", "/term \ud800", "term-list"),
    ("term-surrogate-word", "/term 六零\udcff", "term:gh-term-26"),
    ("term-nul", "/term \x00\x00", "term-list"),
    ("term-zero-width", "/term \u200b\u200d", "term-list"),
    # Shown right to left this reads "六零", but the characters are "零六".
    ("term-rtl-override", "/term \u202e零六", "term-not-found"),
    ("term-format-string", "/term %s%n{0}", "term-not-found"),
    ("term-html-entity", "/term &amp;&lt;", "term-not-found"),
    ("term-out-of-scope", "/term 公积金", "term-not-found"),
    ("term-digit", "/term 0", "term-not-found"),
    ("term-emoji", "/term 😀", "term-not-found"),
    ("term-newlines", "/term \n\n六零\n", "term:gh-term-26"),
    ("term-addressed", "/term@policy_test_bot 六零", "term:gh-term-26"),
    ("start-payload-junk", "/start " + "x" * 5_000, "welcome"),
    ("start-payload-inline", "/start inline", "welcome"),
    ("start-payload-traversal", "/start ../../etc/passwd", "welcome"),
    ("start-payload-surrogate", "/start \ud800\udfff", "welcome"),
    ("start-payload-script", "/start <script>", "welcome"),
    ("help-junk", "/help " + "<b>" * 1_000, "help"),
    ("about-junk", "/about '; DROP TABLE meta;--", "about"),
    ("unknown", "/nonsense", "unknown"),
    ("unknown-5000", "/" + "a" * 5_000, "unknown"),
    ("unknown-other-bot", "/start@other_bot", "unknown"),
    ("unknown-html", "/<b>", "unknown"),
    ("slash-only", "/", "unknown"),
    ("missed-not-curator", "/missed", "refused"),
    ("missed-not-curator-junk", "/missed " + "x" * 5_000, "refused"),
    ("reload-not-curator", "/reload", "refused"),
]


@pytest.mark.parametrize(("case", "text", "expect"), COMMAND_CASES, ids=case_ids(COMMAND_CASES))
async def test_commands_with_junk(live: Live, caplog, case, text, expect) -> None:
    """Commands with junk arguments, unknown commands, curator commands from residents."""
    calls = await exchange(live, lambda user: live.api.message(text, user_id=user))
    reply = unescape(sent_text(calls))
    assert_clear_chinese(reply)
    if expect == "term-not-found":
        assert TERM_NOT_FOUND_MARK in reply and TERM_LIST_MARK in reply
        quoted = reply.split("“", 1)[1].split("”这个名词", 1)[0]
        assert 0 < len(quoted) <= ECHO_CHARS, quoted  # a 5,000-character word is not echoed
        assert calls[-1].buttons  # the terms to tap
    elif expect == "term-list":
        assert reply.startswith(TERM_LIST_MARK) and calls[-1].buttons
    elif expect.startswith("term:"):
        entry = live.engine.kb.entries[expect.split(":", 1)[1]]
        assert entry.answer[:20] in reply and "来源" in reply
    elif expect == "welcome":
        assert "政策问答助手" in reply and calls[-1].buttons
    elif expect == "help":
        assert "怎么用" in reply and "/term" in reply
    elif expect == "about":
        assert "资料来源" in reply
    elif expect == "unknown":
        assert reply == UNKNOWN_COMMAND
    elif expect == "refused":
        assert reply == REFUSAL
    else:
        raise AssertionError(expect)
    assert_healthy(live, caplog)


# --- buttons ------------------------------------------------------------------------------

CALLBACK_CASES: list[tuple[str, str, str]] = [
    ("empty", "", "tampered"),
    ("path-traversal", "a:../../etc/passwd", "tampered"),
    ("surrogate", "\ud800", "tampered"),
    ("surrogate-in-entry", "a:gh-term-26\udcff", "tampered"),
    ("nul", "a:\x00", "tampered"),
    ("over-64-bytes", "a:" + "x" * 70, "tampered"),
    ("non-ascii-entry", "a:观湖", "tampered"),
    ("fullwidth-digit-page", "p:３", "tampered"),
    ("arabic-digit-page", "p:٣", "tampered"),
    ("script", "<script>alert(1)</script>", "tampered"),
    ("sql", "a:x'; DROP TABLE votes;--", "tampered"),
    ("vote-bad-kind", "v:q:0123456789ab:ps-childcare-centre", "tampered"),
    ("vote-short-question-id", "v:u:0123:ps-childcare-centre", "tampered"),
    ("none-upper-hex", "x:0123456789AB", "tampered"),
    ("notify-extra-part", "n:0123456789ab:1", "tampered"),
    ("page-negative", "p:-1", "tampered"),
    ("unknown-prefix", "zz:1", "tampered"),
    ("stale-entry", "a:ps-removed-entry", "stale"),
    ("stale-term", "t:ps-childcare-centre", "stale"),
    ("stale-vote-entry", "v:u:0123456789ab:gone-entry", "stale"),
    ("stale-page", "p:99", "stale"),
    ("curator-attach-from-resident", "m:a:g0123456:ps-childcare-centre", "refused"),
    ("curator-ignore-from-resident", "m:i:g0123456", "refused"),
    ("curator-forged-shape", "m:a:../../x", "invalid"),
    ("curator-surrogate", "m:i:\ud800", "invalid"),
]


@pytest.mark.parametrize(("case", "data", "expect"), CALLBACK_CASES, ids=case_ids(CALLBACK_CASES))
async def test_tampered_and_stale_buttons(live: Live, caplog, case, data, expect) -> None:
    """Forged or outdated callback data: a clear notice, nothing recorded."""
    message = live.api.bot_message(live.earlier)
    calls = await exchange(
        live, lambda user: live.api.tap(data, message, user_id=user), chat=message["chat"]
    )
    notice = callback_text(calls)
    assert_clear_chinese(notice)
    expected = {
        "tampered": TAMPERED,
        "stale": STALE,
        "refused": REFUSAL,
        "invalid": "这个按钮无效。",
    }
    assert notice == expected[expect]
    assert not [c for c in calls if c.method != "answerCallbackQuery"]  # nothing else done
    assert_healthy(live, caplog)
    after = db_rows(live.store.path)
    assert len(after["votes"]) == len(live.before["votes"])
    assert after["notifications"] == live.before["notifications"]


async def test_a_button_on_an_inline_message_has_no_message_to_reply_to(live: Live, caplog) -> None:
    """A tap that carries inline_message_id instead of a message is acknowledged."""

    def tap(user: int) -> None:
        query = {
            "id": f"inline-tap-{user}",
            "from": FakeBotApi.user(user),
            "chat_instance": "-43",
            "inline_message_id": "AAAA-inline",
            "data": "a:gh-term-26",
        }
        live.api.push({"callback_query": query})

    calls = await exchange(live, tap)
    assert [c.method for c in calls] == ["answerCallbackQuery"]
    assert_healthy(live, caplog)


# --- messages that are not text -----------------------------------------------------------


def _file(**extra: Any) -> dict[str, Any]:
    return {"file_id": "AgAD-file", "file_unique_id": "AQAD-unique", **extra}


_LOCATION = {"latitude": 22.72, "longitude": 114.35}
_PHOTO = [_file(width=90, height=90)]

# The thirteen kinds of tests/test_telegram_chats.py, then variants and rarer kinds.
MORE_NON_TEXT: list[tuple[str, dict[str, Any], str]] = [
    (
        "sticker-animated",
        {"sticker": _file(width=512, height=512, is_animated=True, is_video=False, type="regular")},
        "贴纸",
    ),
    (
        "sticker-video",
        {"sticker": _file(width=512, height=512, is_animated=False, is_video=True, type="regular")},
        "贴纸",
    ),
    ("photo-with-script-caption", {"photo": _PHOTO, "caption": "<script>x</script>"}, "图片"),
    (
        "document-with-html-caption",
        {"document": _file(file_name="<b>.html"), "caption": "&<>"},
        "文件",
    ),
    ("live-location", {"location": {**_LOCATION, "live_period": 60}}, "位置"),
    (
        "quiz-poll",
        {
            "poll": {
                "id": "2",
                "question": "<b>?",
                "options": [
                    {"text": "a", "voter_count": 0, "persistent_id": "a"},
                    {"text": "b", "voter_count": 0, "persistent_id": "b"},
                ],
                "total_voter_count": 0,
                "is_closed": False,
                "is_anonymous": True,
                "type": "quiz",
                "allows_multiple_answers": False,
                "allows_revoting": False,
                "members_only": False,
                "correct_option_ids": [0],
            }
        },
        "投票",
    ),
    ("dice-darts", {"dice": {"emoji": "🎯", "value": 6}}, "骰子"),
    (
        "game",
        {"game": {"title": "游戏", "description": "d", "photo": _PHOTO}},
        "这类消息",
    ),
    (
        "story",
        {"story": {"chat": FakeBotApi.private(9), "id": 1}},
        "这类消息",
    ),
    (
        "invoice",
        {
            "invoice": {
                "title": "t",
                "description": "d",
                "start_parameter": "s",
                "currency": "CNY",
                "total_amount": 100,
            }
        },
        "这类消息",
    ),
    ("nothing-at-all", {}, "这类消息"),
]

KINDS = [*NON_TEXT, *MORE_NON_TEXT]


@pytest.mark.parametrize(("kind", "fields", "word"), KINDS, ids=[k[0] for k in KINDS])
async def test_every_kind_of_message_that_is_not_text(live: Live, caplog, kind, fields, word):
    """Stickers, photos, voice, polls, games…: a clear reply, naming what was sent."""
    calls = await exchange(live, lambda user: live.api.message(user_id=user, **fields))
    reply = unescape(sent_text(calls))
    assert_clear_chinese(reply)
    assert reply.startswith("我只能回答文字问题") and f"看不懂{word}" in reply
    assert "来源" not in reply  # no caption here asks anything a report answers
    assert_healthy(live, caplog)


async def test_a_photo_whose_caption_asks_a_question_gets_the_caption_answered(
    live: Live, caplog
) -> None:
    """A photo captioned 孩子两岁有托育服务吗: the picture cannot be read, the words can."""
    calls = await exchange(
        live, lambda user: live.api.message(user_id=user, photo=_PHOTO, caption=CHILDCARE)
    )
    reply = unescape(sent_text(calls))
    assert reply.startswith("我看不懂图片,下面只回答您写的文字")
    assert "来源" in reply and "托育" in reply
    assert_healthy(live, caplog)


# --- many hostile messages in a row -------------------------------------------------------


async def test_a_burst_of_hostile_texts_from_one_user_is_throttled_not_crashed(
    live: Live, caplog
) -> None:
    """One user sending every hostile text at once: replies, then one flood notice."""
    api = live.api
    mark = api.mark()
    for _, text, _ in TEXT_CASES:
        api.message(text, user_id=59_999)
    # In the language of the last text answered before it (some of the texts are English).
    flood = (FLOOD, messages_en.FLOOD)
    await api.wait_for("sendMessage", lambda c: c.text in flood, after=mark)
    # Another user is served meanwhile.
    calls = await exchange(live, lambda user: api.message(SIX_ZERO, user_id=user))
    assert "“六零”行动" in sent_text(calls)
    assert_healthy(live, caplog)
