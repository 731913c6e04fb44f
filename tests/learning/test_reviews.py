"""Spaced review (FSRS) through the API: items start when a learner meets a question, answers move the schedule,
recall decays with time, points once per item per day, and nothing leaks answers or other learners' items."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection, connections

from learning import services
from learning.models import AwardKind, PointAward, ReviewItem, ReviewLog, ReviewRating
from learning.review import scheduler
from learning.review.services import review_award_id
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.learning.factories import LearningPathFactory, ModuleFactory, QuestionFactory, QuizFactory
from tests.users.test_auth_views import assert_error_shape

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DUE_KEYS = {"id", "question", "module", "topic", "due", "last_review", "state", "reps", "lapses",
            "recall_probability"}  # fmt: skip


@pytest.fixture(autouse=True)
def no_fuzz(settings):
    settings.REVIEW_ENABLE_FUZZING = False
    scheduler.scheduler.cache_clear()
    yield
    scheduler.scheduler.cache_clear()


@pytest.fixture
def lesson():
    path = LearningPathFactory(title="Python Fundamentals")
    module = ModuleFactory(learning_path=path, title="Lists and Tuples", module_type="lesson")
    checks = QuizFactory(slug="lists-checks", module=module, purpose="review")
    QuestionFactory(quiz=checks, module=module, type="multiple_choice", options=["list", "tuple"],
                    correct_answer="tuple", explanation="Tuples are immutable.")  # fmt: skip
    QuestionFactory(quiz=checks, module=module, type="true_false", options=["True", "False"],
                    correct_answer="True", explanation="Lists are mutable.")  # fmt: skip
    return module


def _complete(user, module):
    services.progress_update(user=user, module=module, status="completed", enforce_prerequisites=False)


def _due(client, **params):
    resp = client.get("/api/learning/reviews/due/", params)
    assert resp.status_code == 200, resp.content
    return resp


def test_completing_a_module_starts_its_check_questions_due_now_without_answers(user, auth_client, lesson):
    with time_machine.travel(START, tick=False):
        _complete(user, lesson)
        resp = _due(client_for(user))
    body = resp.json()
    assert resp["X-Total-Count"] == "2"
    assert [set(item) for item in body] == [DUE_KEYS, DUE_KEYS]
    assert body[0]["module"] == {"id": lesson.pk, "title": "Lists and Tuples"}
    assert body[0]["topic"] == {"id": lesson.learning_path_id, "title": "Python Fundamentals"}
    assert body[0]["recall_probability"] == 0.0 and body[0]["state"] == "learning"
    assert set(body[0]["question"]) == {"id", "type", "question", "options"}
    assert b"immutable" not in resp.content and b"correct_answer" not in resp.content
    assert b'"tuple"' not in resp.content.replace(b'"options":["list","tuple"]', b"")


def test_check_quizzes_are_not_served_as_quizzes(auth_client, lesson):
    assert auth_client.get("/api/assessment/quizzes/").json() == []


def test_a_correct_answer_moves_the_due_date_later_and_a_wrong_one_back_to_learning_steps(user, auth_client, lesson):
    with time_machine.travel(START, tick=False):
        _complete(user, lesson)
        first, second = ReviewItem.objects.filter(user=user).order_by("id")
        right = client_for(user).post(f"/api/learning/reviews/{first.pk}/", {"answer": "tuple", "time_taken": 8},
                                 format="json")  # fmt: skip
        wrong = client_for(user).post(f"/api/learning/reviews/{second.pk}/", {"answer": "False", "time_taken": 8},
                                 format="json")  # fmt: skip
    assert right.status_code == 200 and wrong.status_code == 200
    r, w = right.json(), wrong.json()
    assert (r["correct"], r["rating"], r["rating_label"]) == (True, ReviewRating.GOOD, "good")
    assert (w["correct"], w["rating"], w["rating_label"]) == (False, ReviewRating.AGAIN, "again")
    assert r["explanation"] == "Tuples are immutable." and r["correct_answer"] == "tuple"
    # Good on a new card: the second learning step (10 min); Again: back to the first step (1 min).
    assert datetime.fromisoformat(r["due"]) == START + timedelta(minutes=10)
    assert datetime.fromisoformat(w["due"]) == START + timedelta(minutes=1)
    # Good again after 10 minutes graduates the item to days.
    with time_machine.travel(START + timedelta(minutes=10), tick=False):
        later = client_for(user).post(f"/api/learning/reviews/{first.pk}/", {"answer": "tuple"}, format="json").json()
    assert later["state"] == "review"
    assert datetime.fromisoformat(later["due"]) >= START + timedelta(days=1)
    assert ReviewLog.objects.filter(item=first).count() == 2


def test_recall_probability_decays_with_time(user, auth_client, lesson):
    with time_machine.travel(START, tick=False):
        _complete(user, lesson)
        item = ReviewItem.objects.filter(user=user).first()
        client_for(user).post(f"/api/learning/reviews/{item.pk}/", {"answer": "tuple"}, format="json")
    with time_machine.travel(START + timedelta(minutes=10), tick=False):
        client_for(user).post(f"/api/learning/reviews/{item.pk}/", {"answer": "tuple"}, format="json")
    recalls = []
    for days in (1, 3, 10, 30):
        with time_machine.travel(START + timedelta(days=days), tick=False):
            mastery = client_for(user).get("/api/learning/mastery/").json()
            recalls.append(mastery["modules"][0]["mastery"])
    assert recalls == sorted(recalls, reverse=True) and recalls[0] > recalls[-1]
    assert 0 < recalls[-1] < recalls[0] <= 1
    # once due, the item is listed with its current recall probability
    with time_machine.travel(START + timedelta(days=30), tick=False):
        due = _due(client_for(user)).json()
    listed = next(row for row in due if row["id"] == item.pk)
    assert listed["recall_probability"] == pytest.approx(recalls[-1], abs=1e-3)


def test_due_list_is_most_overdue_first(user, auth_client, lesson):
    with time_machine.travel(START, tick=False):
        _complete(user, lesson)
    first, second = ReviewItem.objects.filter(user=user).order_by("id")
    ReviewItem.objects.filter(pk=second.pk).update(due=START - timedelta(days=3))
    ReviewItem.objects.filter(pk=first.pk).update(due=START - timedelta(days=1))
    with time_machine.travel(START, tick=False):
        assert [row["id"] for row in _due(client_for(user)).json()] == [second.pk, first.pk]
        assert [row["id"] for row in _due(client_for(user), limit=1, offset=1).json()] == [first.pk]
    with time_machine.travel(START - timedelta(days=2), tick=False):
        assert [row["id"] for row in _due(client_for(user)).json()] == [second.pk]


def test_another_learners_item_is_a_404_and_nothing_changes(user, lesson, other_client):
    _complete(user, lesson)
    item = ReviewItem.objects.filter(user=user).first()
    resp = other_client.post(f"/api/learning/reviews/{item.pk}/", {"answer": "tuple"}, format="json")
    assert resp.status_code == 404
    assert_error_shape(resp.json())
    assert not ReviewLog.objects.exists()
    assert other_client.get("/api/learning/reviews/due/").json() == []


def test_reviews_need_authentication(api_client, user, lesson):
    _complete(user, lesson)
    item = ReviewItem.objects.filter(user=user).first()
    assert api_client.get("/api/learning/reviews/due/").status_code == 401
    assert api_client.post(f"/api/learning/reviews/{item.pk}/", {"answer": "x"}, format="json").status_code == 401
    assert api_client.get("/api/learning/mastery/").status_code == 401


@pytest.mark.parametrize(
    "body",
    [{}, {"answer": {"a": 1}}, {"answer": "x" * 3000}, {"answer": "tuple", "time_taken": -1},
     {"answer": "tuple", "time_taken": "soon"}],
)  # fmt: skip
def test_bad_answers_are_400_and_change_nothing(user, auth_client, lesson, body):
    _complete(user, lesson)
    item = ReviewItem.objects.filter(user=user).first()
    before = (item.due, item.reps)
    resp = auth_client.post(f"/api/learning/reviews/{item.pk}/", body, format="json")
    assert resp.status_code == 400
    assert_error_shape(resp.json())
    item.refresh_from_db()
    assert (item.due, item.reps) == before and not ReviewLog.objects.exists()


def test_points_once_per_item_per_day_and_the_streak_counts_a_review_day(user, auth_client, lesson, settings):
    settings.REVIEW_POINTS = 2
    with time_machine.travel(START, tick=False):
        _complete(user, lesson)
    item = ReviewItem.objects.filter(user=user).first()
    user.refresh_from_db()
    base = user.total_points
    with time_machine.travel(START + timedelta(days=1, hours=1), tick=False):
        a = client_for(user).post(f"/api/learning/reviews/{item.pk}/", {"answer": "tuple"}, format="json").json()
        b = client_for(user).post(f"/api/learning/reviews/{item.pk}/", {"answer": "tuple"}, format="json").json()
    with time_machine.travel(START + timedelta(days=2, hours=1), tick=False):
        c = client_for(user).post(f"/api/learning/reviews/{item.pk}/", {"answer": "list"}, format="json").json()
    assert [a["points_awarded"], b["points_awarded"], c["points_awarded"]] == [2, 0, 2]
    user.refresh_from_db()
    assert user.total_points == base + 4
    assert user.current_streak == 3  # module day, then two review days in a row
    assert PointAward.objects.filter(user=user, kind=AwardKind.REVIEW).count() == 2


def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent transactions (PostgreSQL); SQLite serialises writers")


@pytest.mark.django_db(transaction=True)
def test_points_are_awarded_once_per_item_per_day_under_concurrency(settings):
    _needs_postgres()
    settings.REVIEW_POINTS = 2
    user = UserFactory()
    path = LearningPathFactory()
    module = ModuleFactory(learning_path=path)
    quiz = QuizFactory(slug="c-checks", module=module, purpose="review")
    QuestionFactory(quiz=quiz, module=module, type="true_false", options=["True", "False"], correct_answer="True")
    _complete(user, module)
    item = ReviewItem.objects.get(user=user)
    results: list[int] = []
    lock = threading.Lock()

    def answer():
        try:
            resp = client_for(user).post(f"/api/learning/reviews/{item.pk}/", {"answer": "True"}, format="json")
            with lock:
                results.append(resp.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=answer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 8
    award_id = review_award_id(item_id=item.pk, day=datetime.now(UTC).date())
    assert PointAward.objects.filter(user=user, kind=AwardKind.REVIEW, object_id=award_id).count() == 1
    assert ReviewLog.objects.filter(item=item).count() == 8
    item.refresh_from_db()
    assert item.reps == 8


def test_quiz_answers_become_review_items_graded_like_reviews(user, auth_client):
    quiz = QuizFactory(max_attempts=3)
    q1 = QuestionFactory(quiz=quiz, type="true_false", options=["True", "False"], correct_answer="False")
    q2 = QuestionFactory(quiz=quiz, type="short_answer", options=[], correct_answer=["len"])
    with time_machine.travel(START, tick=False):
        resp = client_for(user).post("/api/assessment/attempts/", {"quiz": quiz.pk, "answers": {str(q1.pk): "False",
                                str(q2.pk): "size"}, "time_taken": 40}, format="json")  # fmt: skip
    assert resp.status_code == 201, resp.content
    items = {i.question_id: i for i in ReviewItem.objects.filter(user=user)}
    assert set(items) == {q1.pk, q2.pk}
    assert items[q1.pk].due == START + timedelta(minutes=10)  # right → Good
    assert items[q2.pk].due == START + timedelta(minutes=1)  # wrong → Again
    assert list(
        ReviewLog.objects.filter(item__user=user).values_list("source", "time_taken").order_by().distinct()
    ) == [("quiz", 20)]


@pytest.mark.parametrize(
    ("correct", "time_taken", "median", "hint", "expected"),
    [
        (False, 5, 10.0, False, ReviewRating.AGAIN),
        (True, 10, 10.0, True, ReviewRating.HARD),
        (True, 25, 10.0, False, ReviewRating.HARD),
        (True, 10, 10.0, False, ReviewRating.GOOD),
        (True, 4, 10.0, False, ReviewRating.EASY),
        (True, 4, None, False, ReviewRating.GOOD),  # no median yet: speed says nothing
        (True, 0, 10.0, False, ReviewRating.GOOD),  # untimed
    ],
)
def test_answer_rating_rule(correct, time_taken, median, hint, expected):
    rating = scheduler.answer_rating(correct=correct, time_taken=time_taken, median_time=median, used_hint=hint)
    assert rating == expected


def test_a_right_answer_after_a_hint_is_rated_hard_through_the_api(user, auth_client, lesson):
    _complete(user, lesson)
    item = ReviewItem.objects.filter(user=user).first()
    body = {"answer": "tuple", "time_taken": 5, "used_hint": True}
    resp = auth_client.post(f"/api/learning/reviews/{item.pk}/", body, format="json")
    assert resp.status_code == 200
    assert (resp.json()["rating"], resp.json()["rating_label"]) == (ReviewRating.HARD, "hard")


def test_median_needs_three_timed_answers():
    assert scheduler.median_time([0, 12, 30]) is None
    assert scheduler.median_time([10, 12, 30, 0]) == 12.0


def test_mastery_and_stats_summarise_recall(user, auth_client, lesson):
    with time_machine.travel(START, tick=False):
        _complete(user, lesson)
        stats = client_for(user).get("/api/users/stats/").json()
        assert (stats["reviews_due"], stats["mastery_percentage"]) == (2, 0.0)
        first = ReviewItem.objects.filter(user=user).order_by("id").first()
        client_for(user).post(f"/api/learning/reviews/{first.pk}/", {"answer": "tuple"}, format="json")
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        mastery = client_for(user).get("/api/learning/mastery/").json()
        stats = client_for(user).get("/api/users/stats/").json()
    assert mastery["summary"]["items"] == 2 and mastery["summary"]["items_learned"] == 1
    assert mastery["summary"]["reviews_due"] == 2  # one never reviewed, one past its 10-minute step
    module = mastery["modules"][0]
    assert (module["id"], module["items"], module["items_learned"], module["items_due"]) == (lesson.pk, 2, 1, 2)
    assert 0.9 < module["mastery"] <= 1.0
    assert mastery["topics"][0]["id"] == lesson.learning_path_id
    assert stats["reviews_due"] == 2 and stats["mastery_percentage"] == pytest.approx(100 * module["mastery"], abs=0.1)
    assert [h["items_learned"] for h in mastery["history"]] == [0, 0, 0, 1]


def test_the_coordinator_lists_due_reviews_first(user, auth_client, lesson):
    _complete(user, lesson)
    resp = auth_client.post("/api/agents/learning-coordinator/recommend/", {}, format="json")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert next(iter(body)) == "due_reviews"
    reason = "2 reviews due in “Lists and Tuples”: recall it before it fades."
    assert body["due_reviews"] == [
        {"module_id": lesson.pk, "title": "Lists and Tuples", "reviews_due": 2, "reason": reason}
    ]
