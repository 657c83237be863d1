"""End-to-end load benchmark: simulated users through the fake Bot API on loopback.

    .venv/bin/python bench/load.py            # all scenarios (`make bench-load`)
    .venv/bin/python bench/load.py --only unthrottled --users 1000 --per-user 5

The bot runs as its own process, with its real SQLite store in a temporary directory,
long-polling the fake Bot API that runs in this process: messages per second, time from
a message being available to getUpdates until its reply reaches sendMessage (p50, p95,
max), the bot's start-up time and resident memory.

Scenarios:
- unthrottled: the bot without its rate limiter, i.e. how fast the bot itself is;
- product: `policybot run` as deployed, with the AIORateLimiter that holds it to
  Telegram's limit of about 30 messages per second;
- latency: the same, with every Bot API call taking an extra 100 ms, as a real
  round trip to Telegram does: the bot handles one update at a time, so the round trip
  and not the limiter sets its pace.

Why this is a script and not part of the package: the fake Bot API is test code
(tests/fake_bot_api.py) and stays with the tests. This script lives outside the
installed package and puts tests/ on sys.path, so nothing under bot/ imports test code.
Figures are reported, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fake_bot_api import MIXED_QUESTIONS, FakeBotApi, bot_process_env  # noqa: E402  (needs the path above)

QUESTIONS = MIXED_QUESTIONS
TELEGRAM_LIMIT = 30  # messages per second per bot, Telegram's documented broadcast limit


class SlowBotApi(FakeBotApi):
    """The fake Bot API with a fixed delay before every answer (a network round trip).

    The delay is awaited, so concurrent requests overlap as they would on a network."""

    def __init__(self, delay: float):
        super().__init__()
        self.delay = delay

    async def _handle(
        self, token: str, method: str, params: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        await asyncio.sleep(self.delay)
        return await super()._handle(token, method, params)


@dataclass
class Result:
    scenario: str
    users: int
    per_user: int
    messages: int
    replies: int
    logged: int
    seconds: float
    per_second: float
    p50: float
    p95: float
    worst: float
    startup: float
    rss_mb: float
    peak_mb: float


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def process_memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of process ``pid`` in MB, from /proc (Linux)."""
    try:
        fields = dict(
            line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
        )
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024
    except (OSError, KeyError, ValueError):
        return float("nan"), float("nan")


def serve(rate_limited: bool) -> int:
    """The bot as `policybot run` starts it (same handlers and jobs), optionally without
    the rate limiter; run as a child of this script."""
    from bot.cli.main import NOTIFY_EVERY_SECONDS, load_engine
    from bot.config import Settings
    from bot.telegram.application import run_bot
    from bot.telegram.curators import curator_handlers, notify_job

    settings = Settings.from_env()
    return run_bot(
        settings,
        load_engine(settings.root),
        extra_handlers=curator_handlers(),
        repeating_jobs=[(notify_job, NOTIFY_EVERY_SECONDS)],
        rate_limited=rate_limited,
    )


