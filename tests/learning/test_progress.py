import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection, connections

from learning.models import PointAward, UserModuleProgress
from learning.services import POINTS
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.learning.factories import LearningPathFactory, ModuleFactory
from tests.users.test_auth_views import assert_error_shape
from users.models import DailyActivity, User, UserAchievement, UserBadge
from users.services import level_for_points

pytestmark = pytest.mark.django_db

URL = "/api/learning/user-module-progress/?module={}"
PROGRESS_KEYS = {"id", "user", "module", "status", "time_spent", "attempts", "score", "last_accessed", "completed_at"}


def test_get_creates_progress_on_first_touch(auth_client, user):
    module = ModuleFactory()
    resp = auth_client.get(URL.format(module.pk))
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == PROGRESS_KEYS
    assert (body["status"], body["time_spent"], body["user"], body["module"]) == (
        "not_started", 0, str(user.pk), module.pk,
    )  # fmt: skip
    assert body["last_accessed"] is not None
    assert auth_client.get(URL.format(module.pk)).json()["id"] == body["id"]
    assert UserModuleProgress.objects.count() == 1


def test_progress_requires_auth_and_a_valid_module(api_client, auth_client):
    module = ModuleFactory()
    assert api_client.get(URL.format(module.pk)).status_code == 401
    assert api_client.patch(URL.format(module.pk), {"status": "completed"}, format="json").status_code == 401
    assert auth_client.get("/api/learning/user-module-progress/").status_code == 400
    assert auth_client.get(URL.format("abc")).status_code == 400
    assert auth_client.get(URL.format(999999)).status_code == 404


def test_time_accumulates_and_score_keeps_the_best(auth_client, user):
    module = ModuleFactory()
    auth_client.patch(URL.format(module.pk), {"status": "in_progress", "time_spent": 10, "score": 60}, format="json")
    resp = auth_client.patch(URL.format(module.pk), {"time_spent": 15, "score": 40}, format="json")
    body = resp.json()
    assert (body["status"], body["time_spent"], body["score"], body["attempts"]) == ("in_progress", 25, 60.0, 2)
    user.refresh_from_db()
    assert user.total_time_spent == 25
    assert client_for(user).get("/api/users/stats/").json()["total_time_spent"] == "25 minutes"


@pytest.mark.parametrize(
    "body", [{"score": 101}, {"score": -1}, {"time_spent": -5}, {"time_spent": 10**9}, {"status": "done"}]
)
def test_bad_progress_input_is_400_and_changes_nothing(auth_client, user, body):
    module = ModuleFactory()
    auth_client.patch(URL.format(module.pk), {"status": "in_progress", "time_spent": 5}, format="json")
    resp = auth_client.patch(URL.format(module.pk), body, format="json")
    assert resp.status_code == 400
    assert_error_shape(resp.json())
    progress = UserModuleProgress.objects.get(user=user, module=module)
    assert (progress.status, progress.time_spent, progress.score) == ("in_progress", 5, None)


def test_completion_requires_prerequisites(auth_client, user):
    first = ModuleFactory()
    second = ModuleFactory(learning_path=first.learning_path, prerequisites=[first])
    resp = auth_client.patch(URL.format(second.pk), {"status": "completed"}, format="json")
    assert resp.status_code == 409
    assert_error_shape(resp.json(), "prerequisites_incomplete")
    assert str(first.pk) in resp.json()["detail"]
    assert not PointAward.objects.exists()
    assert auth_client.patch(URL.format(second.pk), {"status": "in_progress"}, format="json").status_code == 200
    assert auth_client.patch(URL.format(first.pk), {"status": "completed"}, format="json").status_code == 200
    assert auth_client.patch(URL.format(second.pk), {"status": "completed"}, format="json").status_code == 200


def test_status_only_moves_forward(auth_client):
    module = ModuleFactory()
    auth_client.patch(URL.format(module.pk), {"status": "completed"}, format="json")
    resp = auth_client.patch(URL.format(module.pk), {"status": "in_progress"}, format="json")
    assert resp.status_code == 200
    assert resp.json()["status"] == "completed"
    assert resp.json()["completed_at"] is not None


def test_completion_awards_points_once_and_updates_stats(auth_client, user):
    module = ModuleFactory(module_type="lesson")
    for _ in range(3):
        assert auth_client.patch(URL.format(module.pk), {"status": "completed"}, format="json").status_code == 200
    user.refresh_from_db()
    assert PointAward.objects.filter(user=user, kind="module_completed").count() == 1
    assert user.total_modules_completed == 1
    # lesson points + the one-module path completed + achievements first-module (5) and first-path (25)
    expected = POINTS["lesson"] + POINTS["path_completed"] + 5 + 25
    assert user.total_points == expected
    assert (user.level, user.experience_level, user.next_level_points) == level_for_points(expected)
    codes = set(UserAchievement.objects.filter(user=user).values_list("achievement__code", flat=True))
    assert codes == {"first-module", "first-path"}
    stats = auth_client.get("/api/users/stats/").json()
    assert stats["total_points"] == expected and stats["total_modules_completed"] == 1
    assert {a["title"] for a in stats["achievements"]} == {"First Steps", "Path Finisher"}


