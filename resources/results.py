"""Evaluating a search cheaply: what `selectors.resource_search` hands to `paginate()` (`count()` and slicing).

Ranked results are computed in one pass over the matches: each match's base relevance and the total (`COUNT(*) OVER
()`), keeping only the best `WINDOW` ids; the title similarity, which is dearer, re-ranks that window alone. Pages
inside the window come from it; deeper pages continue in base-relevance order (the window is exactly the top
`WINDOW` by base relevance, so no resource is skipped or repeated at the boundary). Only the page's rows are then
read in full.

The window (ids and total) and the totals of other listings are cached for `CACHE_SECONDS`, keyed by the search
parameters and a catalogue version that every catalogue write bumps (seed, scrape, staff edits), so new or hidden
resources show at once; ratings and popularity move the order of a cached window only after it expires. Searches
with `min_rating` (whose membership moves with every rating) are never cached. A cache outage only costs speed.
"""

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

from django.core.cache import cache
from django.db.models import Count, F, QuerySet, Window

from common.cache import CACHE_ERRORS
from resources.models import Resource

logger = logging.getLogger(__name__)

WINDOW = 200
CACHE_SECONDS = 300
_VERSION_KEY = "res:catalogue:v"


def catalogue_changed() -> None:
    """Invalidate every cached search (call after any write to resources' content or visibility)."""
    try:
        if not cache.add(_VERSION_KEY, 1, timeout=None):
            cache.incr(_VERSION_KEY)
    except CACHE_ERRORS:
        logger.warning("Cache unreachable: cached searches expire on their own within %s s", CACHE_SECONDS)
    except ValueError:  # evicted between add and incr
        cache.set(_VERSION_KEY, 1, timeout=None)


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


def _cache_get(key: str | None) -> Any:
    if key is None:
        return None
    try:
        return cache.get(key)
    except CACHE_ERRORS:
        return None


def _cache_set(key: str | None, value: Any) -> None:
    if key is None:
        return
    try:
        cache.set(key, value, timeout=CACHE_SECONDS)
    except CACHE_ERRORS:
        logger.warning("Cache unreachable: search results not cached")


def _rows(ids: Sequence[int], relevance: dict[int, float] | None = None) -> list[Resource]:
    found = Resource.objects.defer("search_vector").in_bulk(list(ids))
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


class RankedResults:
    """Matches ordered by relevance: `base` over all of them, plus `rerank` (an expression on the resource) within
    the first WINDOW."""

    def __init__(self, *, build: Callable[[], Any], descending: bool, key: str | None) -> None:
        self._build = build  # → search.Match, only on a cache miss or for pages past the window
        self._match: Any = None
        self.descending = descending
        self.key = key
        self._window: tuple[int, list[int], dict[int, float]] | None = None

    @property
    def match(self) -> Any:
        if self._match is None:
            self._match = self._build()
        return self._match

    def _ranked(self) -> QuerySet:
        return self.match.queryset.annotate(base=self.match.base).order_by(*self._base_order())

    def explain(self, **options: Any) -> str:
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

    def _load(self) -> tuple[int, list[int], dict[int, float]]:
        if self._window is not None:
            return self._window
        cached = _cache_get(self.key)
        if cached is not None:
            total, ids, scores = cached
            self._window = (total, ids, {int(k): v for k, v in scores.items()})
            return self._window
        rows = list(
            self._ranked().annotate(total=Window(Count("id"))).values_list("pk", "base", "rating", "total")[:WINDOW]
        )
        total = rows[0][3] if rows else 0
        scores = {pk: float(base) for pk, base, _, _ in rows}
        if self.match.rerank is not None and rows:
            extra = Resource.objects.filter(pk__in=list(scores)).annotate(extra=self.match.rerank)
            for pk, value in extra.values_list("pk", "extra"):
                scores[pk] += float(value or 0.0)
        sign = -1 if self.descending else 1
        ordered = sorted(rows, key=lambda r: (sign * scores[r[0]], sign * r[2], r[0]))
        self._window = (total, [r[0] for r in ordered], scores)
        _cache_set(self.key, (total, self._window[1], scores))
        return self._window

    def count(self) -> int:
        return self._load()[0]

    def __getitem__(self, page: slice) -> list[Resource]:
        total, ids, scores = self._load()
        start, stop = page.start or 0, min(page.stop if page.stop is not None else total, total)
        if start >= stop:
            return []
        picked = ids[start:stop]
        if stop > WINDOW:  # beyond the window: base-relevance order, which the window's membership follows
            deeper = self._ranked().values_list("pk", "base")[max(start, WINDOW) : stop]
            for pk, base in deeper:
                picked.append(pk)
                scores[pk] = float(base)
        return _rows(picked, scores)
