from django.conf import settings
from django.db import models

from common.models import BaseModel
from executor.choices import RunState
from executor.spec import RunStatus


class CodeRun(BaseModel):
    """One sandboxed execution: its payload and result; `state` is moved only through the job engine
    (common.jobs, called by executor.services), together with the run's job.

    The executor knows nothing of modules, exercises or points: `purpose` is a free tag for whoever asked.
    Output columns hold text already made safe for PostgreSQL (no NUL bytes) and capped in size.
    """

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="code_runs")
    purpose = models.CharField(max_length=30, default="execute")
    language = models.CharField(max_length=20)
    source = models.TextField()
    stdin = models.TextField(blank=True, default="")
    limits = models.JSONField(default=dict)
    state = models.CharField(max_length=10, choices=RunState.choices, default=RunState.QUEUED)
    status = models.CharField(max_length=20, choices=[(s.value, s.value) for s in RunStatus], blank=True, default="")
    stdout = models.TextField(blank=True, default="")
    stderr = models.TextField(blank=True, default="")
    stdout_truncated = models.BooleanField(default=False)
    stderr_truncated = models.BooleanField(default=False)
    exit_code = models.IntegerField(null=True, blank=True)
    signal = models.IntegerField(null=True, blank=True)
    wall_time = models.FloatField(null=True, blank=True, help_text="Seconds.")
    cpu_time = models.FloatField(null=True, blank=True, help_text="Seconds.")
    memory_kb = models.PositiveIntegerField(null=True, blank=True)
    backend = models.CharField(max_length=20, blank=True, default="")
    error_detail = models.TextField(blank=True, default="", help_text="Why a system_error happened (operators).")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The run's job (common.jobs): `state` moves only with it, in the same transaction. Null for rows from before
    # runs referenced their job, and after finished jobs are pruned.
    job = models.OneToOneField("common.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="code_run")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "created_at"], name="coderun_state_created"),
            models.Index(fields=["owner", "state"], name="coderun_owner_state"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(state__in=RunState.values), name="coderun_state_valid"),
            models.CheckConstraint(
                condition=~models.Q(state=RunState.FINISHED) | ~models.Q(status=""), name="coderun_finished_has_status"
            ),
        ]

    def __str__(self) -> str:
        return f"Run {self.pk} ({self.language}, {self.state} {self.status})"