def test_completing_a_whole_path_earns_its_badge(auth_client, user):
    path = LearningPathFactory(slug="python-fundamentals")
    modules = [ModuleFactory(learning_path=path, order_index=i) for i in range(1, 4)]
    for module in modules[:-1]:
        auth_client.patch(URL.format(module.pk), {"status": "completed"}, format="json")
    assert not PointAward.objects.filter(kind="path_completed").exists()
    auth_client.patch(URL.format(modules[-1].pk), {"status": "completed"}, format="json")
    assert PointAward.objects.filter(user=user, kind="path_completed", object_id=path.pk).count() == 1
    assert UserBadge.objects.filter(user=user, badge__code="path-python-fundamentals").exists()
    assert auth_client.get("/api/users/profile/").json()["badges"][0]["name"] == "Pythonista"


def test_progress_is_per_user(auth_client, other_client, user, other_user):
    module = ModuleFactory()
    auth_client.patch(URL.format(module.pk), {"status": "in_progress", "time_spent": 7}, format="json")
    theirs = other_client.get(URL.format(module.pk)).json()
    assert (theirs["status"], theirs["time_spent"], theirs["user"]) == ("not_started", 0, str(other_user.pk))
    mine = auth_client.get("/api/learning/progress/").json()
    assert [p["user"] for p in mine] == [str(user.pk)]
    assert len(other_client.get("/api/learning/progress/").json()) == 1


def test_progress_list_filters(auth_client):
    done, doing = ModuleFactory(), ModuleFactory()
    auth_client.patch(URL.format(done.pk), {"status": "completed"}, format="json")
    auth_client.patch(URL.format(doing.pk), {"status": "in_progress"}, format="json")
    completed = auth_client.get("/api/learning/progress/?status=completed").json()
    assert [p["module"] for p in completed] == [done.pk]
    assert auth_client.get("/api/learning/progress/?status=bogus").status_code == 400


def test_level_formula():
    assert level_for_points(0) == (1, 0, 100)
    assert level_for_points(99) == (1, 99, 100)
    assert level_for_points(100) == (2, 0, 200)
    assert level_for_points(299) == (2, 199, 200)
    assert level_for_points(300) == (3, 0, 300)
    assert level_for_points(650) == (4, 50, 400)


def test_streaks_across_days(user):
    modules = [ModuleFactory() for _ in range(6)]
    day = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def act_on(offset_days: int, module) -> None:
        with time_machine.travel(day + timedelta(days=offset_days), tick=False):
            resp = client_for(user).patch(
                URL.format(module.pk), {"status": "in_progress", "time_spent": 5}, format="json"
            )
            assert resp.status_code == 200

    act_on(0, modules[0])
    act_on(0, modules[1])  # same day: no change
    user.refresh_from_db()
    assert (user.current_streak, user.longest_streak) == (1, 1)
    act_on(1, modules[2])
    act_on(2, modules[3])
    user.refresh_from_db()
    assert (user.current_streak, user.longest_streak) == (3, 3)
    assert UserAchievement.objects.filter(user=user, achievement__code="streak-3").exists() is False
    with time_machine.travel(day + timedelta(days=2, hours=1), tick=False):
        client_for(user).patch(URL.format(modules[3].pk), {"status": "completed"}, format="json")
    assert UserAchievement.objects.filter(user=user, achievement__code="streak-3").exists()
    # Seen the next day the streak still stands; after a missed day it reads 0 even before new activity.
    with time_machine.travel(day + timedelta(days=3), tick=False):
        assert client_for(user).get("/api/users/stats/").json()["current_streak"] == 3
    with time_machine.travel(day + timedelta(days=4), tick=False):
        assert client_for(user).get("/api/users/stats/").json()["current_streak"] == 0
    act_on(4, modules[4])
    user.refresh_from_db()
    assert (user.current_streak, user.longest_streak) == (1, 3)
    assert DailyActivity.objects.filter(user=user).count() == 4
    assert DailyActivity.objects.get(user=user, date=day.date()).minutes == 10


@pytest.mark.django_db(transaction=True)
def test_concurrent_completion_awards_exactly_once():
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent transactions (PostgreSQL); SQLite serialises writers")
    user = UserFactory()
    module = ModuleFactory()
    barrier = threading.Barrier(8)
    statuses: list[int] = []

    def complete() -> None:
        client = client_for(user)
        barrier.wait()
        try:
            statuses.append(client.patch(URL.format(module.pk), {"status": "completed"}, format="json").status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=complete) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 8
    user.refresh_from_db()
    assert PointAward.objects.filter(user=user, kind="module_completed").count() == 1
    assert user.total_modules_completed == 1
    assert UserModuleProgress.objects.filter(user=user).count() == 1
    expected = POINTS["lesson"] + POINTS["path_completed"] + 5 + 25
    assert User.objects.get(pk=user.pk).total_points == expected
