import base64
import json
import time

import jwt
import pytest
import time_machine
from django.conf import settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from tests.factories import PASSWORD, UserFactory
from users.models import User

pytestmark = pytest.mark.django_db

FAMILIES = ["/api/users/auth/", "/api/auth/"]
USER_KEYS = {
    "id", "username", "email", "first_name", "last_name", "is_staff", "bio", "profile_image", "learning_style",
    "preferred_difficulty", "learning_pace", "total_modules_completed", "total_time_spent", "current_streak",
    "longest_streak", "total_points", "level", "experience_level", "next_level_points", "achievements", "badges",
    "current_goal", "goal_deadline", "agent_interaction_level", "preferred_feedback_style", "dark_mode",
    "notifications_enabled", "email_notifications", "push_notifications", "created_at", "updated_at",
}  # fmt: skip


def register(client: APIClient, base: str = "/api/users/auth/", **overrides):
    body = {
        "username": "testuser",
        "email": "test@example.com",
        "password": "testpassword123",
        "password_confirm": "testpassword123",
    }
    body.update(overrides)
    return client.post(f"{base}register/", body, format="json")


def login(client: APIClient, username: str, password: str, base: str = "/api/users/auth/", **extra):
    return client.post(f"{base}login/", {"username": username, "password": password}, format="json", **extra)


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def assert_error_shape(body: dict, code: str | None = None) -> None:
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["errors"], list) and body["errors"]
    for item in body["errors"]:
        assert set(item) == {"attr", "code", "detail"}
    if code is not None:
        assert code in [item["code"] for item in body["errors"]]


@pytest.mark.parametrize("base", FAMILIES)
def test_seed_curl_flow_register_login_and_bearer(api_client, base):
    resp = register(api_client, base)
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert set(body) == {"user", "tokens"}
    assert set(body["user"]) == USER_KEYS
    assert body["user"]["username"] == "testuser"
    assert body["user"]["total_time_spent"] == "0 minutes"
    assert body["user"]["level"] == 1 and body["user"]["next_level_points"] == 100
    assert set(body["tokens"]) == {"access", "refresh"}

    resp = login(api_client, "testuser", "testpassword123", base)
    assert resp.status_code == 200, resp.content
    access = resp.json()["tokens"]["access"]
    profile = bearer(access).get("/api/users/profile/")
    assert profile.status_code == 200
    assert profile.json()["email"] == "test@example.com"


def test_password_is_stored_as_argon2id(api_client):
    register(api_client)
    stored = User.objects.get(username="testuser").password
    assert stored.startswith("argon2$argon2id$")


def test_access_token_is_a_standard_jwt_with_numeric_exp(api_client):
    access = register(api_client).json()["tokens"]["access"]
    parts = access.split(".")
    assert len(parts) == 3
    payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    assert isinstance(payload["exp"], int)
    assert payload["exp"] - payload["iat"] == settings.JWT_ACCESS_MINUTES * 60


@pytest.mark.parametrize("path", ["/api/users/auth/register/", "/api/users/auth/register", "/api/auth/register"])
def test_register_answers_with_and_without_slash(api_client, path):
    resp = api_client.post(
        path,
        {"username": "slashy", "email": "s@example.com", "password": "testpassword123",
         "password_confirm": "testpassword123"},
        format="json",
    )  # fmt: skip
    assert resp.status_code == 201


def test_register_password_mismatch_is_400_and_creates_nothing(api_client):
    resp = register(api_client, password_confirm="different-password-1")
    assert resp.status_code == 400
    body = resp.json()
    assert body["password_confirm"] == ["Passwords do not match."]
    assert_error_shape(body)
    assert body["errors"][0]["attr"] == "password_confirm"
    assert not User.objects.exists()


