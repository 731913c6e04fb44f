"""The search page's resource rendering takes a direct path: it must give exactly what DRF's generic rendering gives."""

import datetime as dt

import pytest
from rest_framework import serializers

from resources.models import Resource
from resources.serializers import ResourceOutputSerializer
from tests.resources.factories import ResourceFactory

pytestmark = pytest.mark.django_db


def _generic(resource: Resource) -> dict:
    return serializers.Serializer.to_representation(ResourceOutputSerializer(), resource)


def test_direct_rendering_equals_drf_for_full_and_sparse_rows():
    full = ResourceFactory(
        title='Flexbox <guide> & "quotes"',
        description="Ünïcode ✓",
        difficulty="beginner",
        duration_minutes=42,
        tags=["css", "layout"],
        prerequisites=["html"],
        learning_style="visual",
        source="MDN",
        scraped_at=dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC),
        rating=4.25,
        rating_count=8,
    )
    sparse = ResourceFactory(difficulty=None, duration_minutes=None, learning_style=None, tags=[], prerequisites=[])
    for resource in (full, sparse):
        resource = Resource.objects.get(pk=resource.pk)  # as the database returns it
        direct = ResourceOutputSerializer(resource).data
        assert direct == _generic(resource)
        assert list(direct) == list(ResourceOutputSerializer().fields)  # same key order as the schema
    stored = Resource.objects.get(pk=full.pk)
    assert ResourceOutputSerializer(stored).data["scraped_at"] == "2026-01-02T03:04:05.678901Z"


def test_many_uses_the_direct_path_and_matches():
    ResourceFactory.create_batch(5)
    rows = list(Resource.objects.order_by("id"))
    assert ResourceOutputSerializer(rows, many=True).data == [_generic(row) for row in rows]
