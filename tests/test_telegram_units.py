"""The pure parts of the Telegram layer: callback data, keyboards, terms, logging, options."""

from __future__ import annotations

import io
import logging
from dataclasses import replace
from datetime import datetime, timezone

import pytest
from fake_bot_api import BOT_USERNAME, TEST_TOKEN
from telegram import Chat, Message, User

from bot.config import Settings, mask_token
from bot.telegram.addressing import addressed_to_bot, strip_mention
from bot.telegram.application import StartupError, file_url_for, webhook_options
from bot.telegram.callbacks import Button, parse_callback
from bot.telegram.keyboards import reply_keyboard, term_page
from bot.telegram.limits import CALLBACK_LIMIT
from bot.telegram.logsafety import configure_logging
from bot.telegram.lookup import find_term

BOT_ID = int(TEST_TOKEN.split(":")[0])


def test_parse_callback_accepts_what_the_bot_makes() -> None:
    assert parse_callback("a:gh-term-26") == Button("answer", entry_id="gh-term-26")
    assert parse_callback("t:ps-def-01") == Button("term", entry_id="ps-def-01")
    assert parse_callback("v:u:0123456789ab:psg-ps-001") == Button(
        "vote", entry_id="psg-ps-001", question_id="0123456789ab", vote="up"
    )
    assert parse_callback("v:d:0123456789ab:x").vote == "down"  # type: ignore[union-attr]
    assert parse_callback("x:0123456789ab") == Button("none", question_id="0123456789ab")
    assert parse_callback("n:0123456789ab") == Button("notify", question_id="0123456789ab")
    assert parse_callback("p:2") == Button("page", page=2)
    assert parse_callback("h:o:0123456789ab") == Button(
        "handover_offer", question_id="0123456789ab"
    )
    assert parse_callback("h:c:0123456789ab") == Button(
        "handover", question_id="0123456789ab", share_contact=True
    )
    assert parse_callback("h:s:0123456789ab").share_contact is False  # type: ignore[union-attr]
    assert parse_callback("h:r:h0a1b2c3d") == Button("staff_reply", handover_id="h0a1b2c3d")


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "a",
        "a:",
        "a:Upper-Case",
        "a:" + "x" * 41,
        "a:gh-term-26:extra",
        "t:../x",
        "v:u:0123456789ab",
        "v:x:0123456789ab:gh-term-26",
        "v:u:0123456789AB:gh-term-26",
        "x:0123456789a",
        "x:0123456789abc",
        "n:zzzzzzzzzzzz",
        "p:",
        "p:-1",
        "p:1000",
        "m:1",
        "h:x:0123456789ab",
        "h:s:0123456789a",
        "h:r:h0a1b2c3",
        "h:r:x0a1b2c3d",
        "a:gh-term-26\n",
        "a:" + "é" * 40,
    ],
)
def test_parse_callback_rejects_anything_else(data: str | None) -> None:
    assert parse_callback(data) is None


def test_every_button_the_engine_can_produce_fits_and_parses(tg_engine) -> None:
    ids = list(tg_engine.kb.entries) + [p.id for p in tg_engine.kb.passages]
    for entry_id in ids:
        for data in (f"a:{entry_id}", f"t:{entry_id}", f"v:u:0123456789ab:{entry_id}"):
            assert len(data.encode()) <= CALLBACK_LIMIT, data
            assert parse_callback(data) is not None, data


def test_reply_keyboard_leaves_out_recording_buttons_without_a_store(tg_engine) -> None:
    miss = tg_engine.ask("今晚吃什么好")
    assert miss.outcome == "miss"
    stored = reply_keyboard(tg_engine, miss, "0123456789ab", stored=True)
    unstored = reply_keyboard(tg_engine, miss, "0123456789ab", stored=False)
    datas = [b.callback_data for row in stored.inline_keyboard for b in row]  # type: ignore[union-attr]
    assert "n:0123456789ab" in datas
    assert "n:0123456789ab" not in str(unstored)


def test_term_pages_cover_the_glossary_once(tg_engine) -> None:
    seen: list[str] = []
    page = 0
    while (found := term_page(tg_engine, page)) is not None:
        _, markup = found
        assert markup is not None
        for row in markup.inline_keyboard:
            seen += [b.callback_data[2:] for b in row if b.callback_data.startswith("t:")]
        page += 1
    assert seen == [s.id for s in tg_engine.glossary()]
    assert page > 1  # more than one page of terms: the pager is exercised


