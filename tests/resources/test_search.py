import json
import random
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.utils import timezone

from resources import results, selectors, services
from resources.models import Resource
from tests.resources.factories import ResourceFactory
from tests.users.test_auth_views import assert_error_shape

pytestmark = pytest.mark.django_db
SEARCH = "/api/resources/search/"


@pytest.fixture
def catalogue(db):
    """Six resources with distinct values for every filter and sort key; created_at one day apart."""
    specs = [
        dict(title="Primer on Python Decorators", media_type="article", difficulty="intermediate", duration_minutes=45,
             tags=["python", "decorators"], learning_style="reading", source="Real Python", rating=4.5, rating_count=2,
             popularity=30, description="How functions wrap functions, with closures and functools.wraps."),
        dict(title="Decorators Explained in Ten Minutes", media_type="video", difficulty="beginner",
             duration_minutes=10, tags=["python", "decorators"], learning_style="visual", source="YouTube", rating=3.0,
             rating_count=4, popularity=50, description="A screencast on the @ syntax in Python."),
        dict(title="Django Tutorial", media_type="tutorial", difficulty="beginner", duration_minutes=120,
             tags=["python", "django", "web"], learning_style="kinesthetic", source="Django Software Foundation",
             rating=5.0, rating_count=1, popularity=10, description="Build a polls app step by step with Django."),
        dict(title="SQL Basics", media_type="course", difficulty="beginner", duration_minutes=300,
             tags=["sql", "databases"], learning_style="reading", source="Khan Academy", rating=4.0, rating_count=8,
             popularity=70, description="Select, join and group rows in relational databases."),
        dict(title="Kubernetes in Depth", media_type="book", difficulty="advanced", duration_minutes=900,
             tags=["kubernetes", "devops"], learning_style="reading", source="O'Reilly", rating=0.0, rating_count=0,
             popularity=0, description="Pods, deployments, services and operators for production clusters."),
        dict(title="Talk Python Podcast", media_type="podcast", difficulty="intermediate", duration_minutes=None,
             tags=["python", "community"], learning_style="auditory", source="Talk Python", rating=2.0,
             rating_count=3, popularity=20, description="Weekly interviews with people who build things in Python."),
    ]  # fmt: skip
    now = timezone.now()
    resources = {}
    for index, spec in enumerate(specs):
        resource = ResourceFactory(**spec)
        Resource.objects.filter(pk=resource.pk).update(created_at=now - timedelta(days=10 - index))
        resources[spec["title"]] = resource
    services.search_terms_rebuild()
    return resources


def titles(resp) -> list[str]:
    assert resp.status_code == 200, resp.content
    return [item["title"] for item in resp.json()]


def test_search_with_the_seeds_query_params_verbatim(api_client, catalogue):
    raw = 'q=python&filters={"media_type":"video","difficulty":"beginner"}&sort=rating&order=desc'
    for path in ("/api/resources/search?", "/api/resources/search/?"):
        assert titles(api_client.get(path + raw)) == ["Decorators Explained in Ten Minutes"]
    # The same, URL-encoded as axios sends it; and the seed's empty filters object.
    encoded = "q=python&filters={}&sort=rating&order=desc".replace("{}", quote("{}"))
    assert titles(api_client.get(f"{SEARCH}?{encoded}")) == [
        "Django Tutorial", "Primer on Python Decorators", "Decorators Explained in Ten Minutes",
        "Talk Python Podcast",
    ]  # fmt: skip


