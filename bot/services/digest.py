"""The 社情民意 digest: a quarter's cases in scope grouped into recurring themes, and its DOCX draft.

Telegram-free. `digest_cases` reads the quarter's cases in scope (`scopes.case_in_scopes`: the
handler in scope, or the case's region in a region scope; admins: all). `group_themes` is the method
(docs/decisions.md, "社情民意 digest"):

1. Blocks: cases of one category and one area (the case's region cut to `AREA_DEPTH` levels, a city)
   are compared only with each other.
2. Terms: each description is cut into words by jieba (the default dictionary, precise mode); words
   of one character, numbers and a short list of words every complaint uses (`STOPWORDS`) are dropped.
3. Weights: TF-IDF over the quarter's cases in scope (tf: the word's share of the case's words;
   idf: ln((N + 1) / (df + 1)) + 1); each case keeps its `KEY_TERMS` heaviest words, L2-normalised.
4. Themes: in each block, cases in time order join the theme whose centroid is the most similar
   (cosine ≥ `THRESHOLD`), else open a new one; then every case is placed once more at its best
   centroid (one refinement pass, so the first case of a theme does not decide it alone).

A theme of two cases or more is a recurring theme; the rest are counted as single cases. Themes are
ordered by count, then by how many are unresolved. Pure Python and jieba: blocking, run in a thread
(`build_digest`); jieba's dictionary loads once (about a second) on the first call.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select as sa_select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.documents import Writer
from bot.services.masking import excerpt
from bot.services.rules import Quarter, median, natural_key
from bot.services.scopes import Scope, case_in_scopes, narrow
from bot.texts import CASE_STATUS_NAMES, DIGEST, cn_ordinal, scope_text
from models import Case, CaseStatus, Member, Region

AREA_DEPTH = 2  # a block's area: the region path cut to province/city
KEY_TERMS = 8  # words kept per case
THRESHOLD = 0.2  # cosine to a theme's centroid to join it (tests/data/digest_labelled.csv: pairs 99.5 % as labelled)
CENTROID_TERMS = 30
MIN_DF = 2  # a word in one case only links it to nothing: not a key term  # words a centroid keeps
MIN_THEME = 2  # cases that make a recurring theme
EXCERPTS = 3
EXCERPT_CHARS = 80
THEMES_IN_DOCUMENT = 40  # the draft lists at most this many themes (the rest: one line)

# words nearly every request uses: they say nothing about what it is about
STOPWORDS = frozenset("""
希望 问题 反映 我们 这个 那个 没有 一直 现在 已经 非常 能够 可以 政府 相关 部门 相关部门 尽快 解决 情况 进行 目前
存在 导致 影响 严重 大家 居民 群众 村民 老人 时候 很多 需要 一下 帮忙 请求 要求 建议 有关 一个 这里 那里 什么
怎么 因为 所以 但是 如果 还是 自己 他们 今年 去年 每天 经常 不能 不是 就是 这样 还有 而且 以及 或者 然后 一些 多次
得到 处理 协调 帮助 给予 关注 问问 一下子 老百姓 百姓 麻烦 谢谢 您好 你好 请问 领导 委员 反应 希望能 能否 是否
""".split())
_WORD = re.compile(r"[\u4e00-\u9fffA-Za-z][\u4e00-\u9fffA-Za-z0-9]+")

_JIEBA_LOCK = threading.Lock()
_jieba = None


def _segmenter():  # noqa: ANN202 - the jieba module, initialised
    """jieba with its dictionary loaded, once per process (the first call takes about a second)."""
    global _jieba
    with _JIEBA_LOCK:
        if _jieba is None:
            import logging

            import jieba  # ~1 s to load its dictionary: only when a digest is made

            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _jieba = jieba
    return _jieba


@dataclass(frozen=True)
class DigestCase:
    id: int
    number: str
    category: str
    region: str | None  # the region's path
    description: str
    status: str
    created_at: datetime
    resolved_at: datetime | None
    member: str | None  # the handling member's name
    requester_name: str | None  # a recorded requester's name: masked wherever it appears

    @property
    def resolved(self) -> bool:
        return self.resolved_at is not None

    @property
    def confirmed(self) -> bool:
        return self.status == CaseStatus.confirmed.value


@dataclass
class Theme:
    key: str  # a fingerprint of its cases (a button names a theme by index and key)
    category: str
    area: str | None
    terms: list[str]
    cases: list[DigestCase]  # the most characteristic first
    regions: list[str]
    resolved: int
    confirmed: int
    median_days: float | None
    excerpts: list[str]
    members: list[str]

    @property
    def count(self) -> int:
        return len(self.cases)

    @property
    def unresolved(self) -> int:
        return self.count - self.resolved

    @property
    def title(self) -> str:
        return DIGEST["theme_title"].format(category=self.category, terms="、".join(self.terms[:3]))


@dataclass
class CategoryRow:
    category: str
    cases: int
    resolved: int
    confirmed: int
    regions: int


@dataclass
class Digest:
    quarter: Quarter
    scopes: list[Scope] | None
    total: int
    resolved: int
    confirmed: int
    categories: list[CategoryRow]
    themes: list[Theme]  # recurring themes, ordered
    single: int  # cases in no recurring theme
    generated_at: datetime


async def digest_cases(session: AsyncSession, *, quarter: Quarter, tz: ZoneInfo,
                       scopes: Sequence[Scope] | None) -> list[DigestCase]:
    """The cases raised in `quarter` (local days) that the scopes cover, oldest first."""
    query = narrow(
        sa_select(Case.id, Case.number, Case.category, Region.path, Case.description, Case.status, Case.created_at,
                  Case.resolved_at, Member.name, Case.requester_name)
        .select_from(Case)
        .outerjoin(Region, Region.id == Case.region_id)
        .outerjoin(Member, Member.id == Case.member_id)
        .where(Case.created_at >= quarter.start(tz), Case.created_at < quarter.end(tz))
        .order_by(Case.created_at, Case.id),
        case_in_scopes(scopes),
    )
    return [DigestCase(i, n, c, r, d or "", str(getattr(s, "value", s)), at, res, m, req)
            for i, n, c, r, d, s, at, res, m, req in (await session.exec(query)).all()]


# --- the method ---------------------------------------------------------------------------------------


def terms_of(text: str) -> list[str]:
    """The words of a description that can say what it is about (jieba, precise mode)."""
    return [w for w in _segmenter().lcut_for_search(text) if _WORD.fullmatch(w) and w not in STOPWORDS]


def region_name(path: str) -> str:
    """A region as a theme lists it: its own name (兰州市, 七里河区), not the whole path."""
    return path.rsplit("/", 1)[-1]


def area_of(region: str | None) -> str | None:
    return None if region is None else "/".join(region.split("/")[:AREA_DEPTH])


def weights(documents: Sequence[list[str]]) -> list[dict[str, float]]:
    """Each document's `KEY_TERMS` heaviest words by TF-IDF over `documents`, L2-normalised."""
    df: Counter[str] = Counter()
    for words in documents:
        df.update(set(words))
    n = len(documents)
    idf = {word: math.log((n + 1) / (count + 1)) + 1 for word, count in df.items()}
    vectors = []
    for words in documents:
        if not words:
            vectors.append({})
            continue
        tf = Counter(w for w in words if df[w] >= MIN_DF)
        if not tf:
            vectors.append({})
            continue
        scored = sorted(((tf[w] / len(words) * idf[w], w) for w in tf), key=lambda x: (-x[0], x[1]))[:KEY_TERMS]
        norm = math.sqrt(sum(s * s for s, _ in scored)) or 1.0
        vectors.append({w: s / norm for s, w in scored})
    return vectors


