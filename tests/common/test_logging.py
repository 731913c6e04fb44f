import io
import json
import logging
import time
from contextlib import contextmanager

import pytest
from celery import shared_task
from django.core.cache import cache

from common.logs import REDACTED, RedactingFilter, redact_text, request_id_var

pytestmark = pytest.mark.django_db


@contextmanager
def captured_logs(level: int = logging.DEBUG):
    """Everything the configured console handler writes (its real formatter and filters), every logger at `level`."""
    root = logging.getLogger()
    handler = next(h for h in root.handlers if isinstance(h, logging.StreamHandler) and h.filters)
    stream = io.StringIO()
    old_stream = handler.setStream(stream)
    old_levels = {name: logging.getLogger(name).level for name in ("", "django.request", "celery")}
    for name in old_levels:
        logging.getLogger(name).setLevel(level)
    try:
        yield stream
    finally:
        handler.setStream(old_stream)
        for name, old in old_levels.items():
            logging.getLogger(name).setLevel(old)


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_request_id_is_generated_echoed_and_on_every_line(api_client):
    with captured_logs() as stream:
        resp = api_client.get("/api/health/live/")
    request_id = resp["X-Request-ID"]
    assert len(request_id) == 32 and int(request_id, 16) >= 0
    access = [line for line in lines(stream) if line["logger"] == "common.access"]
    assert len(access) == 1
    assert access[0]["request_id"] == request_id
    assert access[0]["status"] == 200 and access[0]["path"] == "/api/health/live/" and access[0]["method"] == "GET"
    assert {"time", "level", "logger", "message", "request_id"} <= set(access[0])
    assert request_id_var.get() == "-"  # reset once the response is closed


@pytest.mark.parametrize("incoming", ["abc-123_def.456:789", "0f" * 16, "A" * 128])
def test_a_sane_incoming_request_id_is_kept(api_client, incoming):
    assert api_client.get("/api/health/live/", HTTP_X_REQUEST_ID=incoming)["X-Request-ID"] == incoming


@pytest.mark.parametrize("incoming", ["short", "A" * 129, "has space in it", "new\nline-injected", 'quote"d-value', ""])
def test_an_unsafe_incoming_request_id_is_replaced(api_client, incoming):
    echoed = api_client.get("/api/health/live/", HTTP_X_REQUEST_ID=incoming)["X-Request-ID"]
    assert echoed != incoming and len(echoed) == 32


def test_4xx_are_logged_by_django_request_with_the_request_id(api_client):
    with captured_logs() as stream:
        resp = api_client.get("/api/users/profile/", HTTP_X_REQUEST_ID="req-4xx-00000001")
    assert resp.status_code == 401
    warnings = [line for line in lines(stream) if line["logger"] == "django.request"]
    assert warnings and warnings[0]["level"] == "WARNING"
    assert warnings[0]["request_id"] == "req-4xx-00000001"
    assert warnings[0]["status_code"] == 401 and warnings[0]["path"] == "/api/users/profile/"


JWT = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoiMSJ9.c2lnbmF0dXJlLWlzLWhlcmU"


@pytest.mark.parametrize(
    ("call", "secret"),
    [
        (lambda log: log.info("login %s", {"username": "ada", "password": "hunter2-secret"}), "hunter2-secret"),
        (lambda log: log.info("%(who)s %(token)s", {"who": "ada", "token": "tok-value-123"}), "tok-value-123"),
        (lambda log: log.info("payload", extra={"refresh": "ref-value-456"}), "ref-value-456"),
        (lambda log: log.info("payload", extra={"data": {"new_password": "np-value-789"}}), "np-value-789"),
        (lambda log: log.info("headers %s", {"HTTP_AUTHORIZATION": "Bearer abcdefghijkl"}), "abcdefghijkl"),
        (lambda log: log.info("got header Authorization: Bearer zyxwvutsrqpo"), "zyxwvutsrqpo"),
        (lambda log: log.info("token was %s", JWT), JWT),
        (lambda log: log.info({"event": "login", "access": "acc-value-000"}), "acc-value-000"),
        (lambda log: log.info("query ?api_key=k-value-111&x=1"), "k-value-111"),
        (lambda log: log.info("settings %s", {"SECRET_KEY": "sk-value-222", "LLM_API_KEY": "llm-333"}), "sk-value-222"),
    ],
)
def test_redaction_of_keys_and_credential_strings(call, secret):
    with captured_logs() as stream:
        call(logging.getLogger("tests.redaction"))
    output = stream.getvalue()
    assert output and secret not in output
    assert REDACTED in output


