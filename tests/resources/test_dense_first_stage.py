"""The dense first stage of the hybrid search (resources.hybrid.Hybrid.dense_candidates): a question of a few words
or more also ranks its nearest resources by meaning with its lexical matches, so the resource that answers it is
found even when it shares few of the question's words; short queries keep their strict matches and the fill."""

import pytest
from django.test import override_settings

from resources import hybrid, services
from resources.query import understand
from resources.results import catalogue_changed
from tests.resources.factories import ResourceFactory
from tests.resources.test_hybrid_search import get, titles

pytestmark = pytest.mark.django_db
QUESTION = "my boxes refuse to line up side by side on the web page, what should i read"


@pytest.fixture
def catalogue(db):
    specs = [
        dict(title="A Complete Guide to Flexbox", tags=["css", "flexbox", "layout"], media_type="article",
             description="Align, justify and center items in rows and columns with CSS flexible boxes."),
        dict(title="CSS Grid Layout", tags=["css", "css-grid", "layout"], media_type="documentation",
             description="Two-dimensional page layout with rows, columns and gaps."),
        dict(title="Pro Git", tags=["git", "version-control"], media_type="book",
             description="The whole of git: commits, branches, merging, rebasing and internals."),
        dict(title="Talk Python To Me", tags=["python", "community"], media_type="podcast",
             description="Weekly interviews about Python, its libraries and the people who build them."),
        dict(title="Kubernetes in Depth", tags=["kubernetes", "devops"], media_type="book",
             description="Pods, deployments, services and operators for production clusters."),
        dict(title="Learn CSS Layout", tags=["css", "layout"], media_type="course",
             description="Put boxes next to each other: display, floats, positioning and flexbox, step by step."),
        dict(title="Web Page Speed Checklist", tags=["performance"], media_type="article",
             description="Make a web page load fast: images, caching and fewer requests."),
    ]  # fmt: skip
    for spec in specs:
        ResourceFactory(**spec)
    services.search_terms_rebuild()


def test_a_question_ranks_its_nearest_resources_with_its_lexical_matches_and_counts_them(api_client, catalogue):
    with override_settings(RESOURCES_SEARCH_HYBRID=False):  # no word of the question is in the layout guides
        catalogue_changed()
        assert not {"A Complete Guide to Flexbox", "CSS Grid Layout"} & set(titles(get(api_client, q=QUESTION)))
    catalogue_changed()
    resp = get(api_client, q=QUESTION, limit=50)
    found = titles(resp)
    assert {"A Complete Guide to Flexbox", "CSS Grid Layout"} <= set(found)
    # They are matches now (ranked with the lexical one by the fused score), not the semantic fill after them.
    assert int(resp["X-Total-Count"]) == len(found) and resp["X-Related-Count"] == "0"
    # Pages split the same ranking: nothing repeated or skipped.
    paged = [titles(get(api_client, q=QUESTION, limit=2, offset=offset)) for offset in (0, 2, 4)]
    assert [title for page in paged for title in page] == found


def test_the_dense_first_stage_keeps_the_filters_and_leaves_short_and_literal_queries_alone(api_client, catalogue):
    catalogue_changed()
    assert titles(get(api_client, q=QUESTION, media_type="documentation")) == ["CSS Grid Layout"]
    understood_short = hybrid.Hybrid(lambda: understand("flexbox"), None)  # type: ignore[arg-type]
    assert understood_short.dense_candidates(exclude=[]) == []
    literal = hybrid.Hybrid(lambda: understand(f'"{QUESTION}"'), None)  # type: ignore[arg-type]
    assert literal.dense_candidates(exclude=[]) == []


def test_a_question_ranks_the_same_every_time(api_client, catalogue):
    runs = []
    for _ in range(3):
        catalogue_changed()
        runs.append([item["id"] for item in get(api_client, q=QUESTION).json()])
    assert runs[0] == runs[1] == runs[2] and len(runs[0]) >= 3
