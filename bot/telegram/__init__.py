"""The Telegram front end (python-telegram-bot), above the engine and the store.

application (build_application, run_bot: handlers in order) · context (BotData, typed
context) · handlers (messages, commands, inline, errors) · buttons (one handler per
kind of button) · callbacks (the callback protocol) · keyboards · replying (logging and
sending replies) · addressing (who a group message is for) · lookup (terms by word) ·
curators (/missed, /reload, "m:" buttons, notifications) · curator_chat (what curators
are told) · staff_entries (a staff reply made an answer entry) · limits (every number, flood
guard, retrying rate limiter) · logsafety (redaction) ·
delivery (confirm updates once handled) · inbox (webhook: stored before the 200) ·
health (heartbeat and its check). Its words are in bot/engine/messages.py.
"""