def test_search_output_is_the_resource_shape_with_float_rating(api_client, catalogue):
    item = api_client.get(SEARCH, {"q": "kubernetes"}).json()[0]
    assert set(item) == {"id", "title", "description", "url", "media_type", "difficulty", "duration_minutes",
                         "rating", "rating_count", "tags", "prerequisites", "learning_style", "source", "scraped_at",
                         "created_at", "updated_at"}  # fmt: skip
    assert isinstance(item["rating"], float) and item["tags"] == ["kubernetes", "devops"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"media_type": "video"}, {"Decorators Explained in Ten Minutes"}),
        ({"media_type": ["book", "podcast"]}, {"Kubernetes in Depth", "Talk Python Podcast"}),
        ({"media_type": "book,podcast"}, {"Kubernetes in Depth", "Talk Python Podcast"}),
        ({"filters": '{"media_type": ["book", "podcast"]}'}, {"Kubernetes in Depth", "Talk Python Podcast"}),
        ({"difficulty": "advanced"}, {"Kubernetes in Depth"}),
        ({"filters": '{"difficulty": "intermediate"}'}, {"Primer on Python Decorators", "Talk Python Podcast"}),
        ({"learning_style": "auditory"}, {"Talk Python Podcast"}),
        ({"learning_style": "visual,kinesthetic"}, {"Decorators Explained in Ten Minutes", "Django Tutorial"}),
        ({"source": "real python"}, {"Primer on Python Decorators"}),
        ({"filters": '{"source": ["Khan Academy", "YouTube"]}'}, {"SQL Basics", "Decorators Explained in Ten Minutes"}),
        ({"tags": "django,sql"}, {"Django Tutorial", "SQL Basics"}),
        ({"tags": "python,decorators", "tags_mode": "all"},
         {"Primer on Python Decorators", "Decorators Explained in Ten Minutes"}),
        ({"filters": '{"tags": {"all": ["python", "web"]}}'}, {"Django Tutorial"}),
        ({"filters": '{"tags": {"any": ["DEVOPS", "web"]}}'}, {"Django Tutorial", "Kubernetes in Depth"}),
        ({"filters": '{"tags": ["community"], "tags_mode": "all"}'}, {"Talk Python Podcast"}),
        ({"max_duration": "45"}, {"Primer on Python Decorators", "Decorators Explained in Ten Minutes"}),
        ({"filters": '{"max_duration": 10}'}, {"Decorators Explained in Ten Minutes"}),
        ({"min_rating": "4"}, {"Primer on Python Decorators", "Django Tutorial", "SQL Basics"}),
        ({"filters": '{"min_rating": 4.5}'}, {"Primer on Python Decorators", "Django Tutorial"}),
        ({"filters": '{"media_type": "tutorial", "difficulty": "beginner", "min_rating": 1, "max_duration": 600}'},
         {"Django Tutorial"}),
        ({"media_type": "video", "filters": '{"media_type": "book"}'}, {"Kubernetes in Depth"}),  # JSON wins
        ({"filters": ""}, None),
        ({"filters": "null"}, None),
        ({"max_duration": "", "min_rating": "", "media_type": ""}, None),
    ],
)  # fmt: skip
def test_each_filter_as_flat_params_and_as_json(api_client, catalogue, params, expected):
    assert set(titles(api_client.get(SEARCH, params))) == (expected or set(catalogue))


@pytest.mark.parametrize(
    ("sort", "order", "expected"),
    [
        ("rating", "desc", ["Django Tutorial", "Primer on Python Decorators", "SQL Basics",
                            "Decorators Explained in Ten Minutes", "Talk Python Podcast", "Kubernetes in Depth"]),
        ("rating", "asc", ["Kubernetes in Depth", "Talk Python Podcast", "Decorators Explained in Ten Minutes",
                           "SQL Basics", "Primer on Python Decorators", "Django Tutorial"]),
        ("duration_minutes", "asc", ["Decorators Explained in Ten Minutes", "Primer on Python Decorators",
                                     "Django Tutorial", "SQL Basics", "Kubernetes in Depth", "Talk Python Podcast"]),
        ("duration_minutes", "desc", ["Kubernetes in Depth", "SQL Basics", "Django Tutorial",
                                      "Primer on Python Decorators", "Decorators Explained in Ten Minutes",
                                      "Talk Python Podcast"]),
        ("created_at", "desc", ["Talk Python Podcast", "Kubernetes in Depth", "SQL Basics", "Django Tutorial",
                                "Decorators Explained in Ten Minutes", "Primer on Python Decorators"]),
        ("created_at", "asc", ["Primer on Python Decorators", "Decorators Explained in Ten Minutes",
                               "Django Tutorial", "SQL Basics", "Kubernetes in Depth", "Talk Python Podcast"]),
        ("title", "asc", ["Decorators Explained in Ten Minutes", "Django Tutorial", "Kubernetes in Depth",
                          "Primer on Python Decorators", "SQL Basics", "Talk Python Podcast"]),
        ("title", "desc", ["Talk Python Podcast", "SQL Basics", "Primer on Python Decorators",
                           "Kubernetes in Depth", "Django Tutorial", "Decorators Explained in Ten Minutes"]),
        ("popularity", "desc", ["SQL Basics", "Decorators Explained in Ten Minutes", "Primer on Python Decorators",
                                "Talk Python Podcast", "Django Tutorial", "Kubernetes in Depth"]),
        ("popularity", "asc", ["Kubernetes in Depth", "Django Tutorial", "Talk Python Podcast",
                               "Primer on Python Decorators", "Decorators Explained in Ten Minutes", "SQL Basics"]),
    ],
)  # fmt: skip
def test_each_sort_in_both_orders(api_client, catalogue, sort, order, expected):
    assert titles(api_client.get(SEARCH, {"sort": sort, "order": order})) == expected


