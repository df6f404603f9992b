"""Test support: a local fake Telegram Bot API server that the real python-telegram-bot talks to over HTTP."""
