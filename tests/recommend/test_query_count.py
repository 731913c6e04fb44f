import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import client_for
from tests.recommend.test_recommendations import make_catalogue, url

pytestmark = pytest.mark.django_db


def test_cached_request_is_a_few_small_queries(user):
    make_catalogue(20)
    client = client_for(user)
    assert client.get(url(user.pk)).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url(user.pk)).status_code == 200
    assert len(queries.captured_queries) <= 2  # the token's user, then (model version, the user's interaction version)