def test_default_order_is_rating_without_q_and_relevance_with_q(api_client, catalogue):
    assert titles(api_client.get(SEARCH))[:2] == ["Django Tutorial", "Primer on Python Decorators"]
    assert titles(api_client.get(SEARCH, {"sort": "relevance"}))[:2] == [
        "Django Tutorial",
        "Primer on Python Decorators",
    ]
    # "decorators" is in both decorator titles; the other python resources only mention python.
    ranked = titles(api_client.get(SEARCH, {"q": "python decorators"}))
    assert set(ranked[:2]) == {"Primer on Python Decorators", "Decorators Explained in Ten Minutes"}
    assert ranked[0] == "Primer on Python Decorators"  # both words in its title
    assert titles(api_client.get(SEARCH, {"q": "python decorators", "order": "asc"}))[-1] == ranked[0]


@pytest.mark.parametrize("q", ["pyhton decorators", "python decoratros", "PYTHON Decorater", "pythn decorators"])
def test_typos_still_find_python_decorator_resources(api_client, catalogue, q):
    ranked = titles(api_client.get(SEARCH, {"q": q}))
    assert set(ranked[:2]) == {"Primer on Python Decorators", "Decorators Explained in Ten Minutes"}


def test_typo_correction_prefers_the_nearest_vocabulary_word(catalogue):
    from resources.search import correct_query

    assert correct_query("pyhton decorators") == "python decorators"
    assert correct_query("kubernets") == "kubernetes"
    assert correct_query("djagno") == "django"
    assert correct_query('"relational databses" -kubernetes') == '"relational databases" -kubernetes'
    assert correct_query("zzzzqqq") == "zzzzqqq"  # nothing near: left alone


def test_typo_correction_leaves_english_words_the_catalogue_lacks_alone(catalogue, monkeypatch):
    from resources import search

    # "basic" and "tutorials" are one edit from the catalogue's "basics" and "tutorial"; "pyhton" is no word at all.
    q = "basic python tutorials"
    assert search.correct_query("basic pyhton tutorials") == q
    assert search.correct_query("djagno tutorials for a beginner") == "django tutorials for a beginner"
    monkeypatch.setattr(search, "english_words", frozenset)  # without the English word list: rewritten
    assert search.correct_query(q) == "basics python tutorial"


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("python -decorators", {"Django Tutorial", "Talk Python Podcast"}),
        ('"step by step"', {"Django Tutorial"}),
        ("kubernetes or sql", {"Kubernetes in Depth", "SQL Basics"}),
        ("databases", {"SQL Basics"}),
        ("polls app", {"Django Tutorial"}),
    ],
)
def test_websearch_syntax(api_client, catalogue, q, expected):
    assert set(titles(api_client.get(SEARCH, {"q": q}))) == expected


def test_q_combines_with_filters_and_unmatched_q_is_an_empty_list(api_client, catalogue):
    assert titles(api_client.get(SEARCH, {"q": "python", "media_type": "podcast"})) == ["Talk Python Podcast"]
    resp = api_client.get(SEARCH, {"q": "haskell monads"})
    assert resp.json() == [] and resp["X-Total-Count"] == "0"
    for q in ("the", "-python", '""', "or", "   "):  # only stop words, only exclusions, empty: no crash
        resp = api_client.get(SEARCH, {"q": q})
        assert resp.status_code == 200, (q, resp.content)


