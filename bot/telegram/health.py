"""Whether the running bot is handling updates: a heartbeat it writes, and the check.

Every HEARTBEAT_EVERY seconds a job puts a ``Beat`` on the Application's update queue. It
is handled like an update, in its turn, so it needs a free slot among the updates being
handled side by side (bot.telegram.delivery): the heartbeat file is written only when updates
get through. A blocked event loop, a handler that never returns, every slot held by calls
that hang: the file stops being renewed. In polling mode the file also says how long ago
the bot last asked getUpdates, so a polling loop that stopped shows too. A new beat is
queued only once the last one went through: a wedged bot does not pile them up.

``python -m bot.telegram.health`` (and ``policybot health``) exit 0 when the heartbeat is fresh,
1 with one line saying why when it is missing or stale: the container's HEALTHCHECK.
The file sits next to the database (``policybot.heartbeat`` beside ``policybot.db``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

INTERVAL_ENV = "POLICYBOT_HEARTBEAT_SECONDS"
DEFAULT_INTERVAL = 30.0
STALE_AFTER = 3  # intervals without a beat before the bot counts as stuck
# A healthy poller asks getUpdates again within a long poll (10 s) plus the wait for the
# updates it confirms (bot.telegram.delivery, at most 30 s).
POLL_STALE = 60.0


def heartbeat_interval(env: Any = None) -> float:
    """Seconds between beats: ``$POLICYBOT_HEARTBEAT_SECONDS``, else 30."""
    value = (os.environ if env is None else env).get(INTERVAL_ENV) or ""
    try:
        seconds = float(value)
    except ValueError:
        return DEFAULT_INTERVAL
    return seconds if seconds > 0 else DEFAULT_INTERVAL


def heartbeat_path(db_path: Path) -> Path:
    """The heartbeat file for the database at ``db_path``."""
    return db_path.with_suffix(".heartbeat")


@dataclass(frozen=True)
class Beat:
    """What the job puts on the update queue."""

    queued: float = field(default_factory=time.monotonic)


class Heartbeat:
    """The job that queues beats and the handler that writes the file when one is handled.

    ``polled`` returns when getUpdates was last asked (time.monotonic()), or None (webhook
    mode, or not yet).
    """

    def __init__(self, path: Path, polled: Any = None):
        self.path = path
        self.polled = polled or (lambda: None)
        self.waiting = False

    async def queue(self, context: Any) -> None:
        """Job: queue a beat, unless the last one is still waiting for its turn."""
        if self.waiting:
            return
        self.waiting = True
        await context.application.update_queue.put(Beat())

    async def handle(self, beat: Beat, context: Any) -> None:
        """A beat came through the queue: write the file (off the event loop)."""
        self.waiting = False
        polled = self.polled()
        record = {
            "time": time.time(),
            "pid": os.getpid(),
            "queued_seconds": round(time.monotonic() - beat.queued, 3),
            "polled_seconds_ago": None if polled is None else round(time.monotonic() - polled, 3),
        }
        try:
            await asyncio.to_thread(write_heartbeat, self.path, record)
        except OSError as error:
            log.warning("cannot write the heartbeat %s: %s", self.path, error)


def write_heartbeat(path: Path, record: dict[str, Any]) -> None:
    """Replace the file at once: the check never reads half a record."""
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(json.dumps(record), encoding="utf-8")
    os.replace(partial, path)


def check(path: Path, max_age: float, now: float | None = None) -> tuple[bool, str]:
    """(healthy, one line saying why) for the heartbeat at ``path``."""
    now = time.time() if now is None else now
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        age = now - float(record["time"])
        polled = record.get("polled_seconds_ago")
    except FileNotFoundError:
        return False, f"unhealthy: no heartbeat at {path} (the bot is not running or not yet up)"
    except (OSError, ValueError, KeyError, TypeError) as error:
        return False, f"unhealthy: cannot read the heartbeat {path}: {error}"
    if age > max_age:
        return False, (
            f"unhealthy: no update has got through for {age:.0f} s (more than {max_age:.0f} s):"
            " the bot is stuck or stopped"
        )
    limit = max(max_age, POLL_STALE)
    if polled is not None and float(polled) + max(age, 0.0) > limit:
        return False, (
            f"unhealthy: getUpdates was last asked {float(polled) + age:.0f} s ago (more than "
            f"{limit:.0f} s): polling has stopped"
        )
    return True, f"ok: an update got through {max(age, 0.0):.0f} s ago"


def main(argv: list[str] | None = None) -> int:
    """The health check as a command: exit 0 (healthy) or 1, one line on stdout."""
    from bot.config import ConfigError, Settings

    parser = argparse.ArgumentParser(prog="python -m bot.telegram.health", description=__doc__)
    parser.add_argument(
        "--max-age",
        type=float,
        default=None,
        help=f"seconds a heartbeat stays fresh (default: {STALE_AFTER} heartbeat intervals)",
    )
    options = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        print(f"unhealthy: {error}")
        return 1
    max_age = options.max_age or STALE_AFTER * heartbeat_interval()
    healthy, line = check(heartbeat_path(settings.db_path), max_age)
    print(line)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
