"""Webhook mode end to end: what is checked before a request's body is read, and an
update posted more than once answered once.

The real Application serves the webhook on a loopback port, with the real SQLite store,
and answers through the fake Bot API. Requests are raw HTTP where the test needs to
control what is sent (headers without their body).
"""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
import threading
from collections.abc import AsyncIterator
from contextlib import closing
from dataclasses import replace
from typing import Any

import httpx
import pytest
from fake_bot_api import FakeBotApi

from bot.store.question_log import Store
from bot.telegram.application import build_application, webhook_options
from bot.telegram.inbox import Inbox

SECRET = "inbox_Secret-42"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
JSON_WITH_SECRET = {"Content-Type": "application/json", HEADER: SECRET}
HUGE = 95_000_000  # bytes: what one post claimed, six times over, in the issue
ANSWER_WAIT = 10.0  # seconds to wait for the bot's answer to a request


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def update_body(update_id: int, text: str, user_id: int = 1001) -> str:
    """What Telegram posts for a private text message (JSON escapes non-ASCII)."""
    message = {
        "message_id": update_id,
        "date": 0,
        "chat": FakeBotApi.private(user_id),
        "from": FakeBotApi.user(user_id),
        "text": text,
    }
    return json.dumps({"update_id": update_id, "message": message})


@pytest.fixture
async def hook(tg_settings, tg_engine, fake_api) -> AsyncIterator[dict[str, Any]]:
    """The bot in webhook mode on a free loopback port, with a real store."""
    settings = replace(
        tg_settings,
        webhook_url="https://bot.example.test/tg-hook",
        webhook_secret=SECRET,
        port=free_port(),
    )
    store = Store(settings.db_path).open()
    application = build_application(settings, tg_engine, store)
    await application.initialize()
    await application.post_init(application)
    await application.updater.start_webhook(**webhook_options(settings))
    await application.start()
    try:
        yield {"port": settings.port, "url": f"http://127.0.0.1:{settings.port}/tg-hook"}
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        await application.post_shutdown(application)


