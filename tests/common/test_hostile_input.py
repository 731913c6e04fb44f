"""The red team's hostile inputs (issue 13): each answers a 4xx in the error shape, never a 500, and changes nothing."""

import asyncio
import importlib
import inspect
import json
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from rest_framework import serializers

from common.renderers import JSONRenderer
from common.serializers import FiniteFloatField
from learning.models import UserModuleProgress
from tests.learning.factories import ModuleFactory
from tests.users.test_auth_views import assert_error_shape

pytestmark = pytest.mark.django_db

LOGIN = "/api/auth/login/"


def post_raw(client, path: str, body: str | bytes):
    return client.generic("POST", path, body, content_type="application/json")


@pytest.mark.parametrize("depth", [65, 2_000, 100_000])
def test_deeply_nested_json_is_400_on_any_endpoint(api_client, auth_client, depth):
    body = "[" * depth + "]" * depth
    for client, path in ((api_client, LOGIN), (auth_client, "/api/learning/code/execute/")):
        resp = post_raw(client, path, body)
        assert resp.status_code == 400, (path, resp.content[:200])
        assert_error_shape(resp.json(), "json_too_deep")
    nested_in_object = '{"username": ' + "[" * depth + "]" * depth + ', "password": "x"}'
    resp = post_raw(api_client, LOGIN, nested_in_object)
    assert resp.status_code == 400
    assert_error_shape(resp.json(), "json_too_deep")


def test_nesting_within_the_limit_is_parsed(api_client):
    body = json.dumps({"username": [[[[["x"]]]]], "password": "x"})
    resp = post_raw(api_client, LOGIN, body)
    assert resp.status_code == 400
    assert_error_shape(resp.json())
    assert "json_too_deep" not in [e["code"] for e in resp.json()["errors"]]


@pytest.mark.parametrize(
    "body",
    [
        r'{"username": "\ud800", "password": "x"}',
        r'{"username": "abc\uDFFF", "password": "x"}',
        r'{"\udc00": 1, "username": "a", "password": "x"}',
        r'{"username": ["\ud83d"], "password": "x"}',
    ],
)
def test_lone_surrogates_are_400(api_client, body):
    resp = post_raw(api_client, LOGIN, body)
    assert resp.status_code == 400
    assert_error_shape(resp.json(), "invalid_unicode")


@pytest.mark.parametrize(
    "field,value",
    [("status", "\ud800"), ("status", ["\udfff"]), ("score", "\ud800")],
)
def test_lone_surrogate_in_choice_and_list_fields_is_400_and_changes_nothing(auth_client, user, field, value):
    module = ModuleFactory()
    body = json.dumps({field: value})  # json.dumps writes the lone surrogate as a \\u escape
    resp = auth_client.generic(
        "PATCH", f"/api/learning/user-module-progress/?module={module.pk}", body, content_type="application/json"
    )
    assert resp.status_code == 400
    assert_error_shape(resp.json(), "invalid_unicode")
    assert not UserModuleProgress.objects.filter(user=user, module=module).exclude(status="not_started").exists()


def test_a_surrogate_pair_is_a_valid_character(api_client):
    resp = post_raw(api_client, LOGIN, r'{"username": "smile\ud83d\ude00", "password": "x"}')
    assert resp.status_code == 401  # parsed; just not a user


def test_renderer_escapes_a_lone_surrogate_instead_of_failing():
    rendered = JSONRenderer().render({"detail": "bad", "status": ["\ud800 is not a valid choice."]})
    assert json.loads(rendered) == {"detail": "bad", "status": ["\ud800 is not a valid choice."]}
    assert JSONRenderer().render({"name": "café"}) == '{"name":"café"}'.encode()


@pytest.mark.parametrize("value", ["NaN", "nan", "Infinity", "-Infinity", "1e999"])
def test_non_finite_score_on_progress_is_400(auth_client, user, value):
    module = ModuleFactory()
    resp = auth_client.patch(f"/api/learning/user-module-progress/?module={module.pk}", {"score": value}, format="json")
    assert resp.status_code == 400
    assert_error_shape(resp.json())
    assert resp.json()["errors"][0]["attr"] == "score"


@pytest.mark.parametrize("body", ['{"code": "print(1)", "timeout": "NaN"}', '{"code": "print(1)", "timeout": 1e999}',
                                  '{"code": "print(1)", "timeout": NaN}'])  # fmt: skip
def test_non_finite_timeout_on_code_execution_is_400(auth_client, body):
    from executor.models import CodeRun

    resp = post_raw(auth_client, "/api/learning/code/execute/", body)
    assert resp.status_code == 400
    assert_error_shape(resp.json())
    assert CodeRun.objects.count() == 0


def _input_serializers():
    root = Path(__file__).resolve().parents[2]
    for path in sorted(root.glob("*/serializers.py")) + sorted(root.glob("*/*/serializers.py")):
        if ".venv" in path.parts:
            continue
        module = importlib.import_module(".".join(path.relative_to(root).with_suffix("").parts))
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and issubclass(cls, serializers.Serializer) and "Input" in name:
                yield name, cls


def test_every_float_an_input_accepts_is_finite():
    plain = []
    for name, cls in _input_serializers():
        for field_name, field in cls().fields.items():
            if isinstance(field, serializers.FloatField) and not isinstance(field, FiniteFloatField):
                plain.append(f"{name}.{field_name}")
    assert plain == []


# --- The body limit in front of Django (common/asgi.py) -----------------------------------------------------------


def _call_asgi(
    headers: list[tuple[bytes, bytes]], chunks: list[bytes], path: str = "/api/auth/login/"
) -> tuple[list[dict], int]:
    from config.asgi import application

    sent: list[dict] = []
    reads = 0

    async def receive():
        nonlocal reads
        if reads < len(chunks):
            reads += 1
            return {"type": "http.request", "body": chunks[reads - 1], "more_body": reads < len(chunks)}
        await asyncio.sleep(3600)

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"localhost"), (b"content-type", b"application/json"), *headers],
        "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000),
    }  # fmt: skip
    async_to_sync(application)(scope, receive, send)
    return sent, reads


def _status_and_body(sent: list[dict]) -> tuple[int, dict]:
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], json.loads(body)


def test_a_declared_oversized_body_is_413_before_any_byte_is_read(settings):
    sent, reads = _call_asgi([(b"content-length", str(200 * 1024 * 1024).encode())], [b"x" * 65536] * 4)
    status, body = _status_and_body(sent)
    assert status == 413
    assert_error_shape(body, "payload_too_large")
    assert reads == 0


def test_a_streamed_body_is_cut_at_the_cap_with_413(settings):
    settings.API_MAX_BODY_BYTES = 256 * 1024
    chunks = [b"x" * 65536] * 64  # 4 MiB, no Content-Length
    sent, reads = _call_asgi([], chunks)
    status, body = _status_and_body(sent)
    assert status == 413
    assert_error_shape(body, "payload_too_large")
    assert reads == 5  # the chunk that crossed 256 KiB is the last one read


@pytest.mark.parametrize("value", [b"abc", b"-1"])
def test_an_invalid_content_length_is_400(value):
    status, body = _status_and_body(_call_asgi([(b"content-length", value)], [b"{}"])[0])
    assert status == 400
    assert_error_shape(body, "bad_request")


def test_a_body_under_the_cap_reaches_django():
    sent, _ = _call_asgi([(b"content-length", b"2")], [b"{}"], path="/api/health/live/")
    status, body = _status_and_body(sent)
    assert status == 405  # Django's answer (the probe takes GET only), in the API's error shape
    assert_error_shape(body)
