"""The search box's query log (the staff dashboard's "queries with no result") stays bounded: pruned daily."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from agents.models import SearchClick, SearchQueryLog
from agents.tasks import prune_search_log
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_queries_are_logged_with_their_result_count_and_pruned(user, settings):
    client = client_for(user)
    client.get("/api/search/search/", {"q": "qqqzxv"})
    row = SearchQueryLog.objects.get()
    assert (row.query, row.results, row.user_id) == ("qqqzxv", 0, user.pk)
    client.get("/api/search/search/", {"q": "x" * 200})
    assert SearchQueryLog.objects.filter(query="x" * 60).exists()  # bounded length
    old = timezone.now() - timedelta(days=settings.SEARCH_LOG_RETENTION_DAYS + 1)
    SearchQueryLog.objects.filter(pk=row.pk).update(created_at=old)
    SearchClick.objects.create(user=user, query="old", url="/x", result_type="path", created_at=old)
    SearchClick.objects.create(user=user, query="new", url="/x", result_type="path")
    assert prune_search_log.apply(kwargs=json.loads("{}")).get() == 2
    assert list(SearchQueryLog.objects.values_list("query", flat=True)) == ["x" * 60]
    assert list(SearchClick.objects.values_list("query", flat=True)) == ["new"]
