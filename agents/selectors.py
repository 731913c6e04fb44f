"""Reads of the agents app: agents with status and metrics derived from job rows, tasks, chat history."""

from __future__ import annotations

import functools
import time
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db.models import Avg, Count, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from agents.models import Agent, AgentStatus, ChatMessage
from agents.registry import BY_TYPE, TYPE_OF_KIND
from common import jobs
from common.cache import CACHE_ERRORS
from common.errors import NotFound
from common.models import Job, JobStatus
from users.models import User

HEALTH_WINDOW = 100  # health score: success rate over an agent's last N finished tasks


def agent_list() -> QuerySet[Agent]:
    return Agent.objects.order_by("id")


def agent_get(*, agent_id: int) -> Agent:
    agent = Agent.objects.filter(pk=agent_id).first()
    if agent is None:
        raise NotFound("No such agent.")
    return agent


SUMMARY_TTL = 300
_memo: tuple[int, dict[str, dict[str, Any]]] | None = None  # (job version, summary): this process's last read


def _summary_query() -> dict[str, dict[str, Any]]:
    """Per job kind, in one grouped query: totals, successes, failures, mean duration, last activity, queue, when
    it last failed and completed, and its longest-running open job (what its agent is busy with)."""
    running = Job.objects.filter(kind=OuterRef("kind"), status=JobStatus.IN_PROGRESS).order_by("started_at", "id")
    rows = Job.objects.values("kind").annotate(
        total=Count("id"),
        completed=Count("id", filter=Q(status=JobStatus.COMPLETED)),
        failed=Count("id", filter=Q(status=JobStatus.FAILED)),
        pending=Count("id", filter=Q(status=JobStatus.PENDING)),
        avg_duration=Avg("duration", filter=Q(status__in=[JobStatus.COMPLETED, JobStatus.FAILED])),
        last=Max("created_at"),
        last_finished=Max("finished_at"),
        last_failed=Max("finished_at", filter=Q(status=JobStatus.FAILED)),
        last_completed=Max("finished_at", filter=Q(status=JobStatus.COMPLETED)),
        running_title=Subquery(running.values("title")[:1]),
        running_since=Subquery(running.values("started_at")[:1]),
    )
    return {row["kind"]: dict(row) for row in rows}


def _kind_stats() -> dict[str, dict[str, Any]]:
    """The per-kind summary, computed once per job version (every committed job transition bumps it) and shared
    through the cache; without a shared cache (embedded mode) computed on every read."""
    global _memo
    current = jobs.version()
    if current is None:
        return _summary_query()
    if _memo is not None and _memo[0] == current:
        return _memo[1]
    key = f"agents:jobs-summary:{current}"
    summary: dict[str, dict[str, Any]] | None
    try:
        summary = cache.get(key)
    except CACHE_ERRORS:
        summary = None
    if summary is None:
        summary = _summary_query()
        try:
            cache.set(key, summary, SUMMARY_TTL)
        except CACHE_ERRORS:
            pass
    _memo = (current, summary)
    return summary


