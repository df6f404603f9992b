"""Nearest-name suggestions for names typed by hand (sectors, groups, regions, column headers)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def nearest(value: str, names: Iterable[str], *, limit: int = 3, cutoff: float = 0.5) -> list[str]:
    """Up to `limit` names close to `value`: ones containing it (or contained in it) first, then look-alikes."""
    value = value.strip()
    pool = list(dict.fromkeys(n for n in names if n))
    if not value:
        return []
    found = [n for n in pool if value in n or (len(n) >= 2 and n in value)]
    found.sort(key=lambda n: (abs(len(n) - len(value)), n))
    for name in difflib.get_close_matches(value, pool, n=limit + len(found), cutoff=cutoff):
        if name not in found:
            found.append(name)
    return found[:limit]
