"""A fake Telegram Bot API server on loopback, for end-to-end tests without the internet.

The server runs tornado in its own thread and event loop, so it serves both async tests
(whose loop runs the bot) and sync tests (where ``run_bot`` owns the main thread). Tests
queue user updates with the builder methods (``message``, ``tap``, ``inline``), the bot
long-polls them with getUpdates, and every request the bot makes is recorded as a
``Call`` that tests wait for with ``wait_for`` / ``wait_for_sync``.

Faults: ``inject(method, *faults)`` queues ``Fault``s for a method; each of the next calls
of that method meets one (a 429 with retry_after, a 5xx, a stall longer than the client's
timeout, a dropped connection) instead of the normal answer. ``faults_met`` records them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import html
import itertools
import json
import re
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import tornado.httpserver
import tornado.netutil
import tornado.web

# What simulated residents ask in load tests and benchmarks: answers, a clarify, misses
# and intents, so a load exercises every path rather than one cached reply.
MIXED_QUESTIONS = [
    "孩子两岁有托育服务吗",
    "六零行动是什么",
    "路长治",
    "公积金怎么提取",
    "观湖街道的雪亮工程",
    "坪山街道垃圾分类做得怎么样",
    "你好",
    "隔离在家心情很差,能找人聊聊吗",
    "谢谢",
    "老旧小区改造有哪些",
    "今天天气怎么样",
]

TEST_TOKEN = "123456789:TEST-token-not-real-ABCDEFGHIJKLMNOPQRS"
BOT_USERNAME = "policy_test_bot"
CURATOR_ID = 1001  # the curator of the curator_settings fixture (tests/conftest.py)
STAFF_CHAT = -1009876543210  # the staff group of the staffed_bot fixture (tests/conftest.py)

# Parameters PTB sends as JSON-encoded strings (form fields are otherwise plain text).
_INT_PARAMS = {
    "chat_id",
    "message_id",
    "offset",
    "limit",
    "timeout",
    "user_id",
    "cache_time",
    "message_thread_id",
}


@dataclass(frozen=True)
class Fault:
    """One failure the server shows a request instead of its normal answer.

    ``processed``: the call takes effect (a message is delivered) before the failure,
    as when Telegram did its work and only the response was lost.
    """

    kind: str  # "status" | "stall" | "drop" | "odd"
    status: int = 500
    retry_after: int | None = None
    seconds: float = 0.0
    processed: bool = False

    @classmethod
    def too_many(cls, retry_after: int = 1) -> Fault:
        return cls("status", status=429, retry_after=retry_after)

    @classmethod
    def error(cls, status: int = 500, *, processed: bool = False) -> Fault:
        return cls("status", status=status, processed=processed)

    @classmethod
    def stall(cls, seconds: float, *, processed: bool = False) -> Fault:
        """Answer nothing for ``seconds``, then close the connection."""
        return cls("stall", seconds=seconds, processed=processed)

    @classmethod
    def drop(cls, *, processed: bool = False) -> Fault:
        """Close the connection without an answer."""
        return cls("drop", processed=processed)

    @classmethod
    def odd(cls) -> Fault:
        """Do the work and answer "ok", but echo the message back in a shape the client
        cannot read (its sender as a bare name, as some Bot API proxies do)."""
        return cls("odd", processed=True)


class _Dropped(Exception):
    """The handler closes the connection instead of answering."""


@dataclass
class Call:
    """One request the bot made."""

    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def plain(self) -> str:
        """The text as the user reads it: tags dropped, entities read."""
        return html.unescape(re.sub(r"<[^>]+>", "", self.text))

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback_data) of every inline button, row by row."""
        markup = self.params.get("reply_markup") or {}
        return [
            (button["text"], button.get("callback_data", ""))
            for row in markup.get("inline_keyboard", [])
            for button in row
        ]

    @property
    def labels(self) -> list[str]:
        return [label for label, _ in self.buttons]

    def data_for(self, label_part: str) -> str:
        """The callback data of the first button whose label contains ``label_part``."""
        for label, data in self.buttons:
            if label_part in label:
                return data
        raise AssertionError(f"no button with {label_part!r} in {self.labels}")


