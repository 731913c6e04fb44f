"""Content generator, learning coordinator, progress tracker and knowledge graph through the API."""

from datetime import timedelta

import pytest
from django.utils import timezone

from common.models import Job
from learning.models import LearningPath, Module, ProgressStatus, Quiz, UserModuleProgress
from roadmaps.models import Roadmap, RoadmapStep
from tests.conftest import client_for
from tests.users.test_auth_views import assert_error_shape
from users.models import DailyActivity

pytestmark = pytest.mark.django_db

AGENT_PATHS = [
    ("post", "/api/agents/content-generator/generate/", {"topic": "python dictionaries", "difficulty": "beginner"}),
    ("post", "/api/agents/learning-coordinator/recommend/", {}),
    ("post", "/api/agents/progress-tracker/track/", {}),
    ("get", "/api/agents/knowledge-graph/", None),
    ("get", "/api/agents/knowledge-graph/relations/?concept=python", None),
]


@pytest.mark.parametrize(("method", "path", "body"), AGENT_PATHS)
def test_agent_work_needs_a_login(api_client, method, path, body):
    response = getattr(api_client, method)(path, body, format="json") if body is not None else api_client.get(path)
    assert response.status_code == 401
    assert_error_shape(response.json(), "not_authenticated")


def complete(user, module):
    UserModuleProgress.objects.update_or_create(
        user=user, module=module, defaults={"status": ProgressStatus.COMPLETED, "completed_at": timezone.now()}
    )


# --- content generator ----------------------------------------------------------------------------------------------


def test_content_generator_returns_outline_and_quiz_shaped_questions(seeded, user, auth_client):
    response = auth_client.post(
        "/api/agents/content-generator/generate/",
        {"topic": "python dictionaries", "difficulty": "intermediate", "question_count": 4}, format="json",
    )  # fmt: skip
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["outline"] and body["questions"] and len(body["questions"]) <= 4
    for question in body["questions"]:
        assert question["type"] in {"multiple_choice", "true_false", "short_answer", "fill_in_blank", "code"}
        if question["type"] == "multiple_choice":
            assert question["options"].count(question["correct_answer"]) == 1
    assert body["provider"].startswith("offline") and "draft_quiz_id" not in body
    assert Job.objects.get(pk=body["task_id"]).kind == "content_generation"
    assert not Quiz.objects.filter(is_draft=True).exists()


def test_only_staff_save_generated_questions_as_a_draft_quiz(seeded, auth_client, staff_client):
    body = {"topic": "Jac walkers", "difficulty": "beginner", "save_as_draft": True}
    assert auth_client.post("/api/agents/content-generator/generate/", body, format="json").status_code == 403
    assert not Quiz.objects.filter(is_draft=True).exists()
    saved = staff_client.post("/api/agents/content-generator/generate/", body, format="json").json()
    quiz = Quiz.objects.get(pk=saved["draft_quiz_id"])
    assert quiz.is_draft and quiz.questions.count() == len(saved["questions"])
    learner_view = auth_client.get("/api/assessment/quizzes/?limit=200").json()
    assert auth_client.get(f"/api/assessment/quizzes/{quiz.pk}/").status_code == 404
    assert quiz.pk not in [q["id"] for q in learner_view]  # drafts are not served


@pytest.mark.parametrize(
    "body",
    [{"topic": "zzqx blorfle wumpus", "difficulty": "beginner"}, {"topic": "", "difficulty": "beginner"},
     {"topic": "python", "difficulty": "expert"}, {"topic": "python", "question_count": 0},
     {"topic": "python", "module_id": 99999999}, {"topic": "a\x00b"}],
)  # fmt: skip
def test_content_generator_rejects_bad_or_unknown_topics(seeded, auth_client, body):
    response = auth_client.post("/api/agents/content-generator/generate/", body, format="json")
    assert response.status_code in (400, 404)
    assert_error_shape(response.json())


# --- learning coordinator -------------------------------------------------------------------------------------------


def test_coordinator_recommends_unlocked_modules_paths_and_roadmap_steps_with_reasons(seeded, user, auth_client):
    python = LearningPath.objects.get(slug="python-fundamentals")
    modules = list(python.modules.order_by("order_index"))
    complete(user, modules[0])
    roadmap = Roadmap.objects.create(user=user, title="Rust roadmap", concept="rust", duration_weeks=4, status="active")
    step = RoadmapStep.objects.create(roadmap=roadmap, title="Ownership", order_index=1, week=1, estimated_hours=3)
    response = auth_client.post("/api/agents/learning-coordinator/recommend/")
    assert response.status_code == 200
    body = response.json()
    completed = {modules[0].pk}
    for item in body["next_modules"]:
        module = Module.objects.get(pk=item["module_id"])
        assert module.pk not in completed and item["reason"]
        assert set(module.prerequisites.values_list("pk", flat=True)) <= completed
    assert body["next_modules"][0]["learning_path_id"] == python.pk  # the path in progress comes first
    assert body["next_paths"][0]["learning_path_id"] == python.pk and "%" in body["next_paths"][0]["reason"]
    assert body["roadmap_steps"] == [
        {"roadmap_id": roadmap.pk, "step_id": step.pk, "title": "Ownership", "week": 1,
         "reason": "Next open step (week 1) of your roadmap “Rust roadmap”."}
    ]  # fmt: skip


