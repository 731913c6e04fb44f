import threading

import pytest
from django.db import connection, connections

from learning.models import PointAward, QuizAttempt, UserModuleProgress
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.learning.factories import ModuleFactory, QuestionFactory, QuizFactory
from tests.users.test_auth_views import assert_error_shape
from users.models import UserAchievement, UserBadge

pytestmark = pytest.mark.django_db

ATTEMPT_KEYS = {"id", "quiz", "user", "answers", "score", "max_score", "percentage", "passed", "time_taken",
                "attempt_number", "started_at", "completed_at", "detailed_results"}  # fmt: skip


@pytest.fixture
def quiz():
    quiz = QuizFactory(max_attempts=2, passing_score=60)
    QuestionFactory(quiz=quiz, type="multiple_choice", options=["list", "dict", "set", "tuple"],
                    correct_answer="dict", points=2, explanation="Mappings are dicts.")  # fmt: skip
    QuestionFactory(quiz=quiz, type="true_false", options=["True", "False"], correct_answer="False")
    QuestionFactory(quiz=quiz, type="short_answer", options=[], correct_answer=["len", "len()"])
    QuestionFactory(quiz=quiz, type="code_completion", options=[], correct_answer=["for x in items:"])
    return quiz


def _ids(quiz):
    return [str(q.pk) for q in quiz.questions.order_by("order_index")]


def test_quizzes_are_served_without_answers(api_client, quiz):
    resp = api_client.get("/api/assessment/quizzes/")
    assert resp.status_code == 200
    body = resp.json()
    assert [q["id"] for q in body] == [quiz.pk]
    question = body[0]["questions"][0]
    assert set(question) == {"id", "type", "question", "options", "points"}
    assert b"Mappings are dicts" not in resp.content and b"correct_answer" not in resp.content
    detail = api_client.get(f"/api/assessment/quizzes/{quiz.pk}").json()
    assert detail["max_attempts"] == 2 and len(detail["questions"]) == 4


def test_quiz_filter_by_module(api_client):
    module = ModuleFactory(module_type="assessment")
    mine = QuizFactory(module=module)
    QuizFactory()
    assert [q["id"] for q in api_client.get(f"/api/assessment/quizzes/?module={module.pk}").json()] == [mine.pk]
    assert api_client.get("/api/assessment/quizzes/?module=x").status_code == 400


def test_draft_quizzes_are_hidden(api_client):
    draft = QuizFactory(is_draft=True)
    assert api_client.get("/api/assessment/quizzes/").json() == []
    assert api_client.get(f"/api/assessment/quizzes/{draft.pk}/").status_code == 404


def test_attempt_is_scored_on_the_server_for_each_type(auth_client, user, quiz):
    mc, tf, short, code = _ids(quiz)
    answers = {mc: "Dict", tf: False, short: "  LEN() ", code: "for x in items :"}
    resp = auth_client.post(
        "/api/assessment/attempts/", {"quiz": quiz.pk, "answers": answers, "time_taken": 95}, format="json"
    )
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert set(body) == ATTEMPT_KEYS
    assert (body["score"], body["max_score"], body["percentage"], body["passed"]) == (5.0, 5.0, 100.0, True)
    assert body["attempt_number"] == 1 and body["user"] == str(user.pk)
    results = {r["question_id"]: r for r in body["detailed_results"]}
    assert results[int(mc)] == {"question_id": int(mc), "user_answer": "Dict", "correct_answer": "dict",
                                "is_correct": True, "points": 2, "explanation": "Mappings are dicts."}  # fmt: skip
    assert all(r["is_correct"] for r in body["detailed_results"])


@pytest.mark.parametrize(
    ("index", "answer", "correct"),
    [
        (0, 1, True),  # option index
        (0, "list", False),
        (0, ["dict", "set"], False),
        (1, "false", True),
        (1, "True", False),
        (1, "maybe", False),
        (2, "length", False),
        (2, ["len"], False),
        (3, "for  x  in  items:", True),
        (3, "for y in items:", False),
        (3, None, False),
    ],
)
def test_each_answer_rule(auth_client, quiz, index, answer, correct):
    qid = _ids(quiz)[index]
    resp = auth_client.post("/api/assessment/attempts/", {"quiz": quiz.pk, "answers": {qid: answer}}, format="json")
    assert resp.status_code == 201
    result = next(r for r in resp.json()["detailed_results"] if r["question_id"] == int(qid))
    assert result["is_correct"] is correct


def test_multi_select_multiple_choice_needs_exactly_the_right_set(auth_client):
    quiz = QuizFactory()
    q = QuestionFactory(quiz=quiz, options=["a", "b", "c"], correct_answer=["a", "c"])
    right = auth_client.post("/api/assessment/attempts/", {"quiz": quiz.pk, "answers": {str(q.pk): ["c", "a"]}},
                             format="json").json()  # fmt: skip
    assert right["passed"] is True


def test_max_attempts_is_enforced(auth_client, user, quiz):
    for _ in range(2):
        assert (
            auth_client.post("/api/assessment/attempts/", {"quiz": quiz.pk, "answers": {}}, format="json").status_code
            == 201
        )
    resp = auth_client.post("/api/assessment/attempts/", {"quiz": quiz.pk, "answers": {}}, format="json")
    assert resp.status_code == 409
    assert_error_shape(resp.json(), "max_attempts_reached")
    assert QuizAttempt.objects.filter(user=user).count() == 2


