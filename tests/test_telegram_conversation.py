"""End to end: the real Application against the fake Bot API, in a private chat."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Any

import pytest
from fake_bot_api import Call, FakeBotApi, FakeStore
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.engine.messages import (
    NONE_OF_THESE,
    NOTIFY_OK,
    SORRY,
    STALE,
    TAMPERED,
    UNKNOWN_COMMAND,
    VOTE_THANKS,
)
from bot.engine.rendering import TELEGRAM_LIMIT, render_html
from bot.telegram.application import build_application

QUESTION_ID = re.compile(r"^[0-9a-f]{12}$")

# The knowledge files grow while these tests stay put: each test takes the first probe
# that still gives the outcome it needs, rather than pinning one phrasing.
CLARIFY_PROBES = (
    "养老",
    "老人",
    "垃圾分类",
    "六零",
    "托育",
    "安全",
    "学位",
    "出租屋的安全有人查吗",
)
TERM_ANSWER_PROBES = ("观湖义警队伍有多少人?", "消防", "学位", "安全", "六零行动是什么")


def pick(engine: Any, outcome: str, probes: tuple[str, ...], need: Any = None) -> str:
    for question in probes:
        reply = engine.ask(question)
        if reply.outcome == outcome and (need is None or need(reply)):
            return question
    raise AssertionError(f"no probe gives {outcome}: add one to the list")


async def ask(api: FakeBotApi, text: str, **kwargs: Any) -> Call:
    """Send ``text`` as a user and return the bot's reply (the last part if split)."""
    mark = api.mark()
    api.message(text, **kwargs)
    return await api.wait_for("sendMessage", after=mark)


async def tap(api: FakeBotApi, reply: Call, data: str, **kwargs: Any) -> int:
    """Tap the button with ``data`` under the bot's ``reply``; the mark before the tap."""
    mark = api.mark()
    api.tap(data, api.bot_message(reply), **kwargs)
    return mark


async def callback_answer(api: FakeBotApi, mark: int) -> str:
    call = await api.wait_for("answerCallbackQuery", after=mark)
    return str(call.params.get("text", ""))


async def test_start_welcomes_says_what_it_knows_and_offers_examples(tg_bot, fake_api, tg_engine):
    reply = await ask(fake_api, "/start")
    assert "坪山街道" in reply.text and "观湖街道" in reply.text
    assert "2020-03-13" in reply.text  # the reports' periods and dates come from about()
    examples = tg_engine.examples()
    assert reply.buttons == [(s.question, f"a:{s.id}") for s in examples]
    assert len(examples) == 3


async def test_help_and_about(tg_bot, fake_api):
    help_reply = await ask(fake_api, "/help")
    assert "/term" in help_reply.text and "@policy_test_bot" in help_reply.text
    about = await ask(fake_api, "/about")
    assert "《坪山街道2020年主要工作情况和2021年工作计划》" in about.text
    assert "2020-03-13" in about.text


async def test_answer_has_source_votes_related_and_terms(tg_bot, fake_api, tg_store, tg_engine):
    text = pick(tg_engine, "answer", TERM_ANSWER_PROBES, lambda r: r.terms and r.suggestions)
    engine_reply = tg_engine.ask(text)
    entry_id = engine_reply.entry_id
    reply = await ask(fake_api, text)
    assert "来源:" in reply.text
    question = tg_store.questions[-1]
    assert question["entry_id"] == entry_id
    assert question["channel"] == "telegram" and question["chat_kind"] == "private"
    assert question["user_id"] == 1001 and question["seconds"] >= 0
    qid = question["id"]
    assert reply.buttons[:2] == [
        ("👍 有帮助", f"v:u:{qid}:{entry_id}"),
        ("👎 没帮助", f"v:d:{qid}:{entry_id}"),
    ]
    datas = [data for _, data in reply.buttons]
    for suggestion in engine_reply.suggestions:
        assert f"a:{suggestion.id}" in datas
    for term in engine_reply.terms:
        assert f"t:{term.id}" in datas
    assert any(label.startswith("📖") for label in reply.labels)


