"""Evaluating a search cheaply: what `selectors.resource_search` hands to `paginate()` (`count()` and slicing).

Ranked results (PostgreSQL, relevance descending) are computed in one pass over at most EXACT_TOTAL_UP_TO + 1
matches, taken in storage order (the GIN bitmap scan stops at the LIMIT; nothing is sorted first): each one's base
relevance and their number (`COUNT(*) OVER ()`), keeping only the best `WINDOW` ids. When that pass found them all,
the window is exactly the top `WINDOW` by base relevance and the total is exact. Otherwise the query is broad (one
common word can match a third of the catalogue, and ranking and counting 30,000 rows costs ~100 ms): a second pass
ranks at most HEAD_POOL of the matches with the query in their title or tags (their own GIN index, so they are found
without reading the table), the window is the best of both passes, and the total is the planner's estimate (EXPLAIN,
nothing read; never below the bound), flagged `count_is_estimate` (`X-Total-Count-Estimated: true`, and pagination
then does not stop at the estimate). A title or tag match outranks a description-only one by far (weights A 1.0,
B 0.4 vs C 0.2), so the pool holds the top results; only when more than HEAD_POOL resources have the query in their
title or tags does the window come from a subset of those (in storage order), all equally strong textual matches.

The title similarity, which is dearer, re-ranks the window alone. Pages inside the window come from it; deeper pages
list every other match in base-relevance order (exact and slow, but rare), so no resource is skipped or repeated at
the boundary. Only the page's rows are then read in full. SQLite, the similar-titles fallback and ascending
relevance rank and count every match in one pass. A search sorted by a column counts up to the same bound, then
estimates.

The window (ids and total) and the totals of other listings are cached for `CACHE_SECONDS`, keyed by the search
parameters and a catalogue version that every catalogue write bumps (seed, scrape, staff edits), so new or hidden
resources show at once; ratings and popularity move the order of a cached window only after it expires. Searches
with `min_rating` (whose membership moves with every rating) are never cached. A cache outage only costs speed.
"""

import hashlib
import json
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.db.models import Count, F, QuerySet, Window

from common.cache import CACHE_ERRORS
from resources.models import Resource
from resources.search import Match

if TYPE_CHECKING:
    from resources.hybrid import Hybrid

logger = logging.getLogger(__name__)

WINDOW = 200
# Up to this many matches a search ranks them all and counts them exactly; past it (a broad query: one common word can
# match a third of the catalogue) it ranks a bounded pool and estimates the total (module docstring).
EXACT_TOTAL_UP_TO = 1000
# A broad search ranks at most HEAD_POOL of its matches with the query in their title or tags.
HEAD_POOL = 3000
CACHE_SECONDS = 300
# What the window holds of each candidate: its id, base relevance and rating (the order), then what the hybrid
# re-scoring needs (resources.hybrid.Hybrid.fuse). SQLite's single pass reads them all; on PostgreSQL the passes rank
# ids only and one query reads the rest for the final window, in place of the title re-rank that the hybrid
# re-scoring makes moot (so the number of queries stays the same). The total comes last.
WINDOW_COLUMNS = ("pk", "base", "rating", "meaning", "embedding", "title", "tags", "description", "difficulty",
                  "media_type", "duration_minutes")  # fmt: skip
_TOTAL = len(WINDOW_COLUMNS)
# What a bounded (PostgreSQL) pass ranks: the rest of WINDOW_COLUMNS is read for the final window only, and only when
# the hybrid re-scoring needs it. The pass's total follows them.
POOL_COLUMNS = WINDOW_COLUMNS[:3]
_POOL_TOTAL = len(POOL_COLUMNS)
_VERSION_KEY = "res:catalogue:v"


