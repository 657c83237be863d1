"""Serving the dashboard: Datasette on the snapshot, read-only, behind one password.

What is used as shipped: Datasette (tables, canned queries, the JSON the charts read),
datasette-dashboards (the front page's charts, Vega-Lite bundled in the package) and
datasette-auth-passwords (the login form and PBKDF2 hashes). What is ours: the snapshot
(bot/dashboard/snapshot.py), the metadata file beside this module, and the small plugin
in bot/dashboard/front_page.py (the front page is the dashboard; a visitor without the
password is sent to log in).
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from datasette.app import Datasette
from datasette.plugins import pm
from datasette_auth_passwords.utils import hash_password

from bot.dashboard import front_page

METADATA = Path(__file__).with_name("metadata.yaml")
DATABASE = "curators"
USERNAME = "curator"
PASSWORD_ENV = "POLICYBOT_DASHBOARD_PASSWORD"
# The hash reaches the password plugin through the process's environment, so that
# Datasette's /-/metadata page shows the variable's name, never the hash.
HASH_ENV = "POLICYBOT_DASHBOARD_PASSWORD_HASH"
HASHED = "pbkdf2_sha256$"
REFRESH_SECONDS = 300.0
LOOPBACK = ("127.0.0.1", "localhost", "::1")

logger = logging.getLogger(__name__)


class DashboardRefused(Exception):
    """The dashboard may not start as asked; the message says why, in one line."""


def password_hash(password: str) -> str:
    """A PBKDF2 hash of ``password``, or the value itself when it already is one
    (`datasette hash-password` makes such a value)."""
    return password if password.startswith(HASHED) else hash_password(password)


def metadata(auth: bool) -> dict[str, Any]:
    """The metadata file's settings, with the password's when ``auth``."""
    loaded: dict[str, Any] = yaml.safe_load(METADATA.read_text(encoding="utf-8"))
    if auth:
        loaded["allow"] = {"id": USERNAME}
        loaded.setdefault("plugins", {})["datasette-auth-passwords"] = {
            f"{USERNAME}_password_hash": {"$env": HASH_ENV}
        }
    return loaded


def check_access(host: str, password: str | None, no_auth: bool) -> str | None:
    """The hash to log in with (None without a password); DashboardRefused when the
    dashboard would be open to others."""
    if no_auth:
        if host not in LOOPBACK:
            raise DashboardRefused("--no-auth only on 127.0.0.1: anyone could read the log")
        return None
    if not password:
        raise DashboardRefused(
            f"set {PASSWORD_ENV} (or use --no-auth with --host 127.0.0.1) to open the dashboard"
        )
    return password_hash(password)


def datasette_for(snapshot: Path, auth: bool) -> Datasette:
    """The Datasette app on the snapshot; the hash must already be in HASH_ENV."""
    if not pm.is_registered(front_page):
        pm.register(front_page, name="policybot-front-page")
    return Datasette(
        [str(snapshot)],
        metadata=metadata(auth),
        settings={"default_allow_sql": True, "sql_time_limit_ms": 3000, "max_returned_rows": 2000},
    )


class Refresher:
    """Rebuilds the snapshot every ``seconds`` in a daemon thread."""

    def __init__(self, rebuild: Callable[[], object], seconds: float = REFRESH_SECONDS):
        self.rebuild, self.seconds = rebuild, seconds
        self.stopped = threading.Event()

    def start(self) -> None:
        threading.Thread(target=self._run, name="dashboard-refresh", daemon=True).start()

    def _run(self) -> None:
        while not self.stopped.wait(self.seconds):
            try:
                self.rebuild()
            except Exception:  # the old snapshot stays; try again next time
                logger.exception("the dashboard's snapshot could not be rebuilt")


def serve(
    rebuild: Callable[[Path], object], host: str, port: int, password_hash_: str | None
) -> None:
    """Build the snapshot, then serve it until interrupted (uvicorn, one process)."""
    import uvicorn

    with tempfile.TemporaryDirectory(prefix="policybot-dashboard-") as folder:
        snapshot = Path(folder) / f"{DATABASE}.db"
        rebuild(snapshot)
        if password_hash_ is not None:
            os.environ[HASH_ENV] = password_hash_
        app = datasette_for(snapshot, auth=password_hash_ is not None).app()
        refresher = Refresher(lambda: rebuild(snapshot))
        refresher.start()
        try:
            uvicorn.run(app, host=host, port=port, log_level="warning")
        finally:
            refresher.stopped.set()
