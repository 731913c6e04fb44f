"""Every list and search endpoint, every query parameter it documents, hostile values: a NUL byte, a lone
surrogate, numbers beyond float and 64-bit range, 10 kB of text. Each answers 4xx in the error shape or a normal
200 (a parameter the endpoint ignores or reads as text), never a 5xx. Endpoints come from our own schema, so a new
list endpoint is covered without touching this file."""

import json

import pytest
from django.test import Client

from tests.contract.test_schema_fuzz import schema
from tests.factories import StaffFactory
from users.tokens import tokens_for_user

HOSTILE = {
    "nul": "%00",
    "nul_inside": "py%00thon",
    "lone_surrogate": "%ED%A0%80",
    "float_overflow": "1e309",
    "int_overflow": "99999999999999999999",
    "negative_overflow": "-99999999999999999999",
    "ten_kb": "a" * 10_240,
}


def _list_operations() -> list[tuple[str, list[str], str]]:
    found = []
    for result in schema.get_all_operations():
        operation = result.ok()
        definition = operation.definition.raw
        if operation.method.upper() != "GET":
            continue
        ok = definition.get("responses", {}).get("200", {})
        body = ok.get("content", {}).get("application/json", {}).get("schema", {})
        params = [p["name"] for p in definition.get("parameters", []) if p.get("in") == "query"]
        if body.get("type") == "array" or "search" in operation.path:
            # the SPA's search box answers an object (SPA.md §1): its 200 body is whatever the schema says
            found.append((operation.path, params, "array" if body.get("type") == "array" else "object"))
    return found


LIST_OPERATIONS = _list_operations()


def test_list_endpoints_are_found():
    paths = {path for path, _, _ in LIST_OPERATIONS}
    assert {"/api/resources/search/", "/api/learning/learning-paths/", "/api/learning/modules/",
            "/api/roadmaps/", "/api/learning/progress/"} <= paths  # fmt: skip
    assert all(params for _, params, _ in LIST_OPERATIONS)


CASES = [
    pytest.param(path, param, value, kind, id=f"{path}?{param}={name}")
    for path, params, kind in LIST_OPERATIONS
    for param in params
    for name, value in HOSTILE.items()
]


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "param", "value", "kind"), CASES)
def test_hostile_query_value_is_a_client_error_or_ignored(path, param, value, kind):
    user = StaffFactory()  # staff reach every list, staff-only ones included, and only their own scoped rows
    client = Client(HTTP_AUTHORIZATION=f"Bearer {tokens_for_user(user=user)['access']}")
    url = path.replace("{user_id}", str(user.pk)) + f"?{param}={value}"
    response = client.get(url)
    assert response.status_code in (200, 400, 404), (url[:200], response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    if response.status_code == 200:
        assert isinstance(body, list if kind == "array" else dict)
    else:
        assert body["detail"] and body["errors"], body
