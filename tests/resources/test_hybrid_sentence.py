"""The precise model reads the learner's sentence as typed (typos corrected), not the content words and the
expansions (resources.hybrid.Hybrid.precise): an expansion is a lexical aid that can name a framework the learner
never asked for."""

import numpy as np
import pytest

from common.retrieval import embed_precise_text
from resources import hybrid, services
from resources.models import Resource
from resources.query import understand
from resources.results import catalogue_changed
from tests.resources.factories import ResourceFactory
from tests.resources.test_hybrid_search import get, titles

pytestmark = pytest.mark.django_db
QUESTION = "how to build a rest api with java"


@pytest.fixture
def catalogue(db):
    specs = [
        dict(title="Spring Boot: Building a RESTful Web Service", tags=["java", "spring-boot", "rest-api", "backend"],
             media_type="tutorial",
             description="Spring's guide to a small RESTful web service in Java: a controller that answers HTTP GET "
                         "requests with JSON, built and run with Gradle or Maven."),
        dict(title="Django REST Framework", tags=["django", "rest-api", "python", "api-design"],
             media_type="documentation",
             description="The toolkit for building Web APIs on Django: serializers, viewsets, routers, "
                         "authentication and a browsable API."),
        dict(title="Django REST Framework Tutorial", tags=["django", "rest-api", "python", "tutorial"],
             media_type="tutorial",
             description="Build a small pastebin API with Django REST Framework step by step: serializers, views, "
                         "authentication and viewsets."),
        dict(title="Tutorial: Developing a RESTful API with Go and Gin", tags=["go", "rest-api", "backend"],
             media_type="tutorial",
             description="Write a RESTful web service API with Go and the Gin web framework."),
        dict(title="Pro Git", tags=["git", "version-control"], media_type="book",
             description="The whole of git: commits, branches, merging, rebasing and internals."),
        dict(title="CSS Grid Layout", tags=["css", "css-grid", "layout"], media_type="documentation",
             description="Two-dimensional page layout with rows, columns and gaps."),
    ]  # fmt: skip
    for spec in specs:
        ResourceFactory(**spec)
    services.search_terms_rebuild()


def test_the_precise_model_reads_the_sentence_not_the_expansions():
    understood = understand(QUESTION)
    # The topic graph's alias "build a rest api" (the Django project) expands the query: a lexical aid.
    assert any("django" in expansion for expansion in understood.expansions)
    reader = hybrid.Hybrid(lambda: understood, Resource.objects.none())
    assert np.allclose(reader.precise, embed_precise_text(QUESTION))
    assert not np.allclose(reader.precise, embed_precise_text(understood.semantic))


def test_a_framework_named_by_an_expansion_does_not_outrank_the_one_the_learner_asked_for(api_client, catalogue):
    understood = understand(QUESTION)
    reader = hybrid.Hybrid(lambda: understood, Resource.objects.all())
    rows = {
        title: {"meaning": m, "embedding": e}
        for title, m, e in Resource.objects.values_list("title", "meaning", "embedding")
    }
    meaning = {title: reader.meaning(row) for title, row in rows.items()}
    spring = meaning["Spring Boot: Building a RESTful Web Service"]
    # Read with the expansion's "django drf", both Django REST Framework resources were nearer in meaning (0.63 and
    # 0.62 against 0.41): the learner asked for Java.
    assert spring > meaning["Django REST Framework"] and spring > meaning["Django REST Framework Tutorial"]
    assert spring == max(meaning.values())
    catalogue_changed()
    assert titles(get(api_client, q=QUESTION))[0] == "Spring Boot: Building a RESTful Web Service"