async def test_votes_are_stored_and_the_vote_buttons_go(tg_bot, fake_api, tg_store):
    reply = await ask(fake_api, "孩子两岁有托育服务吗")
    qid = tg_store.questions[-1]["id"]
    mark = await tap(fake_api, reply, reply.data_for("👍"))
    assert await callback_answer(fake_api, mark) == VOTE_THANKS["up"]
    edit = await fake_api.wait_for("editMessageReplyMarkup", after=mark)
    kept = [
        b["callback_data"] for row in edit.params["reply_markup"]["inline_keyboard"] for b in row
    ]
    assert kept and not any(data.startswith("v:") for data in kept)
    assert tg_store.votes == [
        {"question_id": qid, "user_id": 1001, "entry_id": "ps-childcare-centre", "vote": "up"}
    ]
    mark = await tap(fake_api, reply, reply.data_for("👎"), user_id=1002)
    assert await callback_answer(fake_api, mark) == VOTE_THANKS["down"]
    assert tg_store.votes[-1]["vote"] == "down" and tg_store.votes[-1]["user_id"] == 1002


@pytest.mark.slow
async def test_clarify_offers_candidates_and_none_of_these(tg_bot, fake_api, tg_store, tg_engine):
    text = pick(tg_engine, "clarify", CLARIFY_PROBES)
    engine_reply = tg_engine.ask(text)
    reply = await ask(fake_api, text)
    qid = tg_store.questions[-1]["id"]
    expected = [(s.question, f"a:{s.id}") for s in engine_reply.suggestions]
    assert reply.buttons == [*expected, ("都不是", f"x:{qid}")]

    # Tapping a candidate sends that entry's answer.
    candidate = engine_reply.suggestions[0].id
    mark = await tap(fake_api, reply, f"a:{candidate}")
    answer = await fake_api.wait_for("sendMessage", after=mark)
    assert tg_engine.kb.entries[candidate].answer[:20] in answer.text
    assert await callback_answer(fake_api, mark) == ""

    # 都不是: the question is recorded as missed, and the bot offers what it can do.
    mark = await tap(fake_api, reply, f"x:{qid}")
    follow_up = await fake_api.wait_for("sendMessage", after=mark)
    assert follow_up.text == NONE_OF_THESE
    assert ("🔔 有答案时通知我", f"n:{qid}") in follow_up.buttons
    assert tg_store.votes[-1] == {
        "question_id": qid,
        "user_id": 1001,
        "entry_id": None,
        "vote": "none",
    }
    edit = await fake_api.wait_for("editMessageReplyMarkup", after=mark)
    assert "都不是" not in str(edit.params["reply_markup"])


async def test_miss_says_so_suggests_examples_and_offers_notification(tg_bot, fake_api, tg_store):
    reply = await ask(fake_api, "今晚吃什么好")
    assert "没有找到这个问题的答案" in reply.text
    qid = tg_store.questions[-1]["id"]
    assert QUESTION_ID.match(qid)
    assert reply.buttons[-1] == ("🔔 有答案时通知我", f"n:{qid}")
    assert len(reply.buttons) == 4  # three examples, then 通知我
    mark = await tap(fake_api, reply, f"n:{qid}")
    assert await callback_answer(fake_api, mark) == NOTIFY_OK
    assert tg_store.notifications == [
        {"question_id": qid, "user_id": 1001, "chat_id": 1001, "language": "zh"}
    ]
    edit = await fake_api.wait_for("editMessageReplyMarkup", after=mark)
    assert "n:" not in str(edit.params.get("reply_markup"))


async def test_no_notification_offer_for_other_places_or_empty_text(tg_bot, fake_api):
    other_place = await ask(fake_api, "南山区有什么政策")
    assert "南山" in other_place.text
    assert not any(data.startswith("n:") for _, data in other_place.buttons)
    uncovered = await ask(fake_api, "明天天气怎么样")
    assert "没有涉及“天气”" in uncovered.text
    assert not any(data.startswith("n:") for _, data in uncovered.buttons)
    emoji = await ask(fake_api, "😀😀")
    assert "没有收到文字问题" in emoji.text
    assert not any(data.startswith("n:") for _, data in emoji.buttons)
    control = await ask(fake_api, "\u200b\u0007")
    assert "没有收到文字问题" in control.text


async def test_intent_gets_its_text(tg_bot, fake_api):
    reply = await ask(fake_api, "谢谢")
    assert reply.text == "不客气!还有其他想了解的,随时问我。"


