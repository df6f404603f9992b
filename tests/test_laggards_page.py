"""The /laggards page paged in SQL (`reminders.laggards_page`): the same members, order, figures and peer
counts as the full scan and as an independent recount, on every page, whole province and in a scope."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from bot.services.outreach import LAG_RULES
from bot.services.reminders import Rule, laggards, laggards_page
from bot.services.rules import Quarter
from tests.test_reminders import G1_PROVINCE, POLICY, in_g1_province, recount, seed


@pytest.mark.parametrize("scopes", [None, [G1_PROVINCE]])
async def test_every_page_matches_the_scan_and_a_recount(db, scopes) -> None:
    data = await seed(db)
    q4, as_of = Quarter(2026, 4), date(2026, 11, 14)
    lag_rules = {r.value for r in LAG_RULES}
    in_scope = {m[1] for m in data["members"]} if scopes is None else in_g1_province(data)
    expected = {n: r & lag_rules for n, r in recount(data, quarter=q4, as_of=as_of).items()
                if r & lag_rules and n in in_scope}
    active = [m for m in data["members"] if m[6]]
    group_of = {m[1]: (m[2], m[3], m[4], m[5] if m[4] is None else None) for m in active}
    group_size = Counter(group_of.values())
    async with db.session() as session:
        scan = await laggards(session, quarter=q4, as_of=as_of, policy=POLICY, rules=LAG_RULES, scopes=scopes)
        pages, offset = [], 0
        while True:
            total, rows = await laggards_page(session, quarter=q4, as_of=as_of, policy=POLICY, rules=LAG_RULES,
                                              scopes=scopes, offset=offset, limit=4)
            assert total == len(expected)
            if not rows:
                break
            pages.extend(rows)
            offset += 4
    assert len(expected) > 8  # several pages
    assert [lag.number for lag in pages] == sorted(expected)
    assert {lag.number: {r.value for r in lag.rules} for lag in pages} == expected
    assert all(lag.peers == group_size[group_of[lag.number]] for lag in pages)
    # the scan's figures, field by field (the gap out of the bottom belongs to the bottom-share rule alone)
    keep = ("member_id", "number", "name", "telegram_id", "peer_label", "quarter_activities", "year_people",
            "expected_people", "points", "peers", "rules")
    assert [[getattr(lag, f) for f in keep] for lag in pages] == [[getattr(lag, f) for f in keep] for lag in scan]


async def test_the_bottom_share_is_refused(db) -> None:
    async with db.session() as session:
        with pytest.raises(ValueError):
            await laggards_page(session, quarter=Quarter(2026, 4), as_of=date(2026, 11, 14), policy=POLICY,
                                rules=[Rule.bottom_share], offset=0, limit=10)
