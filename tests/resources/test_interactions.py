import threading

import pytest
from django.db import connection, connections

from resources import selectors, services
from resources.models import Resource, UserInteractionVersion, UserResourceInteraction
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.resources.factories import ResourceFactory
from tests.users.test_auth_views import assert_error_shape

pytestmark = pytest.mark.django_db


@pytest.fixture
def resource(db):
    return ResourceFactory(title="Pro Git", tags=["git"])


def url(resource, action: str = "") -> str:
    return f"/api/resources/{resource.pk}/{action + '/' if action else ''}"


def fresh(resource) -> Resource:
    return Resource.objects.get(pk=resource.pk)


def version(user) -> int:
    return selectors.interaction_version(user=user)


# --- Rate -----------------------------------------------------------------------------------------------------------


def test_rating_gives_an_exact_float_mean_and_rerating_replaces(auth_client, other_client, user, resource):
    body = auth_client.post(url(resource, "rate"), {"rating": 5, "review": "Great."}, format="json").json()
    assert (body["rating"], body["rating_count"]) == (5.0, 1) and isinstance(body["rating"], float)
    assert [(i["interaction_type"], i["rating"], i["review"]) for i in body["user_interactions"]] == [
        ("rate", 5, "Great.")
    ]
    body = other_client.post(url(resource, "rate"), {"rating": 2}, format="json").json()
    assert (body["rating"], body["rating_count"]) == (3.5, 2)
    body = auth_client.post(url(resource, "rate"), {"rating": 3}, format="json").json()
    assert (body["rating"], body["rating_count"]) == (2.5, 2)
    assert body["user_interactions"][0]["review"] == "Great."  # review omitted: kept
    body = auth_client.post(url(resource, "rate"), {"rating": 3, "review": None}, format="json").json()
    assert body["user_interactions"][0]["review"] == ""  # review null: removed
    assert UserResourceInteraction.objects.filter(resource=resource, interaction_type="rate").count() == 2
    assert fresh(resource).popularity == 2 * 2  # two raters, weight 2 each


@pytest.mark.parametrize(
    "body",
    [{"rating": 0}, {"rating": 6}, {"rating": "five"}, {"rating": 4.5}, {"rating": True}, {}, {"rating": None},
     {"rating": 10**30}, {"rating": 3, "review": "x" * 5001}, {"rating": 3, "review": "nul\x00"},
     '{"rating": 3, "review": "\\ud800"}', {"rating": 3, "review": ["a"]}],
)  # fmt: skip
def test_bad_ratings_are_400_and_change_nothing(auth_client, user, resource, body):
    if isinstance(body, str):  # raw JSON: a lone surrogate escape cannot be encoded by the test client
        resp = auth_client.post(url(resource, "rate"), body, content_type="application/json")
    else:
        resp = auth_client.post(url(resource, "rate"), body, format="json")
    assert resp.status_code == 400, resp.content
    assert_error_shape(resp.json())
    assert not UserResourceInteraction.objects.exists()
    assert (fresh(resource).rating, fresh(resource).rating_count, version(user)) == (0.0, 0, 0)


def test_malformed_json_body_is_400(auth_client, resource):
    resp = auth_client.post(url(resource, "rate"), "{rating: 5", content_type="application/json")
    assert resp.status_code == 400
    assert_error_shape(resp.json(), "parse_error")


# --- Complete, like, save, view ---------------------------------------------------------------------------------------


def test_complete_records_time_and_repeating_it_is_idempotent(auth_client, user, resource):
    body = auth_client.post(url(resource, "complete"), {"time_spent_minutes": 40}, format="json").json()
    assert (body["interaction_type"], body["completed"], body["time_spent_minutes"]) == ("complete", True, 40)
    assert body["user"] == str(user.pk) and body["resource"] == resource.pk
    again = auth_client.post(url(resource, "complete"), {"time_spent_minutes": 40}, format="json").json()
    assert again["id"] == body["id"]
    assert version(user) == 1  # nothing changed the second time
    assert auth_client.post(url(resource, "complete"), {}, format="json").json()["time_spent_minutes"] == 40
    assert auth_client.post(url(resource, "complete"), {"time_spent_minutes": ""}, format="json").status_code == 200
    assert (
        auth_client.post(url(resource, "complete"), {"time_spent_minutes": 55}, format="json").json()[
            "time_spent_minutes"
        ]
        == 55
    )
    assert version(user) == 2
    assert (fresh(resource).completion_count, fresh(resource).popularity) == (1, 5)


@pytest.mark.parametrize("minutes", [-1, 100_001, "abc", 2.5, True, [1]])
def test_bad_completion_time_is_400(auth_client, resource, minutes):
    assert (
        auth_client.post(url(resource, "complete"), {"time_spent_minutes": minutes}, format="json").status_code == 400
    )
    assert not UserResourceInteraction.objects.exists()


@pytest.mark.parametrize(("action", "counter", "weight"), [("like", "like_count", 3), ("save", "save_count", 3)])
def test_like_and_save_set_on_post_and_clear_on_delete(auth_client, user, resource, action, counter, weight):
    first = auth_client.post(url(resource, action))
    assert first.status_code == 200 and first.json()["interaction_type"] == action
    assert auth_client.post(url(resource, action).rstrip("/")).json()["id"] == first.json()["id"]  # idempotent
    assert getattr(fresh(resource), counter) == 1 and fresh(resource).popularity == weight
    assert version(user) == 1
    assert auth_client.delete(url(resource, action)).status_code == 204
    assert auth_client.delete(url(resource, action)).status_code == 204  # clearing twice is fine
    assert not UserResourceInteraction.objects.filter(interaction_type=action).exists()
    assert (getattr(fresh(resource), counter), fresh(resource).popularity, version(user)) == (0, 0, 2)


