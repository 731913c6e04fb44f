"""Reads for roadmaps, scoped to the requester (another user's roadmap is a 404; staff may read all)."""

from typing import Any
from uuid import UUID

from django.db.models import Count, Max, Prefetch, QuerySet, Subquery

from common.errors import NotFound
from roadmaps import topics as topic_graph
from roadmaps.models import Roadmap, RoadmapStatus, RoadmapStep, StepResource, StepStatus
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


# --- For other apps (the recommender): plain data, no roadmap model leaves this app ----------------------------------


def roadmaps_stamp_subqueries(*, user_ref: Any) -> dict[str, Subquery]:
    """Correlated subqueries (count, latest change) of the roadmaps of the user `user_ref` points at: progress
    saves the roadmap (updated_at), a deletion changes the count. For a caller's one-query cache identity."""
    mine = Roadmap.objects.filter(user=user_ref).order_by().values("user")
    return {
        "rm_n": Subquery(mine.annotate(value=Count("id")).values("value")[:1]),
        "rm_last": Subquery(mine.annotate(value=Max("updated_at")).values("value")[:1]),
    }


def _current_step(roadmap: Roadmap) -> RoadmapStep | None:
    """The first step in order that is not done and whose prerequisites are (the planner's "next recommended"),
    one in progress first."""
    steps = list(roadmap.steps.all())  # prefetched by _with_steps, ordered by order_index
    done = {s.pk for s in steps if s.status == StepStatus.COMPLETED}
    ready = [s for s in steps if s.pk not in done and all(p in done for p in s.prerequisites)]
    ready.sort(key=lambda s: (s.status != StepStatus.IN_PROGRESS, s.order_index))
    return ready[0] if ready else None


def learner_roadmaps(*, user: User, limit: int = 5) -> list[dict[str, Any]]:
    """The user's roadmaps that are neither generating nor failed, newest first, as plain data:
    `{title, concept, live, current_step}`; `live` for a draft or active roadmap, whose `current_step` is
    `{title, description, topic_slug, resource_ids}` (the resources the planner recommended, in order) or None."""
    queryset = roadmaps_of(user=user).exclude(status__in=[RoadmapStatus.FAILED, RoadmapStatus.GENERATING])
    out = []
    for roadmap in queryset[:limit]:
        live = roadmap.status in (RoadmapStatus.DRAFT, RoadmapStatus.ACTIVE)
        step = _current_step(roadmap) if live else None
        out.append(
            {
                "title": roadmap.title,
                "concept": roadmap.concept,
                "live": live,
                "current_step": None
                if step is None
                else {
                    "title": step.title,
                    "description": step.description,
                    "topic_slug": step.topic_slug,
                    "resource_ids": [link.resource_id for link in step.step_resources.all() if link.is_recommended],
                },
            }
        )
    return out


def topic_interests(declared: list[str]) -> list[tuple[str, str] | None]:
    """Per declared interest, `(label, text)` when it is a topic-graph id or name: that topic's title (the label; a
    name stays as typed) with its aliases, tags and description (the text); None for anything else."""
    if not declared:
        return []  # the graph is not built for a learner who declared nothing (every cold recommendation asks)
    graph = topic_graph.graph()
    out: list[tuple[str, str] | None] = []
    for item in declared:
        slug = graph.names.get(topic_graph.normalise(item))
        topic = graph.topics.get(slug) if slug else None
        if topic is None:
            out.append(None)
        else:
            label = topic.title if item.strip().lower() == slug else item  # an id reads as its topic's title
            out.append((label, ". ".join([topic.title, *topic.aliases, *topic.tags, topic.description])))
    return out
