"""Every rule's settings, built once at start-up: the one object handlers, jobs and commands read them from.

Each policy lives next to the rules that read it (`activities.ActivityPolicy`, `cases.CasePolicy`,
`deadlines.DeadlinePolicy`, `reminders.DutyPolicy`) and is built from `bot.config.Settings` by its
`from_settings`; this bundle builds them all. The bot keeps it on the application
(`LianxinContext.policies`); a CLI command builds the one it needs.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.activities import ActivityPolicy
from bot.services.cases import CasePolicy
from bot.services.deadlines import DeadlinePolicy
from bot.services.reminders import DutyPolicy


@dataclass(frozen=True)
class Policies:
    activity: ActivityPolicy
    case: CasePolicy
    deadline: DeadlinePolicy
    duty: DutyPolicy  # quotas, pace, the bottom share and when reminders go out: /my, stats, exports, reminders

    @classmethod
    def from_settings(cls, settings) -> Policies:  # noqa: ANN001 - bot.config.Settings (a layer above)
        return cls(
            activity=ActivityPolicy.from_settings(settings),
            case=CasePolicy.from_settings(settings),
            deadline=DeadlinePolicy.from_settings(settings),
            duty=DutyPolicy.from_settings(settings),
        )
