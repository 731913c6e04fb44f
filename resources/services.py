"""Writes for resources: users' interactions, the curated catalogue seed, the search vocabulary, scraping.

Concurrency: every interaction locks its resource row first (one lock order, so no deadlock), then upserts the
interaction under its UNIQUE(user, resource, type), recomputes the rating aggregate or moves the counters with F()
in the same transaction, and bumps the user's interaction version. Identical concurrent requests therefore
serialise on the resource row and find the first one's row.
"""

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Avg, Count, F, Q
from django.utils import timezone
from rest_framework.exceptions import NotFound

from common import jobs as common_jobs
from common import seeding
from common.retrieval import embed_texts, encode_vector
from resources import tasks
from resources.models import (
    POPULARITY_WEIGHTS,
    InteractionType,
    JobStatus,
    Origin,
    Resource,
    ScrapeJob,
    ScrapeSource,
    SearchTerm,
    SourceKind,
    UserInteractionVersion,
    UserResourceInteraction,
)
from resources.results import catalogue_changed
from resources.scraping import guard
from resources.scraping.fetch import Fetcher, FetchError, RobotsDisallowed
from resources.scraping.normalize import canonical_url
from resources.scraping.parse import Item, ParseFailure, parse_feed, parse_page, parse_sitemap
from resources.search import words
from users.models import User

logger = logging.getLogger(__name__)

CATALOGUE = Path(__file__).resolve().parent / "data" / "catalogue.yaml"
CATALOGUE_FILES = (CATALOGUE, CATALOGUE.with_name("catalogue_extra.yaml"))  # seeded in this order; URLs unique
COUNTER_FIELDS = {
    InteractionType.VIEW: "view_count",
    InteractionType.LIKE: "like_count",
    InteractionType.SAVE: "save_count",
    InteractionType.COMPLETE: "completion_count",
}
TOGGLES = (InteractionType.LIKE, InteractionType.SAVE)
MAX_JOB_ERRORS = 100
MAX_SITEMAP_DEPTH = 2
SCRAPE_JOB_KIND = "resource_scrape"
CONTENT_FIELDS = (
    "url",
    "title",
    "description",
    "media_type",
    "difficulty",
    "duration_minutes",
    "tags",
    "prerequisites",
    "learning_style",
    "source",
)


# --- Interactions -----------------------------------------------------------------------------------------------------


def _lock(resource: Resource) -> Resource:
    locked = Resource.objects.select_for_update().defer("search_vector").filter(pk=resource.pk, is_active=True).first()
    if locked is None:
        raise NotFound()
    return locked


def _move_counters(resource: Resource, interaction_type: str, delta: int) -> None:
    updates: dict[str, Any] = {"popularity": F("popularity") + delta * POPULARITY_WEIGHTS[interaction_type]}
    if interaction_type in COUNTER_FIELDS:
        updates[COUNTER_FIELDS[interaction_type]] = F(COUNTER_FIELDS[interaction_type]) + delta
    Resource.objects.filter(pk=resource.pk).update(**updates)


def interaction_version_bump(*, user: User) -> None:
    """+1 on the user's interaction version (created at 1), in the caller's transaction."""
    now = timezone.now()
    if UserInteractionVersion.objects.filter(user=user).update(version=F("version") + 1, updated_at=now):
        return
    _, created = UserInteractionVersion.objects.get_or_create(user=user, defaults={"version": 1})
    if not created:  # created by a concurrent request between our update and insert
        UserInteractionVersion.objects.filter(user=user).update(version=F("version") + 1, updated_at=now)


def _refreshed(resource: Resource) -> Resource:
    resource.refresh_from_db(fields=["rating", "rating_count", "popularity", *COUNTER_FIELDS.values()])
    return resource


