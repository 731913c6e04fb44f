"""The SPA's global search box (SPA.md §1): one ranked search over the published catalogue the SPA can navigate to —
learning paths, modules, quizzes and topics — with suggestions, click tracking and public popular/trending lists
built from logged queries.

Ranking is lexical over a small catalogue (a few hundred items): query words (accent- and case-folded, stop words
dropped) matched in the title count three times as much as in the description or tags; a whole-phrase title match
adds a bonus. `relevance_score` is that score over the best possible score for the query, in 0–1."""

import html
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Q
from django.utils import timezone

from agents.models import SearchClick, SearchQueryLog
from learning import selectors as learning_selectors
from roadmaps.topics import graph as topic_graph
from users.models import User

MAX_LIMIT = 50
QUERY_LOG_CHARS = 60
POPULAR_MIN_LEARNERS = 3
POPULAR_WINDOW_DAYS = 30
POPULAR_CACHE_SECONDS = 300
STOP = {
    "a",
    "an",
    "and",
    "the",
    "of",
    "to",
    "in",
    "on",
    "for",
    "with",
    "how",
    "what",
    "is",
    "are",
    "do",
    "i",
    "my",
    "learn",
    "about",
    "tutorial",
    "beginners",
    "basics",
    "intro",
    "introduction",
}
TITLE_WEIGHT = 3.0
PHRASE_BONUS = 2.0


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9+#]+", " ", text).strip()


def _words(text: str) -> list[str]:
    return [w for w in _fold(text).split() if w not in STOP] or _fold(text).split()


@dataclass
class Item:
    content_type: str
    content_id: str
    title: str
    description: str
    url: str
    tags: list[str]
    metadata: dict[str, Any]
    popularity: float = 0.0
    title_words: set[str] = field(default_factory=set)
    body_words: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.title_words = set(_fold(self.title).split())
        self.body_words = set(_fold(" ".join([self.description, *self.tags])).split())


_cached: tuple[object, list[Item]] | None = None
_cache_lock = threading.Lock()


def _version() -> object:
    """Changes whenever a path, module or quiz changes (the topic graph is fixed per process)."""
    return (learning_selectors.lessons_corpus_version(), *learning_selectors.quizzes_signature())


def _catalogue() -> list[Item]:
    """The searchable items, built once per content version per process: suggestions fire on every keystroke."""
    global _cached
    version = _version()
    cached = _cached
    if cached is not None and cached[0] == version:
        return cached[1]
    with _cache_lock:
        if _cached is None or _cached[0] != version:
            _cached = (version, _build_catalogue())
        return _cached[1]


def _build_catalogue() -> list[Item]:
    items: list[Item] = []
    paths = list(learning_selectors.learning_paths_list(params={}))
    for p in paths:
        items.append(
            Item(
                "learning_path",
                str(p.pk),
                p.title,
                p.description,
                f"/learning/{p.pk}",
                [p.difficulty_level],
                {
                    "difficulty": p.difficulty_level,
                    "type": "path",
                    "estimated_hours": round(p.estimated_duration / 60, 1),
                },
                popularity=float(p.rating_count),
            )
        )
    for m in learning_selectors.modules_list(params={}).select_related("learning_path").defer("content"):
        items.append(
            Item(
                "module",
                str(m.pk),
                m.title,
                m.description,
                f"/learning/{m.learning_path_id}/module/{m.pk}",
                [m.module_type, m.learning_path.slug],
                {
                    "difficulty": m.learning_path.difficulty_level,
                    "type": m.module_type,
                    "estimated_hours": round(m.estimated_duration / 60, 1),
                    "learning_path_id": m.learning_path_id,
                },
            )
        )
    for q in learning_selectors.assessment_quizzes():
        items.append(
            Item(
                "assessment",
                str(q.pk),
                q.title,
                q.description,
                "/assessments",
                [q.difficulty],
                {"difficulty": q.difficulty, "type": "quiz", "estimated_hours": round(q.time_limit / 60, 1)},
            )
        )
    topics = topic_graph()
    for slug in topics.order:
        t = topics.topics[slug]
        items.append(
            Item(
                "knowledge_node",
                f"topic:{slug}",
                t.title,
                t.description,
                "/knowledge-graph",
                [t.area, *t.aliases[:4]],
                {"difficulty": t.difficulty, "type": "topic", "estimated_hours": t.base_hours},
            )
        )
    return items


def _score(item: Item, words: list[str], phrase: str) -> float:
    score = 0.0
    for w in words:
        if w in item.title_words or any(t.startswith(w) for t in item.title_words if len(w) >= 3):
            score += TITLE_WEIGHT
        elif w in item.body_words:
            score += 1.0
    if score and phrase and phrase in _fold(item.title):
        score += PHRASE_BONUS
    return score


