"""Reads for resources: the public catalogue and its search, each user's own interactions, scrape jobs (staff)."""

from typing import Any

from django.db.models import F, Q, QuerySet
from django.db.models.functions import Lower

from common.errors import NotFound
from resources import hybrid, search
from resources.models import Resource, ScrapeJob, UserInteractionVersion, UserResourceInteraction
from resources.query import known_words, understand
from resources.results import CountCachedResults, RankedResults, SortedMatches, cache_key
from users.models import User

SORTS = ("relevance", "rating", "duration_minutes", "created_at", "title", "popularity")
DEFAULT_ORDER = {
    "relevance": "desc",
    "rating": "desc",
    "popularity": "desc",
    "created_at": "desc",
    "duration_minutes": "asc",
    "title": "asc",
}


def resources_active() -> QuerySet[Resource]:
    return Resource.objects.filter(is_active=True).defer("search_vector", "embedding", "meaning")


NULLABLE_SORTS = {"duration_minutes"}


def _ordering(sort: str, order: str) -> list[Any]:
    """ORDER BY for a non-relevance sort, shaped like the partial indexes on active resources (NULLS LAST only where
    the column can be null, so the indexes stay usable)."""
    desc = order == "desc"

    def by(expression: Any, nullable: bool = False) -> Any:
        expression = F(expression) if isinstance(expression, str) else expression
        if nullable:
            return expression.desc(nulls_last=True) if desc else expression.asc(nulls_last=True)
        return expression.desc() if desc else expression.asc()

    tie = "-id" if desc and sort == "created_at" else "id"
    if sort == "rating":
        return [by("rating"), by("rating_count"), tie]
    if sort == "title":
        return [by(Lower("title")), tie]
    return [by(sort, sort in NULLABLE_SORTS), tie]


def resource_search(
    *,
    q: str = "",
    sort: str | None = None,
    order: str | None = None,
    media_type: list[str] | None = None,
    difficulty: list[str] | None = None,
    learning_style: list[str] | None = None,
    source: list[str] | None = None,
    tags: list[str] | None = None,
    tags_mode: str = "any",
    max_duration: int | None = None,
    min_rating: float | None = None,
) -> RankedResults | SortedMatches | CountCachedResults:
    """Active resources matching the filters (and `q`), ordered by `sort`/`order` — by relevance when `q` is given
    and no sort is, else by rating. Ties break on id, so pages are stable. The result supports `count()` and
    slicing (see resources.results for how it is evaluated and cached)."""
    params = {k: v for k, v in locals().items() if v not in (None, "", [])}
    queryset = resources_active()
    if media_type:
        queryset = queryset.filter(media_type__in=media_type)
    if difficulty:
        queryset = queryset.filter(difficulty__in=difficulty)
    if learning_style:
        queryset = queryset.filter(learning_style__in=learning_style)
    if source:
        any_source = Q()
        for name in source:
            any_source |= Q(source__iexact=name)
        queryset = queryset.filter(any_source)
    if tags:
        queryset = search.tag_filter(queryset, tags, tags_mode)
    if max_duration is not None:
        queryset = queryset.filter(duration_minutes__lte=max_duration)
    if min_rating is not None:
        queryset = queryset.filter(rating__gte=min_rating)

    q = (q or "").strip()
    sort = sort or ("relevance" if q else "rating")
    if sort == "relevance" and not q:
        sort = "rating"
    order = order or DEFAULT_ORDER[sort]
    if q and hybrid.enabled():
        # Typos first (so "begginers" is read as intent), then the learner's intent and expansions (resources.query).
        # Built lazily, on a cache miss only, like the match itself.
        understood: list[Any] = []

        def understood_query() -> Any:
            if not understood:
                understood.append(understand(search.correct_query(q, known=known_words())))
            return understood[0]

        def build() -> search.Match:
            understood = understood_query()
            return search.match(queryset, understood.content, correct=False, expansions=understood.expansions)

        if sort == "relevance":
            return RankedResults(
                build=build,
                descending=order == "desc",
                key=cache_key("window", {**params, "hybrid": 1}),
                hybrid=hybrid.Hybrid(understood_query, queryset),
            )
        return SortedMatches(
            build=build,
            ordering=_ordering(sort, order),
            key=cache_key("matches", {**params, "sort": None, "order": None, "hybrid": 1}),
        )
    if sort == "relevance":
        return RankedResults(
            build=lambda: search.match(queryset, q), descending=order == "desc", key=cache_key("window", params)
        )
    if q:
        return SortedMatches(
            build=lambda: search.match(queryset, q),
            ordering=_ordering(sort, order),
            key=cache_key("matches", {**params, "sort": None, "order": None}),
        )
    return CountCachedResults(
        lambda: queryset.order_by(*_ordering(sort, order)),
        key=cache_key("count", {**params, "sort": None, "order": None}),
    )


MAX_ID = 2**63 - 1  # a larger id in the URL is simply not found (PostgreSQL would refuse it as bigint)


def resource_get(*, resource_id: int) -> Resource:
    if not 0 < resource_id <= MAX_ID:
        raise NotFound()
    resource = resources_active().filter(pk=resource_id).first()
    if resource is None:
        raise NotFound()
    return resource


def interactions_of(*, user: Any, resource: Resource) -> list[UserResourceInteraction]:
    """The requesting user's own interactions with the resource; nobody else's, and none for anonymous users."""
    if user is None or not user.is_authenticated:
        return []
    return list(UserResourceInteraction.objects.filter(user=user, resource=resource).order_by("interaction_type"))


def interaction_version(*, user: User) -> int:
    """The user's interaction version (0 before any interaction): cache keys of per-user recommendations."""
    return UserInteractionVersion.objects.filter(user=user).values_list("version", flat=True).first() or 0


def scrape_job_get(*, job_id: int) -> ScrapeJob:
    if not 0 < job_id <= MAX_ID:
        raise NotFound()
    job = ScrapeJob.objects.filter(pk=job_id).first()
    if job is None:
        raise NotFound()
    return job


def scrape_jobs_list() -> QuerySet[ScrapeJob]:
    return ScrapeJob.objects.order_by("-created_at", "-id")
