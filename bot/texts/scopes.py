"""How a coordinator's scope is named: its kind, its value, and a group's committee."""

from __future__ import annotations

from bot.texts.catalogue import t
from bot.texts.common import LEVEL_NAMES

SCOPE_NAMES = {"group": "活动组", "sector": "界别", "region": "地区"}

# a group grant names its committee (层级 + 地区, as the roster has them); see docs/decisions.md
TEXTS: dict[str, str] = {
    "scope_all": "全部委员",
    "committee_no_region": "未填地区",
    "scope_unresolved": "（未指明委员会，暂不覆盖任何委员，请联系管理员）",
}


def committee_label(committee) -> str:  # noqa: ANN001 - access.Committee
    """A committee as the roster names it: 层级·地区 (e.g. 县·甘肃省/天水市/秦州区)."""
    return f"{LEVEL_NAMES[committee.level]}·{committee.region or t('committee_no_region')}"


def group_label(key, none: str = "") -> str:  # noqa: ANN001 - scopes.GroupKey, duck-typed
    """An activity group on its committee, as every list shows it: 第2界别活动组（省·甘肃省）; `none` for None."""
    return none if key is None else _on_committee(key.name, key.committee)


def _on_committee(name: str, committee) -> str:  # noqa: ANN001 - scopes.Committee
    return f"{name}（{committee_label(committee)}）"


def scope_label(scope) -> str:  # noqa: ANN001 - scopes.Scope, duck-typed
    """A scope's name; a group's with its committee, or the note that it names none (and covers nobody)."""
    if scope.kind.value != "group":
        return scope.value
    if scope.committee is None:
        return scope.value + t("scope_unresolved")
    return _on_committee(scope.value, scope.committee)


def scope_text(scopes, sep: str = "、") -> str:  # noqa: ANN001 - Scopes, duck-typed: texts import no service
    """Scopes as `活动组：名称、界别：名称`; None is everyone."""
    if scopes is None:
        return t("scope_all")
    return sep.join(f"{SCOPE_NAMES[s.kind.value]}：{scope_label(s)}" for s in scopes)
