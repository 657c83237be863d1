"""Updates of different chats are handled side by side; each chat's in the order sent.

Over a real network every Bot API call takes a round trip. Handled one at a time, every
reply would wait for all earlier replies' round trips; here sendMessage takes 50 ms in the
fake server and the test checks the shape of the traffic, not its speed: replies to
different chats overlap, replies to one chat never do, and they come in message order.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_bot_api import BOT_USERNAME, TEST_TOKEN, FakeBotApi, running

from bot.config import Settings
from bot.telegram.application import build_application
from bot.telegram.limits import CONCURRENT_UPDATES

pytestmark = pytest.mark.slow  # several processes on one database

ROOT = Path(__file__).resolve().parents[1]
ROUND_TRIP = 0.05  # seconds a sendMessage takes, as over a network
USERS = 12
# Each question with a word only its answer holds, to tell the replies apart.
QUESTIONS = {
    "孩子两岁有托育服务吗": "托育",
    "六零行动是什么": "零跑动",
    "观湖有多少家国高企业": "242",
}


class RoundTripApi(FakeBotApi):
    """The fake Bot API with sendMessage taking ROUND_TRIP, counting overlaps."""

    def __init__(self) -> None:
        super().__init__()
        self.in_flight: Counter[int] = Counter()
        self.most_at_once = 0
        self.most_in_one_chat = 0
        self._count = threading.Lock()

    async def _handle(
        self, token: str, method: str, params: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        if method != "sendMessage":
            return await super()._handle(token, method, params)
        chat = int(params["chat_id"])
        with self._count:
            self.in_flight[chat] += 1
            self.most_at_once = max(self.most_at_once, sum(self.in_flight.values()))
            self.most_in_one_chat = max(self.most_in_one_chat, self.in_flight[chat])
        try:
            await asyncio.sleep(ROUND_TRIP)
            return await super()._handle(token, method, params)
        finally:
            with self._count:
                self.in_flight[chat] -= 1


@pytest.fixture
def slow_api() -> Iterator[RoundTripApi]:
    with RoundTripApi() as api:
        yield api
    assert not api.bad_requests


@pytest.fixture
def slow_settings(slow_api: RoundTripApi, tmp_path: Path) -> Settings:
    """Settings pointing the bot at the slow fake server, with a throwaway database."""
    return Settings(
        root=ROOT,
        token=TEST_TOKEN,
        base_url=slow_api.base_url,
        db_path=tmp_path / "policybot.db",
        listen="127.0.0.1",
    )


async def test_chats_are_answered_side_by_side_each_in_order(
    slow_api: RoundTripApi, slow_settings: Settings, tg_engine: Any
) -> None:
    application = build_application(slow_settings, tg_engine, rate_limited=False)
    asked: dict[int, list[str]] = defaultdict(list)
    async with running(application):
        for question in QUESTIONS:
            for user in range(USERS):
                slow_api.message(question, user_id=5000 + user)
                asked[5000 + user].append(QUESTIONS[question])
        for _ in range(300):
            if len(slow_api.sent()) >= USERS * len(QUESTIONS):
                break
            await asyncio.sleep(0.05)

    sent = slow_api.sent()
    assert len(sent) == USERS * len(QUESTIONS)
    assert 1 < slow_api.most_at_once <= CONCURRENT_UPDATES
    assert slow_api.most_in_one_chat == 1
    replied: dict[int, list[str]] = defaultdict(list)
    for call in sent:
        mark = next(m for m in QUESTIONS.values() if m in call.text)
        replied[int(call.params["chat_id"])].append(mark)
    assert replied == asked


async def test_one_busy_chat_does_not_hold_up_the_others(
    slow_api: RoundTripApi, slow_settings: Settings, tg_engine: Any
) -> None:
    application = build_application(slow_settings, tg_engine, rate_limited=False)
    group, other = FakeBotApi.group(), 6100
    async with running(application):
        # A busy group: twelve members asking at once, more than there are slots.
        for member in range(12):
            slow_api.message(f"@{BOT_USERNAME} 六零行动是什么", user_id=6000 + member, chat=group)
        slow_api.message("孩子两岁有托育服务吗", user_id=other)
        for _ in range(300):
            if len(slow_api.sent()) >= 13:
                break
            await asyncio.sleep(0.05)
    chats = [int(call.params["chat_id"]) for call in slow_api.sent()]
    assert len(chats) == 13
    # The group's replies go one after another; the other chat's does not queue behind
    # them (waiting for a chat's turn takes none of the slots that run updates).
    assert chats.index(other) < 4, chats
