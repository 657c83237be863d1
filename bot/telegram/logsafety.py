"""Keeping secrets and personal data out of the logs: the token, the webhook secret,
residents' phone, 身份证 and bank card numbers."""

from __future__ import annotations

import logging

from bot.config import Settings, mask_token
from bot.privacy import mask_log_line


def quiet_http_logging() -> None:
    """httpx logs every request URL at INFO, and Bot API URLs contain the token."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


class RedactToken(logging.Filter):
    """Replaces the bot token (or another secret) with its masked form in any record
    (defence in depth)."""

    def __init__(self, token: str, masked: str | None = None):
        super().__init__()
        self.token = token
        self.masked = mask_token(token) if masked is None else masked

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the formatter's problem, not ours
            return True
        if self.token in message:
            record.msg, record.args = message.replace(self.token, self.masked), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and self.token in record.exc_text:
            record.exc_text = record.exc_text.replace(self.token, self.masked)
        if record.stack_info and self.token in record.stack_info:
            record.stack_info = record.stack_info.replace(self.token, self.masked)
        return True


# Loggers known to write the token: PTB's Bot logs "Set Bot API URL: …/bot<token>" at
# DEBUG when it is created; httpx logs request URLs (silenced above, filtered anyway).
TOKEN_LOGGERS = ("telegram.Bot", "telegram.ext.ExtBot", "httpx", "httpcore")


def protect_token(token: str, masked: str | None = None) -> None:
    """Mask ``token`` in records of the loggers that write it and in every root handler.

    A logger's filter sees its records wherever they go (pytest's capture included); a
    root handler's filter catches any other record that reaches the log output.
    ``masked`` replaces it (default: the token's masked form).
    """
    targets: list[logging.Filterer] = [logging.getLogger(name) for name in TOKEN_LOGGERS]
    targets += logging.getLogger().handlers
    for target in targets:
        if not any(isinstance(f, RedactToken) and f.token == token for f in target.filters):
            target.addFilter(RedactToken(token, masked))


class MaskPersonalData(logging.Filter):
    """Masks phone, 身份证 and bank card numbers (bot.privacy) in a record's message,
    also where a JSON body hides them in \\uXXXX escapes (the message is then decoded)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the formatter's problem, not ours
            return True
        masked = mask_log_line(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


# At DEBUG, PTB logs every update (Application: "Processing update …", the webhook
# handler: its raw body, the Bot: getUpdates' result) and every call's parameters:
# residents' text, with whatever numbers they typed.
PERSONAL_DATA_LOGGERS = (
    "telegram.Bot",
    "telegram.ext.ExtBot",
    "telegram.ext.Application",
    "telegram.ext.Updater",
    "telegram.ext",
)


def protect_personal_data() -> None:
    """Mask personal data in the records of PTB's loggers and of every root handler."""
    targets: list[logging.Filterer] = [logging.getLogger(n) for n in PERSONAL_DATA_LOGGERS]
    targets += logging.getLogger().handlers
    for target in targets:
        if not any(isinstance(f, MaskPersonalData) for f in target.filters):
            target.addFilter(MaskPersonalData())


WEBHOOK_SECRET_MASK = "(webhook secret)"


def protect_secrets(settings: Settings) -> None:
    """The token; the webhook secret (PTB logs setWebhook's parameters, secret_token
    included, at DEBUG); residents' personal data."""
    if settings.token:
        protect_token(settings.token)
    if settings.webhook_secret:
        protect_token(settings.webhook_secret, WEBHOOK_SECRET_MASK)
    protect_personal_data()


def configure_logging(settings: Settings) -> None:
    """Log to stderr at the configured level, never showing the token."""
    level = logging.getLevelName(settings.log_level)
    if not isinstance(level, int):
        level = logging.INFO
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=level)
    logging.getLogger().setLevel(level)
    # The job queue logs two lines at INFO for every run of a repeating job.
    logging.getLogger("apscheduler").setLevel(logging.WARNING if level > logging.DEBUG else level)
    quiet_http_logging()
    protect_secrets(settings)
