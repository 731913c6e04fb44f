"""The knowledge graph: learning paths, modules and topics (roadmaps/data/topics.yaml) as nodes; `contains`,
`prerequisite` and `related` edges; the user's completion on the nodes. Reads only."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from common.errors import NotFound
from learning import selectors as learning_selectors
from learning.choices import ProgressStatus
from roadmaps.topics import TopicGraph
from roadmaps.topics import graph as topic_graph
from users.models import User

if TYPE_CHECKING:
    from learning.models import LearningPath

LINK_MIN_SCORE = 0.25  # a module is "related" to a topic matched at least this well from its title
LINKS_PER_MODULE = 2
MATCH_MIN_SCORE = 0.3


@dataclass(frozen=True)
class _ModuleInfo:
    pk: int
    title: str
    path_id: int
    module_type: str
    order_index: int
    prerequisites: tuple[int, ...]
    topics: tuple[tuple[str, float], ...]


_lock = threading.Lock()
_cache: dict[str, Any] = {"signature": None, "modules": [], "paths": {}}


def _signature() -> tuple[Any, ...]:
    return learning_selectors.catalogue_signature()


def _modules() -> tuple[list[_ModuleInfo], dict[int, LearningPath]]:
    """Published modules with their topic links, computed once per content version (matching titles to the topic
    graph is the expensive part)."""
    signature = _signature()
    with _lock:
        if _cache["signature"] == signature:
            return _cache["modules"], _cache["paths"]
    topics = topic_graph()
    paths = learning_selectors.published_paths()
    infos = []
    for module in learning_selectors.modules_of_paths(path_ids=list(paths)):
        matches = [m for m in topics.match(module.title, limit=5) if m.score >= LINK_MIN_SCORE][:LINKS_PER_MODULE]
        infos.append(
            _ModuleInfo(
                pk=module.pk,
                title=module.title,
                path_id=module.learning_path_id,
                module_type=module.module_type,
                order_index=module.order_index,
                prerequisites=tuple(p.pk for p in module.prerequisites.all()),
                topics=tuple((m.topic.slug, m.score) for m in matches),
            )
        )
    with _lock:
        _cache.update(signature=signature, modules=infos, paths=paths)
    return infos, paths


class _Builder:
    def __init__(self, topics: TopicGraph, status: dict[int, str]) -> None:
        self.topics = topics
        self.status = status
        self.nodes: dict[str, dict[str, Any]] = {}
        self.edges: dict[tuple[str, str, str], dict[str, Any]] = {}

    def path(self, path: LearningPath, modules: list[_ModuleInfo]) -> str:
        node_id = f"path:{path.pk}"
        done = sum(1 for m in modules if self.status.get(m.pk) == ProgressStatus.COMPLETED)
        self.nodes[node_id] = {
            "id": node_id,
            "type": "learning_path",
            "label": path.title,
            "data": {
                "learning_path_id": path.pk,
                "difficulty_level": path.difficulty_level,
                "modules_total": len(modules),
                "modules_completed": done,
                "progress_percentage": round(100.0 * done / len(modules), 1) if modules else 0.0,
                "completed": bool(modules) and done == len(modules),
            },
        }
        return node_id

    def module(self, info: _ModuleInfo) -> str:
        node_id = f"module:{info.pk}"
        state = self.status.get(info.pk, ProgressStatus.NOT_STARTED)
        self.nodes[node_id] = {
            "id": node_id,
            "type": "module",
            "label": info.title,
            "data": {
                "module_id": info.pk,
                "learning_path_id": info.path_id,
                "module_type": info.module_type,
                "order_index": info.order_index,
                "status": state,
                "completed": state == ProgressStatus.COMPLETED,
            },
        }
        return node_id

    def topic(self, slug: str, linked: dict[str, list[int]]) -> str:
        node_id = f"topic:{slug}"
        topic = self.topics.topics[slug]
        modules = linked.get(slug, [])
        done = [m for m in modules if self.status.get(m) == ProgressStatus.COMPLETED]
        self.nodes[node_id] = {
            "id": node_id,
            "type": "topic",
            "label": topic.title,
            "data": {
                "slug": slug,
                "difficulty": topic.difficulty,
                "area": topic.area,
                "description": topic.description,
                "modules": modules,
                "modules_completed": len(done),
                "completed": bool(modules) and len(done) == len(modules),
            },
        }
        return node_id

    def edge(self, source: str, target: str, kind: str, strength: float = 1.0) -> None:
        if source in self.nodes and target in self.nodes:
            self.edges[(source, target, kind)] = {
                "source": source,
                "target": target,
                "type": kind,
                "strength": round(strength, 3),
            }

    def result(self, **extra: Any) -> dict[str, Any]:
        order = {"learning_path": 0, "module": 1, "topic": 2}
        nodes = sorted(self.nodes.values(), key=lambda n: (order[n["type"]], n["id"]))
        edges = sorted(self.edges.values(), key=lambda e: (e["type"], e["source"], e["target"]))
        return {"nodes": nodes, "edges": edges, **extra}


def _user_status(user: User) -> dict[int, str]:
    return learning_selectors.progress_statuses(user=user)


def knowledge_graph(*, user: User, topic: str | None = None) -> dict[str, Any]:
    """The whole graph, or with `topic` the part around the topics it matches: those topics, their prerequisites
    (transitively) and direct dependents, the modules related to them and their paths."""
    modules, paths = _modules()
    topics = topic_graph()
    builder = _Builder(topics, _user_status(user))
    linked: dict[str, list[int]] = {}
    for info in modules:
        for slug, _ in info.topics:
            linked.setdefault(slug, []).append(info.pk)
    matched: list[dict[str, Any]] = []
    if topic:
        hits = [m for m in topics.match(topic, limit=3) if m.score >= MATCH_MIN_SCORE]
        matched = [{"slug": m.topic.slug, "title": m.topic.title, "score": m.score} for m in hits]
        focus = {m.topic.slug for m in hits}
        keep_topics = topics.closure(sorted(focus)) | {d for s in focus for d in topics.dependents[s]}
        keep_modules = [m for m in modules if any(slug in keep_topics for slug, _ in m.topics)]
    else:
        keep_modules = modules
        keep_topics = topics.closure(sorted(linked))
    by_path: dict[int, list[_ModuleInfo]] = {}
    for info in modules:
        by_path.setdefault(info.path_id, []).append(info)
    for path_id in sorted({m.path_id for m in keep_modules}):
        builder.path(paths[path_id], by_path[path_id])
    for info in keep_modules:
        builder.module(info)
    for slug in sorted(keep_topics):
        builder.topic(slug, linked)
    for info in keep_modules:
        builder.edge(f"path:{info.path_id}", f"module:{info.pk}", "contains")
        for prereq in info.prerequisites:
            builder.edge(f"module:{prereq}", f"module:{info.pk}", "prerequisite")
        for slug, score in info.topics:
            builder.edge(f"module:{info.pk}", f"topic:{slug}", "related", score)
    for slug in keep_topics:
        for prereq in topics.topics[slug].prerequisites:
            builder.edge(f"topic:{prereq}", f"topic:{slug}", "prerequisite")
    extra = {"query": {"topic": topic, "matched": matched}} if topic is not None else {}
    return builder.result(**extra)


def concept_relations(*, user: User, concept: str) -> dict[str, Any]:
    """One concept's neighbourhood: its direct prerequisites and dependents, topics of the same area most similar to
    it (`related`), and the modules that teach it. 404 when the concept matches no topic."""
    topics = topic_graph()
    hits = [m for m in topics.match(concept, limit=1) if m.score >= MATCH_MIN_SCORE]
    if not hits:
        raise NotFound(f"No topic in our graph matches “{concept[:100]}”.")
    centre = hits[0].topic
    modules, _ = _modules()
    linked: dict[str, list[int]] = {}
    for info in modules:
        for slug, _score in info.topics:
            linked.setdefault(slug, []).append(info.pk)
    builder = _Builder(topics, _user_status(user))
    builder.topic(centre.slug, linked)
    for prereq in centre.prerequisites:
        builder.topic(prereq, linked)
        builder.edge(f"topic:{prereq}", f"topic:{centre.slug}", "prerequisite")
    for dependent in topics.dependents[centre.slug]:
        builder.topic(dependent, linked)
        builder.edge(f"topic:{centre.slug}", f"topic:{dependent}", "prerequisite")
    similar = [
        m
        for m in topics.match(f"{centre.title} {' '.join(centre.tags)}", limit=12)
        if m.topic.slug != centre.slug and m.topic.area == centre.area and f"topic:{m.topic.slug}" not in builder.nodes
    ][:5]
    for match in similar:
        builder.topic(match.topic.slug, linked)
        builder.edge(f"topic:{centre.slug}", f"topic:{match.topic.slug}", "related", min(match.score, 1.0))
    for info in modules:
        for slug, score in info.topics:
            if slug == centre.slug:
                builder.module(info)
                builder.edge(f"module:{info.pk}", f"topic:{slug}", "related", score)
    return builder.result(concept={"slug": centre.slug, "title": centre.title, "score": hits[0].score})