def test_exceptions_are_redacted_in_tracebacks():
    with captured_logs() as stream:
        try:
            raise ValueError(f"bad token {JWT}")
        except ValueError:
            logging.getLogger("tests.redaction").exception("failed")
    line = lines(stream)[-1]
    assert JWT not in stream.getvalue()
    assert "ValueError" in line["exc_info"]


def test_redaction_leaves_ordinary_text_alone():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "user %s finished module %s", ("ada", 3), None)
    RedactingFilter().filter(record)
    assert record.getMessage() == "user ada finished module 3"
    assert redact_text("GET /api/learning/learning-paths/ 200") == "GET /api/learning/learning-paths/ 200"


def test_login_refresh_password_change_and_bearer_requests_leak_no_secret(api_client, user, password):
    """The whole auth flow with every logger at DEBUG (django.request's 4xx warnings included): neither password nor
    any token, nor the Authorization header, appears anywhere in the log output."""
    new_password = "An0ther-Long-Passw0rd!"
    secrets: list[str] = [password, new_password]
    with captured_logs() as stream:
        bad = api_client.post(
            "/api/users/auth/login/", {"username": user.username, "password": password + "x"}, format="json"
        )
        assert bad.status_code == 401
        secrets.append(password + "x")
        tokens = api_client.post(
            "/api/users/auth/login/", {"username": user.username, "password": password}, format="json"
        ).json()["tokens"]
        secrets += [tokens["access"], tokens["refresh"]]
        refreshed = api_client.post("/api/auth/refresh/", {"refresh": tokens["refresh"]}, format="json")
        assert refreshed.status_code == 200
        secrets.append(refreshed.json()["access"])
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
        assert api_client.get("/api/users/profile/").status_code == 200
        changed = api_client.post(
            "/api/users/auth/password-change/",
            {"current_password": password, "new_password": new_password},
            format="json",
        )
        assert changed.status_code == 200, changed.content
        secrets += [changed.json()["tokens"]["access"], changed.json()["tokens"]["refresh"]]
        # The old access token is now refused (401, logged by django.request at WARNING).
        assert api_client.get("/api/users/profile/").status_code == 401
        api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-real-token-but-secret")
        secrets.append("not-a-real-token-but-secret")
        api_client.get("/api/users/profile/")
        assert api_client.post("/api/auth/refresh/", {"refresh": tokens["refresh"]}, format="json").status_code == 401
    output = stream.getvalue()
    records = lines(stream)
    assert any(r["logger"] == "django.request" and r["level"] == "WARNING" for r in records)
    assert len([r for r in records if r["logger"] == "common.access"]) >= 8
    assert all(r["request_id"] != "-" for r in records if r["logger"] in ("common.access", "django.request"))
    leaked = [secret for secret in secrets if secret in output]
    assert leaked == []
    assert "Bearer " not in output.replace(f"Bearer {REDACTED}", "")


@shared_task(name="tests.common.remember_request_id")
def remember_request_id(key: str) -> None:
    logging.getLogger("tests.celery").info("task sees request id")
    cache.set(key, request_id_var.get(), timeout=60)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("celery_worker")
def test_the_request_id_travels_into_celery_tasks():
    token = request_id_var.set("req-celery-000000042")
    try:
        remember_request_id.delay("tests:request-id")
    finally:
        request_id_var.reset(token)
    deadline = time.monotonic() + 20
    while cache.get("tests:request-id") is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert cache.get("tests:request-id") == "req-celery-000000042"


@pytest.mark.parametrize(
    "text",
    [
        "GET /api/learning/learning-paths/ 200",
        f"GET /api/x/{JWT}/ 200",
        "Authorization: BEARER abcdefghijkl",
        "Token: 1234567890",
        "refresh=abcdef&x=1",
        "API-KEY=zzz-value",
        "passwd = hunter2hunter2",
        "ſecret=abc-value",  # a long s matches "s" case-insensitively
        "to\u212aen=abc-value",  # so does the Kelvin sign for "k"
        "Basic dXNlcjpwYXNzd29yZA==",
        "user ada finished module 3",
    ],
)
def test_the_fast_path_redacts_exactly_like_the_patterns(text):
    from common.logs import _BEARER_RE, _JWT_RE, _PAIR_RE

    slow = _JWT_RE.sub(REDACTED, text)
    slow = _BEARER_RE.sub(lambda m: f"{m.group(1)} {REDACTED}", slow)
    slow = _PAIR_RE.sub(lambda m: f"{m.group('key')}{m.group('sep')}{REDACTED}", slow)
    assert redact_text(text) == slow