def test_register_duplicate_username_case_insensitive_and_email(api_client):
    register(api_client)
    resp = register(api_client, username="TestUser", email="TEST@example.com")
    assert resp.status_code == 400
    body = resp.json()
    assert body["username"] == ["A user with that username already exists."]
    assert body["email"] == ["A user with that email already exists."]
    assert body["detail"].startswith("username: A user with that username already exists.")
    assert_error_shape(body, "unique")
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"password": "123", "password_confirm": "123"}, "password"),
        ({"password": "password", "password_confirm": "password"}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"username": "bad name!"}, "username"),
        ({"username": "x" * 51}, "username"),
        ({"username": None}, "username"),
    ],
)
def test_register_rejects_bad_input(api_client, overrides, field):
    resp = register(api_client, **overrides)
    assert resp.status_code == 400
    assert field in resp.json()
    assert not User.objects.exists()


def test_register_ignores_privileged_fields(api_client):
    resp = register(api_client, is_staff=True, is_superuser=True, total_points=999, level=50)
    assert resp.status_code == 201
    user = User.objects.get(username="testuser")
    assert (user.is_staff, user.is_superuser, user.total_points, user.level) == (False, False, 0, 1)


@pytest.mark.parametrize("base", FAMILIES)
def test_login_with_email_as_username_case_insensitive(api_client, base):
    user = UserFactory(email="Mixed.Case@Example.com")
    resp = login(api_client, "mixed.case@example.com", PASSWORD, base)
    assert resp.status_code == 200
    assert resp.json()["user"]["id"] == str(user.pk)


