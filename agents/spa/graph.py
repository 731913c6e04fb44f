"""The knowledge graph in the SPA's shapes (SPA.md §5): node and edge renames, analytics, concepts, view counts."""

from collections import Counter
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from agents.models import NodeView
from learning import selectors as learning_selectors
from roadmaps.topics import graph as topic_graph
from users.models import User

NODE_TYPES = {"learning_path": "learning_path", "module": "module", "topic": "concept"}
DIFFICULTIES = ("beginner", "intermediate", "advanced")
CONCEPTS_MAX_LIMIT = 200


def _difficulty(value: Any) -> str:
    return value if value in DIFFICULTIES else "beginner"


def spa_graph(result: dict[str, Any]) -> dict[str, Any]:
    """Our graph → the SPA's `Graph`: no per-learner fields on nodes; prerequisites as unique titles."""
    titles = {n["id"]: n["label"] for n in result["nodes"]}
    path_difficulty = {
        n["id"]: n["data"].get("difficulty_level") for n in result["nodes"] if n["type"] == "learning_path"
    }
    prereqs: dict[str, list[str]] = {}
    for e in result["edges"]:
        if e["type"] == "prerequisite" and e["source"] in titles:
            names = prereqs.setdefault(e["target"], [])
            if titles[e["source"]] not in names:
                names.append(titles[e["source"]])
    views = view_counts([n["id"] for n in result["nodes"]])
    topics = topic_graph().topics
    nodes = []
    for n in result["nodes"]:
        data = n["data"]
        if n["type"] == "module":
            difficulty = path_difficulty.get(f"path:{data.get('learning_path_id')}")
        else:
            difficulty = data.get("difficulty_level") or data.get("difficulty")
        topic = topics.get(data.get("slug", "")) if n["type"] == "topic" else None
        nodes.append(
            {
                "id": n["id"],
                "title": n["label"],
                "node_type": NODE_TYPES.get(n["type"], "concept"),
                "difficulty_level": _difficulty(difficulty),
                "description": data.get("description", ""),
                "learning_objectives": list(getattr(topic, "outcomes", ()) or ()),
                "prerequisites": prereqs.get(n["id"], []),
                "view_count": views.get(n["id"], 0),
                "x_position": 0,
                "y_position": 0,
            }
        )
    edges = [
        {
            "id": f"{e['source']}>{e['target']}:{e['type']}",
            "source_node": e["source"],
            "target_node": e["target"],
            "edge_type": e["type"],
            "strength": e.get("strength", 1.0),
        }
        for e in result["edges"]
        if e["source"] in titles and e["target"] in titles
    ]
    return {
        "nodes": nodes,
        "edges": edges,
        "meta": {"total_nodes": len(nodes), "total_edges": len(edges), "generated_at": timezone.now()},
    }


def view_counts(node_ids: list[str]) -> dict[str, int]:
    rows = NodeView.objects.filter(node_id__in=node_ids).values("node_id").annotate(n=Count("id"))
    return {r["node_id"]: r["n"] for r in rows}


def node_exists(node_id: str) -> bool:
    kind, _, key = node_id.partition(":")
    if kind == "topic":
        return key in topic_graph().topics
    if kind == "path" and key.isdigit():
        return learning_selectors.learning_paths_list(params={}).filter(pk=int(key)).exists()
    if kind == "module" and key.isdigit():
        return learning_selectors.modules_list(params={}).filter(pk=int(key)).exists()
    return False


def node_view(*, user: User, node_id: str, interaction: str = "view", day: date | None = None) -> int:
    """Count the learner's view of a node once per UTC day; returns the node's view count."""
    day = day or timezone.now().date()
    try:
        with transaction.atomic():
            NodeView.objects.create(user=user, node_id=node_id, date=day, interaction=interaction[:20])
    except IntegrityError:
        pass  # already counted today: at most one per (learner, node, day)
    return NodeView.objects.filter(node_id=node_id).count()


def analytics(*, user: User, result: dict[str, Any]) -> dict[str, Any]:
    """`GraphAnalytics`: the graph's figures, and the caller's own path completion."""
    nodes = result["nodes"]
    paths = [n for n in nodes if n["node_type"] == "learning_path"]
    progress = [
        learning_selectors.learning_path_progress_percentage(user=user, learning_path=p)
        for p in learning_selectors.learning_paths_list(params={})
    ]
    values = [float(p or 0.0) for p in progress]
    return {
        "total_nodes": len(nodes),
        "total_edges": len(result["edges"]),
        "node_types": dict(Counter(n["node_type"] for n in nodes)),
        "edge_types": dict(Counter(e["edge_type"] for e in result["edges"])),
        "difficulty_distribution": dict(Counter(n["difficulty_level"] for n in nodes)),
        "popular_paths": [],
        "completion_statistics": {
            "completed_paths": sum(1 for v in values if v >= 100),
            "in_progress_paths": sum(1 for v in values if 0 < v < 100),
            "not_started_paths": sum(1 for v in values if v == 0),
            "average_completion_rate": round(sum(values) / len(values), 1) if values else 0.0,
        },
        "learning_paths": len(paths),
    }


def concepts(*, search: str, limit: int, offset: int) -> dict[str, Any]:
    """Topic nodes in the Graph node shape, filtered by words of the title/aliases, paginated."""
    topics = topic_graph()
    words = search.lower().split()

    def matches(slug: str) -> bool:
        text = " ".join((topics.topics[slug].title, *topics.topics[slug].aliases)).lower()
        return all(w in text for w in words)

    slugs = [s for s in topics.order if matches(s)]
    page = slugs[offset : offset + limit]
    views = view_counts([f"topic:{s}" for s in page])
    rows = []
    for slug in page:
        t = topics.topics[slug]
        rows.append(
            {
                "id": f"topic:{slug}",
                "title": t.title,
                "node_type": "concept",
                "difficulty_level": _difficulty(t.difficulty),
                "description": t.description,
                "learning_objectives": list(getattr(t, "outcomes", ()) or ()),
                "prerequisites": [topics.topics[p].title for p in t.prerequisites if p in topics.topics],
                "view_count": views.get(f"topic:{slug}", 0),
                "x_position": 0,
                "y_position": 0,
            }
        )
    return {"concepts": rows, "pagination": {"limit": limit, "offset": offset, "total": len(slugs)}}
