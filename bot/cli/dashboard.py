"""`policybot dashboard`: the curators' web dashboard (bot/dashboard) from the command line."""

from __future__ import annotations

import os
from pathlib import Path

import click

from bot.cli.common import ConfigurationProblem, settings_or_exit


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8001, show_default=True, help="Port to listen on.")
@click.option(
    "--no-auth",
    is_flag=True,
    help="No password (only with --host 127.0.0.1: for a curator on this machine).",
)
def dashboard(host: str, port: int, no_auth: bool) -> None:
    """Serve the question log to curators with Datasette, read-only, behind the password
    in POLICYBOT_DASHBOARD_PASSWORD (plain, or a `datasette hash-password` hash).

    The front page charts questions per day, the answer rate, the missed groups of the
    week and their trend, 👎 by entry, and entries never asked or not reviewed for long.
    It shows a snapshot of the log without user keys or chat ids, rebuilt every 5 minutes.
    """
    from bot.dashboard.server import DashboardRefused, check_access, serve
    from bot.dashboard.snapshot import build
    from bot.knowledge.loading import load_knowledge
    from bot.store.question_log import open_store

    settings = settings_or_exit()
    try:
        hashed = check_access(host, os.environ.get("POLICYBOT_DASHBOARD_PASSWORD"), no_auth)
    except DashboardRefused as error:
        raise ConfigurationProblem(str(error)) from error
    kb = load_knowledge(settings.root, extra_faq=[settings.curated_path])

    def rebuild(path: Path) -> None:
        with open_store(settings) as store:
            build(store, kb, path)

    where = f"http://{host}:{port}/"
    click.echo(f"the dashboard is at {where} ({'no password' if no_auth else 'log in as curator'})")
    serve(rebuild, host, port, hashed)