async def test_tampered_callback_data_gets_a_polite_notice(tg_bot, fake_api, tg_store):
    reply = await ask(fake_api, "孩子两岁有托育服务吗")
    forged = [
        "a:../../etc/passwd",
        "v:u:XYZ:ps-childcare-centre",
        "v:q:000000000001:ps-childcare-centre",
        "x:0000000000011",
        "n:",
        "p:-1",
        "zz:1",
        "a:" + "a" * 41,
    ]
    for number, data in enumerate(forged):
        # A new user for each tap, so that the flood guard stays out of this test.
        mark = await tap(fake_api, reply, data, user_id=2000 + number)
        assert await callback_answer(fake_api, mark) == TAMPERED, data
    assert tg_store.votes == [] and tg_store.notifications == []


async def test_stale_callback_data_gets_a_polite_notice(tg_bot, fake_api, tg_store):
    reply = await ask(fake_api, "孩子两岁有托育服务吗")
    # Well-formed, but naming entries the current engine does not have (removed by a
    # reload) or a page past the end of the glossary list.
    for data in ("a:ps-removed-entry", "t:ps-childcare-centre", "v:u:0123456789ab:gone", "p:99"):
        mark = await tap(fake_api, reply, data)
        assert await callback_answer(fake_api, mark) == STALE, data
    assert tg_store.votes == []
    # The bot is still fine.
    again = await ask(fake_api, "观湖义警队伍有多少人?")
    assert "来源" in again.text


async def test_term_with_a_word_goes_straight_to_the_glossary(tg_bot, fake_api):
    reply = await ask(fake_api, "/term 六零")
    assert "“六零”行动:指优化政务服务" in reply.text
    quoted = await ask(fake_api, "/term “三小场所”")
    assert "三小场所" in quoted.text and "来源" in quoted.text


async def test_term_without_a_word_lists_terms_in_pages(tg_bot, fake_api, tg_engine):
    reply = await ask(fake_api, "/term")
    glossary = tg_engine.glossary()
    assert f"共 {len(glossary)} 个" in reply.text
    terms = [data for _, data in reply.buttons if data.startswith("t:")]
    assert terms == [f"t:{s.id}" for s in glossary[: len(terms)]]
    assert ("下一页 »", "p:1") in reply.buttons
    mark = await tap(fake_api, reply, "p:1")
    edit = await fake_api.wait_for("editMessageReplyMarkup", after=mark)
    page_two = [
        b["callback_data"] for r in edit.params["reply_markup"]["inline_keyboard"] for b in r
    ]
    assert f"t:{glossary[len(terms)].id}" in page_two and "p:0" in page_two
    # Tapping a term opens it.
    mark = await tap(fake_api, reply, terms[0])
    opened = await fake_api.wait_for("sendMessage", after=mark)
    assert tg_engine.kb.entries[glossary[0].id].answer[:20] in opened.text


async def test_term_not_found_echoes_the_word_escaped(tg_bot, fake_api):
    reply = await ask(fake_api, "/term <b>不存在</b>&")
    assert "没有找到“&lt;b&gt;不存在&lt;/b&gt;&amp;”这个名词" in reply.text
    assert any(data.startswith("t:") for _, data in reply.buttons)


async def test_html_in_questions_never_reaches_telegram_unescaped(tg_bot, fake_api):
    for text in ("<script>alert(1)</script>", "A&B 六零行动", "福田<b>托育</b>怎么样"):
        reply = await ask(fake_api, text)
        assert "<script>" not in reply.text
    # Every reply was also checked by the fake server's HTML parser (fake_api fixture).


async def test_unknown_command(tg_bot, fake_api):
    reply = await ask(fake_api, "/nonsense")
    assert reply.text == UNKNOWN_COMMAND