def _state_from(agent: Agent, stats: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """An agent's status, current task and last activity, derived from its kinds' summary: busy while one of its
    jobs is in progress (the longest-running names the task), error when its last job finished since its restart
    failed, idle otherwise."""
    rows = [stats[k] for k in BY_TYPE[agent.type].kinds if k in stats]
    running = [(r["running_since"], r["running_title"]) for r in rows if r["running_title"] is not None]
    failed = max((r["last_failed"] for r in rows if r["last_failed"] is not None), default=None)
    completed = max((r["last_completed"] for r in rows if r["last_completed"] is not None), default=None)
    if running:
        status, task = AgentStatus.BUSY, min(running, key=lambda item: (item[0] is None, item[0]))[1]
    elif failed is not None and failed >= agent.restarted_at and (completed is None or failed > completed):
        status, task = AgentStatus.ERROR, None
    else:
        status, task = AgentStatus.IDLE, None
    last = max((r["last"] for r in rows if r["last"] is not None), default=None)
    return {"status": status, "current_task": task, "last_active": last}


def agent_state(agent: Agent) -> dict[str, Any]:
    """What `Agent.status`, `current_task` and `last_active` read (see agents/models.py)."""
    return _state_from(agent, _kind_stats())


@functools.cache
def _state_sql(kinds: int) -> str:
    """The listener's one query (written once: compiling the equivalent ORM subqueries cost more CPU than running
    them). Plain SQL that PostgreSQL and SQLite both run."""
    agent, job = Agent._meta.db_table, Job._meta.db_table
    marks = ", ".join(["%s"] * kinds)
    return (
        f"SELECT a.*, "  # noqa: S608 - table names from the models; every value is a parameter
        f"(SELECT j.title FROM {job} j WHERE j.kind IN ({marks}) AND j.status = 'in_progress' "
        f"ORDER BY j.started_at, j.id LIMIT 1) AS running_title, "
        f"(SELECT j.status FROM {job} j WHERE j.kind IN ({marks}) AND j.finished_at IS NOT NULL "
        f"AND j.finished_at >= a.restarted_at ORDER BY j.finished_at DESC, j.id DESC LIMIT 1) AS last_status "
        f"FROM {agent} a WHERE a.type = %s"
    )


def agent_with_state_now(agent_type: str) -> tuple[Agent, dict[str, Any]] | None:
    """The agent of `agent_type` and its state from its own jobs now, in one query through the job indexes
    (kind, status) and (kind, -finished_at): what the job listener reads after a transition, where the version has
    just changed and the whole-table summary would be recomputed every time. `last_active` is left to the caller
    (the transition it reacts to is the agent's latest activity). None when the agent does not exist."""
    kinds = BY_TYPE[agent_type].kinds
    agent = next(iter(Agent.objects.raw(_state_sql(len(kinds)), [*kinds, *kinds, agent_type])), None)
    if agent is None:
        return None
    running_title = getattr(agent, "running_title", None)
    if running_title is not None:
        status = AgentStatus.BUSY
    elif getattr(agent, "last_status", None) == JobStatus.FAILED:
        status = AgentStatus.ERROR
    else:
        status = AgentStatus.IDLE
    return agent, {"status": status, "current_task": running_title, "last_active": None}


def attach_states(agents: list[Agent], stats: dict[str, dict[str, Any]] | None = None) -> None:
    """Give each agent its derived state from one summary read (a list answers from one query, or none)."""
    stats = _kind_stats() if stats is None else stats
    for agent in agents:
        agent.set_state(_state_from(agent, stats))


def _fold(agent: Agent, stats: dict[str, dict[str, Any]]) -> dict[str, Any]:
    rows = [stats[k] for k in BY_TYPE[agent.type].kinds if k in stats]
    total = sum(r["total"] for r in rows)
    completed = sum(r["completed"] for r in rows)
    failed = sum(r["failed"] for r in rows)
    finished = completed + failed
    weighted = sum((r["avg_duration"] or 0.0) * (r["completed"] + r["failed"]) for r in rows)
    times = [t for r in rows for t in (r["last"], r["last_finished"]) if t is not None]
    return {
        "total": total,
        "completed": completed,
        "failed": failed,
        "pending": sum(r["pending"] for r in rows),
        "average_response_time": round(weighted / finished, 4) if finished else 0.0,
        "success_rate": round(completed / finished, 4) if finished else 1.0,
        "error_rate": round(failed / finished, 4) if finished else 0.0,
        "last": max(times) if times else None,
    }


def agent_metrics_map(agents: list[Agent]) -> dict[int, dict[str, Any]]:
    """Each agent's metrics; the agents get their derived state from the same summary read."""
    stats = _kind_stats()
    attach_states(agents, stats)
    return {agent.pk: _fold(agent, stats) for agent in agents}


def performance_metrics(folded: dict[str, Any]) -> dict[str, Any]:
    return {
        "tasks_completed": folded["completed"],
        "average_response_time": folded["average_response_time"],
        "success_rate": folded["success_rate"],
    }


def metrics_rows(agents: list[Agent]) -> list[dict[str, Any]]:
    folded = agent_metrics_map(agents)
    now = timezone.now()
    return [
        {
            "agent_id": agent.pk,
            "agent_type": agent.type,
            "total_requests": folded[agent.pk]["total"],
            "successful_requests": folded[agent.pk]["completed"],
            "failed_requests": folded[agent.pk]["failed"],
            "average_response_time": folded[agent.pk]["average_response_time"],
            "error_rate": folded[agent.pk]["error_rate"],
            "last_updated": folded[agent.pk]["last"] or now,
        }
        for agent in agents
    ]


def _health_scores(agents: list[Agent]) -> dict[int, float]:
    scores: dict[int, float] = {}
    for agent in agents:
        recent = list(
            Job.objects.filter(kind__in=BY_TYPE[agent.type].kinds, finished_at__isnull=False)
            .order_by("-finished_at")
            .values_list("status", flat=True)[:HEALTH_WINDOW]
        )
        rate = (sum(1 for s in recent if s == JobStatus.COMPLETED) / len(recent)) if recent else 1.0
        scores[agent.pk] = round(100.0 * rate * (0.5 if agent.status == AgentStatus.ERROR else 1.0), 1)
    return scores


def agent_status_view() -> dict[str, Any]:
    agents = list(agent_list())
    folded = agent_metrics_map(agents)
    health = _health_scores(agents)
    now = timezone.now()
    return {
        "agents": {
            str(agent.pk): {
                "type": agent.type,
                "name": agent.name,
                "status": agent.status,
                "current_task": agent.current_task,
                "last_active": agent.last_active or folded[agent.pk]["last"],
                "queue_size": folded[agent.pk]["pending"],
                "uptime_hours": round((now - agent.restarted_at).total_seconds() / 3600, 2),
                "health_score": health[agent.pk],
            }
            for agent in agents
        }
    }


# --- tasks ----------------------------------------------------------------------------------------------------------


_ids: tuple[float, dict[str, int]] = (0.0, {})
IDS_TTL = 60.0


def agent_ids_by_type() -> dict[str, int]:
    return dict(Agent.objects.values_list("type", "id"))


def agent_id_of_type_recent(agent_type: str) -> int | None:
    """An agent's id as this process read it within the last minute (the job listener's `task_update` for queued
    work: agents are six rows that staff rarely re-create)."""
    global _ids
    now = time.monotonic()
    if now - _ids[0] > IDS_TTL or agent_type not in _ids[1]:
        _ids = (now, agent_ids_by_type())
    return _ids[1].get(agent_type)


def task_payload(job: Job, agent_id: int | None) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat().replace("+00:00", "Z") if value else None

    return {
        "id": job.pk,
        "agent": agent_id,
        "agent_type": TYPE_OF_KIND.get(job.kind),
        "kind": job.kind,
        "title": job.title,
        "description": job.description,
        "status": job.status,
        "priority": job.priority,
        "input_data": job.input_data,
        "output_data": job.output_data,
        "error": job.error,
        "created_at": iso(job.created_at),
        "started_at": iso(job.started_at),
        "completed_at": iso(job.finished_at),
        "estimated_duration": job.estimated_duration,
        "actual_duration": job.duration,
    }


def task_list(*, user: User, agent: Agent | None = None, status: str | None = None) -> QuerySet[Job]:
    """The user's own tasks (staff: everyone's), newest first; `agent` narrows to that agent's kinds of work."""
    jobs = Job.objects.all() if user.is_staff else Job.objects.filter(owner=user)
    if agent is not None:
        jobs = jobs.filter(kind__in=BY_TYPE[agent.type].kinds)
    if status:
        jobs = jobs.filter(status=status)
    return jobs.order_by("-created_at", "-id")


def task_get(*, user: User, task_id: int) -> Job:
    job = task_list(user=user).filter(pk=task_id).first()
    if job is None:
        raise NotFound("No such task.")
    return job


# --- chat -----------------------------------------------------------------------------------------------------------


def chat_history(*, user: User, session_id: str | None = None) -> QuerySet[ChatMessage]:
    """The user's own messages, oldest first; one session when `session_id` is given."""
    messages = ChatMessage.objects.filter(user=user)
    if session_id:
        messages = messages.filter(session_id=session_id)
    return messages.order_by("created_at", "id")
