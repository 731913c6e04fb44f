from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from agents.registry import AGENT_TYPES


class AgentType(models.TextChoices):
    CODE_EVALUATOR = "code_evaluator", "Code evaluator"
    LEARNING_COORDINATOR = "learning_coordinator", "Learning coordinator"
    CONTENT_GENERATOR = "content_generator", "Content generator"
    PROGRESS_TRACKER = "progress_tracker", "Progress tracker"
    CHAT_ASSISTANT = "chat_assistant", "Chat assistant"
    KNOWLEDGE_GRAPH = "knowledge_graph", "Knowledge graph"


assert tuple(AgentType.values) == AGENT_TYPES


class AgentStatus(models.TextChoices):
    IDLE = "idle", "Idle"
    BUSY = "busy", "Busy"
    ERROR = "error", "Error"


class Agent(models.Model):
    """One of the six agents (the first seed's `agents` table). `status`, `current_task` and `last_active` are not
    stored: they are derived on read from the agent's jobs (common.Job, the kinds agents/registry.py gives it),
    through a per-kind summary cached by the job version (agents.selectors), so no job transition writes or locks
    an agent row. A restart clears `error` by moving `restarted_at`, so only failures after it count."""

    name = models.CharField(max_length=100)
    type = models.CharField(max_length=50, choices=AgentType.choices, unique=True)
    description = models.TextField(blank=True, default="")
    capabilities = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    restarted_at = models.DateTimeField(default=timezone.now)

    _jobs_state: dict[str, Any] | None = None  # set by agents.selectors (not `_state`: Django uses that)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(type__in=AgentType.values), name="agent_type_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.type})"

    def set_state(self, state: dict[str, Any]) -> None:
        self._jobs_state = state

    def _derived(self) -> dict[str, Any]:
        if self._jobs_state is None:
            from agents.selectors import agent_state  # the read lives with the selectors, which import this module

            self._jobs_state = agent_state(self)
        return self._jobs_state

    @property
    def status(self) -> str:
        return str(self._derived()["status"])

    @property
    def current_task(self) -> str | None:
        task = self._derived()["current_task"]
        return None if task is None else str(task)

    @property
    def last_active(self) -> datetime | None:
        value = self._derived()["last_active"]
        return value if isinstance(value, datetime) else None


class ChatMessage(models.Model):
    """One learner message and the chat assistant's reply (the first seed's `chat_messages`), in a session.
    `sources` lists what the reply was grounded on; `provider` says which LLM provider (or the offline tutor)
    wrote it."""

    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="messages")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_messages")
    session_id = models.CharField(max_length=100)
    message = models.TextField()
    response = models.TextField(null=True, blank=True)
    module = models.ForeignKey("learning.Module", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    provider = models.CharField(max_length=60, blank=True, default="")
    sources = models.JSONField(default=list, blank=True)
    feedback_rating = models.SmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(feedback_rating__isnull=True)
                | models.Q(feedback_rating__gte=-1, feedback_rating__lte=1),
                name="chat_feedback_rating_range",
            ),
        ]
        indexes = [models.Index(fields=["user", "session_id", "created_at"], name="chat_user_session_created")]

    def __str__(self) -> str:
        return f"{self.user_id} / {self.session_id}: {self.message[:40]}"


class NodeView(models.Model):
    """A learner looked at a knowledge-graph node (or studied a concept) on a UTC day: at most one row per
    (learner, node, day), so a node's `view_count` counts learner-days, not clicks."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="node_views")
    node_id = models.CharField(max_length=120)
    date = models.DateField()
    interaction = models.CharField(max_length=20, default="view")

    class Meta:
        ordering = ["-date", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "node_id", "date"], name="node_view_once_a_day")]
        indexes = [models.Index(fields=["node_id"], name="node_view_node")]

    def __str__(self) -> str:
        return f"{self.user_id} viewed {self.node_id} on {self.date}"


class SearchQueryLog(models.Model):
    """A query typed into the SPA's search box (normalised, ≤ 60 characters) and how many results it found: the
    basis of the public popular/trending lists (which only count queries with results from ≥ 3 learners)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    query = models.CharField(max_length=60)
    results = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["query", "created_at"], name="search_log_query_time")]

    def __str__(self) -> str:
        return f"{self.query!r} ({self.results})"


class SearchClick(models.Model):
    """A learner clicked a search result: (learner, query, the result's SPA route)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    query = models.CharField(max_length=200)
    url = models.CharField(max_length=200)
    result_type = models.CharField(max_length=40, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.url}"