def test_login_failure_message_is_the_same_for_unknown_user_and_wrong_password(api_client):
    UserFactory(username="known")
    wrong = login(api_client, "known", "wrong-password")
    unknown = login(api_client, "nobody", "wrong-password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert_error_shape(wrong.json(), "invalid_credentials")


def test_login_inactive_user_is_401(api_client):
    UserFactory(username="sleepy", is_active=False)
    assert login(api_client, "sleepy", PASSWORD).status_code == 401


def test_auth_endpoints_ignore_a_bad_bearer_header(api_client):
    UserFactory(username="known")
    api_client.credentials(HTTP_AUTHORIZATION="Bearer mock-jwt-token-12345")
    assert login(api_client, "known", PASSWORD).status_code == 200


@pytest.mark.parametrize("base", FAMILIES)
def test_refresh_returns_only_access_without_rotation(api_client, base):
    tokens = register(api_client, base).json()["tokens"]
    resp = api_client.post(f"{base}refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert resp.status_code == 200
    assert set(resp.json()) == {"access"}
    assert bearer(resp.json()["access"]).get("/api/users/auth/me/").status_code == 200


def test_refresh_with_rotation_returns_new_refresh_and_revokes_old(api_client, settings):
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "ROTATE_REFRESH_TOKENS": True}
    tokens = register(api_client).json()["tokens"]
    first = api_client.post("/api/auth/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert first.status_code == 200 and set(first.json()) == {"access", "refresh"}
    again = api_client.post("/api/auth/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert again.status_code == 401
    new = api_client.post("/api/auth/refresh/", {"refresh": first.json()["refresh"]}, format="json")
    assert new.status_code == 200


@pytest.mark.parametrize("bad", ["garbage", "a.b.c", ""])
def test_refresh_with_bad_token_is_4xx(api_client, bad):
    resp = api_client.post("/api/auth/refresh/", {"refresh": bad}, format="json")
    assert resp.status_code in (400, 401)
    assert_error_shape(resp.json())


def test_refresh_with_access_token_is_401(api_client):
    tokens = register(api_client).json()["tokens"]
    assert api_client.post("/api/auth/refresh/", {"refresh": tokens["access"]}, format="json").status_code == 401


def test_refresh_for_deleted_user_is_401(api_client):
    tokens = register(api_client).json()["tokens"]
    User.objects.all().delete()
    assert api_client.post("/api/auth/refresh/", {"refresh": tokens["refresh"]}, format="json").status_code == 401


@pytest.mark.parametrize("base", FAMILIES)
def test_logout_revokes_refresh_and_the_access_token_of_that_session(api_client, base):
    register(api_client)
    session = login(api_client, "testuser", "testpassword123").json()["tokens"]
    other_session = login(api_client, "testuser", "testpassword123").json()["tokens"]
    assert bearer(session["access"]).get("/api/users/profile/").status_code == 200

    resp = api_client.post(f"{base}logout/", {"refresh": session["refresh"]}, format="json")
    assert resp.status_code == 200

    assert bearer(session["access"]).get("/api/users/profile/").status_code == 401
    assert api_client.post(f"{base}refresh/", {"refresh": session["refresh"]}, format="json").status_code == 401
    # Another device's session is untouched.
    assert bearer(other_session["access"]).get("/api/users/profile/").status_code == 200
    # Logging out twice is harmless.
    assert api_client.post(f"{base}logout/", {"refresh": session["refresh"]}, format="json").status_code == 200


def test_logout_with_forged_token_is_401(api_client):
    forged = jwt.encode({"token_type": "refresh", "jti": "x", "exp": int(time.time()) + 60, "sid": "s"}, "k" * 32)
    assert api_client.post("/api/auth/logout/", {"refresh": forged}, format="json").status_code == 401


def test_password_change_revokes_every_token_and_returns_new_ones(api_client):
    register(api_client)
    one = login(api_client, "testuser", "testpassword123").json()["tokens"]
    two = login(api_client, "testuser", "testpassword123").json()["tokens"]
    resp = bearer(one["access"]).post(
        "/api/users/auth/password-change/",
        {"current_password": "testpassword123", "new_password": "an0ther-Secret!"},
        format="json",
    )
    assert resp.status_code == 200, resp.content
    new = resp.json()["tokens"]
    for old in (one, two):
        assert bearer(old["access"]).get("/api/users/profile/").status_code == 401
        assert api_client.post("/api/auth/refresh/", {"refresh": old["refresh"]}, format="json").status_code == 401
    assert bearer(new["access"]).get("/api/users/profile/").status_code == 200
    assert api_client.post("/api/auth/refresh/", {"refresh": new["refresh"]}, format="json").status_code == 200
    assert login(api_client, "testuser", "testpassword123").status_code == 401
    assert login(api_client, "testuser", "an0ther-Secret!").status_code == 200


def test_password_change_with_wrong_current_password_changes_nothing(api_client):
    tokens = register(api_client).json()["tokens"]
    resp = bearer(tokens["access"]).post(
        "/api/users/auth/password-change/",
        {"current_password": "nope", "new_password": "an0ther-Secret!"},
        format="json",
    )
    assert resp.status_code == 400
    assert "current_password" in resp.json()
    assert bearer(tokens["access"]).get("/api/users/profile/").status_code == 200
    assert login(api_client, "testuser", "testpassword123").status_code == 200


def test_password_change_requires_authentication(api_client):
    resp = api_client.post(
        "/api/users/auth/password-change/", {"current_password": "a", "new_password": "b"}, format="json"
    )
    assert resp.status_code == 401
    assert_error_shape(resp.json(), "not_authenticated")


def _signed(payload: dict, key: str | None = None, alg: str = "HS256") -> str:
    return jwt.encode(payload, key or settings.SECRET_KEY, algorithm=alg)


def _claims(user, **extra) -> dict:
    now = int(time.time())
    claims = {"token_type": "access", "exp": now + 600, "iat": now, "jti": "j1", "user_id": str(user.pk), "ver": 0}
    claims.update(extra)
    return claims


def test_bad_tokens_are_401(user):
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    body = base64.urlsafe_b64encode(json.dumps(_claims(user)).encode()).rstrip(b"=").decode()
    cases = {
        "alg none": f"{header}.{body}.",
        "bad signature": _signed(_claims(user), key="not-the-key-" * 4),
        "expired": _signed(_claims(user, exp=int(time.time()) - 10)),
        "refresh as bearer": _signed(_claims(user, token_type="refresh")),
        "garbage": "abc",
    }
    for name, token in cases.items():
        resp = bearer(token).get("/api/users/profile/")
        assert resp.status_code == 401, name
        assert_error_shape(resp.json())
    assert bearer(_signed(_claims(user))).get("/api/users/profile/").status_code == 200


def test_inactive_or_deleted_users_tokens_are_401(user, other_user):
    from users.tokens import tokens_for_user

    inactive_access = tokens_for_user(user=user)["access"]
    deleted_access = tokens_for_user(user=other_user)["access"]
    User.objects.filter(pk=user.pk).update(is_active=False)
    other_user.delete()
    assert bearer(inactive_access).get("/api/users/profile/").status_code == 401
    assert bearer(deleted_access).get("/api/users/profile/").status_code == 401


def test_access_token_expires_after_its_lifetime(user):
    from users.tokens import tokens_for_user

    access = tokens_for_user(user=user)["access"]
    future = time.time() + (settings.JWT_ACCESS_MINUTES + 1) * 60
    with time_machine.travel(future, tick=False):
        assert bearer(access).get("/api/users/profile/").status_code == 401
    assert bearer(access).get("/api/users/profile/").status_code == 200


def test_me_on_both_families(auth_client, user):
    for path in ("/api/users/auth/me/", "/api/auth/me", "/api/auth/me/"):
        resp = auth_client.get(path)
        assert resp.status_code == 200
        assert resp.json()["id"] == str(user.pk)


def test_logout_is_recorded_in_the_database_and_survives_a_cache_flush(api_client):
    from django.core.cache import cache

    from users.models import UserSession

    register(api_client)
    session = login(api_client, "testuser", "testpassword123").json()["tokens"]
    assert api_client.post("/api/auth/logout/", {"refresh": session["refresh"]}, format="json").status_code == 200
    cache.clear()
    resp = bearer(session["access"]).get("/api/users/profile/")
    assert resp.status_code == 401
    assert_error_shape(resp.json(), "token_revoked")
    sid = AccessToken(session["access"])["sid"]
    assert UserSession.objects.get(pk=sid).revoked_at is not None


def test_authentication_loads_session_and_user_in_one_query(api_client, django_assert_num_queries):
    from rest_framework.test import APIRequestFactory

    from users.authentication import JWTAuthentication

    register(api_client)
    access = login(api_client, "testuser", "testpassword123").json()["tokens"]["access"]
    request = APIRequestFactory().get("/api/users/profile/", HTTP_AUTHORIZATION=f"Bearer {access}")
    with django_assert_num_queries(1):
        user, _ = JWTAuthentication().authenticate(request)
    assert user.username == "testuser"


def test_a_token_whose_session_row_is_gone_or_expired_is_401(api_client):
    from datetime import timedelta

    from django.utils import timezone

    from users.models import UserSession

    register(api_client)
    gone = login(api_client, "testuser", "testpassword123").json()["tokens"]
    expired = login(api_client, "testuser", "testpassword123").json()["tokens"]
    UserSession.objects.filter(pk=AccessToken(gone["access"])["sid"]).delete()
    UserSession.objects.filter(pk=AccessToken(expired["access"])["sid"]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    for tokens in (gone, expired):
        assert bearer(tokens["access"]).get("/api/users/profile/").status_code == 401
        assert api_client.post("/api/auth/refresh/", {"refresh": tokens["refresh"]}, format="json").status_code == 401


def test_a_session_id_of_another_user_is_401(api_client, user):
    from rest_framework_simplejwt.tokens import RefreshToken

    from users.tokens import tokens_for_user

    victim_sid = AccessToken(tokens_for_user(user=user)["access"])["sid"]
    register(api_client)
    mine = User.objects.get(username="testuser")
    forged = RefreshToken.for_user(mine)
    forged["sid"], forged["ver"] = victim_sid, mine.token_version
    assert bearer(str(forged.access_token)).get("/api/users/profile/").status_code == 401


def test_expired_sessions_are_pruned_by_the_task(user):
    from datetime import timedelta

    from django.utils import timezone

    from users import tasks
    from users.models import UserSession
    from users.tokens import tokens_for_user

    tokens_for_user(user=user)
    old = UserSession.objects.create(user=user, expires_at=timezone.now() - timedelta(days=2))
    assert tasks.prune_sessions.apply().get() == 1
    assert not UserSession.objects.filter(pk=old.pk).exists()
    assert UserSession.objects.filter(user=user).count() == 1