def catalogue_version() -> str:
    """The catalogue's content version (bumped by catalogue_changed): what the shared `resources` retrieval index is
    keyed by. Cheap: one cache read. With the cache down, a value that changes every minute, so that an index is
    rebuilt at most once a minute rather than never."""
    try:
        version = cache.get(_VERSION_KEY)
        if version is None:  # never set, evicted or flushed: start from a fresh random value, never an old one
            cache.add(_VERSION_KEY, secrets.randbelow(2**62), timeout=None)
            version = cache.get(_VERSION_KEY)
        return str(version)
    except CACHE_ERRORS:
        return f"nocache:{int(time.time() // 60)}"


def catalogue_changed() -> None:
    """Invalidate every cached search (call after any write to resources' content or visibility)."""
    try:
        if not cache.add(_VERSION_KEY, secrets.randbelow(2**62), timeout=None):
            cache.incr(_VERSION_KEY)
    except CACHE_ERRORS:
        logger.warning("Cache unreachable: cached searches expire on their own within %s s", CACHE_SECONDS)
    except ValueError:  # evicted between add and incr
        cache.set(_VERSION_KEY, secrets.randbelow(2**62), timeout=None)


def cache_key(kind: str, params: dict[str, Any]) -> str | None:
    """The cache key of a search, or None when it must not be cached (or the cache is down)."""
    if params.get("min_rating") is not None:
        return None
    try:
        version = cache.get(_VERSION_KEY, 0)
    except CACHE_ERRORS:
        return None
    digest = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode("utf-8", "surrogatepass"))
    return f"res:search:{kind}:{version}:{digest.hexdigest()[:32]}"


PAGE_HEADERS = ("X-Total-Count", "X-Total-Count-Estimated", "X-Related-Count", "Link")


def page_cache_key(url: str) -> str | None:
    """The cache key of one rendered search page (its items and pagination headers) for this absolute URL (the Link
    header names it); None when pages are not cached (turned off, a `min_rating` anywhere in the URL — flat or inside
    `filters` — or the cache down). Keyed by the catalogue version like every cached search, so a catalogue write
    shows at once; ratings and view counts on the page are at most RESOURCES_SEARCH_PAGE_CACHE_SECONDS old."""
    if not settings.RESOURCES_SEARCH_PAGE_CACHE_SECONDS or "min_rating" in unquote_plus(url):
        return None
    return cache_key("page", {"url": url})


def cached_page(key: str | None) -> tuple[list[Any], dict[str, str]] | None:
    """A page stored by `cache_page`: (items, headers)."""
    found = _cache_get(key)
    return found if isinstance(found, tuple) else None


def cache_page(key: str | None, items: list[Any], headers: dict[str, str]) -> None:
    _cache_set(key, (items, headers), timeout=settings.RESOURCES_SEARCH_PAGE_CACHE_SECONDS)


def _cache_get(key: str | None) -> Any:
    if key is None:
        return None
    try:
        return cache.get(key)
    except CACHE_ERRORS:
        return None


def _cache_set(key: str | None, value: Any, timeout: int = CACHE_SECONDS) -> None:
    if key is None:
        return
    try:
        cache.set(key, value, timeout=timeout)
    except CACHE_ERRORS:
        logger.warning("Cache unreachable: search results not cached")


def _rows(ids: Sequence[int], relevance: dict[int, float] | None = None) -> list[Resource]:
    found = Resource.objects.defer("search_vector", "embedding", "meaning").in_bulk(list(ids))
    rows = [found[pk] for pk in ids if pk in found]
    for row in rows:
        row.relevance = (relevance or {}).get(row.pk)  # type: ignore[attr-defined]
    return rows


class CountCachedResults:
    """An ordered queryset (built on first use) whose total is cached."""

    def __init__(self, build: Callable[[], QuerySet], key: str | None) -> None:
        self._build = build
        self._queryset: QuerySet | None = None
        self.key = key

    @property
    def queryset(self) -> QuerySet:
        if self._queryset is None:
            self._queryset = self._build()
        return self._queryset

    def count(self) -> int:
        total = _cache_get(self.key)
        if total is None:
            total = self.queryset.count()
            _cache_set(self.key, total)
        return total

    def __getitem__(self, page: slice) -> list[Resource]:
        return list(self.queryset[page])

    def explain(self, **options: Any) -> str:
        return self.queryset.explain(**options)


