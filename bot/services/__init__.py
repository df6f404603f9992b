"""The domain, Telegram-free: every rule the bot, the CLI and the jobs share.

Importing any service imports the tally (`tally.py`), whose listeners keep each member's
yearly totals in step with every ORM flush of activities, in every session.
"""

from bot.services import tally  # noqa: F401 - registers the flush listeners
