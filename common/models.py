from django.conf import settings
from django.db import models
from django.utils import timezone


class BaseModel(models.Model):
    """Abstract base for every table: creation and update timestamps, both in UTC."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class JobStatus(models.TextChoices):
    """The SPA's Task states, used as they are so no layer has to translate them."""

    PENDING = "pending", "Pending"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


class JobKind(models.TextChoices):
    """Every kind of work the system records (the job engine's registry, common/jobs.py `KINDS`, says more of each).
    `agents/registry.py` maps them to the agent whose work they are."""

    CODE_RUN = "code_run", "Code run"
    CODE_SUBMISSION = "code_submission", "Code submission"
    CODE_EVALUATION = "code_evaluation", "Code evaluation"
    RESOURCE_SCRAPE = "resource_scrape", "Resource scrape"
    ROADMAP_GENERATION = "roadmap_generation", "Roadmap generation"
    CHAT_REPLY = "chat_reply", "Chat reply"
    LEARNING_RECOMMENDATION = "learning_recommendation", "Learning recommendation"
    CONTENT_GENERATION = "content_generation", "Content generation"
    PROGRESS_ANALYSIS = "progress_analysis", "Progress analysis"
    KNOWLEDGE_GRAPH_QUERY = "knowledge_graph_query", "Knowledge graph query"
    RECOMMENDER_RETRAIN = "recommender_retrain", "Recommender retrain"


class JobPriority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class Job(models.Model):
    """One unit of long-running or agent work anywhere in the system (a code run, a grading, a roadmap generation,
    a retrain, a scrape, a chat reply…), moved only by the job engine (`common.jobs`); domain rows reference it.
    `agents/` presents them as the SPA's Task and derives every agent's status and metrics from them, so no app imports
    `agents/`. `kind` says what the work is; (`kind`, `ref`) names the app's own record, when there is one, so a
    retried task finds the same job instead of creating a second."""

    kind = models.CharField(max_length=40, choices=JobKind.choices)
    ref = models.CharField(max_length=64, blank=True, default="")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="jobs"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    status = models.CharField(max_length=12, choices=JobStatus.choices, default=JobStatus.PENDING)
    priority = models.CharField(max_length=8, choices=JobPriority.choices, default=JobPriority.MEDIUM)
    input_data = models.JSONField(default=dict, blank=True)
    output_data = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    estimated_duration = models.FloatField(null=True, blank=True, help_text="seconds")
    duration = models.FloatField(null=True, blank=True, help_text="seconds from start to finish")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "ref"], condition=~models.Q(ref=""), name="job_kind_ref_unique"),
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in JobStatus]), name="job_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "in_progress"]) | models.Q(finished_at__isnull=False),
                name="job_finished_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="job_owner_created"),
            models.Index(fields=["kind", "status"], name="job_kind_status"),
            models.Index(fields=["kind", "-finished_at"], name="job_kind_finished"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"


class SeedSnapshot(models.Model):
    """What `seed` last wrote into one row: a hash per seeded field. A field whose current value no longer matches
    its hash was edited since (by staff in the admin), so the seed leaves the row alone and reports it
    (common/seeding.py)."""

    model = models.CharField(max_length=100)  # app_label.ModelName
    object_pk = models.CharField(max_length=64)
    fields = models.JSONField(default=dict)
    seeded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["model", "object_pk"], name="seed_snapshot_row_unique")]

    def __str__(self) -> str:
        return f"{self.model}#{self.object_pk}"
