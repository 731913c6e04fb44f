"""What the learner does elsewhere, as the recommender sees it: roadmaps (the concepts generated, the current step
and the resources attached to it) and learning (paths and modules started, the module being studied).

The only module of the recommender that reads other apps, and only through their selectors (plain data comes
back, never their models); the cache-identity stamps are those selectors' correlated subqueries because they must
join the recommender's one key query (a cached response costs two queries in all).

Roadmaps sit above resources (a roadmap step attaches resources), so this module imports nothing of roadmaps: the
roadmaps app registers its `RoadmapSource` here when Django starts (`RoadmapsConfig.ready`). Without one, the
learner has no roadmaps and an interest is taken as typed."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import OuterRef, Subquery

from learning import selectors as learning_selectors
from users.models import User

MAX_ROADMAPS = 5
MAX_PROGRESS_ROWS = 30


@dataclass(frozen=True)
class RoadmapSource:
    """The roadmaps app's selectors the recommender reads, as plain data."""

    # (user_ref=) → {"rm_n": count, "rm_last": latest change} correlated subqueries on the user `user_ref` points at
    stamp_subqueries: Callable[..., dict[str, Subquery]]
    # (user=, limit=) → the user's roadmaps, newest first: {title, concept, live, current_step}
    learner_roadmaps: Callable[..., list[dict[str, Any]]]
    # declared interests → per item, (topic title, topic text) when it names a topic of the graph, else None
    topic_interests: Callable[[list[str]], list[tuple[str, str] | None]]


_roadmaps: RoadmapSource | None = None


def register_roadmap_source(source: RoadmapSource) -> None:
    global _roadmaps
    _roadmaps = source


def learning_stamp_subqueries(user_ref: OuterRef) -> dict[str, Subquery]:
    """Count and latest change of the user's roadmaps and module progress (each app's own stamp selector)."""
    roadmaps = _roadmaps.stamp_subqueries(user_ref=user_ref) if _roadmaps is not None else {}
    return {**roadmaps, **learning_selectors.progress_stamp_subqueries(user_ref=user_ref)}


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
    items = list(declared or [])
    topics = _roadmaps.topic_interests(items) if _roadmaps is not None else [None] * len(items)
    return [
        topic if topic is not None else (item, item.replace("-", " ").replace("_", " "))
        for item, topic in zip(items, topics, strict=True)
    ]


def learner_context(*, user: User, roadmaps: bool = True, progress: bool = True) -> LearnerContext:
    """`roadmaps` / `progress` False: the caller knows the learner has none (skips their queries)."""
    ctx = LearnerContext()
    if roadmaps:
        _roadmap_context(ctx, user)
    if progress:
        _progress_context(ctx, user)
    return ctx


def _roadmap_context(ctx: LearnerContext, user: User) -> None:
    if _roadmaps is None:
        return
    roadmaps = _roadmaps.learner_roadmaps(user=user, limit=MAX_ROADMAPS)
    ctx.concepts = list(dict.fromkeys((r["title"] or r["concept"], r["concept"]) for r in roadmaps if r["concept"]))
    for roadmap in roadmaps:  # newest first: the newest live roadmap with a step left is "the" roadmap
        step: dict[str, Any] | None = roadmap["current_step"]
        if roadmap["live"] and step is not None:
            ctx.step = Step(
                roadmap_title=roadmap["title"],
                concept=roadmap["concept"],
                title=step["title"],
                description=step["description"],
                topic_slug=step["topic_slug"],
                resource_ids=step["resource_ids"],
            )
            break


def _progress_context(ctx: LearnerContext, user: User) -> None:
    modules = learning_selectors.learner_modules(user=user, limit=MAX_PROGRESS_ROWS)
    ctx.paths = modules["paths"]
    current = modules["current"]
    if current is not None:
        ctx.module = Module(
            title=current["title"], description=current["description"], path_title=current["path_title"]
        )
