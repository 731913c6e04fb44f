"""Every input of the engine is part of the cache identity: the very next response honours a change."""

from unittest import mock

import pytest

from resources.models import Resource
from resources.recommend.services import scoring
from tests.conftest import client_for
from tests.recommend.test_recommendations import make_catalogue, url
from tests.resources.factories import ResourceFactory

pytestmark = pytest.mark.django_db


def violations(items: list[dict], *, avoid: set[str], max_duration: int | None) -> int:
    by_id = Resource.objects.in_bulk([i["id"] for i in items])
    bad = 0
    for item in items:
        r = by_id[item["id"]]
        too_long = max_duration is not None and (r.duration_minutes is None or r.duration_minutes > max_duration)
        bad += bool({t.lower() for t in r.tags} & avoid) or too_long
    return bad


def test_preference_change_is_honoured_by_the_very_next_response(user):
    make_catalogue(40)
    client = client_for(user)
    before = client.get(url(user.pk), {"limit": 10}).json()
    assert violations(before, avoid={"python", "sql"}, max_duration=40) > 0  # the change has something to remove
    assert client.get(url(user.pk), {"limit": 10}).json() == before  # cached
    body = {"avoid_tags": ["Python", "sql"], "max_duration_minutes": 40}
    assert client.put(f"/api/users/{user.pk}/preferences/", body, format="json").status_code == 200
    after = client.get(url(user.pk), {"limit": 10}).json()
    assert after and violations(after, avoid={"python", "sql"}, max_duration=40) == 0


def test_unchanged_preferences_keep_the_cache(user):
    make_catalogue(20)
    client = client_for(user)
    with mock.patch.object(scoring, "recommend", wraps=scoring.recommend) as computed:
        client.get(url(user.pk))
        client.put(f"/api/users/{user.pk}/preferences/", {"avoid_tags": []}, format="json")  # the same as before
        client.get(url(user.pk))
    assert computed.call_count == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [("learning_style", "visual"), ("preferred_difficulty", "advanced"), ("current_goal", "data analysis")],
)
def test_profile_fields_the_engine_reads_invalidate(user, field, value):
    make_catalogue(20)
    client = client_for(user)
    with mock.patch.object(scoring, "recommend", wraps=scoring.recommend) as computed:
        client.get(url(user.pk))
        client.get(url(user.pk))
        assert computed.call_count == 1
        assert client.patch(f"/api/users/{user.pk}/", {field: value}, format="json").status_code == 200
        client.get(url(user.pk))
        assert computed.call_count == 2
        client.patch(f"/api/users/{user.pk}/", {"dark_mode": True}, format="json")  # not read by the engine
        client.get(url(user.pk))
        assert computed.call_count == 2


def test_catalogue_change_is_visible_at_once(user):
    resources = make_catalogue(12)
    client = client_for(user)
    first = client.get(url(user.pk), {"limit": 12}).json()
    shown = first[0]["id"]
    hidden = Resource.objects.get(pk=shown)
    hidden.is_active = False
    hidden.save()  # a staff edit in the admin
    assert shown not in {i["id"] for i in client.get(url(user.pk), {"limit": 12}).json()}
    Resource.objects.filter(pk=resources[1].pk).update(is_active=False)  # a bulk hide (no timestamp)
    assert resources[1].pk not in {i["id"] for i in client.get(url(user.pk), {"limit": 12}).json()}
    new = ResourceFactory(title="Brand new", popularity=10_000, rating=5.0, rating_count=100, media_type="podcast")
    assert new.pk in {i["id"] for i in client.get(url(user.pk), {"limit": 12}).json()}


def test_preferences_interests_roundtrip_and_validation(user):
    client = client_for(user)
    purl = f"/api/users/{user.pk}/preferences/"
    ok = client.put(purl, {"interests": [" Data  analysis ", "sql", "SQL", "kubernetes"]}, format="json")
    assert ok.status_code == 200
    assert ok.json()["interests"] == ["Data analysis", "sql", "kubernetes"]
    for bad in (["x" * 101], [""], "sql", [1], ["a"] * 21, ["a\x00b"]):
        response = client.put(purl, {"interests": bad}, format="json")
        assert response.status_code == 400, bad
        assert response.json()["errors"][0]["attr"].startswith("interests")
    assert client.get(purl).json()["interests"] == ["Data analysis", "sql", "kubernetes"]
