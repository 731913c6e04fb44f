"""Reads of the agents app: agents with status and metrics derived from job rows, tasks, chat history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Avg, Count, Max, Q, QuerySet
from django.utils import timezone

from agents.models import Agent, AgentStatus, ChatMessage
from agents.registry import BY_TYPE, TYPE_OF_KIND
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


def _kind_stats() -> dict[str, dict[str, Any]]:
    """Per job kind, in one grouped query: totals, successes, failures, mean duration, last activity, queue."""
    rows = Job.objects.values("kind").annotate(
        total=Count("id"),
        completed=Count("id", filter=Q(status=JobStatus.COMPLETED)),
        failed=Count("id", filter=Q(status=JobStatus.FAILED)),
        pending=Count("id", filter=Q(status=JobStatus.PENDING)),
        avg_duration=Avg("duration", filter=Q(status__in=[JobStatus.COMPLETED, JobStatus.FAILED])),
        last=Max("created_at"),
        last_finished=Max("finished_at"),
    )
    return {row["kind"]: dict(row) for row in rows}


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
    stats = _kind_stats()
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


def agent_ids_by_type() -> dict[str, int]:
    return dict(Agent.objects.values_list("type", "id"))


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