def _cosine(vector: dict[str, float], centroid: dict[str, float], centroid_norm: float) -> float:
    if not centroid_norm:
        return 0.0
    return sum(weight * centroid.get(word, 0.0) for word, weight in vector.items()) / centroid_norm


class _Centroid:
    def __init__(self) -> None:
        self.sums: dict[str, float] = defaultdict(float)
        self.members: list[int] = []
        self._view: tuple[dict[str, float], float] | None = None

    def add(self, index: int, vector: dict[str, float]) -> None:
        self.members.append(index)
        for word, weight in vector.items():
            self.sums[word] += weight
        self._view = None

    def view(self) -> tuple[dict[str, float], float]:
        """The heaviest `CENTROID_TERMS` words and their norm."""
        if self._view is None:
            top = dict(sorted(self.sums.items(), key=lambda kv: (-kv[1], kv[0]))[:CENTROID_TERMS])
            self._view = top, math.sqrt(sum(v * v for v in top.values()))
        return self._view


def _cluster(indices: list[int], vectors: list[dict[str, float]]) -> list[list[int]]:
    """One block's cases as groups: leader clustering on centroids, then one refinement pass."""
    centroids: list[_Centroid] = []
    by_word: dict[str, set[int]] = defaultdict(set)

    def best_for(index: int) -> tuple[int | None, float]:
        vector = vectors[index]
        candidates = set().union(*(by_word.get(word, set()) for word in vector)) if vector else set()
        best, best_score = None, 0.0
        for c in sorted(candidates):
            top, norm = centroids[c].view()
            score = _cosine(vector, top, norm)
            if score > best_score:
                best, best_score = c, score
        return best, best_score

    for index in indices:
        best, score = best_for(index)
        if best is None or score < THRESHOLD:
            centroids.append(_Centroid())
            best = len(centroids) - 1
        centroids[best].add(index, vectors[index])
        for word in centroids[best].view()[0]:
            by_word[word].add(best)
    # refinement: each case once more at its best centroid (as built above); an orphan keeps its own group
    placed: dict[int, list[int]] = defaultdict(list)
    for c, centroid in enumerate(centroids):
        for index in centroid.members:
            best, score = best_for(index)
            placed[best if best is not None and score >= THRESHOLD else c].append(index)
    return [sorted(members) for _, members in sorted(placed.items()) if members]