@transaction.atomic
def resource_rate(*, user: User, resource: Resource, rating: int, review: str | None = None) -> Resource:
    """Record the user's 1–5 rating (replacing an earlier one; the review too when given) and recompute the
    resource's mean and count in the same transaction, under the resource's row lock."""
    locked = _lock(resource)
    interaction, created = UserResourceInteraction.objects.get_or_create(
        user=user,
        resource=locked,
        interaction_type=InteractionType.RATE,
        defaults={"rating": rating, "review": review or ""},
    )
    changed = created
    if not created and (interaction.rating != rating or (review is not None and interaction.review != review)):
        interaction.rating = rating
        if review is not None:
            interaction.review = review
        interaction.full_clean(validate_constraints=False)
        interaction.save(update_fields=["rating", "review", "updated_at"])
        changed = True
    if changed:
        aggregate = UserResourceInteraction.objects.filter(
            resource=locked, interaction_type=InteractionType.RATE
        ).aggregate(mean=Avg("rating"), n=Count("id"))
        Resource.objects.filter(pk=locked.pk).update(
            rating=float(aggregate["mean"] or 0.0), rating_count=aggregate["n"]
        )
        if created:
            _move_counters(locked, InteractionType.RATE, +1)
        interaction_version_bump(user=user)
    return _refreshed(locked)


@transaction.atomic
def resource_complete(
    *, user: User, resource: Resource, time_spent_minutes: int | None = None
) -> UserResourceInteraction:
    """Mark the resource completed by the user; `time_spent_minutes`, when given, replaces the recorded time (so a
    repeated identical request changes nothing)."""
    locked = _lock(resource)
    interaction, created = UserResourceInteraction.objects.get_or_create(
        user=user,
        resource=locked,
        interaction_type=InteractionType.COMPLETE,
        defaults={"completed": True, "time_spent_minutes": time_spent_minutes},
    )
    changed = created
    if not created and time_spent_minutes is not None and interaction.time_spent_minutes != time_spent_minutes:
        interaction.time_spent_minutes = time_spent_minutes
        interaction.completed = True
        interaction.save(update_fields=["time_spent_minutes", "completed", "updated_at"])
        changed = True
    if created:
        _move_counters(locked, InteractionType.COMPLETE, +1)
    if changed:
        interaction_version_bump(user=user)
    return interaction


@transaction.atomic
def resource_mark(*, user: User, resource: Resource, interaction_type: str) -> UserResourceInteraction:
    """Like or save (idempotent: the existing row is returned unchanged)."""
    if interaction_type not in TOGGLES:
        raise ValueError(f"{interaction_type} is not a toggle")
    locked = _lock(resource)
    interaction, created = UserResourceInteraction.objects.get_or_create(
        user=user, resource=locked, interaction_type=interaction_type
    )
    if created:
        _move_counters(locked, interaction_type, +1)
        interaction_version_bump(user=user)
    return interaction


@transaction.atomic
def resource_unmark(*, user: User, resource: Resource, interaction_type: str) -> bool:
    """Clear a like or save; True when there was one to clear."""
    if interaction_type not in TOGGLES:
        raise ValueError(f"{interaction_type} is not a toggle")
    locked = _lock(resource)
    deleted, _ = UserResourceInteraction.objects.filter(
        user=user, resource=locked, interaction_type=interaction_type
    ).delete()
    if deleted:
        _move_counters(locked, interaction_type, -1)
        interaction_version_bump(user=user)
    return bool(deleted)


@transaction.atomic
def resource_view(*, user: User, resource: Resource) -> UserResourceInteraction:
    """Record a view: the first creates the row (and counts towards popularity), later ones refresh its time."""
    locked = _lock(resource)
    interaction, created = UserResourceInteraction.objects.get_or_create(
        user=user, resource=locked, interaction_type=InteractionType.VIEW
    )
    if created:
        _move_counters(locked, InteractionType.VIEW, +1)
        interaction_version_bump(user=user)
    else:
        interaction.save(update_fields=["updated_at"])
    return interaction


