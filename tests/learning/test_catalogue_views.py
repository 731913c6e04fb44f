import pytest

from tests.learning.factories import ExerciseTestCaseFactory, LearningPathFactory, ModuleFactory
from tests.users.test_auth_views import assert_error_shape

pytestmark = pytest.mark.django_db

PATH_KEYS = {"id", "slug", "title", "description", "difficulty_level", "estimated_duration", "modules_count",
             "rating", "rating_count", "created_at", "updated_at"}  # fmt: skip
MODULE_KEYS = {"id", "learning_path", "slug", "title", "description", "content", "order_index", "estimated_duration",
               "module_type", "prerequisites", "language", "starter_code", "created_at", "updated_at"}  # fmt: skip


def test_paths_list_is_public_bare_array_with_float_rating(api_client):
    LearningPathFactory(title="Python", rating=4.0)
    LearningPathFactory(title="Jac", rating=3.5)
    resp = api_client.get("/api/learning/learning-paths/")
    assert resp.status_code == 200
    body = resp.json()
    assert isinstance(body, list) and [p["title"] for p in body] == ["Python", "Jac"]
    assert set(body[0]) == PATH_KEYS
    assert isinstance(body[0]["rating"], float) and body[0]["rating"] == 4.0
    assert resp["X-Total-Count"] == "2"


def test_paths_list_treats_a_fake_token_as_anonymous(api_client):
    LearningPathFactory()
    api_client.credentials(HTTP_AUTHORIZATION="Bearer mock-jwt-token-abc")
    assert api_client.get("/api/learning/learning-paths/").status_code == 200


def test_paths_filter_by_difficulty_and_search(api_client):
    LearningPathFactory(title="Python Basics", difficulty_level="beginner")
    LearningPathFactory(title="Advanced Jac", difficulty_level="advanced", description="graphs and walkers")
    by_level = api_client.get("/api/learning/learning-paths/?difficulty_level=advanced").json()
    assert [p["title"] for p in by_level] == ["Advanced Jac"]
    by_word = api_client.get("/api/learning/learning-paths/?search=WALKERS").json()
    assert [p["title"] for p in by_word] == ["Advanced Jac"]
    assert api_client.get("/api/learning/learning-paths/?search=nothing-like-this").json() == []


@pytest.mark.parametrize("query", ["difficulty_level=expert", "search=%00", "search=" + "x" * 300])
def test_paths_bad_filters_are_400(api_client, query):
    resp = api_client.get(f"/api/learning/learning-paths/?{query}")
    assert resp.status_code == 400
    assert_error_shape(resp.json())


def test_path_detail_has_modules_and_progress_for_signed_in_user(api_client, auth_client, user):
    path = LearningPathFactory()
    first = ModuleFactory(learning_path=path, order_index=1)
    ModuleFactory(learning_path=path, order_index=2, prerequisites=[first])
    anon = api_client.get(f"/api/learning/learning-paths/{path.pk}/").json()
    assert anon["progress_percentage"] is None
    assert [m["order_index"] for m in anon["modules"]] == [1, 2]
    assert anon["modules"][1]["prerequisites"] == [first.pk]
    assert "content" not in anon["modules"][0]
    auth_client.patch(f"/api/learning/user-module-progress/?module={first.pk}", {"status": "completed"}, format="json")
    mine = auth_client.get(f"/api/learning/learning-paths/{path.pk}").json()
    assert mine["progress_percentage"] == 50.0


def test_path_detail_unknown_is_404(api_client):
    resp = api_client.get("/api/learning/learning-paths/999999/")
    assert resp.status_code == 404
    assert_error_shape(resp.json(), "not_found")


def test_modules_by_path_are_ordered_and_complete(api_client):
    path = LearningPathFactory()
    other = LearningPathFactory()
    m2 = ModuleFactory(learning_path=path, order_index=2)
    m1 = ModuleFactory(learning_path=path, order_index=1)
    ModuleFactory(learning_path=other, order_index=1)
    resp = api_client.get(f"/api/learning/modules/?learning_path={path.pk}")
    assert resp.status_code == 200
    body = resp.json()
    assert [m["id"] for m in body] == [m1.pk, m2.pk]
    assert set(body[0]) == MODULE_KEYS
    assert body[0]["learning_path"] == path.pk


@pytest.mark.parametrize("query", ["learning_path=abc", "learning_path=-1", "module_type=video"])
def test_modules_bad_filters_are_400(api_client, query):
    assert api_client.get(f"/api/learning/modules/?{query}").status_code == 400


def test_module_detail_never_shows_the_solution(api_client):
    module = ModuleFactory(module_type="exercise", solution="print('secret solution')", starter_code="# start")
    resp = api_client.get(f"/api/learning/modules/{module.pk}/")
    assert resp.status_code == 200
    assert set(resp.json()) == MODULE_KEYS
    assert b"secret solution" not in resp.content
    assert resp.json()["starter_code"] == "# start"


def test_list_queries_are_constant(api_client, django_assert_num_queries):
    path = LearningPathFactory()
    previous = None
    for i in range(3):
        previous = ModuleFactory(learning_path=path, order_index=i + 1, prerequisites=[previous] if previous else [])
    LearningPathFactory.create_batch(2)
    # A page shorter than the limit is the whole list, so no COUNT(*): paths = page; modules = page + prerequisites
    with django_assert_num_queries(1):
        assert len(api_client.get("/api/learning/learning-paths/").json()) == 3
    with django_assert_num_queries(2):
        assert len(api_client.get(f"/api/learning/modules/?learning_path={path.pk}").json()) == 3
    for i in range(10):
        previous = ModuleFactory(learning_path=path, order_index=10 + i, prerequisites=[previous])
    LearningPathFactory.create_batch(10)
    with django_assert_num_queries(1):
        assert len(api_client.get("/api/learning/learning-paths/").json()) == 13
    with django_assert_num_queries(2):
        assert len(api_client.get(f"/api/learning/modules/?learning_path={path.pk}").json()) == 13
    # A full page cannot tell the total: count + page (+ prerequisites)
    with django_assert_num_queries(2):
        response = api_client.get("/api/learning/learning-paths/?limit=5")
    assert len(response.json()) == 5 and response["X-Total-Count"] == "13"
    with django_assert_num_queries(2):  # module + its prerequisites
        api_client.get(f"/api/learning/modules/{previous.pk}/")


def test_test_cases_show_only_visible_ones_to_signed_in_users(api_client, auth_client):
    module = ModuleFactory(module_type="exercise")
    visible = ExerciseTestCaseFactory(module=module, input="1\n", expected_output="one\n")
    ExerciseTestCaseFactory(module=module, input="SECRET-IN\n", expected_output="SECRET-OUT\n", is_hidden=True)
    assert api_client.get(f"/api/learning/test-cases/?module={module.pk}").status_code == 401
    resp = auth_client.get(f"/api/learning/test-cases/?module={module.pk}")
    assert resp.status_code == 200
    assert resp.json() == [
        {"id": visible.pk, "module": module.pk, "input": "1\n", "expected_output": "one\n", "points": 10}
    ]
    assert b"SECRET" not in resp.content
    assert b"SECRET" not in auth_client.get(f"/api/learning/modules/{module.pk}/").content
    assert auth_client.get("/api/learning/test-cases/").status_code == 400
    assert auth_client.get("/api/learning/test-cases/?module=987654").status_code == 404