def group_themes(cases: Sequence[DigestCase], vectors: list[dict[str, float]] | None = None) -> list[list[int]]:
    """The method (module docstring): indices into `cases`, each list one group (singletons included).
    `vectors`: the cases' weights when already made (`weights`)."""
    if vectors is None:
        vectors = weights([terms_of(case.description) for case in cases])
    blocks: dict[tuple[str, str | None], list[int]] = defaultdict(list)
    for index, case in enumerate(cases):
        blocks[(case.category, area_of(case.region))].append(index)
    groups: list[list[int]] = []
    for key in sorted(blocks, key=lambda k: (k[0], k[1] or "")):
        groups += _cluster(blocks[key], vectors)
    return groups


def theme_key(case_ids: Sequence[int]) -> str:
    return hashlib.sha1(",".join(map(str, sorted(case_ids))).encode()).hexdigest()[:8]


def _theme(members: list[int], cases: Sequence[DigestCase], vectors: list[dict[str, float]]) -> Theme:
    centroid = _Centroid()
    for index in members:
        centroid.add(index, vectors[index])
    top, norm = centroid.view()
    closeness = {i: _cosine(vectors[i], top, norm) for i in members}
    ordered = sorted(members, key=lambda i: (-closeness[i], cases[i].created_at, cases[i].id))
    chosen = [cases[i] for i in ordered]
    names = Counter(c.member for c in chosen if c.member)
    return Theme(
        key=theme_key([c.id for c in chosen]), category=chosen[0].category, area=area_of(chosen[0].region),
        terms=list(top)[:5], cases=chosen,
        regions=sorted({region_name(c.region) for c in chosen if c.region}, key=natural_key),
        resolved=sum(1 for c in chosen if c.resolved), confirmed=sum(1 for c in chosen if c.confirmed),
        median_days=median([(c.resolved_at - c.created_at).total_seconds() / 86400 for c in chosen if c.resolved_at]),
        excerpts=[excerpt(c.description, EXCERPT_CHARS, extra_names=(c.requester_name or "",))
                  for c in chosen[:EXCERPTS]],
        members=[name for name, _ in sorted(names.items(), key=lambda kv: (-kv[1], kv[0]))],
    )


