"""What the learner does elsewhere, as the recommender sees it: roadmaps (the concepts generated, the current step
and the resources attached to it) and learning (paths and modules started, the module being studied).

The only module of the recommender that reads other apps. Reads go through their selectors; the cache-identity
stamps are correlated subqueries over their tables because they must join the recommender's one key query (a
cached response costs two queries in all)."""

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, OuterRef, Subquery

from learning import selectors as learning_selectors
from learning.models import ProgressStatus, UserModuleProgress
from roadmaps import selectors as roadmap_selectors
from roadmaps import topics as topic_graph
from roadmaps.models import Roadmap, RoadmapStatus, StepStatus
from users.models import User

MAX_ROADMAPS = 5
MAX_PROGRESS_ROWS = 30
LIVE_ROADMAPS = (RoadmapStatus.DRAFT, RoadmapStatus.ACTIVE)


def learning_stamp_subqueries(user_ref: OuterRef) -> dict[str, Subquery]:
    """Count and latest change of the user's roadmaps and module progress: roadmap progress saves the roadmap
    (updated_at), module progress saves its row, a deletion changes the count."""

    def agg(queryset: Any, **aggregates: Any) -> dict[str, Subquery]:
        return {
            name: Subquery(queryset.order_by().values("user").annotate(value=a).values("value")[:1])
            for name, a in aggregates.items()
        }

    return {
        **agg(Roadmap.objects.filter(user=user_ref), rm_n=Count("id"), rm_last=Max("updated_at")),
        **agg(UserModuleProgress.objects.filter(user=user_ref), mp_n=Count("id"), mp_last=Max("updated_at")),
    }


@dataclass
class Step:
    roadmap_title: str
    concept: str
    title: str
    description: str
    topic_slug: str
    resource_ids: list[int]  # attached by the roadmap planner, in its order

    def text(self) -> str:
        return ". ".join(p for p in (self.title, self.topic_slug.replace("-", " "), self.description) if p)


@dataclass
class Module:
    title: str
    description: str
    path_title: str

    def text(self) -> str:
        return ". ".join(p for p in (self.title, self.description, self.path_title) if p)


@dataclass
class LearnerContext:
    concepts: list[tuple[str, str]] = field(default_factory=list)  # (roadmap title, concept), newest first
    step: Step | None = None  # the next step of the newest live roadmap
    module: Module | None = None  # the module being studied
    paths: list[str] = field(default_factory=list)  # titles of paths the learner started


def interests(declared: list[str]) -> list[tuple[str, str]]:
    """`(label, text)` of each declared interest: a topic-graph id or name becomes that topic's title (the label)
    with its aliases, tags and description (the text); anything else is taken as typed."""
    graph = topic_graph.graph()
    out = []
    for item in declared or []:
        slug = graph.names.get(topic_graph.normalise(item))
        topic = graph.topics.get(slug) if slug else None
        if topic is None:
            out.append((item, item.replace("-", " ").replace("_", " ")))
        else:
            label = topic.title if item.strip().lower() == slug else item  # an id reads as its topic's title
            out.append((label, ". ".join([topic.title, *topic.aliases, *topic.tags, topic.description])))
    return out


def _current_step(roadmap: Roadmap) -> Step | None:
    """The first step in order that is not done and whose prerequisites are (the planner's "next recommended")."""
    steps = list(roadmap.steps.all())  # prefetched by the selector, ordered by order_index
    done = {s.pk for s in steps if s.status == StepStatus.COMPLETED}
    ready = [s for s in steps if s.pk not in done and all(p in done for p in s.prerequisites)]
    ready.sort(key=lambda s: (s.status != StepStatus.IN_PROGRESS, s.order_index))
    if not ready:
        return None
    step = ready[0]
    return Step(
        roadmap_title=roadmap.title,
        concept=roadmap.concept,
        title=step.title,
        description=step.description,
        topic_slug=step.topic_slug,
        resource_ids=[link.resource_id for link in step.step_resources.all() if link.is_recommended],
    )


def learner_context(*, user: User, roadmaps: bool = True, progress: bool = True) -> LearnerContext:
    """`roadmaps` / `progress` False: the caller knows the learner has none (skips their queries)."""
    ctx = LearnerContext()
    if roadmaps:
        _roadmap_context(ctx, user)
    if progress:
        _progress_context(ctx, user)
    return ctx


def _roadmap_context(ctx: LearnerContext, user: User) -> None:
    live = roadmap_selectors.roadmaps_of(user=user).exclude(status__in=[RoadmapStatus.FAILED, RoadmapStatus.GENERATING])
    roadmaps = list(live[:MAX_ROADMAPS])
    ctx.concepts = list(dict.fromkeys((r.title or r.concept, r.concept) for r in roadmaps if r.concept))
    for roadmap in roadmaps:  # newest first: the newest live roadmap with a step left is "the" roadmap
        if roadmap.status in LIVE_ROADMAPS:
            ctx.step = _current_step(roadmap)
            if ctx.step is not None:
                break


def _progress_context(ctx: LearnerContext, user: User) -> None:
    progress = list(
        learning_selectors.progress_list(user=user, params={})
        .select_related("module__learning_path")
        .only("status", "last_accessed", "module__title", "module__description", "module__learning_path__title")[
            :MAX_PROGRESS_ROWS
        ]
    )
    ctx.paths = list(dict.fromkeys(p.module.learning_path.title for p in progress))
    current = next((p for p in progress if p.status == ProgressStatus.IN_PROGRESS), None)
    if current is not None:
        m = current.module
        ctx.module = Module(title=m.title, description=m.description, path_title=m.learning_path.title)
