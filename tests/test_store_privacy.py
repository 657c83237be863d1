"""What the question log gives away: not the key behind the pseudonyms, and nothing at all
to other users of the machine (real SQLite files)."""

from __future__ import annotations

import hashlib
import hmac
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlite_utils
from test_storage import USER, log, rows

from bot.store.files import InstanceLock
from bot.store.question_log import Store


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "policybot.db"


def pseudonym(secret: str, user_id: int) -> str:
    """What Store.user_key computes: anyone holding ``secret`` can compute it too."""
    return hmac.new(secret.encode(), str(user_id).encode(), hashlib.sha256).hexdigest()[:32]


def database_bytes(db_path: Path) -> bytes:
    """The database and its side files, as a copy of the data directory would hold them."""
    files = [db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm")]
    return b"".join(path.read_bytes() for path in files if path.exists())


def every_text(db_path: Path) -> set[str]:
    db = sqlite_utils.Database(db_path)
    return {
        value
        for table in db.table_names()
        for row in db[table].rows
        for value in row.values()
        if isinstance(value, str)
    }


def key_file(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + "-userkey")


# --- the user key (issue 11, point 10) ------------------------------------------------------


def test_the_database_alone_cannot_reverse_a_pseudonym(db_path: Path) -> None:
    store = Store(db_path).open()
    try:
        log(store, "公积金怎么提取")
        assert store.flush()
        stored = rows(db_path, "questions")[0]["user_key"]
        while_open = database_bytes(db_path)
    finally:
        store.close()
    # The attack: try every text in the file as the key, as one would with 10^6 ids.
    guesses = every_text(db_path)
    assert not [g for g in guesses if pseudonym(g, USER) == stored], "the key is in the file"
    key = key_file(db_path).read_text().strip()
    assert pseudonym(key, USER) == stored  # it lives beside the database instead
    assert key.encode() not in while_open + database_bytes(db_path)


def test_a_database_that_held_the_key_keeps_its_pseudonyms_and_gives_the_key_up(
    db_path: Path,
) -> None:
    """A database written before the key file: the key moves out once, the same."""
    Store(db_path).open().close()
    key_file(db_path).unlink(missing_ok=True)
    legacy = "ab" * 32
    with sqlite3.connect(db_path) as db:  # as the earlier version kept it
        db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        db.execute("INSERT OR REPLACE INTO meta VALUES ('user_key_secret', ?)", [legacy])
    with Store(db_path) as store:
        assert store.user_key(USER) == pseudonym(legacy, USER)
        log(store, "六零行动是什么")
        assert store.flush()
    assert key_file(db_path).read_text().strip() == legacy
    assert legacy.encode() not in database_bytes(db_path)
    assert legacy not in every_text(db_path)
    with Store(db_path) as again:
        assert again.user_key(USER) == pseudonym(legacy, USER)


def test_pseudonyms_stay_the_same_when_the_database_is_unavailable_at_start(
    db_path: Path,
) -> None:
    with Store(db_path) as first:
        before = first.user_key(USER)

    def locked() -> sqlite3.Connection:
        raise sqlite3.OperationalError("database is locked")

    store = Store(db_path, busy_timeout=0.05, max_backoff=0.1)
    store._connect = locked  # type: ignore[method-assign]
    try:
        store.open()
        assert store.user_key(USER) == before
    finally:
        del store._connect
        store.close()


def test_the_environment_secret_still_wins(db_path: Path) -> None:
    with Store(db_path, secret="from-the-environment") as store:
        assert store.user_key(USER) == pseudonym("from-the-environment", USER)


# --- file permissions (issue 11, point 11) --------------------------------------------------


@pytest.fixture(params=[0o022, 0o002, 0o000], ids=["umask-022", "umask-002", "umask-000"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """The process umask during the test (make run and Docker run under 022)."""
    before = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(before)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_database_its_side_files_and_its_new_directory_are_private(
    db_path: Path, umask: int
) -> None:
    store = Store(db_path).open()
    lock = InstanceLock(db_path)
    lock.acquire()
    try:
        log(store, "我的问题只给工作人员看")
        assert store.flush()
        files = [db_path, *(Path(f"{db_path}{side}") for side in ("-wal", "-shm", "-userkey"))]
        files.append(lock.path)
        assert {path.name: mode(path) for path in files} == {path.name: 0o600 for path in files}
        assert mode(db_path.parent) == 0o700  # made by the store
    finally:
        lock.release()
        store.close()


def test_an_existing_database_is_made_private_and_its_directory_left_alone(
    db_path: Path, umask: int
) -> None:
    db_path.parent.mkdir(mode=0o755)
    db_path.parent.chmod(0o755)  # the operator's (or the checkout's data/): not ours
    with sqlite3.connect(db_path) as db:  # as an earlier version left it
        db.execute("CREATE TABLE unrelated (x)")
    db_path.chmod(0o644)
    with Store(db_path) as store:
        log(store, "旧数据库里的新问题")
        assert store.flush()
        assert mode(db_path) == mode(Path(f"{db_path}-wal")) == 0o600
    assert mode(db_path.parent) == 0o755
