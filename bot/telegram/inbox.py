"""Webhook mode that loses no update it accepted and answers none twice.

python-telegram-bot's own webhook answers Telegram's POST with 200 before it handles the
update, and Telegram never posts an update again once it got a 200: a crash between the
two lost it. It handled the same ``update_id`` as often as it was posted. And it read the
whole body (up to 100 MB) before looking at the secret.

Here the webhook server (``InboxUpdater``, which replaces PTB's server and keeps the rest
of its Updater) checks the secret and the announced size from the headers, before
reading the body: 403 without the right secret, 413 over MAX_BODY, and the connection is
closed unread. An accepted update is written to the ``webhook_inbox`` table of the bot's
SQLite file, and committed, before the 200; it is then handled as any other update and
marked handled once its handlers have returned (``Ledger.on_handled``). An ``update_id``
already in the inbox gets 200 and is not handled again. At start-up, rows a killed
process left unhandled are queued before anything new. Whether an update cut short by a
crash had already been answered is decided as in polling mode, by the claims in the
store (``claim_update`` in bot.telegram.handlers): never twice, and an update in flight at the
kill may go unanswered.

While the inbox cannot be written (database locked, read-only, full), an update is
handled from memory and its 200 waits until it is handled, as getUpdates waits in
polling mode (bot/telegram/delivery.py): a crash then loses nothing either, and the bot keeps
answering.

Text in a stored update is masked (bot.privacy) like everything else the bot stores, so
an update replayed after a crash is answered from its masked text; a handled row keeps
only its id and times, for 48 hours, to recognise a late copy.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hmac
import json
import logging
import re
import sqlite3
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from pathlib import Path
from typing import Any, TypeVar

import tornado.httpserver
import tornado.web
from telegram import Bot, Update
from telegram.ext import ExtBot, Updater

from bot.privacy import mask
from bot.telegram.delivery import Ledger
from bot.telegram.limits import SETTLE_TIMEOUT

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's updates are a few kilobytes (a message is at most 4,096 characters).
MAX_BODY = 1024 * 1024
BODY_TIMEOUT = 30.0  # seconds a client may take to send a body once its headers passed
# Telegram gives up on an update after 24 hours: a handled row older than this can no
# longer be posted again (the store keeps its claims as long).
KEEP = timedelta(hours=48)
PRUNE_EVERY = timedelta(hours=1)
# Update ids handled from memory while the inbox could not be written, remembered so that
# a copy posted meanwhile is not handled again.
REMEMBERED = 10_000
# String fields of an update that must come back exactly as sent: callback data and the
# ids Telegram asks to be answered with. Every other string is masked before it is stored.
VERBATIM = frozenset({"data", "id", "inline_message_id", "chat_instance", "file_id"})

T = TypeVar("T")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def masked_update(data: Any, key: str = "") -> Any:
    """``data`` (a decoded update) with every string masked, except VERBATIM fields."""
    if isinstance(data, dict):
        return {k: masked_update(v, k) for k, v in data.items()}
    if isinstance(data, list):
        return [masked_update(item, key) for item in data]
    if isinstance(data, str) and key not in VERBATIM:
        return mask(data)
    return data


class Inbox:
    """The ``webhook_inbox`` table, on a thread of its own: one connection, one write at a
    time, never on the event loop."""

    def __init__(self, path: Path, busy_timeout: float = 5.0):
        self.path = path
        self.busy_timeout = busy_timeout
        self._executor = concurrent.futures.ThreadPoolExecutor(1, "policybot-inbox")
        self._db: sqlite3.Connection | None = None
        self._last_prune = utc_now() - PRUNE_EVERY

    async def call(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` on the inbox's thread."""
        return await asyncio.wrap_future(self.submit(function, *args))

    def submit(self, function: Callable[..., T], *args: Any) -> concurrent.futures.Future[T]:
        """Queue ``function(*args)`` on the inbox's thread, in the order asked."""
        return self._executor.submit(function, *args)

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Used by one thread at a time (the executor's), not always the same one.
            db = sqlite3.connect(str(self.path), timeout=self.busy_timeout, check_same_thread=False)
            try:
                db.execute("PRAGMA journal_mode=WAL")  # as the store: readers never wait
                db.execute(
                    "CREATE TABLE IF NOT EXISTS webhook_inbox (update_id INTEGER PRIMARY KEY,"
                    " received TEXT NOT NULL, body TEXT, handled TEXT)"
                )
                db.commit()
            except BaseException:
                db.close()
                raise
            self._db = db
        return self._db

    def accept(self, update_id: int, body: str) -> bool:
        """Store an update and commit; False if ``update_id`` was stored before."""
        db = self._connection()
        with db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO webhook_inbox (update_id, received, body) VALUES (?, ?, ?)",
                [update_id, iso(utc_now()), body],
            )
        self._prune(db)
        return cursor.rowcount == 1

    def unhandled(self) -> list[tuple[int, str]]:
        """(update_id, body) of every update accepted and not handled, oldest first."""
        rows = self._connection().execute(
            "SELECT update_id, body FROM webhook_inbox WHERE handled IS NULL ORDER BY update_id"
        )
        return [(int(update_id), str(body)) for update_id, body in rows]

    def mark_handled(self, update_id: int) -> None:
        """Record that an update was handled; its body is no longer needed."""
        db = self._connection()
        with db:
            db.execute(
                "UPDATE webhook_inbox SET handled = ?, body = NULL WHERE update_id = ?",
                [iso(utc_now()), update_id],
            )

    def _prune(self, db: sqlite3.Connection) -> None:
        now = utc_now()
        if now - self._last_prune < PRUNE_EVERY:
            return
        self._last_prune = now
        with db:
            db.execute(
                "DELETE FROM webhook_inbox WHERE handled IS NOT NULL AND received < ?",
                [iso(now - KEEP)],
            )

    def close(self) -> None:
        """Finish the writes already asked for, then close the connection."""

        def close_connection() -> None:
            if self._db is not None:
                self._db.close()
                self._db = None

        self._executor.submit(close_connection)
        self._executor.shutdown(wait=True)


