"""What every command-line entry point shares: settings, with the exit status of a
configuration error."""

from __future__ import annotations

import click

from bot.config import EXIT_CONFIG, ConfigError, Settings
from bot.engine.semantic import MODELS


class ConfigurationProblem(click.ClickException):
    """A setting that only the operator can fix: exit EXIT_CONFIG, so that systemd and the
    container entrypoint do not restart into the same error."""

    exit_code = EXIT_CONFIG


def settings_or_exit() -> Settings:
    """The settings from the environment, or one line on stderr and exit EXIT_CONFIG."""
    try:
        return Settings.from_env()
    except ConfigError as error:
        raise ConfigurationProblem(str(error)) from error


MODEL = click.option(
    "--model",
    type=click.Choice(MODELS),
    default=None,
    help="Sentence-embedding model (default: $POLICYBOT_MODEL, else use).",
)