def test_search_is_paginated_with_headers(api_client, catalogue):
    resp = api_client.get(SEARCH, {"sort": "title", "limit": 2, "offset": 2})
    assert titles(resp) == ["Kubernetes in Depth", "Primer on Python Decorators"]
    assert resp["X-Total-Count"] == "6"
    assert 'rel="next"' in resp["Link"] and 'rel="prev"' in resp["Link"]


def test_inactive_resources_are_hidden(api_client, catalogue):
    hidden = catalogue["SQL Basics"]
    Resource.objects.filter(pk=hidden.pk).update(is_active=False)
    assert "SQL Basics" not in titles(api_client.get(SEARCH))
    assert titles(api_client.get(SEARCH, {"q": "sql"})) == []
    assert api_client.get(f"/api/resources/{hidden.pk}/").status_code == 404


BAD_PARAMS = [
    ({"filters": "{bad json"}, "filters"),
    ({"filters": "[1, 2]"}, "filters"),
    ({"filters": '"video"'}, "filters"),
    ({"filters": "1e999"}, "filters"),
    ({"filters": "[" * 5000}, "filters"),
    ({"filters": '{"media_type": "audio"}'}, "media_type"),
    ({"filters": '{"media_type": {"nested": 1}}'}, "media_type"),
    ({"filters": '{"media_type": "\\ud800"}'}, "filters"),
    ({"filters": '{"source": "a\\u0000b"}'}, "filters"),
    ({"filters": '{"tags": {"some": ["x"]}}'}, "filters"),
    ({"filters": '{"tags": {"any": ["x"], "all": ["y"]}}'}, "filters"),
    ({"filters": '{"max_duration": true}'}, "max_duration"),
    ({"filters": '{"max_duration": 1.5}'}, "max_duration"),
    ({"filters": '{"min_rating": "NaN"}'}, "min_rating"),
    ({"sort": "password"}, "sort"),
    ({"sort": "-rating"}, "sort"),
    ({"order": "up"}, "order"),
    ({"q": "python\x00"}, "q"),
    ({"q": "x" * 501}, "q"),
    ({"max_duration": "1e309"}, "max_duration"),
    ({"max_duration": "99999999999999999999999"}, "max_duration"),
    ({"max_duration": "0"}, "max_duration"),
    ({"max_duration": "-5"}, "max_duration"),
    ({"min_rating": "nan"}, "min_rating"),
    ({"min_rating": "inf"}, "min_rating"),
    ({"min_rating": "6"}, "min_rating"),
    ({"min_rating": "x" * 2000}, "min_rating"),
    ({"media_type": "audio"}, "media_type"),
    ({"difficulty": "expert"}, "difficulty"),
    ({"learning_style": "telepathic"}, "learning_style"),
    ({"tags_mode": "most"}, "tags_mode"),
    ({"tags": ",".join(f"t{i}" for i in range(21))}, "tags"),
    ({"tags": "x" * 61}, "tags"),
    ({"limit": "-1"}, "limit"),
    ({"offset": "abc"}, "offset"),
]


@pytest.mark.parametrize(("params", "attr"), BAD_PARAMS)
def test_bad_search_input_is_400_never_500(api_client, catalogue, params, attr):
    resp = api_client.get(SEARCH, params)
    assert resp.status_code == 400, resp.content
    body = resp.json()
    assert_error_shape(body)
    assert any(item["attr"] is not None and item["attr"].split(".")[0] == attr for item in body["errors"]), body


def test_raw_nul_and_undecodable_bytes_in_the_query_string_are_handled(api_client, catalogue):
    assert api_client.get(SEARCH + "?q=py%00thon").status_code == 400
    resp = api_client.get(SEARCH + "?q=%ED%A0%80python")  # an encoded lone surrogate decodes to U+FFFD
    assert resp.status_code == 200
    assert api_client.get(SEARCH + "?filters=%7B%22q%22%3A%22%ED%A0%80%22%7D").status_code == 200


