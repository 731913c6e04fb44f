import uuid

import pytest

from tests.conftest import client_for
from tests.factories import UserFactory
from tests.users.test_auth_views import USER_KEYS, assert_error_shape
from users.models import User, UserPreferences

pytestmark = pytest.mark.django_db

SETTINGS_KEYS = {
    "id", "username", "email", "first_name", "last_name", "bio", "learning_style", "preferred_difficulty",
    "learning_pace", "current_goal", "goal_deadline", "agent_interaction_level", "preferred_feedback_style",
    "dark_mode", "notifications_enabled", "email_notifications", "push_notifications", "created_at", "updated_at",
}  # fmt: skip
STATS_KEYS = {
    "total_modules_completed", "total_time_spent", "current_streak", "longest_streak", "total_points", "level",
    "experience_level", "next_level_points", "achievements", "badges", "reviews_due", "mastery_percentage",
}  # fmt: skip


def test_profile_get_shape(auth_client, user):
    resp = auth_client.get("/api/users/profile/")
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == USER_KEYS
    assert body["id"] == str(user.pk)
    assert body["is_staff"] is False
    assert body["achievements"] == [] and body["badges"] == []


@pytest.mark.parametrize("method", ["put", "patch"])
def test_profile_update_returns_user_envelope_and_ignores_read_only_fields(auth_client, user, method):
    original_id = user.pk
    resp = getattr(auth_client, method)(
        "/api/users/profile/",
        {"bio": "I like graphs", "learning_style": "visual", "dark_mode": True, "is_staff": True,
         "total_points": 5000, "id": str(uuid.uuid4()), "level": 99, "goal_deadline": "2027-01-31"},
        format="json",
    )  # fmt: skip
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert set(body) == {"user"}
    assert body["user"]["bio"] == "I like graphs"
    assert body["user"]["learning_style"] == "visual"
    assert body["user"]["goal_deadline"] == "2027-01-31"
    user.refresh_from_db()
    assert (user.pk, user.is_staff, user.total_points, user.level, user.dark_mode) == (original_id, False, 0, 1, True)


def test_profile_update_reads_empty_strings_as_null(auth_client, user):
    User.objects.filter(pk=user.pk).update(learning_style="visual")
    resp = auth_client.patch("/api/users/profile/", {"goal_deadline": "", "learning_style": ""}, format="json")
    assert resp.status_code == 200
    user.refresh_from_db()
    assert user.goal_deadline is None and user.learning_style is None


@pytest.mark.parametrize(
    "body",
    [
        {"learning_style": "telepathic"},
        {"goal_deadline": "not-a-date"},
        {"profile_image": "javascript:alert(1)"},
        {"dark_mode": "maybe"},
        {"email": "broken"},
    ],
)
def test_profile_update_bad_input_is_400_and_changes_nothing(auth_client, user, body):
    before = User.objects.filter(pk=user.pk).values().get()
    resp = auth_client.put("/api/users/profile/", {"bio": "changed", **body}, format="json")
    assert resp.status_code == 400
    assert_error_shape(resp.json())
    assert User.objects.filter(pk=user.pk).values().get() == before


def test_profile_update_email_taken_by_another_user_is_400(auth_client, other_user):
    resp = auth_client.patch("/api/users/profile/", {"email": other_user.email.upper()}, format="json")
    assert resp.status_code == 400
    assert resp.json()["email"] == ["A user with that email already exists."]


def test_profile_requires_authentication(api_client):
    resp = api_client.get("/api/users/profile/")
    assert resp.status_code == 401
    assert_error_shape(resp.json(), "not_authenticated")


@pytest.mark.parametrize("path", ["/api/users/settings/", "/api/users/settings"])
def test_settings_get_and_put_return_flat_settings(auth_client, user, path):
    resp = auth_client.get(path)
    assert resp.status_code == 200
    assert set(resp.json()) == SETTINGS_KEYS
    resp = auth_client.put(
        path, {"dark_mode": True, "preferred_feedback_style": "brief", "push_notifications": True}, format="json"
    )
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == SETTINGS_KEYS
    assert (body["dark_mode"], body["preferred_feedback_style"], body["push_notifications"]) == (True, "brief", True)
    user.refresh_from_db()
    assert user.dark_mode is True


def test_stats_use_user_field_names(auth_client, user):
    User.objects.filter(pk=user.pk).update(total_time_spent=480, total_points=30)
    resp = auth_client.get("/api/users/stats/")
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == STATS_KEYS
    assert body["total_time_spent"] == "480 minutes"
    assert body["total_points"] == 30