# --- Search vocabulary ------------------------------------------------------------------------------------------------


def _resource_words(title: str, tags: list[str], description: str) -> set[str]:
    return set(words(f"{title} {' '.join(tags)} {description}"))


EMBED_BATCH = 1000


def resource_embedding_text(*, title: str, tags: list[str], description: str) -> str:
    """What a resource's dense vector is computed from (the semantic side of search and of the retrieval engine)."""
    return f"{title}\n{', '.join(tags or [])}\n{description}"


def _store_embeddings(pairs: list[tuple[int, bytes]]) -> None:
    """One UPDATE for the batch on PostgreSQL (a VALUES list; Django's bulk_update builds a CASE per row, ~10× slower
    at 100k rows), one prepared statement per row on SQLite."""
    table = Resource._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            values = ", ".join(["(%s, %s::bytea)"] * len(pairs))
            params = [value for pair in pairs for value in pair]
            cursor.execute(
                f"UPDATE {table} AS r SET embedding = v.e FROM (VALUES {values}) AS v(id, e) WHERE r.id = v.id",  # noqa: S608
                params,
            )
        else:
            cursor.executemany(f"UPDATE {table} SET embedding = %s WHERE id = %s", [(e, pk) for pk, e in pairs])  # noqa: S608


def resource_embeddings_compute(
    *, only_missing: bool = True, ids: list[int] | None = None, advance: Callable[[int], None] | None = None
) -> int:
    """Compute and store the embeddings of resources (those without one, or all of them); returns how many. Runs in
    batches, each its own UPDATE per row inside one transaction per batch, so a large catalogue streams through."""
    rows = Resource.objects.order_by("pk")
    if only_missing:
        rows = rows.filter(embedding__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    done = 0
    last = 0
    while True:
        batch = list(rows.filter(pk__gt=last).values_list("pk", "title", "tags", "description")[:EMBED_BATCH])
        if not batch:
            return done
        vectors = embed_texts(
            [resource_embedding_text(title=title, tags=tags, description=text) for _, title, tags, text in batch]
        )
        _store_embeddings([(pk, encode_vector(v)) for (pk, *_), v in zip(batch, vectors, strict=True)])
        done += len(batch)
        last = batch[-1][0]
        if advance is not None:
            advance(len(batch))


def search_terms_rebuild() -> int:
    """Recount the vocabulary of the active resources (typo correction reads it) and embed the resources that have
    no embedding yet (new or changed ones); returns the vocabulary's size."""
    counts: Counter[str] = Counter()
    rows = Resource.objects.filter(is_active=True).values_list("title", "tags", "description")
    for title, tags, description in rows.iterator(chunk_size=2000):
        counts.update(_resource_words(title, tags or [], description))
    with transaction.atomic():
        SearchTerm.objects.all().delete()
        SearchTerm.objects.bulk_create(
            [SearchTerm(word=word, document_count=n) for word, n in counts.items()], batch_size=5000
        )
    resource_embeddings_compute(only_missing=True)
    catalogue_changed()
    return len(counts)


def search_terms_add(*, resource: Resource) -> None:
    """After a single resource was added or edited (by staff): add its new words (counts are made exact again by
    the next rebuild) and let cached searches see it."""
    terms = [
        SearchTerm(word=w, document_count=1)
        for w in _resource_words(resource.title, resource.tags, resource.description)
    ]
    SearchTerm.objects.bulk_create(terms, ignore_conflicts=True, batch_size=5000)
    resource_embeddings_compute(only_missing=False, ids=[resource.pk])
    catalogue_changed()


# --- Curated catalogue (seed) -----------------------------------------------------------------------------------------


def load_catalogue() -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for path in CATALOGUE_FILES:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, list):
            raise ValueError(f"{path} must hold a list of resources")
        entries.extend(data)
    return entries


def seed_size() -> int:
    return len(load_catalogue()) + 1