def test_coordinator_never_offers_a_module_with_missing_prerequisites(seeded, user, auth_client):
    body = auth_client.post("/api/agents/learning-coordinator/recommend/").json()
    for item in body["next_modules"]:
        assert not Module.objects.get(pk=item["module_id"]).prerequisites.exists()


# --- progress tracker -----------------------------------------------------------------------------------------------


def test_progress_tracker_reports_weekly_activity_pace_and_projection(seeded, user, auth_client):
    today = timezone.now().date()
    DailyActivity.objects.create(user=user, date=today, minutes=30, actions=3, modules_completed=2, points=40)
    DailyActivity.objects.create(user=user, date=today - timedelta(days=2), minutes=15, actions=1, modules_completed=0)
    DailyActivity.objects.create(user=user, date=today - timedelta(days=20), minutes=60, actions=4, modules_completed=5)
    python = LearningPath.objects.get(slug="python-fundamentals")
    first = python.modules.order_by("order_index").first()
    complete(user, first)
    response = auth_client.post("/api/agents/progress-tracker/track/", {"module_id": first.pk}, format="json")
    assert response.status_code == 200
    body = response.json()
    week = body["weekly_activity"]
    assert [d["date"] for d in week] == [(today - timedelta(days=6 - n)).isoformat() for n in range(7)]
    assert week[-1]["minutes"] == 30 and week[-1]["active"] and week[-3]["minutes"] == 15 and not week[0]["active"]
    assert week[-1]["day"] == today.strftime("%a")
    assert body["pace"]["modules_per_week"] == round(7 / 28 * 7, 2) and body["pace"]["active_days_last_28"] == 3
    path = next(p for p in body["paths"] if p["learning_path_id"] == python.pk)
    total = python.modules.count()
    assert (path["modules_completed"], path["modules_total"], path["remaining_modules"]) == (1, total, total - 1)
    days = -(-(total - 1) // (7 / 28))
    assert path["projected_completion"] == (today + timedelta(days=int(days))).isoformat()
    assert body["module"]["module_id"] == first.pk and body["module"]["status"] == "completed"
    assert body["insights"]


def test_progress_tracker_validates_module(auth_client):
    url = "/api/agents/progress-tracker/track/"
    assert auth_client.post(url, {"module_id": 99999999}, format="json").status_code == 404
    assert auth_client.post(url, {"module_id": "x"}, format="json").status_code == 400


# --- knowledge graph ------------------------------------------------------------------------------------------------


def test_knowledge_graph_has_paths_modules_topics_and_the_users_completion(seeded, user, auth_client):
    python = LearningPath.objects.get(slug="python-fundamentals")
    first = python.modules.order_by("order_index").first()
    complete(user, first)
    body = auth_client.get("/api/agents/knowledge-graph/").json()
    nodes = {n["id"]: n for n in body["nodes"]}
    assert {n["type"] for n in body["nodes"]} == {"learning_path", "module", "topic"}
    assert nodes[f"module:{first.pk}"]["data"]["completed"] is True
    assert nodes[f"path:{python.pk}"]["data"]["modules_completed"] == 1
    edge_types = {e["type"] for e in body["edges"]}
    assert edge_types == {"contains", "prerequisite", "related"}
    for edge in body["edges"]:
        assert edge["source"] in nodes and edge["target"] in nodes and 0 < edge["strength"] <= 1
    contains = {(e["source"], e["target"]) for e in body["edges"] if e["type"] == "contains"}
    assert (f"path:{python.pk}", f"module:{first.pk}") in contains
    for module in Module.objects.filter(prerequisites__isnull=False).prefetch_related("prerequisites")[:5]:
        for prereq in module.prerequisites.all():
            assert {"source": f"module:{prereq.pk}", "target": f"module:{module.pk}", "type": "prerequisite",
                    "strength": 1.0} in body["edges"]  # fmt: skip
    other = client_for(__import__("tests.factories", fromlist=["UserFactory"]).UserFactory())
    theirs = {n["id"]: n for n in other.get("/api/agents/knowledge-graph/").json()["nodes"]}
    assert theirs[f"module:{first.pk}"]["data"]["completed"] is False  # completion is per user


def test_knowledge_graph_filtered_by_topic_is_the_part_around_it(seeded, auth_client):
    full = auth_client.get("/api/agents/knowledge-graph/").json()
    part = auth_client.get("/api/agents/knowledge-graph/?topic=jac walkers").json()
    assert 0 < len(part["nodes"]) < len(full["nodes"])
    assert part["query"]["matched"]
    labels = {n["label"] for n in part["nodes"] if n["type"] == "module"}
    assert "Walkers and Traversal" in labels
    nothing = auth_client.get("/api/agents/knowledge-graph/?topic=zzqx blorfle").json()
    assert nothing["nodes"] == [] and nothing["query"]["matched"] == []


def test_relations_of_a_concept(seeded, auth_client):
    response = auth_client.get("/api/agents/knowledge-graph/relations/?concept=django")
    assert response.status_code == 200
    body = response.json()
    centre = f"topic:{body['concept']['slug']}"
    assert centre in {n["id"] for n in body["nodes"]}
    assert any(e["type"] == "prerequisite" and e["target"] == centre for e in body["edges"])
    assert auth_client.get("/api/agents/knowledge-graph/relations/?concept=zzqx blorfle").status_code == 404
    assert auth_client.get("/api/agents/knowledge-graph/relations/").status_code == 400