def estimated_total(queryset: QuerySet) -> int:
    """The planner's estimate of how many rows `queryset` has (EXPLAIN: nothing is read), for a broad search — never
    below EXACT_TOTAL_UP_TO + 1, since more than that were found."""
    plan = json.loads(queryset.order_by().explain(format="json"))
    return max(int(plan[0]["Plan"]["Plan Rows"]), EXACT_TOTAL_UP_TO + 1)


def match_total(match: Match) -> tuple[int, bool]:
    """(total, is_estimate) of a search's matches: exact up to EXACT_TOTAL_UP_TO (the count stops there), else the
    planner's estimate. Without a head (SQLite, similar titles) the count is always exact."""
    if match.head is None:
        return match.queryset.count(), False
    total = match.queryset.order_by()[: EXACT_TOTAL_UP_TO + 1].count()
    if total > EXACT_TOTAL_UP_TO:
        return estimated_total(match.queryset), True
    return total, False


def _pool_sql(queryset: QuerySet, base: Any, *, pool: int) -> tuple[str, list[Any], str]:
    """SQL of (pk, base, rating, pool size) of the best WINDOW by descending base relevance among the first `pool`
    rows of `queryset` in storage order: the relevance is computed for `pool` rows at most, and nothing is sorted
    before the LIMIT stops the scan. Only ids, relevance and rating: what the hybrid re-scoring reads of the winners
    (description, embedding…) is read for the final window alone (RankedResults._load). Returns (sql, params, alias)."""
    candidates = queryset.annotate(base=base).order_by().values_list(*POOL_COLUMNS)[:pool]
    inner, params = candidates.query.sql_with_params()
    # The ORDER BY of RankedResults._base_order, descending; the inner SQL is the ORM's, with its own parameters.
    sql = f"SELECT *, COUNT(*) OVER () FROM ({inner}) AS pool ORDER BY 2 DESC, 3 DESC, 1 LIMIT %s"  # noqa: S608
    return sql, [*params, WINDOW], candidates.db