def test_view_creates_once_then_refreshes_its_time(auth_client, user, resource):
    first = auth_client.post(url(resource, "view")).json()
    second = auth_client.post(url(resource, "view")).json()
    assert first["id"] == second["id"] and second["updated_at"] > first["updated_at"]
    assert (fresh(resource).view_count, fresh(resource).popularity, version(user)) == (1, 1, 1)


def test_interaction_version_counts_every_change_per_user(user, other_user, resource):
    assert version(user) == 0
    services.resource_view(user=user, resource=resource)
    services.resource_rate(user=user, resource=resource, rating=4)
    services.resource_rate(user=user, resource=resource, rating=4)  # unchanged: no bump
    services.resource_mark(user=user, resource=resource, interaction_type="save")
    services.resource_unmark(user=user, resource=resource, interaction_type="save")
    services.resource_complete(user=user, resource=resource)
    assert version(user) == 5
    assert version(other_user) == 0
    assert UserInteractionVersion.objects.get(user=user).version == 5


# --- Permissions ----------------------------------------------------------------------------------------------------

WRITES = [("post", "rate", {"rating": 4}), ("post", "complete", {}), ("post", "like", None), ("delete", "like", None),
          ("post", "save", None), ("delete", "save", None), ("post", "view", None)]  # fmt: skip


@pytest.mark.parametrize(("method", "action", "body"), WRITES)
def test_anonymous_writes_are_401_and_change_nothing(api_client, resource, method, action, body):
    resp = getattr(api_client, method)(url(resource, action), body, format="json")
    assert resp.status_code == 401
    assert_error_shape(resp.json(), "not_authenticated")
    assert not UserResourceInteraction.objects.exists()


@pytest.mark.parametrize(("method", "action", "body"), WRITES)
def test_writes_to_unknown_or_hidden_resources_are_404(auth_client, resource, method, action, body):
    Resource.objects.filter(pk=resource.pk).update(is_active=False)
    for target in (url(resource, action), f"/api/resources/999999/{action}/", f"/api/resources/{10**25}/{action}/"):
        assert getattr(auth_client, method)(target, body, format="json").status_code == 404
    assert not UserResourceInteraction.objects.exists()


def test_a_user_never_sees_or_changes_another_users_interactions(auth_client, other_client, user, other_user,
                                                                resource):  # fmt: skip
    auth_client.post(url(resource, "like"))
    auth_client.post(url(resource, "rate"), {"rating": 5, "review": "mine"}, format="json")
    other_client.delete(url(resource, "like"))  # clears only the other user's (absent) like
    assert UserResourceInteraction.objects.filter(user=user, interaction_type="like").exists()
    assert other_client.get(url(resource)).json()["user_interactions"] == []
    history = other_client.get(f"/api/users/{user.pk}/history/")
    assert history.status_code == 404  # another user's history is not visible
    assert other_client.get(f"/api/users/{other_user.pk}/history/").json() == []


# --- History --------------------------------------------------------------------------------------------------------


def test_interactions_feed_the_users_history(auth_client, user, resource):
    auth_client.post(url(resource, "view"))
    auth_client.post(url(resource, "rate"), {"rating": 4}, format="json")
    resp = auth_client.get(f"/api/users/{user.pk}/history/")
    assert resp.status_code == 200
    rows = [row for row in resp.json() if row["kind"] == "resource_interaction"]
    assert [(r["object_id"], r["title"], r["status"], r["score"]) for r in rows] == [
        (resource.pk, "Pro Git", "rate", 4.0),
        (resource.pk, "Pro Git", "view", None),
    ]


# --- Concurrency (PostgreSQL: real concurrent transactions) -------------------------------------------------------


def _run_threads(target, args_list) -> list:
    barrier = threading.Barrier(len(args_list))
    results: list = [None] * len(args_list)

    def run(index, *args):
        barrier.wait()
        try:
            results[index] = target(*args)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, *args)) for i, args in enumerate(args_list)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent transactions (PostgreSQL); SQLite serialises writers")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_raters_give_exact_aggregates():
    _needs_postgres()
    resource = ResourceFactory()
    users = [UserFactory() for _ in range(20)]
    values = [1 + (i * 3) % 5 for i in range(20)]

    def rate(user, value):
        return client_for(user).post(url(resource, "rate"), {"rating": value}, format="json").status_code

    assert _run_threads(rate, list(zip(users, values, strict=True))) == [200] * 20
    resource.refresh_from_db()
    assert resource.rating_count == 20
    assert resource.rating == pytest.approx(sum(values) / 20)
    assert resource.popularity == 40
    # Re-rating concurrently replaces: every user now rates 5.
    assert _run_threads(rate, [(u, 5) for u in users]) == [200] * 20
    resource.refresh_from_db()
    assert (resource.rating, resource.rating_count) == (5.0, 20)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("action", "body"), [("like", None), ("save", None), ("view", None), ("complete", {}),
                                              ("rate", {"rating": 3})])  # fmt: skip
def test_concurrent_identical_posts_make_one_row_and_no_5xx(action, body):
    _needs_postgres()
    resource = ResourceFactory()
    user = UserFactory()

    def post():
        return client_for(user).post(url(resource, action), body, format="json").status_code

    assert _run_threads(post, [()] * 8) == [200] * 8
    assert UserResourceInteraction.objects.filter(user=user, resource=resource).count() == 1
    resource.refresh_from_db()
    assert resource.popularity in (1, 2, 3, 5)  # counted once, whatever the weight
    assert selectors.interaction_version(user=user) == 1
