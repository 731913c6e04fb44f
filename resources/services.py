"""Writes for resources. Scraping lives here; users' interactions (services_interactions), the search vocabulary
(services_vocabulary) and the curated catalogue seed (services_catalogue) have their own modules, re-exported here
so callers keep `resources.services.<name>`.
"""

import logging
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from common import jobs as common_jobs
from resources.models import (
    Origin,
    Resource,
    ScrapeJob,
    ScrapeSource,
    ScrapeStatus,
    SourceKind,
)
from resources.scraping import guard
from resources.scraping.fetch import Fetcher, FetchError, RobotsDisallowed
from resources.scraping.normalize import canonical_url
from resources.scraping.parse import Item, ParseFailure, parse_feed, parse_page, parse_sitemap
from resources.services_catalogue import (  # noqa: F401  (re-exported)
    CATALOGUE,
    CATALOGUE_FILES,
    load_catalogue,
    seed_resources,
    seed_size,
)
from resources.services_interactions import (  # noqa: F401  (re-exported)
    COUNTER_FIELDS,
    TOGGLES,
    interaction_version_bump,
    resource_complete,
    resource_mark,
    resource_rate,
    resource_unmark,
    resource_view,
)
from resources.services_vocabulary import (  # noqa: F401  (re-exported)
    EMBED_BATCH,
    resource_embedding_text,
    resource_embeddings_compute,
    search_terms_add,
    search_terms_rebuild,
)
from users.models import User

logger = logging.getLogger(__name__)

MAX_JOB_ERRORS = 100
MAX_SITEMAP_DEPTH = 2
SCRAPE_JOB_KIND = common_jobs.JobKind.RESOURCE_SCRAPE
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
        existing.embedding = existing.meaning = None  # recomputed by search_terms_rebuild() at the end of the job
        existing.full_clean(validate_unique=False, validate_constraints=False)
        existing.save(update_fields=[*changed, "scraped_at", "updated_at", "embedding", "meaning"])
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
    """Run a queued job: claim it (queued → running, with its job; anyone else finding it claimed returns), scrape
    each source, upsert its items, record counts after each source, and finish as succeeded — or failed with the
    error when something unexpected escapes (re-raised for the worker's log)."""
    job = ScrapeJob.objects.filter(pk=job_id).first()
    if job is None:
        return None
    claimed = common_jobs.claim(
        job.job_id,
        change=common_jobs.Change(
            ScrapeJob.objects.filter(pk=job_id, status=ScrapeStatus.QUEUED),
            {"status": ScrapeStatus.RUNNING, "started_at": timezone.now()},
        ),
    )
    if not claimed:
        return None
    limit = max_items_per_source or settings.SCRAPER_MAX_ITEMS_PER_SOURCE
    stats = ScrapeStats()
    try:
        with Fetcher() as fetcher:
            for done, source in enumerate(job.sources):
                ScrapeJob.objects.filter(pk=job.pk).update(current_source=str(source["url"])[:1000])
                _scrape_source(fetcher, source, stats, limit)
                _save_job(job, stats, sources_done=done + 1)
        ScrapeSource.objects.filter(url__in=[s["url"] for s in job.sources]).update(last_scraped_at=timezone.now())
        if stats.created or stats.updated:
            search_terms_rebuild()
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        common_jobs.fail(
            job.job_id,
            error=error,
            change=common_jobs.Change(
                ScrapeJob.objects.filter(pk=job_id, status=ScrapeStatus.RUNNING),
                {
                    **_counts(stats),
                    "status": ScrapeStatus.FAILED,
                    "error": error[:2000],
                    "finished_at": timezone.now(),
                    "current_source": "",
                },
            ),
        )
        raise
    common_jobs.finish(
        job.job_id,
        output={name: getattr(stats, name) for name in ("found", "created", "updated", "skipped", "failed")},
        change=common_jobs.Change(
            ScrapeJob.objects.filter(pk=job_id, status=ScrapeStatus.RUNNING),
            {**_counts(stats), "status": ScrapeStatus.SUCCEEDED, "finished_at": timezone.now(), "current_source": ""},
        ),
    )
    job.refresh_from_db()
    return job


def _counts(stats: ScrapeStats) -> dict[str, Any]:
    values: dict[str, Any] = {
        f"{name}_count": getattr(stats, name) for name in ("found", "created", "updated", "skipped", "failed")
    }
    return {**values, "errors": stats.errors}


def scrape_jobs_reap(*, now: Any = None) -> int:
    """Fail jobs whose worker died: running past the task's hard time limit, or queued for a day (the broker lost
    them). A killed job is not run again by itself; staff can start a new one (upserts make that safe)."""
    from datetime import timedelta

    now = now or timezone.now()
    hard_limit = timedelta(seconds=settings.SCRAPER_JOB_SOFT_TIME_LIMIT + 60 + 300)
    died = "the worker running this job stopped before it finished"
    stale = [
        (ScrapeStatus.RUNNING, Q(started_at__lt=now - hard_limit), died),
        (ScrapeStatus.QUEUED, Q(created_at__lt=now - timedelta(days=1)), "no worker picked this job up in time"),
    ]
    reaped = 0
    for status, condition, reason in stale:
        reaped += common_jobs.reap(
            SCRAPE_JOB_KIND,
            stale=ScrapeJob.objects.filter(condition, status=status),
            values={"status": ScrapeStatus.FAILED, "error": reason, "finished_at": now},
            error=reason,
            now=now,
        )
    if reaped:
        logger.warning("Reaped %s stuck scrape jobs", reaped)
    return reaped


def _enqueue_scrape(job_id: int) -> None:
    common_jobs.dispatch(SCRAPE_JOB_KIND, job_id)


def scrape_job_create(*, requested_by: User | None, sources: list[dict[str, str]] | None = None) -> ScrapeJob:
    """Record a queued job for `sources` (default: every active ScrapeSource) and enqueue it after commit."""
    if sources is None:
        sources = [{"url": s.url, "kind": s.kind} for s in ScrapeSource.objects.filter(is_active=True).order_by("id")]
    with transaction.atomic():
        job = ScrapeJob.objects.create(
            requested_by=requested_by, sources=[dict(s) for s in sources], sources_total=len(sources)
        )
        common_jobs.submit_for(
            job,
            SCRAPE_JOB_KIND,
            owner=requested_by,
            title=f"Scrape {len(sources)} source(s)",
            input_data={"scrape_job_id": job.pk, "sources": [s["url"] for s in sources][:20]},
            estimated_duration=60.0,
        )
        # robust: in eager mode (no broker) the job runs right here; its failure is on the job row, not a 500.
        transaction.on_commit(partial(_enqueue_scrape, job.pk), robust=True)
    job.refresh_from_db()
    return job
