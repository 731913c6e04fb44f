"""The second seed's `resources` and `user_resource_interactions`, plus what search and scraping need.

Tags and prerequisites are JSON lists (portable to SQLite); on PostgreSQL they carry GIN indexes, and the stored,
weighted search vector is a generated column (title A, tags B, description C) so it can never go stale, whatever
writes the row. The PostgreSQL-only indexes (GIN on the vector and the JSON lists, pg_trgm on titles and on the
search vocabulary) are created by migration 0002 on PostgreSQL only.
"""

from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Cast, Lower, Upper

from common.choices import Difficulty, LearningStyle, MediaType
from common.models import BaseModel
from common.validators import no_control_chars

# The recommender's model rows live beside its code; re-exported so Django and callers find them here.
from resources.models_reco import RecommenderModel as RecommenderModel
from resources.models_reco import RecommenderStatus as RecommenderStatus

SEARCH_CONFIG = "english"
ACTIVE = Q(is_active=True)
# How much one interaction adds to a resource's popularity (the `popularity` sort).
POPULARITY_WEIGHTS = {"view": 1, "rate": 2, "like": 3, "save": 3, "complete": 5}


class PostgresOnly(models.Func):
    """The wrapped expression on PostgreSQL, NULL elsewhere: lets one migration declare the generated search vector
    for both databases (SQLite keeps an always-NULL column and searches with its own fallback)."""

    template = "%(expressions)s"
    arity = 1

    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, list[Any]]:
        if connection.vendor != "postgresql":
            return "NULL", []
        return super().as_sql(compiler, connection, **extra_context)


def _weighted_search_vector() -> models.Func:
    return PostgresOnly(
        SearchVector("title", weight="A", config=SEARCH_CONFIG)
        + SearchVector(Cast("tags", models.TextField()), weight="B", config=SEARCH_CONFIG)
        + SearchVector("description", weight="C", config=SEARCH_CONFIG),
        output_field=SearchVectorField(),
    )


class Origin(models.TextChoices):
    CURATED = "curated", "Curated catalogue"
    SCRAPED = "scraped", "Scraped"
    MANUAL = "manual", "Added by staff"


class InteractionType(models.TextChoices):
    VIEW = "view", "View"
    LIKE = "like", "Like"
    RATE = "rate", "Rate"
    COMPLETE = "complete", "Complete"
    SAVE = "save", "Save"