@pytest.mark.parametrize("suffix", ["", "preferences/", "history/"])
def test_idor_matrix(api_client, auth_client, staff_client, user, other_user, suffix):
    other_url = f"/api/users/{other_user.pk}/{suffix}"
    own_url = f"/api/users/{user.pk}/{suffix}"
    assert api_client.get(other_url).status_code == 401
    resp = auth_client.get(other_url)
    assert resp.status_code == 404
    assert_error_shape(resp.json(), "not_found")
    assert auth_client.get(own_url).status_code == 200
    assert staff_client.get(other_url).status_code == 200
    assert auth_client.get(f"/api/users/{uuid.uuid4()}/{suffix}").status_code == 404
    assert staff_client.get(f"/api/users/{uuid.uuid4()}/{suffix}").status_code == 404


def test_put_another_users_profile_is_404_and_changes_nothing(auth_client, other_user):
    resp = auth_client.put(f"/api/users/{other_user.pk}/", {"bio": "hacked"}, format="json")
    assert resp.status_code == 404
    other_user.refresh_from_db()
    assert other_user.bio == ""


def test_staff_may_update_another_user_but_not_make_them_staff(staff_client, other_user):
    resp = staff_client.put(f"/api/users/{other_user.pk}/", {"bio": "curated", "is_staff": True}, format="json")
    assert resp.status_code == 200
    other_user.refresh_from_db()
    assert other_user.bio == "curated" and other_user.is_staff is False


def test_user_detail_put_returns_bare_user(auth_client, user):
    resp = auth_client.put(f"/api/users/{user.pk}", {"first_name": "Grace"}, format="json")
    assert resp.status_code == 200
    assert resp.json()["first_name"] == "Grace"
    assert set(resp.json()) == USER_KEYS


def test_preferences_roundtrip_and_normalisation(auth_client, user):
    url = f"/api/users/{user.pk}/preferences/"
    resp = auth_client.get(url)
    assert resp.status_code == 200
    assert resp.json()["preferred_media_types"] == [] and resp.json()["avoid_tags"] == []
    resp = auth_client.put(
        url,
        {"preferred_media_types": ["video", "book", "video"], "preferred_difficulty": "intermediate",
         "preferred_learning_style": "visual", "max_duration_minutes": 90, "avoid_tags": [" Java ", "java", "php"]},
        format="json",
    )  # fmt: skip
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["preferred_media_types"] == ["video", "book"]
    assert body["avoid_tags"] == ["java", "php"]
    prefs = UserPreferences.objects.get(user=user)
    assert prefs.max_duration_minutes == 90 and prefs.preferred_difficulty == "intermediate"


@pytest.mark.parametrize(
    "body",
    [
        {"preferred_media_types": ["hologram"]},
        {"preferred_media_types": "video"},
        {"max_duration_minutes": -5},
        {"max_duration_minutes": 10**12},
        {"avoid_tags": ["x" * 51]},
        {"preferred_difficulty": "expert"},
    ],
)
def test_preferences_bad_input_is_400_and_changes_nothing(auth_client, user, body):
    url = f"/api/users/{user.pk}/preferences/"
    auth_client.put(url, {"avoid_tags": ["java"]}, format="json")
    resp = auth_client.put(url, body, format="json")
    assert resp.status_code == 400
    assert UserPreferences.objects.get(user=user).avoid_tags == ["java"]


def test_staff_can_read_and_write_anyones_preferences(staff_client, other_user):
    url = f"/api/users/{other_user.pk}/preferences"
    assert staff_client.put(url, {"max_duration_minutes": 30}, format="json").status_code == 200
    assert staff_client.get(url).json()["max_duration_minutes"] == 30


def test_history_is_a_paginated_bare_array(auth_client, user):
    resp = auth_client.get(f"/api/users/{user.pk}/history/")
    assert resp.status_code == 200
    assert resp.json() == []
    assert resp["X-Total-Count"] == "0"


def test_every_user_sees_only_themselves_through_me(user, other_user):
    for who in (user, other_user):
        assert client_for(who).get("/api/auth/me/").json()["id"] == str(who.pk)


def test_factory_users_can_log_in(api_client, password):
    u = UserFactory()
    resp = api_client.post("/api/auth/login", {"username": u.username, "password": password}, format="json")
    assert resp.status_code == 200


def test_profile_query_count_is_constant(auth_client, user, django_assert_num_queries):
    from users.models import Achievement, Badge, UserAchievement, UserBadge

    for i in range(3):
        UserAchievement.objects.create(user=user, achievement=Achievement.objects.create(code=f"a{i}", title="A"))
        UserBadge.objects.create(user=user, badge=Badge.objects.create(code=f"b{i}", name="B"))
    # the user (authentication), their achievements, their badges
    with django_assert_num_queries(3):
        body = auth_client.get("/api/users/profile/").json()
    assert len(body["achievements"]) == 3 and len(body["badges"]) == 3