async def test_inline_mode_lists_matching_entries(tg_bot, fake_api):
    mark = fake_api.mark()
    fake_api.inline("六零")
    call = await fake_api.wait_for("answerInlineQuery", after=mark)
    results = call.params["results"]
    assert "gh-term-26" in [r["id"] for r in results]
    six_zero = next(r for r in results if r["id"] == "gh-term-26")
    assert six_zero["title"] == "“六零”行动是什么?"
    content = six_zero["input_message_content"]
    assert content["parse_mode"] == "HTML" and "来源:" in content["message_text"]

    mark = fake_api.mark()
    fake_api.inline("")
    examples = await fake_api.wait_for("answerInlineQuery", after=mark)
    assert len(examples.params["results"]) == 3

    mark = fake_api.mark()
    fake_api.inline("qqqq zzzz")
    nothing = await fake_api.wait_for("answerInlineQuery", after=mark)
    assert nothing.params["results"] == []
    assert nothing.params["button"]["start_parameter"] == "inline"


class _LongAnswers:
    """The real engine, except that every answer is about 10,000 characters long."""

    def __init__(self, engine: Any):
        self._engine = engine

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)

    def ask(self, question: str, language: Any = None):
        reply = self._engine.ask("孩子两岁有托育服务吗", language)
        paragraphs = [f"第{n}段:" + "托育&<服务>" * 90 for n in range(12)]
        block = replace(reply.blocks[0], body="\n\n".join(paragraphs))
        return replace(reply, blocks=(block,))

    def reply(
        self, question: str, conversation: Any = None, now: Any = None, language: Any = None
    ) -> Any:
        """A turn of a conversation, as the handlers ask it: the same long answer."""
        after = self._engine.reply(question, conversation, now, language)[1]
        return self.ask(question, language), after


async def test_a_long_reply_is_split_at_paragraphs_with_buttons_last(tg_bot, fake_api, tg_engine):
    long_engine = _LongAnswers(tg_engine)
    tg_bot.bot_data.engine = long_engine
    mark = fake_api.mark()
    fake_api.message("随便问")
    await fake_api.wait_for("sendMessage", lambda c: "来源" in c.text, after=mark)
    parts = [call for call in fake_api.requests()[mark:] if call.method == "sendMessage"]
    full = render_html(long_engine.ask(""))
    assert len(full) > 3 * TELEGRAM_LIMIT and len(parts) >= 4
    assert all(len(part.text) <= TELEGRAM_LIMIT for part in parts)
    assert "\n\n".join(part.text for part in parts) == full
    # Each later part starts at a paragraph of the answer; only the last has buttons.
    assert all(part.text.startswith("第") for part in parts[1:-1])
    assert all(not part.buttons for part in parts[:-1]) and parts[-1].buttons


class _Broken:
    def __getattr__(self, name: str) -> Any:
        raise RuntimeError("the engine broke")


async def test_an_error_is_logged_the_user_told_and_the_bot_keeps_running(
    tg_bot, fake_api, tg_engine, caplog
):
    tg_bot.bot_data.engine = _Broken()
    reply = await ask(fake_api, "孩子两岁有托育服务吗")
    assert reply.text == SORRY
    assert any(
        r.levelno == logging.ERROR and "error while handling" in r.getMessage()
        for r in caplog.records
    )
    mark = fake_api.mark()
    fake_api.tap("a:gh-term-26", {"message_id": 1, "date": 0, "chat": fake_api.private()})
    assert await callback_answer(fake_api, mark) == SORRY
    tg_bot.bot_data.engine = tg_engine  # what /reload does
    again = await ask(fake_api, "孩子两岁有托育服务吗")
    assert "来源" in again.text


async def test_extra_handlers_come_before_the_catch_alls(tg_settings, tg_engine, fake_api):
    from fake_bot_api import running

    seen: list[str] = []

    async def on_curator_button(update, context) -> None:
        seen.append(update.callback_query.data)
        await update.callback_query.answer("curated")

    async def reload(update, context) -> None:
        await update.effective_message.reply_text("reloaded")

    extras = [
        CallbackQueryHandler(on_curator_button, pattern="^m:"),
        CommandHandler("reload", reload),
    ]
    application = build_application(tg_settings, tg_engine, FakeStore(), extras)
    async with running(application):
        reply = await ask(fake_api, "/reload")
        assert reply.text == "reloaded"
        mark = await tap(fake_api, reply, "m:1")
        assert await callback_answer(fake_api, mark) == "curated"
        mark = await tap(fake_api, reply, "q:1")
        assert await callback_answer(fake_api, mark) == TAMPERED
    assert seen == ["m:1"]
