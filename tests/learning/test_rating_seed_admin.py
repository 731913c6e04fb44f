import threading

import pytest
from django.core.management import call_command
from django.db import connection, connections

from learning.models import ExerciseTestCase, LearningPath, LearningPathRating, Module, Question, Quiz
from learning.services import seed_learning
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.learning.factories import LearningPathFactory, ModuleFactory, QuestionFactory, QuizFactory
from users.models import Achievement, Badge

pytestmark = pytest.mark.django_db


def test_rating_a_path_gives_a_float_mean_and_rerating_replaces(auth_client, other_client):
    path = LearningPathFactory()
    url = f"/api/learning/learning-paths/{path.pk}/rate/"
    assert auth_client.post(url, {"rating": 5}, format="json").json()["rating"] == 5.0
    body = other_client.post(url, {"rating": 2}, format="json").json()
    assert (body["rating"], body["rating_count"]) == (3.5, 2)
    body = auth_client.post(url, {"rating": 3}, format="json").json()
    assert (body["rating"], body["rating_count"]) == (2.5, 2)
    assert isinstance(body["rating"], float)


@pytest.mark.parametrize("body", [{"rating": 0}, {"rating": 6}, {"rating": "five"}, {}])
def test_bad_ratings_are_400(auth_client, body):
    path = LearningPathFactory()
    assert auth_client.post(f"/api/learning/learning-paths/{path.pk}/rate/", body, format="json").status_code == 400
    assert not LearningPathRating.objects.exists()


def test_rating_requires_auth_and_an_existing_path(api_client, auth_client):
    path = LearningPathFactory()
    assert (
        api_client.post(f"/api/learning/learning-paths/{path.pk}/rate/", {"rating": 4}, format="json").status_code
        == 401
    )
    assert auth_client.post("/api/learning/learning-paths/4242/rate", {"rating": 4}, format="json").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_concurrent_raters_give_an_exact_mean():
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent transactions (PostgreSQL); SQLite serialises writers")
    path = LearningPathFactory()
    users = [UserFactory() for _ in range(12)]
    barrier = threading.Barrier(len(users))

    def rate(user, value):
        client = client_for(user)
        barrier.wait()
        try:
            assert client.post(f"/api/learning/learning-paths/{path.pk}/rate/", {"rating": value},
                               format="json").status_code == 200  # fmt: skip
        finally:
            connections.close_all()

    values = [1 + i % 5 for i in range(len(users))]
    threads = [threading.Thread(target=rate, args=(u, v)) for u, v in zip(users, values, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    path.refresh_from_db()
    assert path.rating_count == len(users)
    assert path.rating == pytest.approx(sum(values) / len(values))


def _counts():
    return {m.__name__: m.objects.count() for m in (LearningPath, Module, ExerciseTestCase, Quiz, Question,
                                                    Achievement, Badge)}  # fmt: skip


def test_seed_loads_real_content_idempotently():
    seed_learning(lambda n: None)
    first = _counts()
    call_command("seed", "--only", "learning", "--no-progress")
    assert _counts() == first
    paths = {p.slug: p for p in LearningPath.objects.all()}
    assert {"python-fundamentals", "jac-fundamentals"} <= set(paths)
    assert len(paths) >= 3
    for path in paths.values():
        modules = list(path.modules.all())
        assert len(modules) >= 8 and path.modules_count == len(modules)
        assert path.estimated_duration == sum(m.estimated_duration for m in modules)
        exercises = [m for m in modules if m.module_type == "exercise"]
        assert len(exercises) >= 2
        for exercise in exercises:
            cases = list(exercise.test_cases.all())
            assert len(cases) >= 3 and any(c.is_hidden for c in cases)
            assert exercise.solution.strip() and exercise.language in ("python", "jac")
        assert all(len(m.content) > 500 for m in modules if m.module_type == "lesson")
        quiz = Quiz.objects.get(module__learning_path=path, purpose="assessment")
        assert quiz.questions.count() >= 6
        for q in quiz.questions.filter(type="multiple_choice"):
            assert q.correct_answer in q.options
        # Spaced review: every lesson has check questions (its own, or final-quiz questions that cover it).
        lessons = {m.pk for m in modules if m.module_type == "lesson"}
        checked = set(Question.objects.filter(module__learning_path=path).values_list("module_id", flat=True))
        assert lessons <= checked


def test_seed_curl_flow_lists_the_seeded_paths(user):
    seed_learning(lambda n: None)
    resp = client_for(user).get("/api/learning/learning-paths/")
    assert resp.status_code == 200
    body = resp.json()
    assert isinstance(body, list)
    assert {p["title"] for p in body} >= {"Python Fundamentals", "Jac Programming Fundamentals"}
    assert all(isinstance(p["rating"], float) for p in body)


def test_seeded_quiz_can_be_passed_with_its_own_answers(user):
    seed_learning(lambda n: None)
    quiz = Quiz.objects.get(slug="python-fundamentals-quiz")
    answers = {}
    for q in quiz.questions.all():
        answers[str(q.pk)] = (
            q.correct_answer[0]
            if isinstance(q.correct_answer, list) and q.type != "multiple_choice"
            else q.correct_answer
        )
    resp = client_for(user).post("/api/assessment/attempts/", {"quiz": quiz.pk, "answers": answers}, format="json")
    assert resp.status_code == 201
    assert resp.json()["percentage"] == 100.0


def test_admin_pages_render_for_staff(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    path = LearningPathFactory()
    module = ModuleFactory(learning_path=path)
    quiz = QuizFactory(module=module)
    QuestionFactory(quiz=quiz)
    for url in ["/admin/learning/learningpath/", f"/admin/learning/learningpath/{path.pk}/change/",
                "/admin/learning/module/?q=Module", f"/admin/learning/module/{module.pk}/change/",
                "/admin/learning/quiz/", f"/admin/learning/quiz/{quiz.pk}/change/", "/admin/users/user/",
                f"/admin/users/user/{admin.pk}/change/", "/admin/learning/usermoduleprogress/",
                "/admin/learning/quizattempt/", "/admin/learning/pointaward/"]:  # fmt: skip
        assert client.get(url).status_code == 200, url
