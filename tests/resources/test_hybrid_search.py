"""Hybrid catalogue search (resources/hybrid.py, resources/query.py): intent, expansions, dense ranking, the
semantic fill, stored embeddings and the shared `resources` retrieval index."""

import numpy as np
import pytest
from django.core.management import call_command
from django.test import override_settings

from common.retrieval import EMBEDDING_DIM, PRECISE_DIM, decode_precise, decode_vector, get_index, index_builds
from resources import hybrid, services
from resources.models import Resource
from resources.query import understand
from resources.results import catalogue_changed
from tests.resources.factories import ResourceFactory

pytestmark = pytest.mark.django_db
SEARCH = "/api/resources/search/"


@pytest.fixture
def catalogue(db):
    specs = [
        dict(title="Postman Learning Center", tags=["rest-api", "tooling"], media_type="documentation",
             description="Guides to sending requests and testing HTTP APIs with Postman."),
        dict(title="Cloudflare Learning Center", tags=["networking", "security"], media_type="article",
             description="Articles explaining DNS, CDNs and network security."),
        dict(title="A Complete Guide to Flexbox", tags=["css", "flexbox", "layout"], media_type="article",
             description="Align, justify and center items in rows and columns with CSS flexible boxes."),
        dict(title="CSS Grid Layout", tags=["css", "css-grid", "layout"], media_type="documentation",
             description="Two-dimensional page layout with rows, columns and gaps."),
        dict(title="Oh Shit, Git!?!", tags=["git", "debugging"], media_type="article",
             description="Plain-English fixes for git mistakes: undo a commit, amend, reset and the reflog."),
        dict(title="Pro Git", tags=["git", "version-control"], media_type="book",
             description="The whole of git: commits, branches, merging, rebasing and internals."),
        dict(title="Learn Git Branching", tags=["git", "branching"], media_type="interactive",
             description="Visual exercises on branches, merges, rebases and history."),
        dict(title="Talk Python To Me", tags=["python", "community"], media_type="podcast",
             description="Weekly interviews about Python, its libraries and the people who build them."),
        dict(title="Version Control Radio", tags=["git", "community"], media_type="podcast",
             description="Conversations about source control, branching strategies and collaboration."),
        dict(title="Kubernetes in Depth", tags=["kubernetes", "devops"], media_type="book",
             description="Pods, deployments, services and operators for production clusters."),
    ]  # fmt: skip
    for spec in specs:
        ResourceFactory(**spec)
    services.search_terms_rebuild()  # what seeding ends with: vocabulary and embeddings


def get(client, **params):
    resp = client.get(SEARCH, params)
    assert resp.status_code == 200, resp.content
    return resp


def titles(resp) -> list[str]:
    return [item["title"] for item in resp.json()]


def test_how_to_phrasing_is_intent_and_center_a_div_finds_css_layout_not_learning_centers(api_client, catalogue):
    found = titles(get(api_client, q="how to center a div"))
    assert set(found[:2]) == {"A Complete Guide to Flexbox", "CSS Grid Layout"}
    assert "Postman Learning Center" not in found and "Cloudflare Learning Center" not in found
    with override_settings(RESOURCES_SEARCH_HYBRID=False):  # what the lexical search alone did
        catalogue_changed()
        assert "Postman Learning Center" in titles(get(api_client, q="how to center a div"))


def test_query_understanding_separates_intent_content_and_expansions():
    understood = understand("react hooks for beginners")
    assert understood.content == "react hooks" and understood.difficulty == "beginner"
    assert understand("good python podcasts").media_types == ("podcast",)
    assert "css layout" in understand("how to center a div").semantic
    assert understand("ml").expansions == ("machine learning",)  # a topic-graph alias
    assert understand("python decorators").expansions == ()  # one-word aliases do not widen longer queries
    literal = understand('"version control" -git')
    assert literal.literal and literal.content == '"version control" -git' and literal.expansions == ()
    assert understand("tutorial").content == "tutorial"  # nothing but intent: then it is the content


def _strict_ids(client, **params) -> list[int]:
    with override_settings(RESOURCES_SEARCH_HYBRID=False):
        catalogue_changed()
        return [r["id"] for r in get(client, **params).json()]


def test_semantic_fill_lists_every_strict_match_first_and_counts_them_apart(api_client, catalogue, monkeypatch):
    monkeypatch.setattr(hybrid, "MIN_RELATED", -1.0)  # any neighbour qualifies: this test is about order and counts
    catalogue_changed()
    resp = get(api_client, q="branching", limit=6)
    body = [r["id"] for r in resp.json()]
    strict = int(resp["X-Total-Count"])
    related = int(resp["X-Related-Count"])
    assert 0 < strict < 6 and strict + related == len(body) == 6
    # The strict matches are exactly the lexical ones (the same total) and all come before any related resource.
    assert set(body[:strict]) == set(_strict_ids(api_client, q="branching"))
    assert not set(body[strict:]) & set(body[:strict])
    # The next page continues the related list without repeating it.
    second = get(api_client, q="branching", limit=6, offset=6)
    assert not {r["id"] for r in second.json()} & set(body)


