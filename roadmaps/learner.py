"""What the planner knows about the learner: their level (and where it came from), the topics they already know
(named in the request, or evidenced by completed modules and paths, passed quizzes and completed roadmap steps), and
our own lessons (learning-path modules) that teach a topic. Reads go through learning's selectors."""

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from learning import selectors as learning_selectors
from roadmaps.known import implied_topics
from roadmaps.models import RoadmapStep, StepStatus
from roadmaps.planner import LANGUAGES, PlannedStep, resolve_topics
from roadmaps.topics import graph
from users.models import User

MODULE_TOPICS = Path(__file__).resolve().parent / "data" / "module_topics.yaml"
LESSONS_PER_STEP = 2


@cache
def module_topics() -> dict[str, tuple[str, ...]]:
    """module slug → the topic slugs it teaches (roadmaps/data/module_topics.yaml), unknown topics dropped."""
    g = graph()
    data = yaml.safe_load(MODULE_TOPICS.read_text(encoding="utf-8")) or {}
    return {module: tuple(t for t in topics if t in g.topics) for module, topics in data.items()}


@cache
def topic_modules() -> dict[str, tuple[str, ...]]:
    inverse: dict[str, list[str]] = {}
    for module, topics in module_topics().items():
        for topic in topics:
            inverse.setdefault(topic, []).append(module)
    return {topic: tuple(modules) for topic, modules in inverse.items()}


@dataclass(frozen=True)
class Evidence:
    known: frozenset[str]  # topic slugs
    sources: dict[str, list[str]]  # why: {"modules": [...], "roadmap_steps": [...], "named": [...]}
    unresolved: tuple[str, ...]  # names the learner gave that the graph does not know


def learner_known_topics(*, user: User, named: list[str] | tuple[str, ...] = ()) -> Evidence:
    """Topics the learner knows: named in the request (ids or names), taught by modules they completed or whose
    quiz they passed (a whole path when its final assessment is passed), or by roadmap steps they completed."""
    mapping = module_topics()
    modules = learning_selectors.learner_module_evidence(user=user)
    from_modules = {t for m in modules for t in mapping.get(m, ())}
    steps = RoadmapStep.objects.filter(roadmap__user=user, status=StepStatus.COMPLETED).values_list(
        "topic_slug", "covers"
    )
    from_steps: set[str] = set()
    g = graph()
    for slug, covers in steps:
        from_steps.update(s for s in [slug, *(covers or [])] if s in g.topics)
    # A name implies its prerequisites and, for a broad one ("python", "kubernetes"), its everyday topics.
    direct = resolve_topics(list(named), g)
    implied = {n: resolve_topics([n], g) | implied_topics(str(n), g) for n in named}
    from_names = {s for slugs in implied.values() for s in slugs}
    unresolved = tuple(n for n in named if not implied[n])
    return Evidence(
        known=frozenset(from_modules | from_steps | from_names),
        sources={
            "modules": sorted(m for m in modules if m in mapping),
            "roadmap_steps": sorted(from_steps),
            "named": sorted(direct),
            "implied": sorted(from_names - direct),
        },
        unresolved=unresolved,
    )


def _module_fits(module: str, languages: set[str]) -> bool:
    language = module.split("-", 1)[0]
    return language not in LANGUAGES or language in languages


def lessons_for(steps: list[PlannedStep]) -> dict[str, list[dict[str, Any]]]:
    """Our own modules that teach each step's topic (or, for a crash course, the topics it condenses), as internal
    links: {step key: [{module_id, learning_path_id, title, learning_path, url, minutes}]}; first part only."""
    from roadmaps.attach import plan_languages

    wanted: dict[str, list[str]] = {}
    index = topic_modules()
    languages = plan_languages(steps)
    for step in steps:
        if step.part > 1:
            continue
        topics = [step.topic_slug] if step.topic_slug else list(step.covers)
        modules: list[str] = []
        for topic in topics:
            # A Rust or JavaScript learner's "Variables" step is not sent to our Python module on variables.
            modules.extend(m for m in index.get(topic, ()) if m not in modules and _module_fits(m, languages))
        if modules:
            wanted[step.key] = modules
    if not wanted:
        return {}
    found = learning_selectors.modules_by_slug(slugs=sorted({m for ms in wanted.values() for m in ms}))
    lessons: dict[str, list[dict[str, Any]]] = {}
    for key, modules in wanted.items():
        links = []
        for slug in modules:
            row = found.get(slug)
            if row is None:
                continue
            links.append(
                {
                    "type": "module",
                    "module_id": row["id"],
                    "learning_path_id": row["learning_path_id"],
                    "title": row["title"],
                    "learning_path": row["learning_path"],
                    "minutes": row["minutes"],
                    "url": f"/learning/{row['learning_path_id']}/module/{row['id']}",
                    "api": f"/api/learning/modules/{row['id']}/",
                }
            )
        if links:
            lessons[key] = links[:LESSONS_PER_STEP] if not key.startswith("crash-course") else links[:4]
    return lessons
