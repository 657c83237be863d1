"""Confirm an update to Telegram only once it is handled and its question is on disk.

With long polling, asking getUpdates for offset N confirms every update below N, and
Telegram never sends a confirmed update again. python-telegram-bot's Updater asks for
the next offset as soon as it has *queued* a batch, so a process killed while working
through a batch has confirmed updates it never answered nor logged: they are lost.

Here the getUpdates request waits until every update below the offset it confirms has
been handled and the store has written what they queued. A crash then loses nothing
confirmed; Telegram redelivers the rest, and the claims in the store (``claim_update``
in bot.store.question_log, checked by the first handler in bot.telegram.handlers) keep an
update that was already answered from being answered again.

While the database is failing the bot does not wait for it (it would stop answering):
updates are confirmed once handled, and their records wait in memory for the database.
Webhook mode has its own way to the same end (bot/telegram/inbox.py): each update is stored
before Telegram gets its 200; the ledger tells it when an update is handled.

It also records what each update has shown its sender (``Shown``, ``TrackShown``), so
that an error after the answer went out brings no apology after it.

Both request objects hook ``HTTPXRequest.do_request``, PTB's documented extension point
(``BaseRequest.post`` is final): it sees each call's parameters and Telegram's raw answer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from contextvars import ContextVar
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from telegram import Update
from telegram.ext import SimpleUpdateProcessor
from telegram.request import BaseRequest, HTTPXRequest, RequestData

from bot.telegram.limits import (
    CALL_CONNECTIONS,
    CONCURRENT_UPDATES,
    FLUSH_TIMEOUT,
    GET_UPDATES_CONNECTIONS,
    SETTLE_TIMEOUT,
    WAITING_UPDATES,
)

logger = logging.getLogger(__name__)

# A timeout as do_request takes it: seconds, None, or PTB's DEFAULT_NONE (its type,
# ODVInput, lives in a private module).
Timeout = Any


class Ledger:
    """Update ids fetched from Telegram and not yet handled."""

    def __init__(self, flush: Callable[[float], Awaitable[bool]] | None = None):
        self.flush = flush  # writes what handled updates queued; set once the store exists
        self.on_handled: Callable[[int], None] | None = None  # the webhook's inbox
        self.last_poll: float | None = None  # time.monotonic() of the last getUpdates sent
        self._pending: set[int] = set()
        self._changed: asyncio.Event | None = None  # made in the running loop

    def received(self, update_ids: list[int]) -> None:
        self._pending.update(update_ids)

    def handled(self, update_id: int) -> None:
        self._pending.discard(update_id)
        if self.on_handled is not None:
            self.on_handled(update_id)
        if self._changed is not None:
            self._changed.set()

    def unhandled_below(self, offset: int) -> list[int]:
        return sorted(u for u in self._pending if u < offset)

    async def settle(self, offset: int, timeout: float = SETTLE_TIMEOUT) -> None:
        """Wait until every update below ``offset`` is handled and its records written."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        if self._changed is None:
            self._changed = asyncio.Event()
        while self.unhandled_below(offset):
            remaining = deadline - loop.time()
            if remaining <= 0:
                stuck = self.unhandled_below(offset)
                logger.error(
                    "updates %s are still being handled after %.0f s; confirming them anyway",
                    stuck,
                    timeout,
                )
                # Confirmed now: later batches must not wait for them all over again.
                self._pending.difference_update(stuck)
                break
            self._changed.clear()
            with suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)
        if self.flush is not None and not await self.flush(FLUSH_TIMEOUT):
            logger.warning("confirming updates whose records are not written yet")


class HookedRequest(HTTPXRequest):
    """PTB's HTTPX request with a hook before each call and one after Telegram answered.

    ``do_request`` is the extension point PTB documents (``BaseRequest.post``, which
    parses the answer, is final).
    """

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Timeout = BaseRequest.DEFAULT_NONE,
        write_timeout: Timeout = BaseRequest.DEFAULT_NONE,
        connect_timeout: Timeout = BaseRequest.DEFAULT_NONE,
        pool_timeout: Timeout = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        parameters = request_data.parameters if request_data is not None else {}
        await self.before(parameters)
        code, payload = await super().do_request(
            url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
        )
        # 2xx is what PTB reads as Telegram's "ok" (anything else raises in post).
        if HTTPStatus.OK <= code <= 299:
            self.accepted(url.rsplit("/", 1)[-1], parameters, payload)
        return code, payload

    async def before(self, parameters: dict[str, Any]) -> None:
        """Called with a call's parameters before it is sent."""

    def accepted(self, method: str, parameters: dict[str, Any], payload: bytes) -> None:
        """Called with the Bot API method, its parameters and Telegram's raw "ok" answer."""


