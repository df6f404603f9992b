"""/queue: the cases waiting for staff (unassigned, overdue, reopened)."""

from __future__ import annotations

QUEUE_REASON_NAMES = {"unassigned": "未分派", "reopened": "被退回", "overdue": "已超期"}

TEXTS: dict[str, str] = {
    "queue_empty": "✅ 您的范围内没有待处理的诉求件（未分派、超期或被退回的）。",
    "queue_header": "📋 <b>待处理诉求件</b>（第 {start}–{end} 件，共 {total} 件，最早的在前）",
    "queue_line": "{n}. <b>{number}</b> {category} · {status} · {handler} · 已 {age} 天 · {reasons}",
    "queue_candidates": "可分派给下列委员（最合适的在前），或重新分派：",
    "queue_no_candidates": "暂无可分派的委员（范围内没有合适人选），可重新分派，或稍后再试。",
    "queue_rerouted_member": "已重新分派诉求件 {number}，改由 {name}（{sector}）办理。",
    "queue_rerouted_staff": "已重新分派诉求件 {number}：暂无合适的委员，已转协调员分派。",
}

BUTTONS: dict[str, str] = {
    "queue_open": "{number}（{reasons}）",
    "queue_reroute": "🔄 重新分派",
}
