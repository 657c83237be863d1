"""Every numeric limit of the Telegram layer, the flood guard and the retrying rate limiter."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import BadRequest, NetworkError, TimedOut
from telegram.ext import AIORateLimiter

logger = logging.getLogger(__name__)

# --- Telegram's own limits -------------------------------------------------------------

CALLBACK_LIMIT = 64  # bytes of callback_data

# --- what the bot shows ----------------------------------------------------------------

TERMS_PER_PAGE = 10  # glossary buttons on one page of /term
INLINE_RESULTS = 10  # answers offered to @bot 词
INLINE_DESCRIPTION_CHARS = 80  # of an inline result's answer, shown under its title
ECHO_CHARS = 20  # of a /term word that was not found, quoted back to the user
TOP_GROUPS = 5  # missed-question groups /missed lists
LABEL_CHARS = 28  # of a question on a curator's button
INLINE_CACHE_SECONDS = 60  # how long Telegram may reuse an inline answer

# --- waiting for the store -------------------------------------------------------------

# How long a handler waits for the store to confirm a write it depends on (an update's
# claim, a question written before its answer). A healthy store takes milliseconds; past
# this, or while the store is failing, the bot answers anyway: answering comes first.
STORE_WAIT = 1.0

# --- confirming updates (bot.telegram.delivery) ----------------------------------------

# How long a getUpdates may wait for the updates it confirms. Beyond it (a handler that
# hangs) the bot confirms anyway and says so: polling must not stop for good.
SETTLE_TIMEOUT = 30.0
# How long it then waits for the store to write their records (a healthy store takes
# milliseconds; a failing one is not waited for at all).
FLUSH_TIMEOUT = 5.0
# Updates handled side by side. Each waits mostly on Telegram, not the CPU: at 100 ms a
# round trip, 8 at once already outrun Telegram's 30 messages a second. It is also how many
# a crash can cut short: their questions are logged, but whether their replies went out
# cannot be known, and an update is never answered twice (see bot.telegram.handlers).
CONCURRENT_UPDATES = 8
# Updates that may wait for their chat's turn (PTB fetches at most 100 at a time).
WAITING_UPDATES = 256
# Connections for getUpdates and for every other call: what PTB uses itself.
GET_UPDATES_CONNECTIONS = 1
CALL_CONNECTIONS = 256

# --- flood guard -----------------------------------------------------------------------

FLOOD_LIMIT = 8  # updates a user may send within FLOOD_WINDOW
FLOOD_WINDOW = 10.0  # seconds
FLOOD_PAUSE = 30.0  # seconds of silence for a user over the limit

# --- retries ---------------------------------------------------------------------------

NETWORK_RETRIES = 3  # after a 5xx, a timeout or a dropped connection
RETRY_BACKOFF = 0.5  # seconds before the first retry, doubled for each next one
FLOOD_RETRIES = 3  # after a 429, each waiting out its retry_after


class FloodGuard:
    """Per-user limit: more than ``limit`` updates in ``window`` seconds gets one notice,
    then silence for ``pause`` seconds. In memory, on a monotonic clock.

    An update costs the same however many users there are: users are kept in the order
    they were last seen (and silenced users in the order their pause ends), so those
    quiet for a window are all at the front and are forgotten from there, each once.
    """

    def __init__(
        self,
        limit: int = FLOOD_LIMIT,
        window: float = FLOOD_WINDOW,
        pause: float = FLOOD_PAUSE,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.limit = limit
        self.window = window
        self.pause = pause
        self.clock = clock
        self._seen: OrderedDict[int, deque[float]] = OrderedDict()  # least recent first
        self._silenced_until: OrderedDict[int, float] = OrderedDict()  # first to end first

    @property
    def tracked(self) -> int:
        """Users held in memory: those seen within the window, and those silenced."""
        return len(self._seen) + len(self._silenced_until)

    def check(self, user_id: int) -> str:
        """Count one update: "ok", "notice" (the first one over the limit) or "silent"."""
        now = self.clock()
        self._forget(now)
        if user_id in self._silenced_until:
            return "silent"
        seen = self._seen.get(user_id)
        if seen is None:
            seen = self._seen[user_id] = deque()
        else:
            self._seen.move_to_end(user_id)
        while seen and now - seen[0] >= self.window:  # at most limit + 1 entries
            seen.popleft()
        seen.append(now)
        if len(seen) > self.limit:
            del self._seen[user_id]
            self._silenced_until[user_id] = now + self.pause
            return "notice"
        return "ok"

    def _forget(self, now: float) -> None:
        """Drop users quiet for a window and pauses that are over, from the front only."""
        while self._seen:
            user_id, seen = next(iter(self._seen.items()))
            if now - seen[-1] < self.window:
                break
            del self._seen[user_id]
        while self._silenced_until:
            user_id, until = next(iter(self._silenced_until.items()))
            if until > now:
                break
            del self._silenced_until[user_id]


class RetryingRateLimiter(AIORateLimiter):
    """PTB's rate limiter, which also waits out a 429 (``retry_after``) and tries again,
    plus retries after a 5xx, a timeout or a dropped connection.

    PTB itself never repeats a request that failed on the network, so without this a
    resident's answer is lost on the first hiccup. A retry can duplicate a message when
    Telegram did deliver it and only the response was lost: the Bot API has no
    idempotency key, and an answer shown twice is better than none. 400s (BadRequest),
    403s and 401s are not retried: they will fail the same way again.
    getUpdates never comes here: PTB's updater retries it itself.
    """

    def __init__(
        self,
        *,
        network_retries: int = NETWORK_RETRIES,
        backoff: float = RETRY_BACKOFF,
        max_retries: int = FLOOD_RETRIES,
    ):
        super().__init__(max_retries=max_retries)
        self.network_retries = network_retries
        self.backoff = backoff
        self.retried = 0  # network retries made, for tests and diagnostics

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        attempt = 0
        while True:
            try:
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
            except NetworkError as error:  # TimedOut included
                if isinstance(error, BadRequest) or attempt >= self.network_retries:
                    raise
                attempt += 1
                self.retried += 1
                kind = "timed out" if isinstance(error, TimedOut) else "failed"
                logger.warning(
                    "%s %s (%s); retry %d of %d",
                    endpoint,
                    kind,
                    error,
                    attempt,
                    self.network_retries,
                )
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