def make_digest(cases: Sequence[DigestCase], *, quarter: Quarter, scopes: Sequence[Scope] | None,
                generated_at: datetime) -> Digest:
    """The digest of these cases (blocking: jieba and the grouping)."""
    vectors = weights([terms_of(case.description) for case in cases]) if cases else []
    groups = group_themes(cases, vectors) if cases else []
    themes = [_theme(g, cases, vectors) for g in groups if len(g) >= MIN_THEME]
    themes.sort(key=lambda th: (-th.count, -th.unresolved, natural_key(th.category), th.key))
    per_category: dict[str, list[DigestCase]] = defaultdict(list)
    for case in cases:
        per_category[case.category].append(case)
    categories = [CategoryRow(name, len(items), sum(1 for c in items if c.resolved),
                              sum(1 for c in items if c.confirmed), len({c.region for c in items if c.region}))
                  for name, items in sorted(per_category.items(), key=lambda kv: (-len(kv[1]), natural_key(kv[0])))]
    return Digest(
        quarter=quarter, scopes=list(scopes) if scopes is not None else None, total=len(cases),
        resolved=sum(1 for c in cases if c.resolved), confirmed=sum(1 for c in cases if c.confirmed),
        categories=categories, themes=themes, single=len(cases) - sum(th.count for th in themes),
        generated_at=generated_at,
    )


async def build_digest(cases: Sequence[DigestCase], *, quarter: Quarter, scopes: Sequence[Scope] | None,
                       generated_at: datetime) -> Digest:
    """`make_digest` off the event loop."""
    return await asyncio.to_thread(make_digest, list(cases), quarter=quarter, scopes=scopes,
                                   generated_at=generated_at)


# --- the document -------------------------------------------------------------------------------------


def _days(value: float | None) -> str:
    return DIGEST["no_days"] if value is None else DIGEST["days"].format(days=f"{value:.1f}")


def render_digest(digest: Digest) -> bytes:
    """The DOCX draft 社情民意信息（草稿）: 基本情况 and 反映的主要问题 filled in, 意见建议 left for a person."""
    doc = Writer()
    doc.title(DIGEST["title"])
    doc.centred(DIGEST["subtitle"].format(quarter=digest.quarter.cn_label, scope=scope_text(digest.scopes)))
    doc.centred(DIGEST["generated"].format(at=digest.generated_at.strftime("%Y年%m月%d日 %H:%M")), size=12)

    doc.heading(DIGEST["h_overview"])
    themed = digest.total - digest.single
    doc.paragraph(DIGEST["overview"].format(quarter=digest.quarter.cn_label, total=digest.total,
                                            resolved=digest.resolved, confirmed=digest.confirmed,
                                            categories=len(digest.categories), themes=len(digest.themes),
                                            themed=themed, single=digest.single))
    if digest.categories:
        doc.table(DIGEST["cols_categories"], [[row.category, row.cases, row.resolved, row.confirmed, row.regions]
                                              for row in digest.categories])

    doc.heading(DIGEST["h_issues"])
    if not digest.themes:
        doc.paragraph(DIGEST["no_themes"])
    for index, theme in enumerate(digest.themes[:THEMES_IN_DOCUMENT], start=1):
        doc.heading(DIGEST["theme_heading"].format(n=cn_ordinal(index), title=theme.title), 2)
        doc.paragraph(DIGEST["theme_text"].format(
            count=theme.count, regions="、".join(theme.regions) or DIGEST["no_region"], resolved=theme.resolved,
            confirmed=theme.confirmed, unresolved=theme.unresolved, days=_days(theme.median_days),
            members="、".join(theme.members) or DIGEST["no_member"]))
        doc.paragraph(DIGEST["excerpts_head"])
        for n, text in enumerate(theme.excerpts, start=1):
            doc.paragraph(DIGEST["excerpt"].format(n=n, text=text))
    if len(digest.themes) > THEMES_IN_DOCUMENT:
        rest = digest.themes[THEMES_IN_DOCUMENT:]
        doc.paragraph(DIGEST["more_themes"].format(themes=len(rest), cases=sum(th.count for th in rest)))

    doc.heading(DIGEST["h_suggestions"])
    doc.paragraph(DIGEST["suggestions_hint"])
    doc.blank_lines(8)
    return doc.bytes()


def digest_filename(digest: Digest) -> str:
    return DIGEST["filename"].format(quarter=digest.quarter.label)


def case_line(case: DigestCase) -> tuple[str, str, str, str]:
    """(number, status name, region, a short masked excerpt) for the list under a theme's button."""
    return (case.number, CASE_STATUS_NAMES.get(case.status, case.status), case.region or "",
            excerpt(case.description, 40, extra_names=(case.requester_name or "",)))