@pytest.mark.django_db(transaction=True)
def test_max_attempts_holds_under_concurrent_submissions(quiz):
    """Eight simultaneous attempts on a quiz allowing two: exactly two are stored (numbers 1 and 2), the other six are
    409 max_attempts_reached, none is a 5xx."""
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent transactions (PostgreSQL); SQLite serialises writers")
    user = UserFactory()
    barrier = threading.Barrier(8)
    answers: list[tuple[int, str | None]] = []

    def submit() -> None:
        client = client_for(user)
        barrier.wait()
        try:
            resp = client.post("/api/assessment/attempts/", {"quiz": quiz.pk, "answers": {}}, format="json")
            code = resp.json()["errors"][0]["code"] if resp.status_code >= 400 else None
            answers.append((resp.status_code, code))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers, key=lambda a: a[0]) == [(201, None)] * 2 + [(409, "max_attempts_reached")] * 6
    attempts = QuizAttempt.objects.filter(user=user, quiz=quiz).order_by("attempt_number")
    assert [a.attempt_number for a in attempts] == [1, 2]


def test_failed_attempt_awards_nothing_and_pass_awards_once(auth_client, user, quiz):
    mc, tf, short, code = _ids(quiz)
    failed = auth_client.post("/api/assessment/attempts/", {"quiz": quiz.pk, "answers": {tf: True}}, format="json")
    assert failed.json()["passed"] is False and failed.json()["percentage"] == 0.0
    assert not PointAward.objects.filter(kind="quiz_passed").exists()
    good = {mc: "dict", tf: "False", short: "len", code: "for x in items:"}
    auth_client.post("/api/assessment/attempts/", {"quiz": quiz.pk, "answers": good}, format="json")
    assert PointAward.objects.filter(user=user, kind="quiz_passed", object_id=quiz.pk).count() == 1
    codes = set(UserAchievement.objects.filter(user=user).values_list("achievement__code", flat=True))
    assert {"perfect-quiz", "first-quiz-passed"} <= codes
    assert UserBadge.objects.filter(user=user, badge__code="quiz-master").exists()


def test_passing_the_quiz_of_an_assessment_module_completes_it(auth_client, user):
    module = ModuleFactory(module_type="assessment")
    quiz = QuizFactory(module=module)
    q = QuestionFactory(quiz=quiz)
    auth_client.post("/api/assessment/attempts/", {"quiz": quiz.pk, "answers": {str(q.pk): "b"}}, format="json")
    progress = UserModuleProgress.objects.get(user=user, module=module)
    assert progress.status == "completed" and progress.score == 100.0


@pytest.mark.parametrize(
    "body",
    [
        {"answers": {}},
        {"quiz": "abc", "answers": {}},
        {"quiz": 1, "answers": []},
        {"quiz": 1, "answers": {"not-an-id": "x"}},
        {"quiz": 1, "answers": {"1": {"nested": "object"}}},
        {"quiz": 1, "answers": {"1": "x" * 2001}},
        {"quiz": 1, "answers": {"1": "nul\u0000byte"}},
        {"quiz": 1, "answers": {}, "time_taken": -1},
    ],
)
def test_bad_attempts_are_400(auth_client, quiz, body):
    if "quiz" in body and body["quiz"] == 1:
        body = {**body, "quiz": quiz.pk}
    resp = auth_client.post("/api/assessment/attempts/", body, format="json")
    assert resp.status_code == 400
    assert not QuizAttempt.objects.exists()


def test_attempt_on_unknown_quiz_is_404(auth_client):
    assert (
        auth_client.post("/api/assessment/attempts/", {"quiz": 99999, "answers": {}}, format="json").status_code == 404
    )


def test_attempts_are_private(api_client, auth_client, other_client, staff_client, quiz):
    attempt_id = auth_client.post("/api/assessment/attempts/", {"quiz": quiz.pk, "answers": {}}, format="json").json()[
        "id"
    ]
    assert api_client.get("/api/assessment/attempts/").status_code == 401
    assert (
        api_client.post("/api/assessment/attempts/", {"quiz": quiz.pk, "answers": {}}, format="json").status_code == 401
    )
    assert [a["id"] for a in auth_client.get("/api/assessment/attempts/").json()] == [attempt_id]
    assert other_client.get("/api/assessment/attempts/").json() == []
    assert other_client.get(f"/api/assessment/attempts/{attempt_id}/").status_code == 404
    assert auth_client.get(f"/api/assessment/attempts/{attempt_id}/").status_code == 200
    assert staff_client.get(f"/api/assessment/attempts/{attempt_id}/").status_code == 200
    assert [a["id"] for a in auth_client.get(f"/api/assessment/attempts/?quiz={quiz.pk}").json()] == [attempt_id]


def test_history_lists_progress_and_attempts_newest_first(auth_client, user, quiz):
    module = ModuleFactory(title="Loops")
    auth_client.patch(f"/api/learning/user-module-progress/?module={module.pk}", {"status": "in_progress"},
                      format="json")  # fmt: skip
    auth_client.post("/api/assessment/attempts/", {"quiz": quiz.pk, "answers": {}}, format="json")
    resp = auth_client.get(f"/api/users/{user.pk}/history/")
    assert resp.status_code == 200
    body = resp.json()
    assert [(i["kind"], i["title"], i["status"]) for i in body] == [
        ("quiz_attempt", quiz.title, "failed"),
        ("module_progress", "Loops", "in_progress"),
    ]
    assert resp["X-Total-Count"] == "2"
    page = auth_client.get(f"/api/users/{user.pk}/history/?limit=1&offset=1").json()
    assert [i["kind"] for i in page] == ["module_progress"]
