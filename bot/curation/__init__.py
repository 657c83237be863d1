"""Curation: missed questions grouped, answering them, statistics (no Telegram, no click)."""
