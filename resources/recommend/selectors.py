"""Reads of the recommender: a user's recommended resources, and model versions."""

from typing import Any
from uuid import UUID

from django.db.models import QuerySet

from common.errors import NotFound
from resources.models_reco import RecommenderModel
from resources.recommend import services
from resources.recommend.serializers import ResourceRecommendationOutputSerializer
from resources.selectors import resources_active
from users.models import User


def _render(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    resources = resources_active().in_bulk([item["id"] for item in items])
    out = []
    for item in items:
        resource = resources.get(item["id"])
        if resource is not None:  # hidden meanwhile
            resource.score = item["score"]
            resource.reasons = item["reasons"]
            out.append(resource)
    return [dict(row) for row in ResourceRecommendationOutputSerializer(out, many=True).data]


def recommendations_for(*, requester: User, user_id: UUID, limit: int) -> list[dict[str, Any]]:
    """The recommended active resources of `user_id` (self or staff, else 404) as API JSON with `score` and
    `reasons`; cached per user, model version and limit."""
    if requester.pk != user_id and not requester.is_staff:
        raise NotFound()
    user = requester if requester.pk == user_id else User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.is_active:
        raise NotFound()
    items, _ = services.recommendations_cached(user=user, limit=limit, render=_render)
    return items


def recommender_versions() -> QuerySet[RecommenderModel]:
    return RecommenderModel.objects.defer("artifact").order_by("-created_at", "-id")
