"""Shared fixtures."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from bot.config import Settings

ROOT = Path(__file__).resolve().parents[1]
KNOWLEDGE_TREES = ("faq", "intents", "data")


# --- the knowledge files ------------------------------------------------------------------


def _digest(root: Path) -> str:
    digest = hashlib.blake2b()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="session")
def knowledge_files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """faq/, intents/ and data/ copied once a session, without what a local run leaves there
    (databases, curated answers). Shared: tests only read them, through ``make_project``;
    the session fails if one wrote into them."""
    root = tmp_path_factory.mktemp("knowledge")
    for tree in KNOWLEDGE_TREES:
        shutil.copytree(
            ROOT / tree, root / tree, ignore=shutil.ignore_patterns("*.db*", "curated.yaml")
        )
    before = _digest(root)
    yield root
    assert _digest(root) == before, f"a test wrote into the shared knowledge files in {root}"


@pytest.fixture
def make_project(knowledge_files: Path, tmp_path: Path) -> Callable[..., Path]:
    """``make_project(*writable, at=tmp_path)``: a project root whose ``writable`` trees are
    the test's own copies and whose other trees are links to the shared, read-only ones."""

    def make(*writable: str, at: Path = tmp_path) -> Path:
        at.mkdir(parents=True, exist_ok=True)
        for tree in KNOWLEDGE_TREES:
            if tree in writable:
                shutil.copytree(knowledge_files / tree, at / tree)
            else:
                (at / tree).symlink_to(knowledge_files / tree, target_is_directory=True)
        return at

    return make


# --- Telegram end-to-end tests (tests/test_telegram_*.py) ---------------------------------


@pytest.fixture(scope="session")
def tg_engine():
    """The real engine on the real knowledge files, loaded once (about a second)."""
    from bot.engine.answering import Engine

    return Engine.load(ROOT)


@pytest.fixture
def fake_api() -> Iterator:
    """A fake Bot API server on 127.0.0.1 (see tests/fake_bot_api.py).

    Afterwards, no request may have been one that Telegram refuses (bad HTML, a message
    over 4096 characters, callback data over 64 bytes).
    """
    from fake_bot_api import FakeBotApi

    with FakeBotApi() as api:
        yield api
    refused = [(call.method, problems) for call, problems in api.bad_requests]
    assert not refused, f"requests Telegram would refuse: {refused}"


@pytest.fixture
def tg_store():
    from fake_bot_api import FakeStore

    return FakeStore()


@pytest.fixture
def tg_settings(fake_api, tmp_path):
    """Settings pointing the bot at the fake server, with a throwaway database path."""
    from fake_bot_api import TEST_TOKEN

    from bot.config import Settings

    return Settings(
        root=ROOT,
        token=TEST_TOKEN,
        base_url=fake_api.base_url,
        db_path=tmp_path / "policybot.db",
        listen="127.0.0.1",
    )


@pytest.fixture
async def tg_bot(tg_settings, tg_engine, tg_store) -> AsyncIterator:
    """The real Application, polling the fake server, with an in-memory store."""
    from fake_bot_api import running

    from bot.telegram.application import build_application

    async with running(build_application(tg_settings, tg_engine, tg_store)) as application:
        yield application


@pytest.fixture
async def staffed_bot(tg_settings, tg_engine) -> AsyncIterator:
    """The real Application with a real SQLite store and a staff group
    (POLICYBOT_STAFF_CHAT = fake_bot_api.STAFF_CHAT): residents can be handed over."""
    from dataclasses import replace

    from fake_bot_api import STAFF_CHAT, running

    from bot.store.question_log import Store
    from bot.telegram.application import build_application

    settings = replace(tg_settings, staff_chat=STAFF_CHAT)
    store = Store(settings.db_path).open()
    async with running(build_application(settings, tg_engine, store)) as application:
        yield application


@pytest.fixture
async def stored_bot(tg_settings, tg_engine) -> AsyncIterator:
    """The real Application, polling the fake server, with a real SQLite store (in
    tmp_path): conversations, languages and handovers are kept as in production."""
    from fake_bot_api import running

    from bot.store.question_log import Store
    from bot.telegram.application import build_application

    store = Store(tg_settings.db_path).open()
    async with running(build_application(tg_settings, tg_engine, store)) as application:
        yield application


@pytest.fixture
def tg_restore_logging() -> Iterator[None]:
    """run_bot configures logging for the whole process: put it back afterwards."""
    import logging

    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    filters = {handler: list(handler.filters) for handler in handlers}
    yield
    root.setLevel(level)
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    for handler, kept in filters.items():
        handler.filters[:] = kept


@pytest.fixture
def curator_settings(tmp_path: Path, fake_api, make_project: Callable[..., Path]) -> Settings:
    """The knowledge files, only read (curators write the curated file next to the
    database), and one curator, CURATOR_ID, pointed at the fake server."""
    from fake_bot_api import CURATOR_ID, TEST_TOKEN

    from bot.config import Settings

    root = make_project(at=tmp_path / "project")
    return Settings(
        root=root,
        token=TEST_TOKEN,
        base_url=fake_api.base_url,
        db_path=tmp_path / "policybot.db",
        curators=frozenset({CURATOR_ID}),
        listen="127.0.0.1",
    )


@pytest.fixture
async def curator_bot(curator_settings) -> AsyncIterator:
    """The real Application with the curator handlers and a real SQLite store."""
    from fake_bot_api import running

    from bot.engine.answering import Engine
    from bot.store.question_log import Store
    from bot.telegram.application import build_application
    from bot.telegram.curators import curator_handlers

    store = Store(curator_settings.db_path).open()
    application = build_application(
        curator_settings,
        Engine.load(curator_settings.root),
        store,
        extra_handlers=curator_handlers(),
    )
    async with running(application):
        yield application
