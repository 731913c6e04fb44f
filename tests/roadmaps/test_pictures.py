"""GET /api/roadmaps/{id}/graph.svg: the roadmap as a week-by-week timeline (SVG) or Mermaid text, drawn from the
same selector as the JSON, with the JSON's permissions."""

import itertools

import pytest

from roadmaps.models import Roadmap, RoadmapStatus, RoadmapStep, StepResource, StepStatus
from tests.conftest import client_for
from tests.pictures_helpers import HOSTILE, SVG_NS, assert_escaped, parse_svg, texts
from tests.resources.factories import ResourceFactory

pytestmark = pytest.mark.django_db


def _roadmap(user, steps: int, title: str = "Python roadmap", weeks: int = 12) -> Roadmap:
    roadmap = Roadmap.objects.create(user=user, title=title, concept="python", duration_weeks=weeks,
                                     status=RoadmapStatus.ACTIVE)  # fmt: skip
    made: list[RoadmapStep] = []
    for i in range(steps):
        prerequisites = [made[i - 1].pk] if i else []
        if i >= 3 and i % 3 == 0:
            prerequisites.append(made[i - 3].pk)
        made.append(
            RoadmapStep.objects.create(
                roadmap=roadmap, title=f"Step {i + 1}: topic number {i + 1}", order_index=i + 1,
                week=1 + i * weeks // max(steps, 1), estimated_hours=2, prerequisites=prerequisites,
                is_project=i == steps - 1, status=StepStatus.COMPLETED if i < steps // 4 else StepStatus.PENDING,
            )
        )  # fmt: skip
    return roadmap


def _url(roadmap: Roadmap, suffix: str = "") -> str:
    return f"/api/roadmaps/{roadmap.pk}/graph.svg{suffix}"


def test_small_roadmap_is_a_timeline_with_arrows_marks_and_resources(user):
    roadmap = _roadmap(user, 4, weeks=4)
    step = roadmap.steps.order_by("order_index").first()
    resource = ResourceFactory(title="Fluent Python", url="https://example.com/fluent")
    StepResource.objects.create(step=step, resource=resource)
    response = client_for(user).get(_url(roadmap))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    root = parse_svg(response.content)
    nodes = [g for g in root.iter(f"{SVG_NS}g") if "node" in g.get("class", "").split()]
    assert len(nodes) == 4
    assert sum("done" in g.get("class", "").split() for g in nodes) == 1
    edges = [p for p in root.iter(f"{SVG_NS}path") if p.get("class") == "edge"]
    assert len(edges) == 4  # 1→2, 2→3, 3→4 and 1→4
    labels = texts(root)
    assert {"Week 1", "Week 2", "Week 3", "Week 4"} <= set(labels)
    assert any("Resource: Fluent Python — https://example.com/fluent" in t for t in labels)  # hover text
    # Week columns run left to right: every arrow goes from a node to one further right.
    x_of = {g.get("data-id"): float(g.find(f"{SVG_NS}rect").get("x")) for g in nodes}
    assert x_of[f"step:{step.pk}"] < max(x_of.values())


def test_empty_roadmap_still_draws(user):
    roadmap = _roadmap(user, 0)
    response = client_for(user).get(_url(roadmap))
    assert response.status_code == 200
    root = parse_svg(response.content)
    assert "No steps yet: this roadmap is active." in texts(root)


def test_forty_step_roadmap_is_readable_and_deterministic(user):
    roadmap = _roadmap(user, 40, weeks=12)
    client = client_for(user)
    first = client.get(_url(roadmap))
    second = client.get(_url(roadmap))
    assert first.status_code == 200
    assert first.content == second.content  # same roadmap → same bytes
    root = parse_svg(first.content)
    nodes = [g for g in root.iter(f"{SVG_NS}g") if "node" in g.get("class", "").split()]
    assert len(nodes) == 40
    # Readable: no two step boxes overlap, labels at 12 px, the picture no wider than 12 week columns need.
    boxes = sorted((float(r.get("x")), float(r.get("y"))) for r in (g.find(f"{SVG_NS}rect") for g in nodes))
    assert len(set(boxes)) == 40
    for (x1, y1), (x2, y2) in itertools.pairwise(boxes):
        assert x1 != x2 or y2 - y1 >= 30
    assert float(root.get("width")) <= 12 * 256 + 40
    assert all(g.find(f"{SVG_NS}text").get("font-size") == "12" for g in nodes)


def test_hostile_titles_are_escaped_in_svg_and_mermaid(user):
    roadmap = _roadmap(user, 2, title=HOSTILE)
    RoadmapStep.objects.filter(roadmap=roadmap, order_index=1).update(title=HOSTILE, description=HOSTILE)
    client = client_for(user)
    response = client.get(_url(roadmap))
    assert_escaped(response.content)
    mermaid = client.get(_url(roadmap, "?format=mermaid"))
    assert mermaid.status_code == 200
    assert mermaid["Content-Type"] == "text/plain; charset=utf-8"
    text = mermaid.content.decode()
    assert text.splitlines()[3] == "flowchart LR"
    assert "<script>" not in text and '"quoted"' not in text
    assert "#lt;script#gt;alert(#39;x#39;)" not in text  # single quotes are harmless inside double-quoted labels
    assert "#lt;script#gt;alert('x')#lt;/script#gt; #38; #quot;quoted#quot; 'single'" in text


def test_mermaid_lists_every_step_and_prerequisite_grouped_by_week(user):
    roadmap = _roadmap(user, 4, weeks=2)
    text = client_for(user).get(_url(roadmap, "?format=mermaid")).content.decode()
    assert text.count("subgraph c") == 2
    assert text.count(" -->|prerequisite| ") == 4
    assert "class " in text and "✓ Step 1" in text


@pytest.mark.parametrize("fmt", ["png", "", "SVG"])
def test_unknown_format_is_a_400_in_the_error_shape(user, fmt):
    roadmap = _roadmap(user, 1)
    response = client_for(user).get(_url(roadmap, f"?format={fmt}"))
    if fmt == "":  # API.md: an empty optional value is absent → the default, SVG
        assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
        return
    assert response.status_code == 400
    body = response.json()
    assert body["errors"][0]["attr"] == "format" and body["detail"]


def test_permissions_are_the_jsons(user, other_user, staff, api_client):
    roadmap = _roadmap(user, 3)
    assert api_client.get(_url(roadmap)).status_code == 401
    response = client_for(other_user).get(_url(roadmap))
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["errors"][0]["code"] == "not_found"
    assert client_for(other_user).get(f"/api/roadmaps/{roadmap.pk}/").status_code == 404  # the JSON agrees
    assert client_for(staff).get(_url(roadmap)).status_code == 200  # staff read everyone's, as in the JSON
    assert client_for(user).get(f"/api/roadmaps/{roadmap.pk + 1000}/graph.svg/").status_code == 404


def test_an_svg_accept_header_still_gets_json_errors(other_user, user):
    roadmap = _roadmap(user, 1)
    response = client_for(other_user).get(_url(roadmap), HTTP_ACCEPT="image/svg+xml")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    ok = client_for(user).get(_url(roadmap), HTTP_ACCEPT="image/svg+xml")
    assert ok.status_code == 200 and ok["Content-Type"] == "image/svg+xml"
