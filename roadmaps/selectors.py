"""Reads for roadmaps, scoped to the requester (another user's roadmap is a 404; staff may read all)."""

from typing import Any
from uuid import UUID

from django.db.models import Prefetch, QuerySet

from common.errors import NotFound
from roadmaps.models import Roadmap, RoadmapStep, StepResource, StepStatus
from users.models import User


def _with_steps(queryset: QuerySet[Roadmap]) -> QuerySet[Roadmap]:
    links = StepResource.objects.select_related("resource").order_by("order_index", "id")
    steps = RoadmapStep.objects.order_by("order_index").prefetch_related(Prefetch("step_resources", queryset=links))
    return queryset.prefetch_related(Prefetch("steps", queryset=steps))


def roadmaps_of(*, user: User) -> QuerySet[Roadmap]:
    return _with_steps(Roadmap.objects.filter(user=user).order_by("-created_at", "-id"))


def roadmaps_of_user(*, requester: User, user_id: UUID) -> QuerySet[Roadmap]:
    if requester.pk != user_id and not requester.is_staff:
        raise NotFound()
    if not User.objects.filter(pk=user_id).exists():
        raise NotFound()
    return _with_steps(Roadmap.objects.filter(user_id=user_id).order_by("-created_at", "-id"))


def roadmap_get(*, requester: User, roadmap_id: int) -> Roadmap:
    queryset = Roadmap.objects.all() if requester.is_staff else Roadmap.objects.filter(user=requester)
    roadmap = _with_steps(queryset.filter(pk=roadmap_id)).first()
    if roadmap is None:
        raise NotFound()
    return roadmap


def progress_summary(*, roadmap: Roadmap) -> dict[str, Any]:
    steps = list(roadmap.steps.order_by("order_index"))
    done = {s.pk for s in steps if s.status == StepStatus.COMPLETED}
    ready = [s for s in steps if s.pk not in done and all(p in done for p in s.prerequisites)]
    return {
        "roadmap_id": roadmap.pk,
        "status": roadmap.status,
        "completed_steps": len(done),
        "total_steps": len(steps),
        "progress_percentage": round(100.0 * len(done) / len(steps), 2) if steps else 0.0,
        "next_recommended_steps": [
            {"id": s.pk, "title": s.title, "estimated_hours": s.estimated_hours} for s in ready[:3]
        ],
    }


def recommendations(*, roadmap: Roadmap) -> list[tuple[RoadmapStep, StepResource]]:
    return [(step, link) for step in roadmap.steps.all() for link in step.step_resources.all()]