def test_semantic_fill_never_pushes_a_strict_match_down(api_client, catalogue, monkeypatch):
    monkeypatch.setattr(hybrid, "MIN_RELATED", -1.0)
    for q in ("git mistakes", "flexbox", "python interviews", "kubernetes"):
        strict = set(_strict_ids(api_client, q=q, limit=50))
        catalogue_changed()
        resp = get(api_client, q=q, limit=50)
        ids = [r["id"] for r in resp.json()]
        assert int(resp["X-Total-Count"]) == len(strict)
        assert set(ids[: len(strict)]) == strict, q
        assert int(resp["X-Related-Count"]) == len(ids) - len(strict)


def test_semantic_fill_keeps_the_filters_and_skips_literal_queries(api_client, catalogue, monkeypatch):
    monkeypatch.setattr(hybrid, "MIN_RELATED", -1.0)
    catalogue_changed()
    resp = get(api_client, q="git mistakes", media_type="podcast,book")
    assert {r["media_type"] for r in resp.json()} <= {"podcast", "book"}
    assert int(resp["X-Related-Count"]) > 0
    literal = get(api_client, q='"git mistakes"')
    assert literal["X-Related-Count"] == "0" and len(literal.json()) == int(literal["X-Total-Count"])
    assert titles(literal)[0] == "Oh Shit, Git!?!"


def test_the_fill_of_a_one_word_query_is_more_like_its_strict_match(api_client, db, monkeypatch):
    # "shaders" matches one resource by its words; what a learner means by "more like this" shares none of them and
    # lies nearer that match than the bare word (relevance feedback: hybrid.ANCHORS).
    for spec in (
        dict(title="The Book of Shaders", tags=["shaders", "glsl", "graphics"],
             description="A gentle step-by-step guide through the abstract and complex universe of fragment shaders."),
        dict(title="GLSL Sandbox Tutorials", tags=["glsl", "graphics"],
             description="Write fragment programs that run on the GPU and draw patterns pixel by pixel."),
        dict(title="Ray Marching for Beginners", tags=["graphics", "gpu"],
             description="Render 3D scenes with signed distance functions in a fragment program."),
        dict(title="Creative Coding with p5.js", tags=["creative-coding", "javascript"],
             description="Draw shapes, colours and animations in the browser."),
        dict(title="Pandas Cookbook", tags=["pandas", "python", "data-analysis"],
             description="Recipes for cleaning, grouping and reshaping tables of data with pandas."),
    ):  # fmt: skip
        ResourceFactory(**spec)
    services.search_terms_rebuild()
    resp = get(api_client, q="shaders", limit=5)
    found = titles(resp)
    assert found[0] == "The Book of Shaders" and resp["X-Total-Count"] == "1"
    assert set(found[1:]) == {"GLSL Sandbox Tutorials", "Ray Marching for Beginners"}
    monkeypatch.setattr(hybrid, "ANCHOR_WEIGHT", 0.0)  # the bare word alone: ray marching is too far from it
    catalogue_changed()
    assert titles(get(api_client, q="shaders", limit=5)) == ["The Book of Shaders", "GLSL Sandbox Tutorials"]


def test_results_are_deterministic(api_client, catalogue):
    runs = []
    for _ in range(3):
        catalogue_changed()  # uncached each time
        runs.append([r["id"] for r in get(api_client, q="learn version control for beginners").json()])
    assert runs[0] == runs[1] == runs[2] and runs[0]


def test_embeddings_are_stored_on_create_change_and_by_the_command(db, capsys):
    resource = ResourceFactory(title="Flexbox in five minutes", tags=["css"])
    assert Resource.objects.get(pk=resource.pk).embedding is None
    services.search_terms_add(resource=resource)  # what the admin's save calls
    row = Resource.objects.get(pk=resource.pk)
    stored, meaning = decode_vector(row.embedding), decode_precise(row.meaning)
    assert stored is not None and stored.shape == (EMBEDDING_DIM,)
    assert meaning is not None and meaning.shape == (PRECISE_DIM,)
    resource.title = "Kubernetes operators"
    resource.save()
    services.search_terms_add(resource=resource)
    row = Resource.objects.get(pk=resource.pk)
    assert not np.allclose(decode_vector(row.embedding), stored)
    assert not np.allclose(decode_precise(row.meaning), meaning)
    Resource.objects.update(embedding=None)
    ResourceFactory()
    call_command("embed_resources", "--no-progress")
    assert not Resource.objects.filter(embedding__isnull=True).exists()
    assert not Resource.objects.filter(meaning__isnull=True).exists()
    assert "Embedded 2 resources" in capsys.readouterr().out
    # A resource missing only its precise vector (an upgrade from before the precise model) is completed by
    # `--missing`, and only it.
    Resource.objects.filter(pk=resource.pk).update(meaning=None)
    call_command("embed_resources", "--missing", "--no-progress")
    assert "Embedded 1 resources" in capsys.readouterr().out
    assert decode_precise(Resource.objects.get(pk=resource.pk).meaning) is not None