def _catalogue_values(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "url": entry["url"],
        "title": entry["title"].strip(),
        "description": " ".join(str(entry.get("description", "")).split()),
        "media_type": entry["media_type"],
        "difficulty": entry.get("difficulty"),
        "duration_minutes": entry.get("duration_minutes"),
        "tags": list(entry.get("tags") or []),
        "prerequisites": list(entry.get("prerequisites") or []),
        "learning_style": entry.get("learning_style"),
        "source": entry.get("source", ""),
    }


def _seed_one(entry: dict[str, Any]) -> tuple[str, str]:
    values = _catalogue_values(entry)
    canonical = canonical_url(values["url"])
    existing = Resource.objects.select_for_update().defer("search_vector").filter(canonical_url=canonical).first()
    if existing is not None and existing.origin == Origin.CURATED:
        edited = seeding.edited_fields(existing, values)
        if edited:  # staff edited it since the last seed: their curation stays (reported by `seed`)
            seeding.skip(existing, edited, label=values["url"])
            return canonical, "skipped"
    resource = existing or Resource(canonical_url=canonical)
    changed = [name for name, value in values.items() if getattr(resource, name) != value]
    if existing is not None and resource.origin == Origin.CURATED and resource.is_active and not changed:
        if not seeding.is_seeded(resource):
            seeding.remember(resource, values)
        return canonical, "unchanged"
    for name, value in values.items():
        setattr(resource, name, value)
    if changed:
        resource.embedding = None  # recomputed by search_terms_rebuild() at the end of the seed
    resource.origin = Origin.CURATED
    resource.is_active = True
    try:
        resource.full_clean(validate_constraints=False)
    except ValidationError as exc:
        raise ValidationError(f"catalogue entry {values['title']!r}: {exc}") from None
    resource.save()
    seeding.remember(resource, values)
    return canonical, "created" if existing is None else "updated"


@transaction.atomic
def seed_resources(advance: Callable[[int], None]) -> dict[str, int]:
    """Load the curated catalogue, updating by canonical URL (idempotent). Curated rows that left the file are
    deactivated, not deleted: users' interactions with them stay."""
    counts = {"created": 0, "updated": 0, "unchanged": 0, "skipped": 0, "deactivated": 0}
    seen: list[str] = []
    for entry in load_catalogue():
        canonical, outcome = _seed_one(entry)
        seen.append(canonical)
        counts[outcome] += 1
        advance(1)
    counts["deactivated"] = (
        Resource.objects.filter(origin=Origin.CURATED, is_active=True)
        .exclude(canonical_url__in=seen)
        .update(is_active=False)
    )
    search_terms_rebuild()
    advance(1)
    return counts


# --- Scraping ---------------------------------------------------------------------------------------------------------

FETCH_ERRORS = (FetchError, guard.UnsafeURL, httpx.HTTPError, ParseFailure)


def resource_upsert_scraped(*, item: Item) -> str:
    """Create or update the resource of a scraped item by canonical URL: "created", "updated", or "skipped" when
    unchanged or curated (the team's catalogue and staff edits are never overwritten by a scrape)."""
    canonical = canonical_url(item.url)
    values = {name: getattr(item, name) for name in CONTENT_FIELDS}
    now = timezone.now()
    with transaction.atomic():
        existing = Resource.objects.select_for_update().defer("search_vector").filter(canonical_url=canonical).first()
        if existing is None:
            resource = Resource(**values, canonical_url=canonical, origin=Origin.SCRAPED, scraped_at=now)
            resource.full_clean(validate_unique=False, validate_constraints=False)
            try:
                with transaction.atomic():
                    resource.save()
            except IntegrityError:  # a concurrent job created it between our look-up and insert
                existing = Resource.objects.select_for_update().defer("search_vector").get(canonical_url=canonical)
            else:
                return "created"
        if existing.origin != Origin.SCRAPED:
            return "skipped"
        changed = [name for name, value in values.items() if getattr(existing, name) != value]
        if not changed:
            return "skipped"
        for name in changed:
            setattr(existing, name, values[name])
        existing.scraped_at = now
        existing.embedding = None  # recomputed by search_terms_rebuild() at the end of the job
        existing.full_clean(validate_unique=False, validate_constraints=False)
        existing.save(update_fields=[*changed, "scraped_at", "updated_at", "embedding"])
        return "updated"