# Telegram's HTML subset (the tags this bot may use; only a link has an attribute, and its
# target must be a web or tg:// address with no raw quote in it).
_TAG = re.compile(
    r"<(/?)(b|strong|i|em|u|ins|s|strike|del|code|pre|tg-spoiler|blockquote"
    r"|a(?= href=\"(?:https?|tg)://[^\"<>]*\")|a(?=>))(?: href=\"[^\"]*\")?>"
)
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
MESSAGE_LIMIT = 4096
CALLBACK_LIMIT = 64


def html_problems(text: str) -> list[str]:
    """Why Telegram would refuse ``text`` in HTML parse mode ("can't parse entities")."""
    problems = []
    stack: list[str] = []
    position = 0
    while position < len(text):
        char = text[position]
        if char == "<":
            tag = _TAG.match(text, position)
            if tag is None:
                problems.append(f"raw '<' at {position}: {text[position : position + 20]!r}")
                position += 1
                continue
            closing, name = tag.groups()
            if not closing:
                stack.append(name)
            elif not stack or stack.pop() != name:
                problems.append(f"unbalanced </{name}> at {position}")
            position = tag.end()
        elif char == ">":
            problems.append(f"raw '>' at {position}")
            position += 1
        elif char == "&":
            if _ENTITY.match(text, position) is None:
                problems.append(f"raw '&' at {position}")
            position += 1
        else:
            position += 1
    problems += [f"unclosed <{name}>" for name in stack]
    return problems


def message_problems(params: dict[str, Any]) -> list[str]:
    """What Telegram would refuse in a sendMessage/editMessageText request."""
    text = str(params.get("text", ""))
    problems = []
    if not text.strip():
        problems.append("message text is empty")
    if len(text) > MESSAGE_LIMIT:
        problems.append(f"message is too long ({len(text)} characters)")
    if params.get("parse_mode") == "HTML":
        problems += html_problems(text)
    return problems + markup_problems(params.get("reply_markup"))


def markup_problems(markup: Any) -> list[str]:
    problems = []
    rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
    for row in rows:
        for button in row:
            if not button.get("text"):
                problems.append("button without text")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= CALLBACK_LIMIT:
                problems.append(f"callback data of {len(data.encode())} bytes: {data!r}")
    return problems


def _decode(params: dict[str, str]) -> dict[str, Any]:
    decoded: dict[str, Any] = {}
    for key, value in params.items():
        if key in _INT_PARAMS and re.fullmatch(r"-?\d+", value):
            decoded[key] = int(value)
        elif value[:1] in "{[" and value:
            try:
                decoded[key] = json.loads(value)
            except ValueError:
                decoded[key] = value
        elif value in ("true", "false"):
            decoded[key] = value == "true"
        else:
            decoded[key] = value
    return decoded


class _MethodHandler(tornado.web.RequestHandler):
    def initialize(self, api: FakeBotApi) -> None:
        self.api = api

    # Tornado's access and error logs would print the URL, which holds the token; the
    # tests check that nothing the bot does logs the token, so this server stays quiet.
    def log_exception(self, *args: Any) -> None:
        pass

    async def get(self, token: str, method: str) -> None:
        await self.post(token, method)

    async def post(self, token: str, method: str) -> None:
        content_type = self.request.headers.get("Content-Type", "")
        if content_type.startswith("multipart/form-data"):
            # An upload (sendPhoto): the form's fields as usual, each file as its bytes.
            fields = {k: v[-1].decode() for k, v in self.request.body_arguments.items()}
            files = {k: v[-1].body for k, v in self.request.files.items()}
            params = {**_decode(fields), **files}
            body = None
        else:
            body = self.request.body.decode() if self.request.body else ""
        if body is None:
            pass
        elif "json" in content_type and body:
            params = json.loads(body)
        else:
            raw = dict(parse_qsl(body, keep_blank_values=True))
            raw.update({k: v[-1].decode() for k, v in self.request.query_arguments.items()})
            params = _decode(raw)
        try:
            status, payload = await self.api._handle(token, method, params)
        except _Dropped:
            # Close the socket with no response: the client sees a dropped connection.
            if self.request.connection is not None:
                self.request.connection.close()
            return
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        # ASCII escapes: an update may carry a lone surrogate ("\ud800"), which is valid
        # JSON (Telegram can send it) but cannot be encoded as UTF-8.
        self.finish(json.dumps(payload, ensure_ascii=True))