def test_search_query_count_is_constant(api_client, catalogue, django_assert_num_queries):
    for i in range(20):
        ResourceFactory(title=f"Extra python resource {i}", tags=["python"])
    with django_assert_num_queries(2):  # count + page
        assert len(api_client.get(SEARCH).json()) == 26
    with django_assert_num_queries(1):  # the total is cached: another page reads its rows alone
        assert len(api_client.get(SEARCH, {"offset": 1}).json()) == 25
    # vocabulary look-up + every-word probe + ranked window with total + page rows (+ title re-rank on PostgreSQL)
    cold = 5 if connection.vendor == "postgresql" else 4
    with django_assert_num_queries(cold):
        assert len(api_client.get(SEARCH, {"q": "python", "tags": "python"}).json()) == 24
    with django_assert_num_queries(1):  # the ranked window is cached: another page reads its rows alone
        assert len(api_client.get(SEARCH, {"q": "python", "tags": "python", "limit": 10}).json()) == 10
    with django_assert_num_queries(0):  # the same page again within seconds is served as rendered
        assert len(api_client.get(SEARCH, {"q": "python", "tags": "python"}).json()) == 24


def test_a_repeated_search_page_is_the_same_page_until_a_rating_ages_out(api_client, catalogue, settings):
    first = api_client.get(SEARCH, {"q": "python", "limit": 3})
    again = api_client.get(SEARCH, {"q": "python", "limit": 3})
    assert again.json() == first.json()
    assert {k: again[k] for k in ("X-Total-Count", "Link")} == {k: first[k] for k in ("X-Total-Count", "Link")}
    top = first.json()[0]["id"]
    Resource.objects.filter(pk=top).update(rating=1.5, rating_count=7)  # a rating is no catalogue write
    cached = api_client.get(SEARCH, {"q": "python", "limit": 3}).json()  # at most the cache's 30 s old
    assert cached[0]["rating_count"] == first.json()[0]["rating_count"]
    settings.RESOURCES_SEARCH_PAGE_CACHE_SECONDS = 0  # off: every page is read afresh
    fresh = {r["id"]: r for r in api_client.get(SEARCH, {"q": "python", "limit": 3}).json()}
    assert fresh[top]["rating_count"] == 7
    # min_rating pages are never cached: their membership moves with every rating
    settings.RESOURCES_SEARCH_PAGE_CACHE_SECONDS = 30
    assert results.page_cache_key("http://testserver/x?q=python&min_rating=4") is None
    assert results.page_cache_key("http://testserver/x?filters=%7B%22min%5Frating%22%3A4%7D") is None
    assert results.page_cache_key("http://testserver/x?q=python") is not None


def test_cached_searches_see_catalogue_changes_at_once(api_client, catalogue):
    assert titles(api_client.get(SEARCH, {"q": "kubernetes"})) == ["Kubernetes in Depth"]
    resource = ResourceFactory(title="Kubernetes Patterns", tags=["kubernetes"])
    services.search_terms_add(resource=resource)  # what the admin does after a save
    assert set(titles(api_client.get(SEARCH, {"q": "kubernetes"}))) == {"Kubernetes in Depth", "Kubernetes Patterns"}
    assert api_client.get(SEARCH, {"tags": "kubernetes"})["X-Total-Count"] == "2"
    Resource.objects.filter(pk=resource.pk).update(is_active=False)
    services.search_terms_rebuild()  # what seeding, scraping and the admin's hide action end with
    assert titles(api_client.get(SEARCH, {"q": "kubernetes"})) == ["Kubernetes in Depth"]
    assert api_client.get(SEARCH, {"tags": "kubernetes"})["X-Total-Count"] == "1"


def test_pages_past_the_ranked_window_continue_without_gaps(api_client, db, monkeypatch):
    from resources import results

    monkeypatch.setattr(results, "WINDOW", 7)
    for i in range(20):
        ResourceFactory(title=f"Widget handbook {i}", description="widget " * (i % 5 + 1), rating=(i * 7) % 5)
    services.search_terms_rebuild()
    everything = [r["id"] for r in api_client.get(SEARCH, {"q": "widget", "limit": 50}).json()]
    paged = []
    for offset in range(0, 20, 6):
        paged += [r["id"] for r in api_client.get(SEARCH, {"q": "widget", "limit": 6, "offset": offset}).json()]
    assert len(everything) == 20 and paged == everything