@dataclass
class ScrapeStats:
    found: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)

    def note(self, url: str, message: object) -> None:
        if len(self.errors) < MAX_JOB_ERRORS:
            self.errors.append({"url": url[:500], "error": str(message)[:500]})

    def fail(self, url: str, message: object) -> None:
        self.failed += 1
        self.note(url, message)

    def skip(self, url: str, message: object) -> None:
        self.skipped += 1
        self.note(url, message)


def _upsert_item(item: Item, stats: ScrapeStats) -> None:
    try:
        outcome = resource_upsert_scraped(item=item)
    except (ValidationError, ValueError) as exc:
        stats.fail(item.url, f"invalid item: {exc}")
        return
    setattr(stats, outcome, getattr(stats, outcome) + 1)


def _scrape_page(fetcher: Fetcher, url: str, stats: ScrapeStats) -> None:
    try:
        response = fetcher.get(url, accept="text/html,application/xhtml+xml;q=0.9,*/*;q=0.5")
    except RobotsDisallowed as exc:
        stats.skip(url, exc)
        return
    except FETCH_ERRORS as exc:
        stats.fail(url, exc)
        return
    item = parse_page(response.text(), response.url)
    if item is None:
        stats.skip(url, "no schema.org JSON-LD or OpenGraph metadata")
        return
    _upsert_item(item, stats)


def _sitemap_pages(fetcher: Fetcher, url: str, limit: int, depth: int = 0) -> list[str]:
    response = fetcher.get(url, accept="application/xml,text/xml;q=0.9,*/*;q=0.5")
    pages, children = parse_sitemap(response.body, response.url, limit)
    if depth < MAX_SITEMAP_DEPTH:
        for child in children:
            if len(pages) >= limit:
                break
            pages += [p for p in _sitemap_pages(fetcher, child, limit - len(pages), depth + 1) if p not in pages]
    return pages[:limit]


def _scrape_source(fetcher: Fetcher, source: dict[str, str], stats: ScrapeStats, limit: int) -> None:
    url, kind = source["url"], source["kind"]
    try:
        if kind == SourceKind.PAGE:
            stats.found += 1
            _scrape_page(fetcher, url, stats)
        elif kind == SourceKind.SITEMAP:
            pages = _sitemap_pages(fetcher, url, limit)
            stats.found += len(pages)
            for page in pages:
                _scrape_page(fetcher, page, stats)
        else:
            response = fetcher.get(
                url, accept="application/rss+xml,application/atom+xml,application/xml;q=0.9,*/*;q=0.5"
            )
            items = parse_feed(response.body, response.url, limit)
            stats.found += len(items)
            for item in items:
                _upsert_item(item, stats)
    except RobotsDisallowed as exc:
        stats.skip(url, exc)
    except FETCH_ERRORS as exc:
        stats.fail(url, exc)


def _save_job(job: ScrapeJob, stats: ScrapeStats, **extra: Any) -> None:
    values = {f"{name}_count": getattr(stats, name) for name in ("found", "created", "updated", "skipped", "failed")}
    ScrapeJob.objects.filter(pk=job.pk).update(**values, errors=stats.errors, **extra)


