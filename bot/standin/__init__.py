"""A stand-in for the Telegram Bot API, in-process: what the tests and `python -m bot shell` talk to."""
