"""`python -m bot.cli`: the `policybot` command line."""

from __future__ import annotations

from bot.cli.main import main

main()