class FakeBotApi:
    """Bot API stand-in: serves queued updates, records and answers every method call."""

    def __init__(
        self,
        token: str = TEST_TOKEN,
        *,
        username: str = BOT_USERNAME,
        reject_token: bool = False,
        refuse_commands: bool = False,
    ):
        self.token = token
        self.username = username
        self.reject_token = reject_token
        self.refuse_commands = refuse_commands
        self.bot_id = int(token.split(":")[0])
        self.calls: list[Call] = []
        self.rejected: list[str] = []  # methods called with a refused token
        self.webhook_url = ""
        self.bad_requests: list[tuple[Call, list[str]]] = []  # what Telegram would refuse
        self.faults_met: list[tuple[str, Fault]] = []  # (method, fault), in order
        self._faults: dict[str, list[Fault]] = {}
        self._lock = threading.Lock()
        self._updates: list[dict[str, Any]] = []
        self._holding = False  # while True, getUpdates sees none of the queued updates
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed: asyncio.Event | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        self.port = self._sockets[0].getsockname()[1]

    # --- life cycle ----------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    def start(self) -> FakeBotApi:
        ready = threading.Event()

        async def serve() -> None:
            self._loop = asyncio.get_running_loop()
            self._changed = asyncio.Event()
            self._stop = asyncio.Event()
            app = tornado.web.Application(
                [(r"/bot([^/]+)/(\w+)", _MethodHandler, {"api": self})],
                log_function=lambda handler: None,
            )
            server = tornado.httpserver.HTTPServer(app)
            server.add_sockets(self._sockets)
            ready.set()
            await self._stop.wait()
            server.stop()
            await server.close_all_connections()

        self._thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
        self._thread.start()
        if not ready.wait(5):
            raise RuntimeError("the fake Bot API did not start")
        return self

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return

        def shut() -> None:
            assert self._stop is not None and self._changed is not None
            self._stop.set()
            self._changed.set()  # wake long polls so their connections can close

        self._loop.call_soon_threadsafe(shut)
        self._thread.join(5)

    def __enter__(self) -> FakeBotApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what the bot did ----------------------------------------------------------

    def requests(self, method: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if method is None or c.method == method]

    def sent(self, chat_id: int | None = None) -> list[Call]:
        """Every sendMessage, optionally to one chat."""
        return [
            c
            for c in self.requests("sendMessage")
            if chat_id is None or c.params.get("chat_id") == chat_id
        ]

    def _find(self, method: str, where: Callable[[Call], bool] | None, after: int) -> Call | None:
        for call in self.requests()[after:]:
            if call.method == method and (where is None or where(call)):
                return call
        return None

    async def wait_for(
        self,
        method: str,
        where: Callable[[Call], bool] | None = None,
        *,
        after: int = 0,
        timeout: float = 5.0,
    ) -> Call:
        """The first ``method`` call (from index ``after``) matching ``where``; polls."""
        deadline = time.monotonic() + timeout
        while True:
            found = self._find(method, where, after)
            if found is not None:
                return found
            if time.monotonic() > deadline:
                seen = [(c.method, c.params.get("text", "")[:40]) for c in self.requests()]
                raise AssertionError(f"no {method} within {timeout} s; calls: {seen}")
            await asyncio.sleep(0.01)

    def wait_for_sync(
        self,
        method: str,
        where: Callable[[Call], bool] | None = None,
        *,
        after: int = 0,
        timeout: float = 10.0,
    ) -> Call | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self._find(method, where, after)
            if found is not None:
                return found
            time.sleep(0.01)
        return None

    def mark(self) -> int:
        """The number of calls so far: pass as ``after`` to wait for newer ones only."""
        with self._lock:
            return len(self.calls)

    # --- faults ----------------------------------------------------------------------

    def inject(self, method: str, *faults: Fault) -> None:
        """The next calls of ``method`` meet ``faults``, one each, in order."""
        with self._lock:
            self._faults.setdefault(method, []).extend(faults)

    def faults_left(self, method: str | None = None) -> int:
        with self._lock:
            return sum(
                len(queued) for name, queued in self._faults.items() if method in (None, name)
            )

    def _next_fault(self, method: str) -> Fault | None:
        with self._lock:
            queued = self._faults.get(method)
            if not queued:
                return None
            fault = queued.pop(0)
            self.faults_met.append((method, fault))
            return fault

    async def _fail(
        self, fault: Fault, method: str, params: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        if fault.kind == "odd":
            status, payload = await self._answer(method, params)
            if isinstance(payload.get("result"), dict):
                payload["result"]["from"] = self.username
            return status, payload
        if fault.processed:
            await self._answer(method, params)  # delivered; only the answer is lost
        if fault.kind == "stall":
            await asyncio.sleep(fault.seconds)
            raise _Dropped
        if fault.kind == "drop":
            raise _Dropped
        payload: dict[str, Any] = {"ok": False, "error_code": fault.status}
        if fault.retry_after is not None:
            payload["description"] = f"Too Many Requests: retry after {fault.retry_after}"
            payload["parameters"] = {"retry_after": fault.retry_after}
        else:
            payload["description"] = "Internal Server Error"
        return fault.status, payload

    # --- updates the tests send ----------------------------------------------------

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw update (its update_id is assigned here)."""
        update = {"update_id": next(self._update_ids), **update}
        with self._lock:
            self._updates.append(update)
        for message in (update.get("message"), update.get("edited_message")):
            if message:
                self._chats[message["chat"]["id"]] = message["chat"]
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake)
        return update

    @contextmanager
    def together(self) -> Iterator[None]:
        """Updates queued inside reach the bot in one getUpdates answer, as a burst would
        from Telegram (one at a time, a long poll may return after the first)."""
        with self._lock:
            self._holding = True
        try:
            yield
        finally:
            with self._lock:
                self._holding = False
            if self._loop is not None:
                self._loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        assert self._changed is not None
        self._changed.set()
        self._changed = asyncio.Event()

    @staticmethod
    def user(
        user_id: int = 1001, name: str = "居民", language_code: str = "zh-hans"
    ) -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": name, "language_code": language_code}

    @staticmethod
    def private(user_id: int = 1001) -> dict[str, Any]:
        return {"id": user_id, "type": "private", "first_name": "居民"}

    @staticmethod
    def group(chat_id: int = -1001234567890, kind: str = "supergroup") -> dict[str, Any]:
        return {"id": chat_id, "type": kind, "title": "观湖居民群"}

    def message(
        self,
        text: str | None = None,
        *,
        user_id: int = 1001,
        chat: dict[str, Any] | None = None,
        reply_to: dict[str, Any] | None = None,
        edited: bool = False,
        language_code: str = "zh-hans",
        **fields: Any,
    ) -> dict[str, Any]:
        """Queue a message from a user (text or any other ``fields``) whose Telegram is in
        ``language_code``; the message dict."""
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat or self.private(user_id),
            "from": self.user(user_id, language_code=language_code),
            **fields,
        }
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                command = text.split()[0]
                message["entities"] = [
                    {"type": "bot_command", "offset": 0, "length": _utf16_len(command)}
                ]
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        if edited:
            message["edit_date"] = int(time.time())
        self.push({"edited_message" if edited else "message": message})
        return message

    async def say(self, text: str, *, user_id: int = 1001, **fields: Any) -> Call:
        """Send ``text`` from a user (``fields`` as for ``message``) and wait for the bot's
        next message."""
        mark = self.mark()
        self.message(text, user_id=user_id, **fields)
        return await self.wait_for("sendMessage", after=mark)

    def tap(self, data: str, message: dict[str, Any], *, user_id: int = 1001) -> dict[str, Any]:
        """Queue a tap on a button with ``data`` under ``message``."""
        query = {
            "id": str(next(self._update_ids) + 5_000_000),
            "from": self.user(user_id),
            "chat_instance": "-42",
            "data": data,
            "message": message,
        }
        return self.push({"callback_query": query})

    def inline(self, query: str, *, user_id: int = 1001) -> dict[str, Any]:
        inline_query = {
            "id": str(next(self._update_ids) + 7_000_000),
            "from": self.user(user_id),
            "query": query,
            "offset": "",
        }
        return self.push({"inline_query": inline_query})

    def bot_message(self, call: Call) -> dict[str, Any]:
        """The message the server returned for a sendMessage ``call``, as it is now."""
        for message in self._messages.values():
            if message["_call"] is call:
                return {k: v for k, v in message.items() if k != "_call"}
        raise AssertionError("not a sendMessage call of this server")

    # --- the methods -----------------------------------------------------------------

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "政策问答",
            "username": self.username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
        }

    async def _handle(
        self, token: str, method: str, params: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        if self.reject_token or token != self.token:
            with self._lock:
                self.rejected.append(method)
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        fault = self._next_fault(method)
        if fault is not None:
            return await self._fail(fault, method, params)
        return await self._answer(method, params)

    async def _answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if method == "getUpdates":
            # Long polls are not recorded: there are many and no test asserts them.
            return 200, {"ok": True, "result": await self._get_updates(params)}
        call = Call(method, params)
        with self._lock:
            self.calls.append(call)
        if method == "getMe":
            return 200, {"ok": True, "result": self._bot_user()}
        if method == "setMyCommands" and self.refuse_commands:
            error = {"ok": False, "error_code": 400, "description": "Bad Request: not allowed"}
            return 400, error
        problems = self._problems(method, params)
        if problems:
            with self._lock:
                self.bad_requests.append((call, problems))
            description = "Bad Request: " + "; ".join(problems)
            return 400, {"ok": False, "error_code": 400, "description": description}
        if method in ("sendMessage", "sendPhoto"):
            return 200, {"ok": True, "result": self._send_message(call)}
        if method in ("editMessageText", "editMessageReplyMarkup"):
            return 200, {"ok": True, "result": self._edit_message(params)}
        if method == "setWebhook":
            self.webhook_url = str(params.get("url", ""))
        elif method == "deleteWebhook":
            self.webhook_url = ""
        elif method == "getWebhookInfo":
            info = {"url": self.webhook_url, "has_custom_certificate": False}
            return 200, {"ok": True, "result": {**info, "pending_update_count": 0}}
        # answerCallbackQuery, answerInlineQuery, setMyCommands, setWebhook, deleteWebhook
        # and anything unknown: recorded above, answered "ok".
        return 200, {"ok": True, "result": True}

    @staticmethod
    def _problems(method: str, params: dict[str, Any]) -> list[str]:
        if method in ("sendMessage", "editMessageText"):
            return message_problems(params)
        if method == "editMessageReplyMarkup":
            return markup_problems(params.get("reply_markup"))
        if method == "answerCallbackQuery" and len(str(params.get("text", ""))) > 200:
            return ["callback answer text over 200 characters"]
        if method == "answerInlineQuery":
            problems = []
            for result in params.get("results", []):
                content = result.get("input_message_content", {})
                problems += message_problems({"text": content.get("message_text", ""), **content})
                if len(str(result.get("id", "")).encode()) > 64:
                    problems.append("inline result id over 64 bytes")
            return problems
        return []

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        assert self._stop is not None
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        while True:
            with self._lock:
                # An offset confirms every update before it, as on Telegram.
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                pending = [] if self._holding else self._updates[:limit]
            remaining = deadline - time.monotonic()
            if pending or remaining <= 0 or self._stop.is_set():
                return pending
            assert self._changed is not None
            with suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    def _send_message(self, call: Call) -> dict[str, Any]:
        chat_id = call.params["chat_id"]
        chat = self._chats.get(chat_id) or {"id": chat_id, "type": "private", "first_name": "x"}
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": self._bot_user(),
            "text": call.params.get("text", ""),
        }
        markup = call.params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        self._messages[(chat_id, message["message_id"])] = {**message, "_call": call}
        return message

    def _edit_message(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        if "inline_message_id" in params:
            return True
        key = (params.get("chat_id"), params.get("message_id"))
        stored = self._messages.get(key)  # type: ignore[arg-type]
        if stored is None:
            return {
                "message_id": params.get("message_id"),
                "date": int(time.time()),
                "chat": {"id": params.get("chat_id"), "type": "private"},
                "text": params.get("text", ""),
            }
        if "text" in params:
            stored["text"] = params["text"]
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and markup.get("inline_keyboard"):
            stored["reply_markup"] = markup
        else:
            stored.pop("reply_markup", None)
        return {k: v for k, v in stored.items() if k != "_call"}


def _utf16_len(text: str) -> int:
    # surrogatepass: a lone surrogate counts as the one UTF-16 unit it is.
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


class FakeStore:
    """The store API the bot uses, in memory, with question ids in the real shape."""

    def __init__(self) -> None:
        self.questions: list[dict[str, Any]] = []
        self.votes: list[dict[str, Any]] = []
        self.notifications: list[dict[str, Any]] = []
        self.closed = False
        self.claimed: list[int] = []
        self.conversations: dict[str, str] = {}
        self.languages: dict[int, str] = {}
        self._ids = itertools.count(1)

    def log_question(self, record: Any, **who: Any) -> str:
        question_id = f"{next(self._ids):012x}"
        self.questions.append({"id": question_id, **dataclasses.asdict(record), **who})
        return question_id

    def log_vote(self, **record: Any) -> None:
        self.votes.append(record)

    def request_notification(self, **record: Any) -> None:
        self.notifications.append(record)

    def user_key(self, user_id: int | None) -> str | None:
        return None if user_id is None else f"u{abs(hash(('fake', user_id))):x}"

    # Conversations, kept as the real store keeps them (bot.telegram.conversations).
    def conversation(self, key: str) -> str | None:
        return self.conversations.get(key)

    def save_conversation(self, key: str, state: str) -> None:
        self.conversations[key] = state

    def forget_conversation(self, key: str) -> None:
        self.conversations.pop(key, None)

    # The language each user chose with /lang, by user id (the real store: by user key).
    def language(self, user_id: int) -> str | None:
        return self.languages.get(user_id)

    def save_language(self, user_id: int, language: str) -> None:
        self.languages[user_id] = language

    # Delivery bookkeeping (see bot/telegram/delivery.py): in memory everything is "written"
    # at once.
    failing = False

    def claim_update(self, update_id: int) -> Any:
        from bot.store.records import Claim

        self.claimed.append(update_id)
        return Claim(True, None, self.durable())

    def durable(self) -> concurrent.futures.Future[None]:
        done: concurrent.futures.Future[None] = concurrent.futures.Future()
        done.set_result(None)
        return done

    def flush(self, timeout: float = 5.0, *, unless_failing: bool = False) -> bool:
        return True

    def close(self) -> None:
        self.closed = True


@asynccontextmanager
async def running(application: Any, *, poll_timeout: int = 5) -> AsyncIterator[Any]:
    """Run ``application`` as run_polling would (post_init, polling, … post_shutdown),
    but inside the test's event loop. ``poll_timeout``: seconds a getUpdates waits."""
    from bot.telegram.application import ALLOWED_UPDATES

    await application.initialize()
    try:
        if application.post_init:
            await application.post_init(application)
        await application.updater.start_polling(
            poll_interval=0.0, timeout=poll_timeout, allowed_updates=ALLOWED_UPDATES
        )
        await application.start()
        try:
            yield application
        finally:
            await application.updater.stop()
            await application.stop()
    finally:
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)


def bot_process_env(api: FakeBotApi, db_path: Any, log_level: str = "INFO") -> dict[str, str]:
    """The environment for `policybot run` as its own process against ``api``: the test
    token, the fake server's URL, its own database, no webhook and no curators."""
    import os

    return {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TEST_TOKEN,
        "TELEGRAM_BASE_URL": api.base_url,
        "POLICYBOT_DB": str(db_path),
        "POLICYBOT_ROOT": str(Path(__file__).resolve().parents[1]),
        "POLICYBOT_WEBHOOK_URL": "",
        "POLICYBOT_CURATORS": "",
        "POLICYBOT_LOG_LEVEL": log_level,
    }


def webhook_body(update_id: int, text: str) -> str:
    """The JSON body Telegram POSTs to a webhook for one private text message."""
    message = {
        "message_id": update_id,
        "date": 0,
        "chat": FakeBotApi.private(),
        "from": FakeBotApi.user(),
        "text": text,
    }
    return json.dumps({"update_id": update_id, "message": message})