def validate_string_list(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError("Must be a list of strings.", code="invalid")
    if len(value) > 30:
        raise ValidationError("At most 30 items.", code="max_length")
    for item in value:
        if not item or len(item) > 60:
            raise ValidationError("Items are 1–60 characters.", code="invalid")
        no_control_chars(item)


class Resource(BaseModel):
    """A learning resource: the second seed's `resources` row.

    `canonical_url` (derived from `url` by `resources.scraping.normalize.canonical_url`) is the dedupe key of the
    seed and the scraper. `rating`/`rating_count` are the mean and number of users' ratings, recomputed in the
    transaction that changes a rating. The counters and `popularity` move with F() in the transaction that creates or
    removes an interaction. Curated rows (the team's catalogue) are never overwritten by scraping.
    """

    title = models.CharField(max_length=255, validators=[no_control_chars])
    description = models.TextField(blank=True, default="", validators=[no_control_chars])
    url = models.URLField(max_length=500)
    canonical_url = models.CharField(max_length=500, unique=True, editable=False)
    media_type = models.CharField(max_length=20, choices=MediaType.choices, db_index=True)
    difficulty = models.CharField(max_length=20, choices=Difficulty.choices, null=True, blank=True, db_index=True)
    duration_minutes = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(100_000)]
    )
    rating = models.FloatField(default=0.0)
    rating_count = models.PositiveIntegerField(default=0)
    tags = models.JSONField(default=list, blank=True, validators=[validate_string_list])
    prerequisites = models.JSONField(default=list, blank=True, validators=[validate_string_list])
    learning_style = models.CharField(max_length=20, choices=LearningStyle.choices, null=True, blank=True)
    source = models.CharField(max_length=100, blank=True, default="", help_text="Platform or publisher name.")
    scraped_at = models.DateTimeField(null=True, blank=True)
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.MANUAL)
    is_active = models.BooleanField(default=True, help_text="Inactive resources are hidden from the API.")
    view_count = models.PositiveIntegerField(default=0)
    like_count = models.PositiveIntegerField(default=0)
    save_count = models.PositiveIntegerField(default=0)
    completion_count = models.PositiveIntegerField(default=0)
    popularity = models.PositiveIntegerField(default=0, help_text="Weighted count of users' interactions.")
    search_vector = models.GeneratedField(
        expression=_weighted_search_vector(), output_field=SearchVectorField(), db_persist=True
    )
    # The dense vector of title + tags + description (common.retrieval: float16 bytes, EMBEDDING_DIM values),
    # recomputed by resources.services whenever the content changes; null until computed.
    embedding = models.BinaryField(null=True, blank=True, editable=False)
    # The same text through the precise model (common.retrieval.precise: float16 bytes, PRECISE_DIM values), which
    # re-ranks search candidates by meaning; computed and cleared together with `embedding`.
    meaning = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        db_table = "resources"
        ordering = ["id"]
        # One index per sort order of the search, on active resources only (what the API lists), in the exact
        # ORDER BY the selectors emit; also serves COUNT(*) of active resources as an index-only scan. The
        # "duration desc, nulls last" one is PostgreSQL-only (SQLite has no NULLS LAST in indexes): migration 0003.
        indexes = [
            models.Index(
                fields=["-rating", "-rating_count", "id"], name="resource_active_rating_idx", condition=ACTIVE
            ),
            models.Index(fields=["-popularity", "id"], name="resource_active_popular_idx", condition=ACTIVE),
            models.Index(fields=["created_at", "id"], name="resource_active_created_idx", condition=ACTIVE),
            models.Index(fields=["duration_minutes", "id"], name="resource_active_duration_idx", condition=ACTIVE),
            models.Index(Lower("title"), F("id"), name="resource_active_title_idx", condition=ACTIVE),
            models.Index(Upper("source"), name="resource_source_ci_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(rating__gte=0, rating__lte=5), name="resource_rating_0_5"),
            models.CheckConstraint(condition=models.Q(media_type__in=MediaType.values), name="resource_media_valid"),
            models.CheckConstraint(
                condition=models.Q(difficulty__isnull=True) | models.Q(difficulty__in=Difficulty.values),
                name="resource_difficulty_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(learning_style__isnull=True) | models.Q(learning_style__in=LearningStyle.values),
                name="resource_style_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(duration_minutes__isnull=True) | models.Q(duration_minutes__gte=1),
                name="resource_duration_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        # Imported here: the normaliser imports nothing from models, but keep the model module light at import.
        from resources.scraping.normalize import canonical_url

        if self.url:
            self.canonical_url = canonical_url(self.url)
            clash = Resource.objects.filter(canonical_url=self.canonical_url).exclude(pk=self.pk)
            if clash.exists():
                raise ValidationError({"url": "A resource with this URL already exists."}, code="unique")


class UserResourceInteraction(BaseModel):
    """The second seed's `user_resource_interactions`: one row per (user, resource, interaction type).

    A `rate` row holds the user's 1–5 rating and optional review (re-rating replaces them); a `complete` row has
    `completed` true and the minutes spent; `like` and `save` rows exist while liked/saved; a `view` row records the
    latest view.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="resource_interactions")
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="interactions")
    interaction_type = models.CharField(max_length=10, choices=InteractionType.choices)
    rating = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    review = models.TextField(blank=True, default="", validators=[no_control_chars])
    time_spent_minutes = models.PositiveIntegerField(null=True, blank=True)
    completed = models.BooleanField(default=False)

    class Meta:
        db_table = "user_resource_interactions"
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-updated_at"], name="interaction_user_recent_idx"),
            models.Index(fields=["resource", "interaction_type"], name="interaction_resource_type_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["user", "resource", "interaction_type"], name="interaction_once_per_type"),
            models.CheckConstraint(
                condition=models.Q(interaction_type__in=InteractionType.values), name="interaction_type_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="interaction_rating_1_5",
            ),
            models.CheckConstraint(
                condition=~models.Q(interaction_type=InteractionType.RATE) | models.Q(rating__isnull=False),
                name="interaction_rate_has_rating",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.interaction_type} {self.resource_id}"


class UserInteractionVersion(models.Model):
    """A per-user counter bumped in the transaction of every interaction change: caches of a user's
    recommendations are keyed on it, so a new rating, like or completion invalidates them without a scan."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="resource_interaction_version",
    )
    version = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user_id} v{self.version}"


class SearchTerm(models.Model):
    """The search vocabulary: every lower-case word of the active resources' titles, tags and descriptions with
    the number of resources using it. Query words missing from it are corrected to the nearest word in it
    (typo tolerance); on PostgreSQL a pg_trgm GiST index serves the nearest-word look-up."""

    word = models.CharField(max_length=60, primary_key=True)
    document_count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.word


class SourceKind(models.TextChoices):
    RSS = "rss", "RSS/Atom feed"
    SITEMAP = "sitemap", "Sitemap"
    PAGE = "page", "HTML page (JSON-LD / OpenGraph)"


class ScrapeSource(BaseModel):
    """A feed, sitemap or page that staff want scraped; `POST /api/resources/scrape/` without a body scrapes every
    active source."""

    url = models.URLField(max_length=1000, unique=True)
    kind = models.CharField(max_length=10, choices=SourceKind.choices)
    name = models.CharField(max_length=100, blank=True, default="")
    is_active = models.BooleanField(default=True)
    last_scraped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=models.Q(kind__in=SourceKind.values), name="source_kind_ok")]

    def __str__(self) -> str:
        return self.name or self.url


class ScrapeStatus(models.TextChoices):
    """The scrape API's words for its job's states (common.JobStatus: pending, in_progress, completed, failed),
    kept as the API has always shown them."""

    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class ScrapeJob(models.Model):
    """One scrape run: its sources and counts; `status` is moved only through the job engine (common.jobs), together
    with the run's job.

    Counts: `found` items read from the sources; `created`/`updated` resources written; `skipped` items that were
    unchanged, curated, disallowed by robots.txt or without usable metadata; `failed` items or fetches that errored
    (each error is listed in `errors`, at most 100).
    """

    status = models.CharField(max_length=10, choices=ScrapeStatus.choices, default=ScrapeStatus.QUEUED, db_index=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="scrape_jobs"
    )
    sources = models.JSONField(default=list, help_text="[{url, kind}] scraped by this job.")
    found_count = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True, default="", help_text="Why the whole job failed.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Progress while running ("source 3 of 12"): written by the scrape loop as each source starts and ends.
    sources_done = models.PositiveIntegerField(default=0)
    sources_total = models.PositiveIntegerField(default=0)
    current_source = models.CharField(max_length=1000, blank=True, default="", help_text="The source being read.")
    # The scrape's job (common.jobs): `status` moves only with it, in the same transaction. Null for rows from
    # before domain rows referenced their job, and after finished jobs are pruned.
    job = models.OneToOneField(
        "common.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="scrape_job"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=ScrapeStatus.values), name="scrape_job_status_ok")
        ]

    def __str__(self) -> str:
        return f"Scrape job {self.pk} ({self.status})"