def wait_until(condition: Any, timeout: float, what: str, bot: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if bot.poll() is not None:
            raise RuntimeError(f"the bot exited ({bot.returncode}) while waiting for {what}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.02)


def run_scenario(
    name: str, users: int, per_user: int, *, rate_limited: bool, delay: float = 0.0
) -> Result:
    work = Path(tempfile.mkdtemp(prefix="policybot-bench-"))
    db_path = work / "policybot.db"
    api = SlowBotApi(delay) if delay else FakeBotApi()
    with api:
        env = bot_process_env(api, db_path, "WARNING")
        if rate_limited:  # the product exactly as deployed
            command = [sys.executable, "-m", "bot.cli.main", "run"]
        else:
            command = [sys.executable, str(Path(__file__).resolve()), "--serve-unthrottled"]
        log = (work / "bot.log").open("wb")
        started = time.monotonic()
        bot = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
        try:
            # post_init publishes the command menu just before polling starts.
            wait_until(lambda: api.requests("setMyCommands"), 60, "the bot to start", bot)
            startup = time.monotonic() - started
            pushed: dict[int, list[float]] = defaultdict(list)
            # Every user's messages at once, users interleaved; a chat's own in order.
            for round_ in range(per_user):
                for user in range(users):
                    chat_id = 200_000 + user
                    api.message(QUESTIONS[(user + round_) % len(QUESTIONS)], user_id=chat_id)
                    pushed[chat_id].append(time.monotonic())
            total = users * per_user
            wait_until(
                lambda: len(api.sent()) >= total,
                120 + total / (5 if delay else TELEGRAM_LIMIT / 2),
                f"{total} replies",
                bot,
            )
            rss, peak = process_memory_mb(bot.pid)
        finally:
            if bot.poll() is None:
                bot.send_signal(signal.SIGTERM)
                try:
                    bot.wait(30)
                except subprocess.TimeoutExpired:
                    bot.kill()
            log.close()
        sent = api.sent()
    # One update at a time, in order: a chat's k-th reply answers its k-th message.
    replied: dict[int, list[float]] = defaultdict(list)
    for call in sent:
        replied[call.params["chat_id"]].append(call.at)
    latencies = [
        reply_at - pushed_at
        for chat_id, times in pushed.items()
        for pushed_at, reply_at in zip(times, sorted(replied[chat_id]), strict=True)
    ]
    first_push = min(t for times in pushed.values() for t in times)
    last_reply = max(call.at for call in sent)
    with sqlite3.connect(db_path) as db:
        (logged,) = db.execute("SELECT COUNT(*) FROM questions").fetchone()
    seconds = last_reply - first_push
    return Result(
        scenario=name,
        users=users,
        per_user=per_user,
        messages=users * per_user,
        replies=len(sent),
        logged=logged,
        seconds=seconds,
        per_second=len(sent) / seconds,
        p50=statistics.median(latencies),
        p95=percentile(latencies, 0.95),
        worst=max(latencies),
        startup=startup,
        rss_mb=rss,
        peak_mb=peak,
    )


def report(results: list[Result]) -> str:
    lines = [
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores; fake Bot API on 127.0.0.1; "
        f"Telegram's limit is about {TELEGRAM_LIMIT} messages/s per bot",
        "",
        "| scenario | users × messages | replies | logged | msg/s | p50 s | p95 s | max s "
        "| start s | RSS MB (peak) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        lines.append(
            f"| {r.scenario} | {r.users:,} × {r.per_user} | {r.replies:,} | {r.logged:,} "
            f"| {r.per_second:.1f} | {r.p50:.2f} | {r.p95:.2f} | {r.worst:.2f} "
            f"| {r.startup:.2f} | {r.rss_mb:.0f} ({r.peak_mb:.0f}) |"
        )
    return "\n".join(lines)


SCENARIOS = {
    # name: (users, messages per user, rate limited, extra delay per Bot API call)
    "unthrottled": (1000, 5, False, 0.0),
    "product": (1000, 1, True, 0.0),
    "latency": (200, 1, True, 0.1),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=sorted(SCENARIOS), action="append")
    parser.add_argument("--users", type=int, help="override the scenario's number of users")
    parser.add_argument("--per-user", type=int, help="override messages per user")
    parser.add_argument("--json", action="store_true", help="one JSON object per scenario")
    parser.add_argument("--serve-unthrottled", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_unthrottled:
        sys.exit(serve(rate_limited=False))
    results = []
    for name in args.only or list(SCENARIOS):
        users, per_user, rate_limited, delay = SCENARIOS[name]
        result = run_scenario(
            name,
            args.users or users,
            args.per_user or per_user,
            rate_limited=rate_limited,
            delay=delay,
        )
        if args.json:
            print(json.dumps(result.__dict__), flush=True)
        results.append(result)
    if not args.json:
        print(report(results))


if __name__ == "__main__":
    main()