def test_find_term(tg_engine) -> None:
    assert find_term(tg_engine, "六零") == "gh-term-26"
    assert find_term(tg_engine, "“六零”行动") == "gh-term-26"
    assert find_term(tg_engine, "  三小场所 ") == find_term(tg_engine, "三小场所")
    assert find_term(tg_engine, "三小场所") in {s.id for s in tg_engine.glossary()}
    assert find_term(tg_engine, "完全无关的词汇xyz") is None
    assert find_term(tg_engine, "") is None


def test_base_file_url_follows_base_url() -> None:
    assert file_url_for("https://api.telegram.org/bot") == "https://api.telegram.org/file/bot"
    assert file_url_for("http://127.0.0.1:8081/bot/") == "http://127.0.0.1:8081/file/bot"


def test_webhook_options() -> None:
    settings = Settings(
        token=TEST_TOKEN,
        webhook_url="https://bot.example.test/policybot/hook",
        webhook_secret="abc_DEF-123",
        listen="127.0.0.1",
        port=8443,
    )
    options = webhook_options(settings)
    assert options["url_path"] == "policybot/hook"
    assert options["secret_token"] == "abc_DEF-123"
    assert (options["listen"], options["port"]) == ("127.0.0.1", 8443)
    assert options["webhook_url"] == "https://bot.example.test/policybot/hook"
    for bad in (
        replace(settings, webhook_secret=None),
        replace(settings, webhook_secret="with space"),
        replace(settings, webhook_secret="x" * 257),
        replace(settings, webhook_url="ftp://bot.example.test/hook"),
    ):
        with pytest.raises(StartupError):
            webhook_options(bad)


def test_configure_logging_masks_the_token_in_every_line(tg_restore_logging) -> None:
    output = io.StringIO()
    handler = logging.StreamHandler(output)
    logging.getLogger().addHandler(handler)
    configure_logging(Settings(token=TEST_TOKEN, log_level="DEBUG"))
    log = logging.getLogger("some.library")
    log.warning("calling https://api.telegram.org/bot%s/getMe", TEST_TOKEN)
    try:
        raise RuntimeError(f"failed: /bot{TEST_TOKEN}/sendMessage")
    except RuntimeError:
        log.exception("request failed")
    written = output.getvalue()
    assert TEST_TOKEN not in written
    assert f"/bot{mask_token(TEST_TOKEN)}/getMe" in written
    assert "RuntimeError: failed: /bot123456789:…RS/sendMessage" in written
    assert logging.getLogger("httpx").level == logging.WARNING


def _message(text: str, chat_type: str = "supergroup", reply_from: User | None = None) -> Message:
    chat = Chat(id=-100, type=chat_type)
    reply = None
    if reply_from is not None:
        reply = Message(
            message_id=1, date=datetime.now(timezone.utc), chat=chat, from_user=reply_from
        )
    return Message(
        message_id=2,
        date=datetime.now(timezone.utc),
        chat=chat,
        from_user=User(id=1001, first_name="居民", is_bot=False),
        text=text,
        reply_to_message=reply,
    )


@pytest.mark.parametrize(
    ("text", "addressed", "question"),
    [
        ("@policy_test_bot 六零是什么", True, "六零是什么"),
        ("六零@Policy_Test_Bot是什么", True, "六零 是什么"),
        ("请问 @policy_test_bot", True, "请问"),
        ("@policy_test_bot_2 六零", False, None),
        ("mail@policy_test_bot 六零", False, None),
        ("六零是什么", False, None),
    ],
)
def test_mentions_in_groups(text: str, addressed: bool, question: str | None) -> None:
    assert addressed_to_bot(_message(text), BOT_ID, BOT_USERNAME) is addressed
    if question is not None:
        assert strip_mention(text, BOT_USERNAME) == question


def test_replies_and_private_chats_are_addressed() -> None:
    bot = User(id=BOT_ID, first_name="政策问答", is_bot=True, username=BOT_USERNAME)
    someone = User(id=1002, first_name="邻居", is_bot=False)
    assert addressed_to_bot(_message("那养老呢", reply_from=bot), BOT_ID, BOT_USERNAME)
    assert not addressed_to_bot(_message("那养老呢", reply_from=someone), BOT_ID, BOT_USERNAME)
    assert addressed_to_bot(_message("六零", chat_type="private"), BOT_ID, BOT_USERNAME)
