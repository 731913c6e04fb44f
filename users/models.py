import uuid

from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower

from common.choices import Difficulty, LearningStyle
from common.models import BaseModel
from common.validators import no_control_chars


class LearningPace(models.TextChoices):
    SLOW = "slow", "Slow"
    MODERATE = "moderate", "Moderate"
    FAST = "fast", "Fast"


class AgentInteractionLevel(models.TextChoices):
    MINIMAL = "minimal", "Minimal"
    MODERATE = "moderate", "Moderate"
    HIGH = "high", "High"


class FeedbackStyle(models.TextChoices):
    DETAILED = "detailed", "Detailed"
    BRIEF = "brief", "Brief"
    ENCOURAGING = "encouraging", "Encouraging"


class User(AbstractUser):
    """A learner or staff member: the first seed's `users` table (profile, statistics, settings).

    `total_time_spent` is stored as whole minutes (the API renders it as "480 minutes") so that it can be
    accumulated atomically with F(). `token_version` is bumped on password change: every token carrying an
    older version is refused.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    username = models.CharField(
        max_length=50,
        unique=True,
        validators=[UnicodeUsernameValidator()],
        help_text="50 characters or fewer. Letters, digits and @/./+/-/_ only.",
        error_messages={"unique": "A user with that username already exists."},
    )
    email = models.EmailField(
        max_length=255, unique=True, error_messages={"unique": "A user with that email already exists."}
    )
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)

    bio = models.TextField(blank=True, default="")
    profile_image = models.URLField(max_length=500, blank=True, default="")
    learning_style = models.CharField(max_length=20, choices=LearningStyle.choices, null=True, blank=True)
    preferred_difficulty = models.CharField(max_length=20, choices=Difficulty.choices, null=True, blank=True)
    learning_pace = models.CharField(max_length=20, choices=LearningPace.choices, null=True, blank=True)

    total_modules_completed = models.PositiveIntegerField(default=0)
    total_time_spent = models.PositiveIntegerField(default=0, help_text="Minutes.")
    current_streak = models.PositiveIntegerField(default=0)
    longest_streak = models.PositiveIntegerField(default=0)
    total_points = models.PositiveIntegerField(default=0)
    level = models.PositiveIntegerField(default=1)
    experience_level = models.PositiveIntegerField(default=0)
    next_level_points = models.PositiveIntegerField(default=100)

    current_goal = models.CharField(max_length=500, blank=True, default="")
    goal_deadline = models.DateField(null=True, blank=True)
    agent_interaction_level = models.CharField(
        max_length=20, choices=AgentInteractionLevel.choices, default=AgentInteractionLevel.MODERATE
    )
    preferred_feedback_style = models.CharField(
        max_length=20, choices=FeedbackStyle.choices, default=FeedbackStyle.DETAILED
    )
    dark_mode = models.BooleanField(default=False)
    notifications_enabled = models.BooleanField(default=True)
    email_notifications = models.BooleanField(default=True)
    push_notifications = models.BooleanField(default=False)

    last_activity_date = models.DateField(null=True, blank=True)
    token_version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    REQUIRED_FIELDS = ["email"]

    class Meta:
        db_table = "users"
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(Lower("username"), name="users_username_ci_unique"),
            models.UniqueConstraint(Lower("email"), name="users_email_ci_unique"),
            models.CheckConstraint(condition=models.Q(level__gte=1), name="users_level_gte_1"),
        ]

    def __str__(self) -> str:
        return self.username


def validate_interests(value: object) -> None:
    """At most 20 topic names or ids, each 1–100 characters of text."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError("Must be a list of strings.", code="invalid")
    if len(value) > 20:
        raise ValidationError("At most 20 interests.", code="max_length")
    for item in value:
        if not item.strip() or len(item) > 100:
            raise ValidationError("Each interest is 1–100 characters.", code="invalid")
        no_control_chars(item)


class UserPreferences(BaseModel):
    """The second seed's `user_preferences`: what the recommender and roadmap planner must respect.

    `version` moves with every change of these preferences or of the profile fields personalisation reads, so a
    cached recommendation list keyed on it is never served after such a change."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="preferences")
    preferred_media_types = models.JSONField(default=list, blank=True)
    preferred_difficulty = models.CharField(max_length=20, choices=Difficulty.choices, null=True, blank=True)
    preferred_learning_style = models.CharField(max_length=20, choices=LearningStyle.choices, null=True, blank=True)
    max_duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    avoid_tags = models.JSONField(default=list, blank=True)
    interests = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_interests],
        help_text="Topics the learner declared (topic names or topic-graph ids).",
    )
    version = models.PositiveIntegerField(
        default=0,
        help_text="Bumped whenever a preference or a profile field that personalisation reads changes "
        "(PERSONALISATION_PROFILE_FIELDS): part of the cache key of the user's recommendations.",
    )

    class Meta:
        db_table = "user_preferences"

    def __str__(self) -> str:
        return f"Preferences of {self.user_id}"


class Achievement(BaseModel):
    """An achievement a learner can earn once (first module, 7-day streak…), identified by a stable `code`."""

    code = models.SlugField(max_length=50, unique=True)
    title = models.CharField(max_length=100)
    description = models.CharField(max_length=300)
    icon = models.CharField(max_length=50, blank=True, default="")
    points = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.title


class UserAchievement(models.Model):
    """An achievement earned by a user: one row per (user, achievement), so it can only be earned once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="earned_achievements")
    achievement = models.ForeignKey(Achievement, on_delete=models.CASCADE, related_name="earners")
    earned_date = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["earned_date", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "achievement"], name="user_achievement_once")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.achievement_id}"


class Badge(BaseModel):
    """A badge shown on the profile, identified by a stable `code`."""

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=300, blank=True, default="")
    icon = models.CharField(max_length=50, blank=True, default="")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class UserBadge(models.Model):
    """A badge earned by a user, once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="earned_badges")
    badge = models.ForeignKey(Badge, on_delete=models.CASCADE, related_name="earners")
    earned_date = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["earned_date", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "badge"], name="user_badge_once")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.badge_id}"


class DailyActivity(models.Model):
    """What a user did on one UTC day: the basis of streaks and weekly activity. One row per (user, date)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="daily_activity")
    date = models.DateField()
    minutes = models.PositiveIntegerField(default=0)
    actions = models.PositiveIntegerField(default=0)
    modules_completed = models.PositiveIntegerField(default=0)
    points = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-date"]
        constraints = [models.UniqueConstraint(fields=["user", "date"], name="daily_activity_once_per_day")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.date}"


class UserSession(models.Model):
    """One login (a refresh-token family): its id is the `sid` claim every token of the session carries.

    The database row is the authority on revocation — checked at every authentication in the same query that loads
    the user — so a logout holds in every process, with or without a cache, and survives a cache flush. Logout
    revokes one session; a password change revokes them all. Rows past `expires_at` are pruned daily.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "user_sessions"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="user_sessions_user_revoked")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.id}"