def test_detail_is_public_and_shows_only_the_callers_interactions(api_client, auth_client, other_client, user,
                                                                 other_user, catalogue):  # fmt: skip
    resource = catalogue["SQL Basics"]
    services.resource_mark(user=user, resource=resource, interaction_type="like")
    services.resource_rate(user=other_user, resource=resource, rating=2, review="not for me")
    body = api_client.get(f"/api/resources/{resource.pk}").json()
    assert body["title"] == "SQL Basics" and body["user_interactions"] == []
    mine = auth_client.get(f"/api/resources/{resource.pk}/").json()["user_interactions"]
    assert [(i["interaction_type"], i["user"]) for i in mine] == [("like", str(user.pk))]
    theirs = other_client.get(f"/api/resources/{resource.pk}/").json()["user_interactions"]
    assert [(i["interaction_type"], i["rating"], i["review"]) for i in theirs] == [("rate", 2, "not for me")]


def test_detail_with_a_stale_or_fake_token_is_anonymous(api_client, catalogue):
    resource = catalogue["SQL Basics"]
    api_client.credentials(HTTP_AUTHORIZATION="Bearer mock-jwt-token-123")
    assert api_client.get(f"/api/resources/{resource.pk}/").status_code == 200
    assert api_client.get(SEARCH, {"q": "sql"}).status_code == 200


@pytest.mark.parametrize("resource_id", ["424242", "99999999999999999999999"])
def test_unknown_resource_is_404(api_client, catalogue, resource_id):
    resp = api_client.get(f"/api/resources/{resource_id}/")
    assert resp.status_code == 404
    assert_error_shape(resp.json(), "not_found")


def test_detail_query_count(api_client, catalogue, django_assert_num_queries):
    resource = catalogue["SQL Basics"]
    with django_assert_num_queries(1):
        assert api_client.get(f"/api/resources/{resource.pk}/").status_code == 200


# --- PostgreSQL: the indexes are really used ----------------------------------------------------------------------


