"""GET /api/agents/knowledge-graph/graph.svg: the knowledge graph the JSON endpoint returns, drawn (SVG) or as
Mermaid text; same permission (signed in) and same `topic` query."""

import re
import time

import pytest
from django.utils import timezone

from learning.models import ProgressStatus, UserModuleProgress
from roadmaps.topics import graph as topic_graph
from tests.conftest import client_for
from tests.learning.factories import LearningPathFactory, ModuleFactory
from tests.pictures_helpers import HOSTILE, SVG_NS, assert_escaped, parse_svg, texts

pytestmark = pytest.mark.django_db
URL = "/api/agents/knowledge-graph/graph.svg"


def _nodes(root):
    return [g for g in root.iter(f"{SVG_NS}g") if "node" in g.get("class", "").split()]


def _catalogue(paths: int, modules: int):
    titles = sorted(t.title for t in topic_graph().topics.values())
    made = []
    for p in range(paths):
        path = LearningPathFactory(title=f"Path {p}")
        previous = None
        for m in range(modules):
            module = ModuleFactory(learning_path=path, title=titles[(p * modules + m) % len(titles)], order_index=m + 1,
                                   prerequisites=[previous] if previous else None)  # fmt: skip
            made.append(module)
            previous = module
    return made


def test_empty_catalogue_draws_an_empty_picture(user):
    response = client_for(user).get(URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    root = parse_svg(response.content)
    assert _nodes(root) == []
    assert "Knowledge graph" in texts(root)


def test_small_graph_matches_the_json_and_marks_completed_modules(user):
    modules = _catalogue(1, 3)
    UserModuleProgress.objects.create(
        user=user, module=modules[0], status=ProgressStatus.COMPLETED, completed_at=timezone.now()
    )
    client = client_for(user)
    data = client.get("/api/agents/knowledge-graph/").json()
    root = parse_svg(client.get(URL).content)
    drawn = {g.get("data-id"): "done" in g.get("class").split() for g in _nodes(root)}
    assert set(drawn) == {n["id"] for n in data["nodes"]}
    assert drawn == {n["id"]: bool(n["data"].get("completed")) for n in data["nodes"]}
    assert len([p for p in root.iter(f"{SVG_NS}path") if p.get("class") == "edge"]) == len(data["edges"])
    mermaid = client.get(URL + "?format=mermaid").content.decode()
    assert len(re.findall(r"^    n_\S+ (?:-->|-\.->|-\.-)\|\w+\| n_\S+$", mermaid, re.M)) == len(data["edges"])


def test_topic_query_is_the_jsons(user):
    _catalogue(1, 4)
    client = client_for(user)
    data = client.get("/api/agents/knowledge-graph/?topic=python").json()
    root = parse_svg(client.get(URL + "?topic=python").content)
    assert {g.get("data-id") for g in _nodes(root)} == {n["id"] for n in data["nodes"]}
    assert "Knowledge graph around “python”" in texts(root)
    assert client.get(URL + "?topic=" + "x" * 201).status_code == 400  # the JSON's own limit


def test_two_hundred_node_graph_is_deterministic_readable_and_quick(user):
    _catalogue(4, 45)
    client = client_for(user)
    data = client.get("/api/agents/knowledge-graph/").json()
    assert len(data["nodes"]) >= 200
    started = time.perf_counter()
    first = client.get(URL)
    elapsed = time.perf_counter() - started
    assert first.content == client.get(URL).content
    root = parse_svg(first.content)
    nodes = _nodes(root)
    assert len(nodes) == len(data["nodes"])
    boxes = {(g.find(f"{SVG_NS}rect").get("x"), g.find(f"{SVG_NS}rect").get("y")) for g in nodes}
    assert len(boxes) == len(nodes)  # no two nodes drawn on top of each other
    assert float(root.get("height")) <= 25 * 42 + 200  # tall columns wrap instead of running off
    assert elapsed < 3.0, elapsed


def test_hostile_labels_are_escaped(user):
    path = LearningPathFactory(title=HOSTILE)
    ModuleFactory(learning_path=path, title=HOSTILE)
    client = client_for(user)
    assert_escaped(client.get(URL).content)
    text = client.get(URL + "?format=mermaid").content.decode()
    assert "<script>" not in text and '"quoted"' not in text


def test_signed_in_only_like_the_json(api_client):
    response = api_client.get(URL)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert api_client.get("/api/agents/knowledge-graph/").status_code == 401
