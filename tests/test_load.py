"""Load: 1,000 users sending 5 messages each at once, through the real Application.

The bot polls the fake Bot API over HTTP on 127.0.0.1 and logs to a real SQLite file
(the store post_init opens from the settings, as in production). Every message must get
exactly one reply and every question must be logged exactly once. Speed is not asserted
here: `make bench-load` measures it.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import sys
from collections import Counter

import pytest
from fake_bot_api import MIXED_QUESTIONS, running

from bot.engine.messages import FLOOD
from bot.telegram.application import build_application

pytestmark = pytest.mark.slow  # load test

USERS = 1000
PER_USER = 5
QUESTIONS = MIXED_QUESTIONS


async def test_1000_users_sending_5_messages_each_all_get_replies_all_logged_once(
    tg_settings, tg_engine, fake_api
):
    settings = tg_settings  # db_path: a fresh file under tmp_path
    # Without the rate limiter: Telegram's ~30 messages/s would make 5,000 replies take
    # three minutes, and the fake server has no limit to protect. Everything else (the
    # flood guard, claims, confirm-after-handling, the SQLite writer) is as in production.
    application = build_application(settings, tg_engine, rate_limited=False)
    # The flood guard is left as it is: 5 messages per user stay within its limit, so
    # every user must get 5 answers. (Were the limit lowered below 5, this test would
    # say so here rather than fail on missing replies.)
    assert application.bot_data.flood_guard.limit >= PER_USER

    # Messages "at once": all queued before the bot fetches them, users interleaved the
    # way simultaneous senders arrive, each user's own messages in order.
    senders = [user for user in range(USERS) for _ in range(PER_USER)]
    random.Random(5).shuffle(senders)
    asked: Counter[int] = Counter()

    # This process also runs the fake server's thread: the bot's event loop and its
    # store writer then wait up to Python's 5 ms thread switch interval for the GIL at
    # every hand-over. A shorter interval keeps the test's runtime that of the bot, not
    # of the GIL; it changes no result.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)
    try:
        async with running(application):
            for user in senders:
                question = QUESTIONS[(user + asked[user]) % len(QUESTIONS)]
                fake_api.message(question, user_id=100_000 + user)
                asked[user] += 1
            for _ in range(3000):  # at most five minutes, only if the bot stalls
                if len(fake_api.sent()) >= USERS * PER_USER:
                    break
                await asyncio.sleep(0.1)
        # running() has now shut the application down: post_shutdown closed the store.
    finally:
        sys.setswitchinterval(interval)

    sent = fake_api.sent()
    assert len(sent) == USERS * PER_USER
    per_chat = Counter(call.params["chat_id"] for call in sent)
    assert set(per_chat) == {100_000 + user for user in range(USERS)}
    assert set(per_chat.values()) == {PER_USER}
    assert not [call for call in sent if call.text == FLOOD]

    with sqlite3.connect(settings.db_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        (questions,) = db.execute("SELECT COUNT(*) FROM questions").fetchone()
        logged = {
            update_id
            for (update_id,) in db.execute(
                "SELECT u.update_id FROM updates u JOIN questions q ON q.id = u.question_id"
            )
        }
        outcomes = dict(db.execute("SELECT outcome, COUNT(*) FROM questions GROUP BY outcome"))
    # As many questions as messages, and each message's update names one of them.
    assert questions == USERS * PER_USER
    assert logged == set(range(1, USERS * PER_USER + 1))  # update ids count from 1
    # The load was real questions, not one cached path: answers, misses and intents.
    assert {"answer", "miss", "intent"} <= set(outcomes)