class _Listener:
    """The HTTP server for the webhook, with the interface PTB's Updater expects of one
    (``serve_forever``, ``shutdown``)."""

    def __init__(self, application: tornado.web.Application, listen: str, port: int):
        self.listen = listen
        self.port = port
        self.is_running = False
        # A body over MAX_BODY is refused on any path, not only the webhook's.
        self._server = tornado.httpserver.HTTPServer(
            application, max_body_size=MAX_BODY, body_timeout=BODY_TIMEOUT
        )

    def bind(self) -> None:
        """Listen now (OSError if the port is taken), before anything is announced."""
        self._server.listen(self.port, address=self.listen)
        self.is_running = True

    async def serve_forever(self, ready: asyncio.Event | None = None) -> None:
        if not self.is_running:
            self.bind()
        if ready is not None:
            ready.set()

    async def shutdown(self) -> None:
        if self.is_running:
            self.is_running = False
            self._server.stop()
            await self._server.close_all_connections()


@tornado.web.stream_request_body
class WebhookHandler(tornado.web.RequestHandler):
    """Telegram's POSTs: secret and size checked from the headers, the update stored
    before the 200."""

    SUPPORTED_METHODS = ("POST",)

    def initialize(self, updater: InboxUpdater) -> None:
        self.updater = updater
        self.body = bytearray()

    def prepare(self) -> None:
        """Refuse on the headers alone: the body is not read (the connection is closed)."""
        sent = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(sent.encode(), self.updater.secret.encode()):
            raise tornado.web.HTTPError(HTTPStatus.FORBIDDEN)
        length = self.request.headers.get("Content-Length", "0")
        if not length.isdigit() or int(length) > MAX_BODY:
            raise tornado.web.HTTPError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)

    def data_received(self, chunk: bytes) -> None:
        self.body += chunk  # at most MAX_BODY: the server refuses more

    async def post(self) -> None:
        """Store the update, answer 200 (once it is handled if it could not be stored)."""
        try:
            data = json.loads(self.body)
            update_id = data["update_id"]
            if not isinstance(update_id, int):
                raise TypeError("update_id is not an integer")
            update = Update.de_json(data, self.updater.bot)
        except Exception as error:  # not an update: nothing Telegram would send
            log.warning("webhook: refused a body that is not an update (%s)", type(error).__name__)
            raise tornado.web.HTTPError(HTTPStatus.BAD_REQUEST) from None
        await self.updater.receive(update, data)

    def log_exception(self, *args: Any) -> None:
        """Tornado would log refused requests as warnings with their URL; they are normal."""

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.finish()  # an empty body: nothing to tell a stranger