def _ranked(query: str) -> tuple[list[tuple[float, Item]], float]:
    words = _words(query)
    phrase = " ".join(words)
    best = TITLE_WEIGHT * len(words) + PHRASE_BONUS
    hits = [(s, i) for i in _catalogue() if (s := _score(i, words, phrase)) > 0]
    order = {"learning_path": 0, "module": 1, "assessment": 2, "knowledge_node": 3}
    hits.sort(key=lambda h: (-h[0], order[h[1].content_type], h[1].title))
    return hits, best


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


def search(*, query: str, limit: int, user: User | None) -> dict[str, Any]:
    """`SearchResponse`: results best first, titles and descriptions HTML-escaped (the SPA renders them as HTML)."""
    hits, best = _ranked(query)
    results = [
        {
            "id": f"{item.content_type}:{item.content_id}",
            "content_type": item.content_type,
            "content_id": item.content_id,
            "title": _escape(item.title),
            "description": _escape(item.description),
            "url": item.url,
            "tags": item.tags,
            "relevance_score": round(min(score / best, 1.0), 3),
            "popularity_score": item.popularity,
            "metadata": item.metadata,
        }
        for score, item in hits[:limit]
    ]
    facets: dict[str, int] = {}
    for _, item in hits:
        facets[item.content_type] = facets.get(item.content_type, 0) + 1
    _log(query=query, results=len(hits), user=user)
    return {
        "query": query,
        "total_results": len(hits),
        "suggestions": [],
        "results": results,
        "facets": {"content_types": facets, "total_results": len(hits)},
    }


def suggestions(*, query: str, limit: int) -> list[str]:
    hits, _ = _ranked(query)
    seen: list[str] = []
    for _, item in hits:
        if item.title not in seen:
            seen.append(item.title)
        if len(seen) >= limit:
            break
    return [_escape(t) for t in seen]


def _normalise_query(query: str) -> str:
    return " ".join(query.lower().split())[:QUERY_LOG_CHARS]


def _log(*, query: str, results: int, user: User | None) -> None:
    text = _normalise_query(query)
    if text:
        SearchQueryLog.objects.create(
            user=user if user and user.is_authenticated else None, query=text, results=results
        )


def search_log_prune(*, older_than_days: int, now: Any = None) -> int:
    """Delete logged queries and clicks older than the retention window (the popular lists read 30 days, the staff
    dashboard's "no result" list 30 days): the log stays bounded however much is typed."""
    cutoff = (now or timezone.now()) - timedelta(days=older_than_days)
    deleted, _ = SearchQueryLog.objects.filter(created_at__lt=cutoff).delete()
    clicks, _ = SearchClick.objects.filter(created_at__lt=cutoff).delete()
    return deleted + clicks


def click_track(*, user: User | None, query: str, url: str, result_type: str) -> bool:
    if user is None or not user.is_authenticated:
        return False
    SearchClick.objects.create(user=user, query=query[:200], url=url[:200], result_type=result_type[:40])
    return True


def _qualified(since_days: int) -> Any:
    since = timezone.now() - timedelta(days=since_days)
    return (
        SearchQueryLog.objects.filter(created_at__gte=since, results__gt=0, user__isnull=False)
        .values("query")
        .annotate(n=Count("id"), learners=Count("user", distinct=True))
        .filter(learners__gte=POPULAR_MIN_LEARNERS)
    )


def popular(*, limit: int) -> list[str]:
    """Queries with results from ≥ 3 distinct learners in 30 days, most searched first (cached 5 min)."""
    key = "spa:search:popular"
    ranked = cache.get(key)
    if ranked is None:
        ranked = [r["query"] for r in _qualified(POPULAR_WINDOW_DAYS).order_by("-n", "query")[:MAX_LIMIT]]
        cache.set(key, ranked, POPULAR_CACHE_SECONDS)
    return ranked[:limit]


def trending(*, limit: int) -> list[str]:
    """The popular queries ranked by growth: searches in the last 24 h over the daily mean of the 29 days before."""
    key = "spa:search:trending"
    ranked = cache.get(key)
    if ranked is None:
        now = timezone.now()
        day_ago = now - timedelta(days=1)
        rows = _qualified(POPULAR_WINDOW_DAYS).annotate(
            recent=Count("id", filter=Q(created_at__gte=day_ago)),
        )
        growth = []
        for r in rows:
            before = (r["n"] - r["recent"]) / (POPULAR_WINDOW_DAYS - 1)
            if r["recent"]:
                growth.append(((r["recent"] + 1) / (before + 1), r["query"]))
        growth.sort(key=lambda g: (-g[0], g[1]))
        ranked = [q for _, q in growth[:MAX_LIMIT]]
        cache.set(key, ranked, POPULAR_CACHE_SECONDS)
    return ranked[:limit]
