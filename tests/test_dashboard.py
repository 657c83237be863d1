"""`policybot dashboard` on a scratch log of a few hundred questions: over HTTP it refuses
without the password and serves every page with it, showing no user key, chat id or
unmasked number; in headless Chromium the charts draw, and no request leaves 127.0.0.1."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from dashboard_data import SECRET_CHAT_ID, fill

from bot.dashboard.server import DashboardRefused, check_access, password_hash

pytestmark = pytest.mark.slow  # a server process (and a browser)

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "curators-only-7"
PAGES = [
    "/-/dashboards/curators",
    "/curators",
    "/curators/questions",
    "/curators/missed_groups.json?_shape=array",
    "/curators/missed_this_week",
    "/curators/down_votes_by_entry",
    "/curators/never_asked",
    "/curators/not_reviewed?days=365",
]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(tmp_path: Path, *args: str, password: str | None = PASSWORD) -> Iterator[str]:
    log = fill(tmp_path / "policybot.db")
    port = _free_port()
    env = {**os.environ, "POLICYBOT_ROOT": str(ROOT), "POLICYBOT_DB": str(log)}
    env.pop("POLICYBOT_DASHBOARD_PASSWORD", None)
    if password:
        env["POLICYBOT_DASHBOARD_PASSWORD"] = password
    command = [sys.executable, "-m", "bot.cli", "dashboard", "--port", str(port), *args]
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(url + "/-/login", timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=10)
        assert PASSWORD.encode() not in errors  # never logged


@pytest.fixture
def dashboard(tmp_path: Path) -> Iterator[str]:
    yield from _serve(tmp_path)


def _log_in(client: httpx.Client, password: str) -> httpx.Response:
    form = client.get("/-/login").text
    token = re.search(r'name="csrftoken" value="([^"]+)"', form)
    assert token is not None
    data = {"username": "curator", "password": password, "csrftoken": token.group(1)}
    return client.post("/-/login", data=data)


def test_refused_without_the_password_served_with_it(dashboard: str) -> None:
    with httpx.Client(base_url=dashboard) as client:
        for page in ("/", *PAGES, "/curators.json?sql=select+1", "/-/metadata.json"):
            answer = client.get(page, follow_redirects=True)
            assert answer.url.path == "/-/login", page  # sent to log in, nothing shown
            assert "社保" not in answer.text
        assert "Invalid" in _log_in(client, "wrong").text
        assert _log_in(client, PASSWORD).status_code == 302
        front = client.get("/", follow_redirects=True)
        assert front.url.path == "/-/dashboards/curators" and "Questions per day" in front.text
        for page in (*PAGES, "/-/metadata.json"):
            answer = client.get(page)
            assert answer.status_code == 200, page
            for secret in (str(SECRET_CHAT_ID), "u001", "13812345678", "pbkdf2", PASSWORD):
                assert secret not in answer.text, (page, secret)
        groups = client.get("/curators/missed_groups.json?_shape=array").json()
        top = max(groups, key=lambda g: g["this_week"])
        assert top["label"].startswith("社保") and top["this_week"] > 0
        # The log's private tables are not there to be queried.
        tables = client.get("/curators.json").json()["tables"]
        assert {t["name"] for t in tables} >= {"questions", "per_day", "entries"}
        assert not {"votes", "notifications", "handovers"} & {t["name"] for t in tables}
        columns = client.get("/curators.json?sql=select+*+from+questions+limit+1").json()
        assert "user_key" not in columns["columns"]


def test_no_password_no_dashboard() -> None:
    with pytest.raises(DashboardRefused):
        check_access("127.0.0.1", None, no_auth=False)
    with pytest.raises(DashboardRefused):
        check_access("0.0.0.0", None, no_auth=True)
    assert check_access("127.0.0.1", None, no_auth=True) is None
    # A password long enough that a random hash never holds it by chance ("pw" did, 1 in 100).
    password = "correct horse battery staple"
    hashed = check_access("0.0.0.0", password, no_auth=False)
    assert hashed is not None and hashed.startswith("pbkdf2_sha256$") and password not in hashed
    assert password_hash(hashed) == hashed  # an already hashed value is taken as it is


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run does)")
def test_the_charts_draw_in_chromium_from_loopback_only(tmp_path: Path) -> None:
    from matplotlib.image import imread

    assert CHROMIUM is not None
    for url in _serve(tmp_path, "--no-auth", password=None):
        shot, netlog = tmp_path / "dashboard.png", tmp_path / "netlog.json"
        browser = [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-pings",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--virtual-time-budget=15000",
            "--window-size=1400,1500",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--log-net-log={netlog}",
        ]
        page = f"{url}/-/dashboards/curators"
        dom = subprocess.run(
            [*browser, "--dump-dom", page], capture_output=True, text=True, timeout=120
        ).stdout
        subprocess.run([*browser, f"--screenshot={shot}", page], capture_output=True, timeout=120)
        # Vega draws each chart as an SVG of marks (paths, one per bar or point).
        charts = re.findall(r'<svg[^>]*class="marks".*?</svg>', dom, flags=re.S)
        assert len(charts) >= 4 and all(c.count("<path") >= 2 for c in charts), dom[-2000:]
        pixels = imread(shot)[..., :3]
        for colour in ((0x4C, 0x9A, 0x2A), (0xC0, 0x39, 0x2B)):  # answered, missed bars
            near = (abs(pixels * 255 - colour) < 12).all(axis=-1)
            assert near.sum() > 500, colour
        # Every request made for the page (its isolation key is the dashboard's site) went
        # to 127.0.0.1. The browser's own background calls are kept off the network by
        # the resolver rule, and are not the page's.
        events = json.loads(netlog.read_text()).get("events", [])
        pages = {
            e["params"]["url"]
            for e in events
            if "127.0.0.1" in str(e.get("params", {}).get("network_isolation_key", ""))
        }
        assert len(pages) >= 8, pages  # the page, its scripts, styles, font and data
        outside = sorted(u for u in pages if not u.startswith(url + "/"))
        assert not outside, outside
        if os.environ.get("POLICYBOT_SCREENSHOT"):
            shutil.copy(shot, os.environ["POLICYBOT_SCREENSHOT"])