class AckAfterHandling(HookedRequest):
    """The request object for getUpdates: waits on the ledger before confirming.

    PTB sends only getUpdates through this object (ApplicationBuilder.get_updates_request),
    the Updater's last call at shutdown included.
    """

    def __init__(self, ledger: Ledger, **kwargs: Any):
        kwargs.setdefault("connection_pool_size", GET_UPDATES_CONNECTIONS)
        super().__init__(**kwargs)
        self.ledger = ledger

    async def before(self, parameters: dict[str, Any]) -> None:
        offset = parameters.get("offset")
        if isinstance(offset, int) and offset > 0:
            await self.ledger.settle(offset)
        self.ledger.last_poll = time.monotonic()  # for the heartbeat (bot/telegram/health.py)

    def accepted(self, method: str, parameters: dict[str, Any], payload: bytes) -> None:
        self.ledger.received(_update_ids(payload))


def _update_ids(payload: bytes) -> list[int]:
    """The update ids in getUpdates' answer (none if PTB will refuse the answer anyway)."""
    try:
        result = json.loads(payload.decode("utf-8", "replace")).get("result")
    except (ValueError, AttributeError):
        return []
    if not isinstance(result, list):
        return []
    return [item["update_id"] for item in result if isinstance(item, dict) and "update_id" in item]


class LedgerProcessor(SimpleUpdateProcessor):
    """Handles updates of different chats side by side, each chat's in the order they came,
    and tells the ledger when an update is done (its handlers and error handler returned).

    One at a time, every reply waits for every earlier one's round trips to Telegram: at
    100 ms a call that is under 10 messages a second for the whole bot. Side by side, a
    slow network costs each chat its own latency only, while a resident's two messages are
    still answered in the order sent."""

    def __init__(self, ledger: Ledger, max_concurrent_updates: int = CONCURRENT_UPDATES):
        # PTB's own semaphore only bounds how many updates wait; ours, taken once a
        # chat's turn has come, bounds how many run. Taken the other way round, updates
        # queued behind one busy chat would hold every slot and stall all other chats.
        super().__init__(max(WAITING_UPDATES, max_concurrent_updates))
        self._running = asyncio.BoundedSemaphore(max_concurrent_updates)
        self.ledger = ledger
        self._chats: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}  # updates holding or awaiting each chat's lock

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _conversation_of(update)
        try:
            if key is None:
                async with self._running:
                    await coroutine
                return
            lock = self._chats.setdefault(key, asyncio.Lock())
            self._waiting[key] = self._waiting.get(key, 0) + 1
            try:
                # asyncio.Lock wakes waiters first come, first served, and updates reach
                # this point in the order PTB took them from Telegram.
                async with lock, self._running:
                    await coroutine
            finally:
                self._waiting[key] -= 1
                if not self._waiting[key]:  # nobody else holds or awaits it: forget it
                    del self._waiting[key], self._chats[key]
        finally:
            if isinstance(update, Update):
                self.ledger.handled(update.update_id)


def _conversation_of(update: object) -> int | None:
    """The chat an update belongs to (the user, for inline queries), if any."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None


# --- what an update has shown its sender ---------------------------------------------

# Bot API methods that put something in front of the user when Telegram accepts them.
SHOWING_METHODS = frozenset(
    {"sendMessage", "editMessageText", "answerInlineQuery", "sendPhoto", "sendDocument"}
)


@dataclass
class Shown:
    """What Telegram accepted while one update was handled."""

    message: bool = False  # a message sent or edited, an inline answer, a toast with text
    callback_answered: bool = False  # a tapped button's query was answered (at most once)

    def note(self, method: str, parameters: dict[str, Any]) -> None:
        if method in SHOWING_METHODS:
            self.message = True
        elif method == "answerCallbackQuery":
            self.callback_answered = True
            self.message = self.message or bool(parameters.get("text"))


# Each update is handled in its own task, and everything it sends is awaited in that task:
# a context variable set when handling starts is seen by the request layer below and by
# the error handler, and by nothing another update does.
_shown: ContextVar[Shown | None] = ContextVar("policybot_shown", default=None)


def start_tracking() -> Shown:
    """A fresh record for the update being handled in the current task."""
    shown = Shown()
    _shown.set(shown)
    return shown


def shown_so_far() -> Shown | None:
    """The record of the update being handled in the current task, if tracking started."""
    return _shown.get()


class TrackShown(HookedRequest):
    """The request object for every Bot API call but getUpdates: notes each call Telegram
    accepted in the current update's record.

    Noted as soon as Telegram answers "ok", before PTB reads the result: a message
    delivered whose echo PTB cannot read (a proxy returning fields in another shape) was
    still delivered.
    """

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("connection_pool_size", CALL_CONNECTIONS)
        super().__init__(**kwargs)

    def accepted(self, method: str, parameters: dict[str, Any], payload: bytes) -> None:
        shown = _shown.get()
        if shown is not None:
            shown.note(method, parameters)