def scrape_job_run(*, job_id: int, max_items_per_source: int | None = None) -> ScrapeJob | None:
    """Run a queued job: claim it (queued → running; anyone else finding it claimed returns), scrape each source,
    upsert its items, record counts after each source, and finish as succeeded — or failed with the error when
    something unexpected escapes (re-raised for the worker's log)."""
    if not ScrapeJob.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=timezone.now()
    ):
        return None
    common_jobs.job_start(kind=SCRAPE_JOB_KIND, ref=str(job_id))
    job = ScrapeJob.objects.get(pk=job_id)
    limit = max_items_per_source or settings.SCRAPER_MAX_ITEMS_PER_SOURCE
    stats = ScrapeStats()
    try:
        with Fetcher() as fetcher:
            for source in job.sources:
                _scrape_source(fetcher, source, stats, limit)
                _save_job(job, stats)
        ScrapeSource.objects.filter(url__in=[s["url"] for s in job.sources]).update(last_scraped_at=timezone.now())
        if stats.created or stats.updated:
            search_terms_rebuild()
    except Exception as exc:
        _save_job(
            job, stats, status=JobStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000], finished_at=timezone.now()
        )
        common_jobs.job_finish(kind=SCRAPE_JOB_KIND, ref=str(job_id), failed=True, error=f"{type(exc).__name__}: {exc}")
        raise
    _save_job(job, stats, status=JobStatus.SUCCEEDED, finished_at=timezone.now())
    common_jobs.job_finish(
        kind=SCRAPE_JOB_KIND, ref=str(job_id),
        output={name: getattr(stats, name) for name in ("found", "created", "updated", "skipped", "failed")},
    )  # fmt: skip
    job.refresh_from_db()
    return job


def scrape_jobs_reap(*, now: Any = None) -> int:
    """Fail jobs whose worker died: running past the task's hard time limit, or queued for a day (the broker lost
    them). A killed job is not run again by itself; staff can start a new one (upserts make that safe)."""
    from datetime import timedelta

    now = now or timezone.now()
    hard_limit = timedelta(seconds=settings.SCRAPER_JOB_SOFT_TIME_LIMIT + 60 + 300)
    died = "the worker running this job stopped before it finished"
    stale = [
        (JobStatus.RUNNING, Q(started_at__lt=now - hard_limit), died),
        (JobStatus.QUEUED, Q(created_at__lt=now - timedelta(days=1)), "no worker picked this job up in time"),
    ]
    reaped = 0
    for status, condition, reason in stale:
        for job_id in list(ScrapeJob.objects.filter(condition, status=status).values_list("pk", flat=True)):
            if ScrapeJob.objects.filter(pk=job_id, status=status).update(
                status=JobStatus.FAILED, error=reason, finished_at=now
            ):
                common_jobs.job_finish(kind=SCRAPE_JOB_KIND, ref=str(job_id), failed=True, error=reason, now=now)
                reaped += 1
    if reaped:
        logger.warning("Reaped %s stuck scrape jobs", reaped)
    return reaped


def _enqueue_scrape(job_id: int) -> None:
    tasks.scrape_job_run.delay(job_id)


def scrape_job_create(*, requested_by: User | None, sources: list[dict[str, str]] | None = None) -> ScrapeJob:
    """Record a queued job for `sources` (default: every active ScrapeSource) and enqueue it after commit."""
    if sources is None:
        sources = [{"url": s.url, "kind": s.kind} for s in ScrapeSource.objects.filter(is_active=True).order_by("id")]
    with transaction.atomic():
        job = ScrapeJob.objects.create(requested_by=requested_by, sources=[dict(s) for s in sources])
        common_jobs.job_create(
            kind=SCRAPE_JOB_KIND, ref=str(job.pk), owner=requested_by, title=f"Scrape {len(sources)} source(s)",
            input_data={"scrape_job_id": job.pk, "sources": [s["url"] for s in sources][:20]}, estimated_duration=60.0,
        )  # fmt: skip
        # robust: in eager mode (no broker) the job runs right here; its failure is on the job row, not a 500.
        transaction.on_commit(partial(_enqueue_scrape, job.pk), robust=True)
    job.refresh_from_db()
    return job
