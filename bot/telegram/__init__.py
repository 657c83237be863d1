"""The Telegram front end: application, handlers, delivery, webhook inbox, health."""