def _bulk_catalogue(n: int) -> None:
    """n generated resources, stored with one real vector pair each (what they mean is not under test here: the
    plans are): `search_terms_rebuild` then counts their words without embedding 20k rows with both models, which
    took ~2.5 minutes of the suite on PostgreSQL."""
    from common.retrieval import embed_precise_texts, embed_texts, encode_vector

    fast, precise = encode_vector(embed_texts(["bulk resource"])[0]), encode_vector(embed_precise_texts(["bulk"])[0])
    rng = random.Random(5)
    topics = ["python", "django", "sql", "git", "docker", "linux", "react", "rust", "statistics", "algorithms"]
    filler = ("learn build practice guide notes chapter intro deep dive course video lecture project exercise "
              "reference patterns testing design systems data web cloud").split()  # fmt: skip
    rows = []
    for i in range(n):
        topic = rng.choice(topics)
        words = " ".join(rng.choice(filler) for _ in range(40))
        tags = [topic, rng.choice(topics)] + (["zeppelinology"] if i % 1000 == 0 else [])
        title = f"{topic.title()} {rng.choice(filler)} {i}" + (" quetzalcoatl" if i % 1000 == 0 else "")
        url = f"https://bulk.example.com/{i}"
        rows.append(Resource(title=title, description=f"{topic} {words}", url=url, canonical_url=url,
                             media_type="article", difficulty="beginner", duration_minutes=30, tags=tags,
                             embedding=fast, meaning=precise))  # fmt: skip
    Resource.objects.bulk_create(rows, batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE resources")


@pytest.mark.slow
def test_explain_shows_the_gin_indexes_on_20k_resources():
    if connection.vendor != "postgresql":
        pytest.skip("GIN / pg_trgm indexes exist only on PostgreSQL; SQLite searches without them")
    _bulk_catalogue(20_000)
    services.search_terms_rebuild()
    plan = selectors.resource_search(q="quetzalcoatl").explain()
    assert "resources_search_vector_gin" in plan, plan
    assert selectors.resource_search(q="quetzalcoatl").count() == 20
    plan = selectors.resource_search(tags=["zeppelinology"], tags_mode="all").explain()
    assert "resources_tags_gin" in plan, plan
    plan = selectors.resource_search(tags=["zeppelinology", "nothing"], tags_mode="any").explain()
    assert "resources_tags_gin" in plan, plan
    # No full-text match → the pg_trgm title index serves the similarity fallback.
    plan = Resource.objects.filter(title__trigram_word_similar="quetzalcoatlx").explain()
    assert "resources_title_trgm" in plan, plan
    assert selectors.resource_search(q="quetzalcoatel").count() == 20  # typo corrected through the vocabulary


def test_search_selector_parameters_match_the_serializer():
    data = {"q": "python", "filters": json.dumps({"tags": {"all": ["a"]}})}
    from django.http import QueryDict

    from resources.serializers import ResourceSearchInputSerializer, search_query_data

    query = QueryDict(mutable=True)
    query.update(data)
    serializer = ResourceSearchInputSerializer(data=search_query_data(query))
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data == {"q": "python", "tags": ["a"], "tags_mode": "all"}
    assert selectors.resource_search(**serializer.validated_data).count() == 0


# --- Broad searches: a bounded ranking pool and an estimated total (PostgreSQL) ---------------------------------------


@pytest.fixture
def broad(db, monkeypatch):
    """30 "widget" resources (10 with the word in the title, 20 only in the description), with the exact-count bound
    and the ranking window lowered so that "widget" is a broad query."""
    if connection.vendor != "postgresql":
        pytest.skip("the bounded pool and the planner's estimate exist only on PostgreSQL")
    from resources import results

    monkeypatch.setattr(results, "EXACT_TOTAL_UP_TO", 12)
    monkeypatch.setattr(results, "WINDOW", 8)
    for i in range(10):
        ResourceFactory(title=f"Widget handbook {i}", description="All about one thing.", rating=i % 5)
    for i in range(20):
        ResourceFactory(title=f"Gadget notes {i}", description="A widget appears here " + "and more " * i)
    services.search_terms_rebuild()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE resources")


def test_broad_search_ranks_title_matches_first_and_flags_an_estimated_total(api_client, broad):
    resp = api_client.get(SEARCH, {"q": "widget", "limit": 8})
    assert resp["X-Total-Count-Estimated"] == "true"
    assert int(resp["X-Total-Count"]) > 12  # an estimate, never below the bound the count stopped at
    assert all(title.startswith("Widget handbook") for title in titles(resp))
    narrow = api_client.get(SEARCH, {"q": "handbook"})
    assert narrow["X-Total-Count"] == "10" and "X-Total-Count-Estimated" not in narrow


def test_broad_search_pages_list_every_match_once_whatever_the_estimate(api_client, broad):
    seen, offset = [], 0
    while True:  # follow the next links: an estimated total neither cuts the pages short nor ends them
        resp = api_client.get(SEARCH, {"q": "widget", "limit": 7, "offset": offset})
        seen += [r["id"] for r in resp.json()]
        if 'rel="next"' not in resp.get("Link", ""):
            break
        offset += 7
    widgets = Resource.objects.filter(search_vector=SearchQuery("widget", config="english"))
    everything = set(widgets.values_list("pk", flat=True))
    assert len(seen) == len(set(seen)) and set(seen) == everything


def test_broad_search_sorted_by_a_column_estimates_its_total_too(api_client, broad):
    resp = api_client.get(SEARCH, {"q": "widget", "sort": "rating"})
    assert resp["X-Total-Count-Estimated"] == "true" and int(resp["X-Total-Count"]) > 12
    assert len(resp.json()) == 30
    exact = api_client.get(SEARCH, {"q": "handbook", "sort": "rating"})
    assert exact["X-Total-Count"] == "10" and "X-Total-Count-Estimated" not in exact


def test_a_learners_long_question_is_searched_not_refused(api_client, catalogue):
    """A whole question (past the old 200-character limit) is read by its first content words, not answered 400."""
    question = (
        "I have been building a small shop site with Django for my family's business and after reading a lot of "
        "tutorials I still do not understand where to start with the Django tutorial, what do people recommend "
        "reading first and in which order, and is there anything about the admin site I should know"
    )
    assert 200 < len(question) <= 500
    resp = api_client.get(SEARCH, {"q": question})
    assert resp.status_code == 200, resp.content
    assert resp.json()[0]["title"] == "Django Tutorial"