class InboxUpdater(Updater):
    """PTB's Updater (polling unchanged) with the webhook server of this module."""

    def __init__(self, bot: Bot, update_queue: asyncio.Queue, ledger: Ledger, db_path: Path):
        super().__init__(bot=bot, update_queue=update_queue)
        self.db_path = db_path
        self.secret = ""
        self.inbox: Inbox | None = None
        self._inbox_failing = False
        self._in_memory: dict[int, asyncio.Future[None] | None] = {}
        self._remembered: OrderedDict[int, None] = OrderedDict()
        ledger.on_handled = self.handled

    async def _start_webhook(
        self,
        listen: str,
        port: int,
        url_path: str,
        bootstrap_retries: int,
        allowed_updates: Any,
        cert: Any = None,
        key: Any = None,
        drop_pending_updates: bool | None = None,
        webhook_url: str | None = None,
        ready: asyncio.Event | None = None,
        ip_address: str | None = None,
        max_connections: int = 40,
        secret_token: str | None = None,
        unix: Any = None,
    ) -> None:
        """Open the inbox, queue what it holds unhandled, listen, then call setWebhook."""
        if not secret_token or cert or key or unix or not webhook_url:
            raise ValueError("this webhook needs a secret and a URL, and no certificate or socket")
        self.secret = secret_token
        self.inbox = Inbox(self.db_path)
        await self._replay(self.inbox)
        path = "/" + url_path.strip("/")
        app = tornado.web.Application(
            [(rf"{re.escape(path)}/?", WebhookHandler, {"updater": self})],
            log_function=lambda handler: None,  # no access log: one line per update
        )
        listener = _Listener(app, listen, port)
        listener.bind()
        self._httpd = listener  # type: ignore[assignment]
        try:
            await self._bootstrap(
                max_retries=bootstrap_retries,
                drop_pending_updates=drop_pending_updates,
                webhook_url=webhook_url,
                allowed_updates=allowed_updates,
                ip_address=ip_address,
                max_connections=max_connections,
                secret_token=secret_token,
            )
        except BaseException:
            await listener.shutdown()
            raise
        await listener.serve_forever(ready=ready)

    async def _replay(self, inbox: Inbox) -> None:
        """Queue the updates a killed process accepted and did not finish handling."""
        try:
            rows = await inbox.call(inbox.unhandled)
        except (sqlite3.Error, OSError) as error:
            log.error("webhook: cannot read the updates accepted before a restart: %s", error)
            return
        if rows:
            log.info("webhook: handling %d update(s) accepted before a restart", len(rows))
        for update_id, body in rows:
            try:
                update = Update.de_json(json.loads(body), self.bot)
            except Exception as error:
                log.error("webhook: stored update %d is unreadable (%s)", update_id, error)
                await inbox.call(inbox.mark_handled, update_id)
                continue
            await self.update_queue.put(update)

    async def receive(self, update: Update, data: dict[str, Any]) -> None:
        """Keep ``update`` (in the inbox, else in memory), then queue it unless it came
        before. Returns when Telegram may be told 200."""
        update_id = update.update_id
        if update_id in self._in_memory or update_id in self._remembered:
            return await self._wait_in_memory(update_id)
        assert self.inbox is not None
        body = json.dumps(masked_update(data), ensure_ascii=False)
        try:
            new = await self.inbox.call(self.inbox.accept, update_id, body)
        except (sqlite3.Error, OSError) as error:
            self._note_inbox_failure(error)
            return await self._handle_in_memory(update)
        if self._inbox_failing:
            log.info("webhook: the inbox is written again")
            self._inbox_failing = False
        if not new:
            log.info("webhook: update %d was received before; not handled again", update_id)
            return
        if isinstance(self.bot, ExtBot):
            self.bot.insert_callback_data(update)
        log.debug("webhook: update %d stored", update_id)
        await self.update_queue.put(update)

    def _note_inbox_failure(self, error: BaseException) -> None:
        if not self._inbox_failing:
            log.warning(
                "webhook: cannot store updates (%s: %s); each is answered 200 once handled",
                type(error).__name__,
                error,
            )
        self._inbox_failing = True

    async def _handle_in_memory(self, update: Update) -> None:
        """Queue ``update`` and wait until it is handled: Telegram keeps it until then."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._in_memory[update.update_id] = waiter
        if isinstance(self.bot, ExtBot):
            self.bot.insert_callback_data(update)
        await self.update_queue.put(update)
        await self._wait_in_memory(update.update_id)

    async def _wait_in_memory(self, update_id: int) -> None:
        waiter = self._in_memory.get(update_id)
        if waiter is None:
            return  # handled already
        try:
            await asyncio.wait_for(asyncio.shield(waiter), SETTLE_TIMEOUT)
        except asyncio.TimeoutError:
            log.error("webhook: update %d is still being handled; answering 200", update_id)

    def handled(self, update_id: int) -> None:
        """Called by the ledger once an update's handlers have returned."""
        waiter = self._in_memory.pop(update_id, None)
        if waiter is not None:
            if not waiter.done():
                waiter.set_result(None)
            self._remembered[update_id] = None
            while len(self._remembered) > REMEMBERED:
                self._remembered.popitem(last=False)
            return
        if self.inbox is not None:
            marked = self.inbox.submit(self.inbox.mark_handled, update_id)
            marked.add_done_callback(_log_mark_failure)

    async def shutdown(self) -> None:
        """Close the inbox after the Application has handled what it was given."""
        await super().shutdown()
        if self.inbox is not None:
            inbox, self.inbox = self.inbox, None
            await asyncio.to_thread(inbox.close)


def _log_mark_failure(marked: concurrent.futures.Future[None]) -> None:
    # Unmarked, the update is queued again after a restart, and its claim in the store
    # keeps it from being answered twice.
    if not marked.cancelled() and marked.exception() is not None:
        log.warning("webhook: could not mark an update handled: %s", marked.exception())
