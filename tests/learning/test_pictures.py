"""A learning path's module/prerequisite graph (GET /api/learning/learning-paths/{id}/graph.svg, public like the
path) and the learner's progress chart (GET /api/learning/progress/chart.svg, own data only)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from learning.models import ProgressStatus, UserModuleProgress
from tests.conftest import client_for
from tests.learning.factories import LearningPathFactory, ModuleFactory
from tests.pictures_helpers import HOSTILE, SVG_NS, assert_escaped, parse_svg, texts
from users.models import DailyActivity

pytestmark = pytest.mark.django_db
CHART = "/api/learning/progress/chart.svg"


def _path_url(path, suffix=""):
    return f"/api/learning/learning-paths/{path.pk}/graph.svg{suffix}"


def _nodes(root):
    return [g for g in root.iter(f"{SVG_NS}g") if "node" in g.get("class", "").split()]


def _path(modules: int, title: str = "Python basics"):
    path = LearningPathFactory(title=title, is_published=True)
    made = []
    for i in range(modules):
        prerequisites = [made[i - 1]] if i else None
        if i >= 2 and i % 2 == 0:
            prerequisites.append(made[i - 2])
        made.append(ModuleFactory(learning_path=path, order_index=i + 1, prerequisites=prerequisites,
                                  module_type=["lesson", "exercise", "assessment"][i % 3]))  # fmt: skip
    return path, made


def test_path_graph_for_anonymous_and_learner(api_client, user):
    path, modules = _path(5)
    UserModuleProgress.objects.create(
        user=user, module=modules[0], status=ProgressStatus.COMPLETED, completed_at=timezone.now()
    )
    anonymous = parse_svg(api_client.get(_path_url(path)).content)
    assert len(_nodes(anonymous)) == 5 and not any("done" in g.get("class") for g in _nodes(anonymous))
    mine = parse_svg(client_for(user).get(_path_url(path)).content)
    assert [g.get("data-id") for g in _nodes(mine) if "done" in g.get("class").split()] == [f"module:{modules[0].pk}"]
    assert len([p for p in mine.iter(f"{SVG_NS}path") if p.get("class") == "edge"]) == 4 + 2  # the chain, 1→3 and 3→5
    mermaid = client_for(user).get(_path_url(path, "?format=mermaid"))
    assert mermaid["Content-Type"] == "text/plain; charset=utf-8"
    assert mermaid.content.decode().count(" -->|prerequisite| ") == 6


def test_path_graph_empty_large_deterministic(api_client):
    empty, _ = _path(0)
    assert "No modules yet." in texts(parse_svg(api_client.get(_path_url(empty)).content))
    large, _ = _path(60)
    first = api_client.get(_path_url(large)).content
    assert first == api_client.get(_path_url(large)).content
    assert len(_nodes(parse_svg(first))) == 60


def test_path_graph_escapes_and_follows_the_jsons_404(api_client):
    path, _ = _path(1, title=HOSTILE)
    ModuleFactory(learning_path=path, title=HOSTILE, order_index=9)
    assert_escaped(api_client.get(_path_url(path)).content)
    hidden = LearningPathFactory(is_published=False)
    for url in (_path_url(hidden), f"/api/learning/learning-paths/{hidden.pk}/"):
        response = api_client.get(url)
        assert response.status_code == 404 and response["Content-Type"].startswith("application/json")


def test_progress_chart_empty_small_and_own_only(api_client, user, other_user):
    assert api_client.get(CHART).status_code == 401
    empty = client_for(user).get(CHART)
    assert empty.status_code == 200 and empty["Content-Type"] == "image/svg+xml"
    root = parse_svg(empty.content)
    assert [e for e in root.iter() if e.get("class") == "bar"] == []
    today = timezone.now().date()
    DailyActivity.objects.create(user=user, date=today, minutes=45, actions=3, modules_completed=2)
    DailyActivity.objects.create(user=user, date=today - timedelta(days=27), minutes=30, actions=1)
    DailyActivity.objects.create(user=user, date=today - timedelta(days=28), minutes=99, actions=1)  # outside
    DailyActivity.objects.create(user=other_user, date=today, minutes=500, actions=1)  # someone else's
    content = client_for(user).get(CHART).content
    root = parse_svg(content)
    bars = [e for e in root.iter() if e.get("class") == "bar"]
    tips = sorted("".join(b.itertext()) for b in bars)
    assert tips == sorted(
        [f"{today.strftime('%d %b')}: minutes 45", f"{(today - timedelta(days=27)).strftime('%d %b')}: minutes 30"]
    )
    assert "75 minutes and 2 modules completed in 28 days" in content.decode()
    assert content == client_for(user).get(CHART).content


def test_progress_chart_shows_mastery_per_path(user):
    from learning.models import ReviewItem
    from tests.learning.factories import QuestionFactory

    _, modules = _path(1, title=HOSTILE)
    question = QuestionFactory(quiz__module=modules[0])
    now = timezone.now()
    ReviewItem.objects.create(user=user, question=question, module=modules[0], stability=10.0, difficulty=5.0,
                              last_review=now - timedelta(days=1), due=now + timedelta(days=5), state=2)  # fmt: skip
    content = client_for(user).get(CHART).content
    assert_escaped(content)
    root = parse_svg(content)
    mastery = next(e for e in root.iter(f"{SVG_NS}svg") if e.get("data-chart") == "mastery")
    assert any("learned" in t for t in texts(mastery))