def test_shared_index_is_rebuilt_exactly_once_after_a_catalogue_change(api_client, catalogue):
    first = get_index(hybrid.CORPUS)
    builds = index_builds(hybrid.CORPUS)
    assert get_index(hybrid.CORPUS) is first and len(first) == Resource.objects.filter(is_active=True).count()
    added = ResourceFactory(title="Flexbox Froggy", tags=["css", "flexbox"])
    services.search_terms_add(resource=added)  # bumps the catalogue version
    for _ in range(5):
        index = get_index(hybrid.CORPUS)
    assert index_builds(hybrid.CORPUS) == builds + 1
    assert index.vector(added.pk) is not None and index is get_index(hybrid.CORPUS)


def test_a_cache_clear_never_brings_back_an_old_catalogue_version_so_no_index_goes_stale(api_client, catalogue):
    """Between tests (and after a cache flush in production) the version starts afresh at a random value, never at
    one an index was built for: a row removed without a bump (a rolled-back test) is gone from the next index."""
    from django.core.cache import cache

    from resources.results import catalogue_version

    first = get_index(hybrid.CORPUS)
    before, builds = catalogue_version(), index_builds(hybrid.CORPUS)
    gone = Resource.objects.order_by("pk").first()
    Resource.objects.filter(pk=gone.pk).delete()  # no catalogue_changed(): as a rollback would
    cache.clear()
    assert catalogue_version() != before
    index = get_index(hybrid.CORPUS)
    assert index is not first and index_builds(hybrid.CORPUS) == builds + 1
    assert index.vector(gone.pk) is None
    assert get_index(hybrid.CORPUS) is index


CATALOGUE_CHILD = """
import os, sys, time
import django
django.setup()
from pathlib import Path
from common.retrieval import Doc, get_index, index_builds, register_corpus
from resources.results import catalogue_version

ready = Path(sys.argv[1])
register_corpus("child-catalogue", version=catalogue_version, load=lambda: [Doc(id=1, text="x")])
get_index("child-catalogue")
first = catalogue_version()
ready.write_text("ready")
deadline = time.monotonic() + 30
while catalogue_version() == first and time.monotonic() < deadline:
    get_index("child-catalogue")
    time.sleep(0.005)
for _ in range(50):
    get_index("child-catalogue")
print(index_builds("child-catalogue"))
"""


def test_two_processes_each_rebuild_once_after_one_catalogue_change(db, tmp_path, settings):
    """The real catalogue version, shared through the cache (Redis): one write, one rebuild in every process."""
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    if not settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        pytest.skip("needs a cache shared between processes (REDIS_URL)")
    root = Path(__file__).resolve().parents[2]
    # The same settings (hence the same cache and key prefix) as this process.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.test")}
    readies = [tmp_path / f"ready{i}" for i in range(2)]
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CATALOGUE_CHILD, str(r)], cwd=root, env=env, stdout=subprocess.PIPE, text=True
        )
        for r in readies
    ]
    deadline = time.monotonic() + 60
    while not all(r.exists() for r in readies) and time.monotonic() < deadline:
        time.sleep(0.01)
    catalogue_changed()
    outputs = [int(child.communicate(timeout=60)[0].strip().splitlines()[-1]) for child in children]
    assert outputs == [2, 2]


def test_a_very_long_question_is_answered_by_the_lexical_search_alone_too(api_client, catalogue):
    # 45 words: the SQLite fallback once built an expression SQLite could not parse ("parser stack overflow", 503).
    question = (  # bench/search_heldout5.yaml
        "our django api used to be fast but now some pages take 2 seconds when lots of users are on, everyone says "
        "add caching but i dont know if i need redis, http cache headers or to fix my postgres queries first, where "
        "do i even start"
    )
    with override_settings(RESOURCES_SEARCH_HYBRID=False):
        catalogue_changed()
        resp = get(api_client, q=question)
    assert resp.status_code == 200 and isinstance(resp.json(), list)
