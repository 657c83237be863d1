"""Configuration from the environment. Every variable is documented in .env.example."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BASE_URL = "https://api.telegram.org/bot"
CURATED_NAME = "curated.yaml"

# Exit statuses of every command. A service manager restarts on EXIT_UNAVAILABLE but not
# on EXIT_CONFIG (deploy/policybot.service, deploy/entrypoint.sh).
EXIT_UNAVAILABLE = 1  # may work on a retry: network, webhook port, database busy
EXIT_CONFIG = 2  # will not work until the configuration changes


class ConfigError(ValueError):
    """A configuration value is present but unusable."""


@dataclass(frozen=True)
class Settings:
    root: Path = PROJECT_ROOT
    token: str | None = field(default=None, repr=False)
    base_url: str = DEFAULT_BASE_URL
    db_path: Path = PROJECT_ROOT / "data" / "policybot.db"
    curators: frozenset[int] = frozenset()
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    listen: str = "0.0.0.0"
    port: int = 8443
    retention_days: int | None = None
    log_level: str = "INFO"
    user_key_secret: str | None = field(default=None, repr=False)
    curated: Path | None = None  # POLICYBOT_CURATED; see curated_path
    staff_chat: int | None = None  # POLICYBOT_STAFF_CHAT: where residents are handed over

    @property
    def curated_path(self) -> Path:
        """Where curators' answers are kept: POLICYBOT_CURATED, else next to the database.

        On the data volume, not in faq/: a container's faq/ belongs to root and is not the
        bot's to write, and the volume is what survives a new container.
        """
        return self.curated or self.db_path.parent / CURATED_NAME

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read settings from ``env`` (default: the process environment)."""
        env = os.environ if env is None else env
        root = Path(env.get("POLICYBOT_ROOT") or PROJECT_ROOT)
        curators = set()
        for part in (env.get("POLICYBOT_CURATORS") or "").replace(";", ",").split(","):
            part = part.strip()
            if not part:
                continue
            if not part.lstrip("-").isdigit():
                raise ConfigError(f"POLICYBOT_CURATORS: {part!r} is not a Telegram user id")
            curators.add(int(part))
        port = env.get("POLICYBOT_PORT") or "8443"
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f"POLICYBOT_PORT: {port!r} is not a port number (1-65535)")
        retention = env.get("POLICYBOT_RETENTION_DAYS") or None
        if retention is not None and not retention.isdigit():
            raise ConfigError(f"POLICYBOT_RETENTION_DAYS: {retention!r} is not a number of days")
        staff_chat = (env.get("POLICYBOT_STAFF_CHAT") or "").strip() or None
        if staff_chat is not None and not staff_chat.lstrip("-").isdigit():
            raise ConfigError(f"POLICYBOT_STAFF_CHAT: {staff_chat!r} is not a Telegram chat id")
        return cls(
            root=root,
            token=(env.get("TELEGRAM_BOT_TOKEN") or "").strip() or None,
            base_url=(env.get("TELEGRAM_BASE_URL") or "").strip() or DEFAULT_BASE_URL,
            db_path=Path(env.get("POLICYBOT_DB") or root / "data" / "policybot.db"),
            curators=frozenset(curators),
            webhook_url=(env.get("POLICYBOT_WEBHOOK_URL") or "").strip() or None,
            webhook_secret=(env.get("POLICYBOT_WEBHOOK_SECRET") or "").strip() or None,
            listen=env.get("POLICYBOT_LISTEN") or "0.0.0.0",
            port=int(port),
            retention_days=int(retention) if retention else None,
            log_level=(env.get("POLICYBOT_LOG_LEVEL") or "INFO").upper(),
            user_key_secret=(env.get("POLICYBOT_USER_KEY_SECRET") or "").strip() or None,
            curated=Path(curated) if (curated := env.get("POLICYBOT_CURATED")) else None,
            staff_chat=int(staff_chat) if staff_chat else None,
        )


def mask_token(token: str | None) -> str:
    """A token safe to print: its bot id and the last two characters, never the secret."""
    if not token:
        return "(none)"
    bot_id, _, secret = token.partition(":")
    return f"{bot_id}:…{secret[-2:]}" if secret else "…"
