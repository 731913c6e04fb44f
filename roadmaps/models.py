from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from common.choices import Difficulty
from common.models import BaseModel


class RoadmapStatus(models.TextChoices):
    GENERATING = "generating", "Generating"
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    ARCHIVED = "archived", "Archived"
    FAILED = "failed", "Failed"


class StepStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"


class Roadmap(BaseModel):
    """The second seed's `roadmaps`: a learner's week-by-week plan for a concept.

    Created in `generating` by POST /generate; the generation task fills in its steps and moves it to `draft`
    (or `failed`); progress makes it `active`, and `completed` when every step is done.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="roadmaps")
    title = models.CharField(max_length=255)
    concept = models.CharField(max_length=255)
    duration_weeks = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(52)])
    hours_per_week = models.PositiveIntegerField(default=5, validators=[MinValueValidator(1), MaxValueValidator(80)])
    description = models.TextField(blank=True, default="")
    status = models.CharField(max_length=20, choices=RoadmapStatus.choices, default=RoadmapStatus.GENERATING)
    preferences = models.JSONField(default=dict, blank=True)
    generation_metadata = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, default="")
    # The generation's job (common.jobs): `status` (generating → draft | failed) moves only with it, in the same
    # transaction. Null for rows from before domain rows referenced their job, and after finished jobs are pruned.
    job = models.OneToOneField("common.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="roadmap")

    class Meta:
        db_table = "roadmaps"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="roadmap_user_created")]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=RoadmapStatus.values), name="roadmap_status_valid"),
            models.CheckConstraint(
                condition=models.Q(duration_weeks__gte=1, duration_weeks__lte=52), name="roadmap_weeks_1_52"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class RoadmapStep(models.Model):
    """The second seed's `roadmap_steps`. `prerequisites` lists the ids of earlier steps of the same roadmap."""

    roadmap = models.ForeignKey(Roadmap, on_delete=models.CASCADE, related_name="steps")
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True, default="")
    order_index = models.PositiveIntegerField()
    week = models.PositiveIntegerField(default=1)
    estimated_hours = models.PositiveIntegerField(default=1)
    difficulty = models.CharField(max_length=20, choices=Difficulty.choices, default=Difficulty.BEGINNER)
    prerequisites = models.JSONField(default=list, blank=True)
    topic_slug = models.CharField(max_length=100, blank=True, default="")
    is_project = models.BooleanField(default=False)
    outcomes = models.JSONField(default=list, blank=True, help_text="What the learner can do after the step.")
    done_when = models.TextField(blank=True, default="", help_text="A short check that shows the step is learned.")
    covers = models.JSONField(default=list, blank=True, help_text="A crash course: the topic slugs it condenses.")
    lessons = models.JSONField(default=list, blank=True, help_text="Our own modules that teach the step, first.")
    status = models.CharField(max_length=20, choices=StepStatus.choices, default=StepStatus.PENDING)
    rating = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "roadmap_steps"
        ordering = ["roadmap_id", "order_index"]
        constraints = [
            models.UniqueConstraint(fields=["roadmap", "order_index"], name="roadmap_step_order_unique"),
            models.CheckConstraint(condition=models.Q(status__in=StepStatus.values), name="roadmap_step_status_valid"),
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="roadmap_step_rating_1_5",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class StepResource(models.Model):
    """The second seed's `step_resources`: a catalogue resource recommended for a step, with why."""

    step = models.ForeignKey(RoadmapStep, on_delete=models.CASCADE, related_name="step_resources")
    resource = models.ForeignKey("resources.Resource", on_delete=models.CASCADE, related_name="step_links")
    is_recommended = models.BooleanField(default=True)
    order_index = models.PositiveIntegerField(default=0)
    recommendation_score = models.FloatField(default=0.0)
    recommendation_reason = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "step_resources"
        ordering = ["step_id", "order_index"]
        constraints = [models.UniqueConstraint(fields=["step", "resource"], name="step_resource_once")]

    def __str__(self) -> str:
        return f"{self.step_id} → {self.resource_id}"
