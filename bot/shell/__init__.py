"""`python -m bot shell`: the real bot in a terminal, every role, no Telegram (see README)."""