async def raw_request(port: int, head: str) -> int:
    """Send only ``head`` (request line and headers, no body) and return the status code
    of the answer; fails if none comes, as when the server waits for the body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head.encode("latin-1"))
        await writer.drain()
        try:
            status_line = await asyncio.wait_for(reader.readline(), ANSWER_WAIT)
        except asyncio.TimeoutError:
            raise AssertionError("no answer: the server is waiting for the body") from None
        return int(status_line.split()[1])
    finally:
        writer.close()


def post_head(length: int, secret: str | None) -> str:
    lines = [
        "POST /tg-hook HTTP/1.1",
        "Host: 127.0.0.1",
        "Content-Type: application/json",
        f"Content-Length: {length}",
    ]
    if secret is not None:
        lines.append(f"{HEADER}: {secret}")
    return "\r\n".join(lines) + "\r\n\r\n"


# --- before the body is read ---------------------------------------------------------


@pytest.mark.parametrize("secret", [None, "guess"], ids=["no-secret", "wrong-secret"])
async def test_a_post_without_the_secret_is_refused_before_its_body_is_read(
    hook, fake_api, secret
) -> None:
    """A 95 MB post without the secret is answered 403 from its headers alone."""
    assert await raw_request(hook["port"], post_head(HUGE, secret)) == 403
    assert fake_api.sent() == []


async def test_a_body_over_one_megabyte_is_refused_before_it_is_read(hook, fake_api) -> None:
    """With the secret, a post announcing more than 1 MB gets 413 without being read;
    a normal update on the next connection is answered."""
    assert await raw_request(hook["port"], post_head(1_048_577, SECRET)) == 413
    async with httpx.AsyncClient() as client:
        accepted = await client.post(
            hook["url"], content=update_body(1, "谢谢"), headers=JSON_WITH_SECRET
        )
    assert accepted.status_code == 200
    await fake_api.wait_for("sendMessage")


# --- replays -------------------------------------------------------------------------


async def test_the_same_update_posted_three_times_is_answered_once(hook, fake_api) -> None:
    """Telegram posts an update again when it did not get our 200 (or someone replays
    one with the secret): every post gets 200, one answer goes out."""
    body = update_body(7, "孩子两岁有托育服务吗")
    async with httpx.AsyncClient() as client:
        answers = await asyncio.gather(
            *(client.post(hook["url"], content=body, headers=JSON_WITH_SECRET) for _ in range(3))
        )
        assert [a.status_code for a in answers] == [200, 200, 200]
        # Same chat, so answered after update 7 and its copies (each chat's in order).
        later = await client.post(
            hook["url"], content=update_body(8, "谢谢"), headers=JSON_WITH_SECRET
        )
        assert later.status_code == 200
    await fake_api.wait_for("sendMessage", lambda c: "不客气" in c.text, timeout=ANSWER_WAIT)
    texts = [call.text for call in fake_api.sent()]
    assert len(texts) == 2, texts
    assert "来源" in texts[0]


async def test_while_the_inbox_cannot_be_written_the_200_waits_for_the_answer(
    hook, fake_api, monkeypatch
) -> None:
    """A locked or full database must not stop the bot: the update is handled from
    memory and Telegram gets its 200 only then (it keeps the update until it does)."""

    def locked(self: Inbox, update_id: int, body: str) -> bool:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(Inbox, "accept", locked)
    body = update_body(11, "谢谢")
    async with httpx.AsyncClient() as client:
        answer = await client.post(hook["url"], content=body, headers=JSON_WITH_SECRET)
        assert answer.status_code == 200
        assert len(fake_api.sent()) == 1  # answered before the 200
        again = await client.post(hook["url"], content=body, headers=JSON_WITH_SECRET)
        assert again.status_code == 200
    assert len(fake_api.sent()) == 1


# --- nothing personal kept -----------------------------------------------------------


async def test_the_stored_update_holds_no_personal_number(hook, fake_api, tg_settings) -> None:
    """The inbox keeps an update until it is handled: its text is masked like the
    question log's, in every table and in the files' bytes (WAL included)."""
    async with httpx.AsyncClient() as client:
        answer = await client.post(
            hook["url"],
            content=update_body(9, "我的手机13812345678,孩子两岁有托育服务吗"),
            headers=JSON_WITH_SECRET,
        )
    assert answer.status_code == 200
    await fake_api.wait_for("sendMessage", timeout=ANSWER_WAIT)
    db_path = tg_settings.db_path
    with closing(sqlite3.connect(db_path)) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        values = [
            str(value)
            for table in tables
            for row in db.execute(f"SELECT * FROM {table}")
            for value in row
        ]
    assert not any("13812345678" in value for value in values)
    raw = b"".join(p.read_bytes() for p in db_path.parent.glob(db_path.name + "*"))
    assert b"13812345678" not in raw


# --- the inbox and the store share the file --------------------------------------------


class _ReadsThenMeetsTheInbox(Store):
    """A store whose batch reads before it writes (sqlite-utils looks at the table first)
    while the webhook inbox commits an update to the same file."""

    def __init__(self, path: Any) -> None:
        super().__init__(path)
        self.inbox = Inbox(path)
        self.inbox_writes: list[threading.Thread] = []

    def _apply(self, db: Any, batch: Any) -> None:
        db.execute("SELECT COUNT(*) FROM questions").fetchall()
        update_id = len(self.inbox_writes) + 1
        writer = threading.Thread(target=self.inbox.accept, args=(update_id, "{}"))
        self.inbox_writes.append(writer)
        writer.start()
        writer.join(0.5)  # the inbox has written, or waits for the store's lock
        super()._apply(db, batch)


def test_the_store_writes_while_the_inbox_writes_the_same_file(tmp_path) -> None:
    """An inbox commit between the store's read and its write must not fail the batch
    (a deferred transaction then fails at once, "database is locked", without waiting)."""
    store = _ReadsThenMeetsTheInbox(tmp_path / "policybot.db").open()
    try:
        store.claim_update(1)
        assert store.flush(5.0)
        assert store.failures == 0
    finally:
        store.close(timeout=1.0)
        for writer in store.inbox_writes:
            writer.join(10)
        store.inbox.close()
    with closing(sqlite3.connect(tmp_path / "policybot.db")) as db:
        assert db.execute("SELECT update_id FROM updates").fetchall() == [(1,)]
        assert db.execute("SELECT COUNT(*) FROM webhook_inbox").fetchone()[0] == 1
