"""End to end: groups, messages that are not text, edits, and the flood guard."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import pytest
from fake_bot_api import FakeBotApi

from bot.engine.messages import EDITED, FLOOD
from bot.telegram import limits as telegram_limits
from bot.telegram.limits import FloodGuard

GROUP = FakeBotApi.group()
CHAT_ID = GROUP["id"]


def _file(**extra: Any) -> dict[str, Any]:
    return {"file_id": "AgAD-file", "file_unique_id": "AQAD-unique", **extra}


_LOCATION = {"latitude": 22.72, "longitude": 114.35}

# Each kind with the fields Telegram sends for it, and the word the reply must use.
NON_TEXT = [
    (
        "sticker",
        {
            "sticker": _file(
                width=512, height=512, is_animated=False, is_video=False, type="regular"
            )
        },
        "贴纸",
    ),
    ("photo", {"photo": [_file(width=90, height=90)]}, "图片"),
    ("voice", {"voice": _file(duration=3)}, "语音"),
    ("video", {"video": _file(width=640, height=480, duration=5)}, "视频"),
    ("video_note", {"video_note": _file(length=240, duration=3)}, "视频消息"),
    (
        "animation",
        {"animation": _file(width=320, height=240, duration=2), "document": _file()},
        "动图",
    ),
    ("document", {"document": _file(file_name="申请表.pdf")}, "文件"),
    ("audio", {"audio": _file(duration=60)}, "音频"),
    ("location", {"location": _LOCATION}, "位置"),
    (
        "venue",
        {
            "venue": {"location": _LOCATION, "title": "观湖街道办", "address": "深圳"},
            "location": _LOCATION,
        },
        "地点",
    ),
    ("contact", {"contact": {"phone_number": "+8613800000000", "first_name": "张"}}, "联系人名片"),
    (
        "poll",
        {
            "poll": {
                "id": "1",
                "question": "去不去?",
                "options": [
                    {"text": "去", "voter_count": 0, "persistent_id": "a"},
                    {"text": "不去", "voter_count": 0, "persistent_id": "b"},
                ],
                "total_voter_count": 0,
                "is_closed": False,
                "is_anonymous": True,
                "type": "regular",
                "allows_multiple_answers": False,
                "allows_revoting": False,
                "members_only": False,
            }
        },
        "投票",
    ),
    ("dice", {"dice": {"emoji": "🎲", "value": 3}}, "骰子"),
]


async def test_every_non_text_kind_gets_a_clear_reply(tg_bot, fake_api):
    for number, (kind, fields, word) in enumerate(NON_TEXT):
        mark = fake_api.mark()
        # One user per kind: thirteen messages from one user would trip the flood guard.
        fake_api.message(user_id=3000 + number, **fields)
        reply = await fake_api.wait_for("sendMessage", after=mark)
        assert reply.text.startswith("我只能回答文字问题"), kind
        assert f"看不懂{word}" in reply.text, kind
        assert reply.params["chat_id"] == 3000 + number


async def test_an_edited_message_is_not_answered_again(tg_bot, fake_api, tg_store):
    mark = fake_api.mark()
    fake_api.message("孩子两岁有托育服务吗", edited=True)
    reply = await fake_api.wait_for("sendMessage", after=mark)
    assert reply.text == EDITED
    assert tg_store.questions == []


async def _answered(api: FakeBotApi, *, after: int) -> list[str]:
    return [c.text for c in api.requests()[after:] if c.method == "sendMessage"]


async def test_in_groups_only_mentions_replies_and_commands_are_answered(tg_bot, fake_api):
    mark = fake_api.mark()
    # Not for the bot: ordinary chatter, another bot's command, a sticker, an edit.
    fake_api.message("孩子两岁有托育服务吗", chat=GROUP)
    fake_api.message("/start@other_bot", chat=GROUP)
    fake_api.message("/nonsense", chat=GROUP)
    fake_api.message(
        chat=GROUP,
        sticker=_file(width=1, height=1, is_animated=False, is_video=False, type="regular"),
    )
    fake_api.message("六零行动是什么", chat=GROUP, edited=True)
    fake_api.message("@policy_test_botx 六零行动是什么", chat=GROUP)  # somebody else
    # For the bot: a mention (stripped before asking).
    question = fake_api.message("@Policy_Test_Bot 孩子两岁有托育服务吗", chat=GROUP)
    answer = await fake_api.wait_for("sendMessage", after=mark)
    assert "托育" in answer.text and "来源" in answer.text
    # Replies quote the question in groups.
    assert answer.params["reply_parameters"]["message_id"] == question["message_id"]
    # Updates are handled in order, so everything before the mention was ignored.
    assert await _answered(fake_api, after=mark) == [answer.text]

    # A reply to one of the bot's own messages is for the bot, even without a mention.
    mark = fake_api.mark()
    fake_api.message("那养老呢", chat=GROUP, reply_to=fake_api.bot_message(answer))
    follow_up = await fake_api.wait_for("sendMessage", after=mark)
    assert follow_up.params["chat_id"] == CHAT_ID
    assert "养老" in follow_up.text or follow_up.buttons

    # A reply to another member is not.
    other = fake_api.message("你好", chat=GROUP, user_id=1002)
    mark = fake_api.mark()
    fake_api.message("六零行动是什么", chat=GROUP, reply_to=other)
    fake_api.message("/help", chat=GROUP)
    help_reply = await fake_api.wait_for("sendMessage", after=mark)
    assert "/term" in help_reply.text
    assert len(await _answered(fake_api, after=mark)) == 1

    # Commands addressed to this bot by name work too.
    mark = fake_api.mark()
    fake_api.message("/about@policy_test_bot", chat=GROUP)
    about = await fake_api.wait_for("sendMessage", after=mark)
    assert "资料来源" in about.text


async def test_a_mention_alone_gets_the_engines_empty_reply(tg_bot, fake_api):
    mark = fake_api.mark()
    fake_api.message("@policy_test_bot", chat=FakeBotApi.group(-100777, "group"))
    reply = await fake_api.wait_for("sendMessage", after=mark)
    assert "没有收到文字问题" in reply.text


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_flood_guard_warns_once_then_stays_silent_then_recovers(tg_bot, fake_api):
    clock = _Clock()
    tg_bot.bot_data.flood_guard = FloodGuard(limit=8, window=10.0, pause=30.0, clock=clock)
    mark = fake_api.mark()
    for _ in range(8):
        fake_api.message("谢谢")
    fake_api.message("谢谢")  # the ninth within ten seconds
    notice = await fake_api.wait_for("sendMessage", lambda c: c.text == FLOOD, after=mark)
    assert notice.params["chat_id"] == 1001
    assert await _answered(fake_api, after=mark) == ["不客气!还有其他想了解的,随时问我。"] * 8 + [
        FLOOD
    ]

    # Silent while paused: messages and taps alike (the tap is acknowledged, nothing sent).
    mark = fake_api.mark()
    fake_api.message("谢谢")
    fake_api.tap("a:gh-term-26", {"message_id": 1, "date": 0, "chat": fake_api.private()})
    tap_answer = await fake_api.wait_for("answerCallbackQuery", after=mark)
    assert "text" not in tap_answer.params
    # Another user is not affected.
    fake_api.message("谢谢", user_id=1002)
    await fake_api.wait_for("sendMessage", lambda c: c.params["chat_id"] == 1002, after=mark)
    assert [
        c.params["chat_id"] for c in fake_api.requests()[mark:] if c.method == "sendMessage"
    ] == [1002]

    clock.now += 31
    mark = fake_api.mark()
    fake_api.message("谢谢")
    reply = await fake_api.wait_for("sendMessage", after=mark)
    assert reply.params["chat_id"] == 1001 and reply.text != FLOOD


def test_flood_guard_counts_within_the_window_only() -> None:
    clock = _Clock()
    guard = FloodGuard(limit=3, window=10.0, pause=30.0, clock=clock)
    for _ in range(3):
        assert guard.check(1) == "ok"
        clock.now += 4  # 3 in 12 s: never more than 3 within 10 s
    # The first check has left the window, so this is the third in it, not the fourth.
    assert guard.check(1) == "ok"
    assert [guard.check(1) for _ in range(2)] == ["notice", "silent"]
    clock.now += 29.9
    assert guard.check(1) == "silent"
    clock.now += 0.2
    assert guard.check(1) == "ok"


def _lines_run(call: Callable[[], object]) -> int:
    """How many lines of bot/telegram/limits.py Python runs during ``call()``: its work,
    counted rather than timed."""
    count = 0

    def trace(frame: Any, event: str, arg: Any) -> Any:
        nonlocal count
        if frame.f_code.co_filename != telegram_limits.__file__:
            return None
        if event == "line":
            count += 1
        return trace

    sys.settrace(trace)
    try:
        call()
    finally:
        sys.settrace(None)
    return count


def _guard_with_active_users(users: int) -> tuple[FloodGuard, _Clock]:
    """A guard that has seen ``users`` users, all within its window."""
    clock = _Clock()
    guard = FloodGuard(limit=8, window=10.0, pause=30.0, clock=clock)
    for user in range(users):
        guard.check(user)
        clock.now += 5.0 / users
    return guard, clock


def test_flood_guard_work_per_update_does_not_grow_with_the_users() -> None:
    """With 15,000 users active in its window, an update costs what it costs with 100."""

    def work(users: int) -> int:
        guard, _ = _guard_with_active_users(users)
        new_user = _lines_run(lambda: guard.check(users + 1))
        returning = _lines_run(lambda: guard.check(0))
        return max(new_user, returning)

    assert work(15_000) <= work(100)


def test_flood_guard_forgets_users_once_they_have_been_quiet_for_a_window() -> None:
    """Memory follows the users active within the window, whatever came before."""
    guard, clock = _guard_with_active_users(15_000)
    for user in range(20):  # silence twenty of them
        for _ in range(9):
            guard.check(user)
    clock.now += 10.0
    assert guard.check(99_999) == "ok"
    assert guard.tracked == 21  # the twenty still silenced and the one just seen
    clock.now += 30.0
    assert guard.check(0) == "ok"  # the pause is over
    assert guard.tracked == 1


@pytest.mark.parametrize("chat_kind", ["group", "supergroup"])
async def test_group_kinds_are_both_filtered(tg_bot, fake_api, chat_kind):
    group = FakeBotApi.group(-100500, chat_kind)
    mark = fake_api.mark()
    fake_api.message("谢谢", chat=group)
    mention = fake_api.message("@policy_test_bot 谢谢", chat=group)
    # Wait for the answer to the mention: by then the message before it was handled.
    await fake_api.wait_for(
        "sendMessage",
        lambda c: c.params["reply_parameters"]["message_id"] == mention["message_id"],
        after=mark,
    )
    assert len(await _answered(fake_api, after=mark)) == 1