def _best_of_pool(queryset: QuerySet, base: Any, *, pool: int) -> list[tuple]:
    sql, params, db = _pool_sql(queryset, base, pool=pool)
    with connections[db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _explain_pool(queryset: QuerySet, base: Any, *, pool: int, **options: Any) -> str:
    sql, params, db = _pool_sql(queryset, base, pool=pool)
    connection = connections[db]
    with connection.cursor() as cursor:
        cursor.execute(f"{connection.ops.explain_query_prefix(**options)} {sql}", params)
        return "\n".join(str(row[0]) for row in cursor.fetchall())


class RankedResults:
    """Matches ordered by relevance: `base` over all of them, plus `rerank` (an expression on the resource) within
    the first WINDOW. For a broad search the first WINDOW come from a bounded pool (module docstring); the pages
    after them list every other match in base-relevance order, so each match appears exactly once."""

    def __init__(
        self, *, build: Callable[[], Match], descending: bool, key: str | None, hybrid: "Hybrid | None" = None
    ) -> None:
        self._build = build  # → search.Match, only on a cache miss or for pages past the window
        self._match: Match | None = None
        self.hybrid = hybrid  # dense re-ranking of the window and the semantic fill (resources.hybrid)
        self.descending = descending
        self.key = key
        self._window: tuple[int, list[int], dict[int, float]] | None = None
        self.count_is_estimate = False

    @property
    def match(self) -> Match:
        if self._match is None:
            self._match = self._build()
        return self._match

    def _ranked(self) -> QuerySet:
        return self.match.queryset.annotate(base=self.match.base).order_by(*self._base_order())

    def _bounded(self) -> bool:
        return self.descending and self.match.head is not None

    def explain(self, **options: Any) -> str:
        if self._bounded():  # the first pass, then the head pool of a broad search
            match = self.match
            first = _explain_pool(match.queryset, match.base, pool=EXACT_TOTAL_UP_TO + 1, **options)
            head = _explain_pool(match.head, match.base, pool=HEAD_POOL, **options)  # type: ignore[arg-type]
            return f"{first}\n-- if more than {EXACT_TOTAL_UP_TO} matches:\n{head}"
        return (
            self._ranked()
            .annotate(total=Window(Count("id")))
            .values_list("pk", "base", "total")[:WINDOW]
            .explain(**options)
        )

    def _base_order(self) -> list[Any]:
        base = F("base").desc() if self.descending else F("base").asc()
        rating = F("rating").desc() if self.descending else F("rating").asc()
        return [base, rating, "id"]

    def _best_rows(self) -> tuple[list[tuple], int]:
        """The best WINDOW by base relevance (WINDOW_COLUMNS; POOL_COLUMNS from a bounded pass), and the total."""
        match = self.match
        if not self._bounded():  # SQLite, similar titles, ascending: rank and count every match
            counted = list(
                self._ranked().annotate(total=Window(Count("id"))).values_list(*WINDOW_COLUMNS, "total")[:WINDOW]
            )
            return [row[:_TOTAL] for row in counted], counted[0][_TOTAL] if counted else 0
        # One pass ranks and counts the first EXACT_TOTAL_UP_TO + 1 matches: all of them, unless the query is broad.
        rows = _best_of_pool(match.queryset, match.base, pool=EXACT_TOTAL_UP_TO + 1)
        total = rows[0][_POOL_TOTAL] if rows else 0
        if total <= EXACT_TOTAL_UP_TO:
            return [row[:_POOL_TOTAL] for row in rows], total
        # Broad: add the best of (at most HEAD_POOL of) the matches with the query in their title or tags.
        self.count_is_estimate = True
        pooled = {row[0]: row[:_POOL_TOTAL] for row in rows}
        pooled.update(
            (row[0], row[:_POOL_TOTAL])
            for row in _best_of_pool(match.head, match.base, pool=HEAD_POOL)  # type: ignore[arg-type]
        )
        best = sorted(pooled.values(), key=lambda r: (-r[1], -r[2], r[0]))[:WINDOW]
        return best, estimated_total(match.queryset)

    def _load(self) -> tuple[int, list[int], dict[int, float]]:
        if self._window is not None:
            return self._window
        cached = _cache_get(self.key)
        if cached is not None:
            total, self.count_is_estimate, ids, scores = cached
            self._window = (total, ids, {int(k): v for k, v in scores.items()})
            return self._window
        rows, total = self._best_rows()
        if self.hybrid is not None and self.descending and not self.count_is_estimate and total <= len(rows):
            # The dense first stage (resources.hybrid.Hybrid.dense_candidates): the nearest resources by meaning join
            # the lexical matches (all of them are in the window) and count as matches.
            rows = self._with_dense(rows)
            total = len(rows)
        scores = {row[0]: float(row[1]) for row in rows}
        if self.hybrid is not None and rows:
            # The hybrid re-scoring replaces the title-similarity re-rank: read what it needs of the window instead
            # (a bounded pass ranked ids only; SQLite's single pass read every column already).
            if len(rows[0]) < len(WINDOW_COLUMNS):
                rest = WINDOW_COLUMNS[len(rows[0]) :]
                read = Resource.objects.filter(pk__in=list(scores)).values_list("pk", *rest)
                details = {row[0]: row[1:] for row in read}
                rows = [(*row, *details.get(row[0], (None,) * len(rest))) for row in rows]
            scores = self.hybrid.fuse(scores, {row[0]: dict(zip(WINDOW_COLUMNS, row, strict=True)) for row in rows})
        elif self.match.rerank is not None and rows:
            extra = Resource.objects.filter(pk__in=list(scores)).annotate(extra=self.match.rerank)
            for pk, value in extra.values_list("pk", "extra"):
                scores[pk] += float(value or 0.0)
        sign = -1 if self.descending else 1
        ordered = sorted(rows, key=lambda r: (sign * scores[r[0]], sign * r[2], r[0]))
        self._window = (total, [r[0] for r in ordered], scores)
        _cache_set(self.key, (total, self.count_is_estimate, self._window[1], scores))
        return self._window

    def _with_dense(self, rows: list[tuple]) -> list[tuple]:
        """`rows` plus the dense first stage's candidates that pass the search's filters (base relevance 0), as wide as
        `rows` (a bounded pass's rows get the rest of WINDOW_COLUMNS read with theirs)."""
        from resources.hybrid import DENSE_K

        assert self.hybrid is not None
        picked = self.hybrid.dense_candidates(exclude=[row[0] for row in rows])
        if not picked:
            return rows
        # The filters first (ids only: cheap), then the columns of the DENSE_K nearest that pass them.
        allowed = set(self.hybrid.filtered.filter(pk__in=picked).values_list("pk", flat=True))
        picked = [pk for pk in picked if pk in allowed][:DENSE_K]
        width = len(rows[0]) if rows else len(WINDOW_COLUMNS)
        columns = [column for column in WINDOW_COLUMNS[:width] if column != "base"]
        read = {row[0]: row for row in Resource.objects.filter(pk__in=picked).values_list(*columns)}
        return [*rows, *((pk, 0.0, *read[pk][1:]) for pk in picked if pk in read)]

    def count(self) -> int:
        return self._load()[0]

    def related(self, *, offset: int, limit: int, strict_on_page: int) -> list[Resource]:
        """The semantic fill of a page (resources.hybrid): resources related to a query with few strict matches,
        after all of them. Empty for literal queries, ascending order, broad queries or when the page is full."""
        from resources.hybrid import FILL_BELOW

        if self.hybrid is None or not self.descending:
            return []
        total, ids, _ = self._load()
        if self.count_is_estimate or total >= FILL_BELOW or strict_on_page >= limit:
            return []
        picked = self.hybrid.related(strict_ids=ids, start=max(0, offset - total), count=limit - strict_on_page)
        return _rows(picked)

    def __getitem__(self, page: slice) -> list[Resource]:
        total, ids, scores = self._load()
        start, stop = page.start or 0, page.stop if page.stop is not None else total
        if not self.count_is_estimate:
            stop = min(stop, total)
        if start >= stop:
            return []
        picked = ids[start:stop]
        if stop > len(ids):  # past the window: every other match, in base-relevance order
            others = self._ranked().exclude(pk__in=ids).values_list("pk", "base")
            for pk, base in others[max(start, len(ids)) - len(ids) : stop - len(ids)]:
                picked.append(pk)
                scores[pk] = float(base)
        return _rows(picked, scores)


class SortedMatches(CountCachedResults):
    """The matches of a text query in a column order (any sort but relevance); the total is exact up to
    EXACT_TOTAL_UP_TO, else the planner's estimate (see match_total)."""

    def __init__(self, *, build: Callable[[], Match], ordering: list[Any], key: str | None) -> None:
        self._build_match = build
        self._match: Match | None = None
        super().__init__(lambda: self.match.queryset.order_by(*ordering), key)
        self.count_is_estimate = False

    @property
    def match(self) -> Match:
        if self._match is None:
            self._match = self._build_match()
        return self._match

    def count(self) -> int:
        cached = _cache_get(self.key)
        if cached is None:
            cached = match_total(self.match)
            _cache_set(self.key, cached)
        total, self.count_is_estimate = cached
        return total
