import json

import pytest
from rest_framework.test import APIClient

from tests.factories import UserFactory
from tests.users.test_auth_views import assert_error_shape

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.common.urls")]


@pytest.fixture
def client():
    return APIClient(raise_request_exception=False)


@pytest.mark.parametrize("path", ["/api/nope/", "/api/nope", "/api/users/auth/nope", "/api/users/not-a-uuid/"])
def test_unknown_api_urls_are_json_404(client, path):
    resp = client.get(path)
    assert resp.status_code == 404
    assert resp["Content-Type"].startswith("application/json")
    assert_error_shape(resp.json(), "not_found")


def test_unhandled_error_is_json_500_without_traceback(client):
    for path in ("/api/test/boom/", "/api/test/plain-boom"):
        resp = client.get(path)
        assert resp.status_code == 500
        assert resp["Content-Type"].startswith("application/json")
        assert_error_shape(resp.json(), "server_error")
        assert b"secret internal detail" not in resp.content
        assert b"Traceback" not in resp.content


def test_body_over_one_mebibyte_is_json_413(client):
    body = json.dumps({"name": "x" * (1024 * 1024 + 10)})
    resp = client.post("/api/test/echo/", body, content_type="application/json")
    assert resp.status_code == 413
    assert_error_shape(resp.json(), "payload_too_large")


def test_wrong_content_type_is_json_415(client):
    resp = client.post("/api/test/echo/", "name=x", content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 415
    assert_error_shape(resp.json(), "unsupported_media_type")


def test_malformed_json_is_400(client):
    resp = client.post("/api/test/echo/", "{not json", content_type="application/json")
    assert resp.status_code == 400
    assert_error_shape(resp.json(), "parse_error")


def test_json_array_body_is_400_non_field_error(client):
    resp = client.post("/api/test/echo/", "[1,2]", content_type="application/json")
    assert resp.status_code == 400
    body = resp.json()
    assert "non_field_errors" in body
    assert body["errors"][0]["attr"] is None


def test_validation_error_shape_is_native_plus_summary(client):
    resp = client.post("/api/test/echo/", {"name": "x" * 11, "unknown": 1}, format="json")
    assert resp.status_code == 400
    body = resp.json()
    assert body["name"] == ["Ensure this field has no more than 10 characters."]
    assert body["detail"] == "name: Ensure this field has no more than 10 characters."
    assert body["errors"] == [
        {"attr": "name", "code": "max_length", "detail": "Ensure this field has no more than 10 characters."}
    ]


def test_method_not_allowed_is_json_405(client):
    resp = client.delete("/api/test/echo/")
    assert resp.status_code == 405
    assert_error_shape(resp.json(), "method_not_allowed")


def test_post_works_without_trailing_slash_and_is_not_redirected(client):
    resp = client.post("/api/test/echo", {"name": "ok"}, format="json")
    assert resp.status_code == 200
    assert resp.json() == {"name": "ok"}


def test_pagination_is_bare_array_with_total_and_link_headers(client):
    for i in range(7):
        UserFactory(username=f"u{i}")
    resp = client.get("/api/test/names/?limit=3&offset=3")
    assert resp.status_code == 200
    assert resp.json() == ["u3", "u4", "u5"]
    assert resp["X-Total-Count"] == "7"
    link = resp["Link"]
    assert 'offset=6>; rel="next"' in link and 'rel="prev"' in link
    last = client.get("/api/test/names/?limit=3&offset=6")
    assert last.json() == ["u6"] and 'rel="next"' not in last.get("Link", "")


def test_pagination_default_and_maximum(client):
    UserFactory.create_batch(3)
    assert len(client.get("/api/test/names/").json()) == 3
    assert client.get("/api/test/names/?limit=100000").status_code == 200


@pytest.mark.parametrize(
    "query", ["limit=abc", "limit=-1", "limit=0", "offset=-3", "offset=1e3", "limit=%00", "limit=99999999999999999999"]
)
def test_bad_pagination_params_are_400(client, query):
    resp = client.get(f"/api/test/names/?{query}")
    assert resp.status_code == 400
    assert_error_shape(resp.json())


def test_public_endpoint_treats_invalid_token_as_anonymous(client):
    user = UserFactory(username="known")
    client.credentials(HTTP_AUTHORIZATION="Bearer mock-jwt-token-123")
    assert client.get("/api/test/whoami/").json() == {"user": None}
    from users.tokens import tokens_for_user

    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for_user(user=user)['access']}")
    assert client.get("/api/test/whoami/").json() == {"user": "known"}


def test_cors_preflight_from_the_spa(client):
    resp = client.options(
        "/api/users/auth/login/",
        HTTP_ORIGIN="http://localhost:3000",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization,content-type",
    )
    assert resp.status_code == 200
    assert resp["Access-Control-Allow-Origin"] == "http://localhost:3000"
    listed = client.get("/api/test/names/", HTTP_ORIGIN="http://localhost:3000")
    assert "X-Total-Count" in listed["Access-Control-Expose-Headers"]
    evil = client.options(
        "/api/users/auth/login/", HTTP_ORIGIN="https://evil.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert "Access-Control-Allow-Origin" not in evil
