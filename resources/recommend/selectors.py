"""Reads of the recommender: a user's recommended resources, and model versions."""

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.db.models import QuerySet

from common.errors import NotFound
from resources.models import Resource
from resources.models_reco import RecommenderModel
from resources.recommend import services
from resources.selectors import resources_active
from users.models import User

Rendered = list[dict[str, Any]]


def recommended_resources(items: list[dict[str, Any]]) -> list[Resource]:
    """The still-active resources of ranked items ({id, score, reasons}), in order, with `score` and `reasons` set."""
    resources = resources_active().in_bulk([item["id"] for item in items])
    out = []
    for item in items:
        resource = resources.get(item["id"])
        if resource is not None:  # hidden meanwhile
            resource.score = item["score"]  # type: ignore[attr-defined]  # annotations for the output serializer
            resource.reasons = item["reasons"]  # type: ignore[attr-defined]
            out.append(resource)
    return out


def recommendations_for(
    *, requester: User, user_id: UUID, limit: int, render: Callable[[list[dict[str, Any]]], Rendered]
) -> Rendered:
    """The recommended active resources of `user_id` (self or staff, else 404), rendered by the caller's `render`
    (the view serializes; see recommended_resources) and cached so rendered, per user, model version and limit."""
    if requester.pk != user_id and not requester.is_staff:
        raise NotFound()
    user = requester if requester.pk == user_id else User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.is_active:
        raise NotFound()
    items, _ = services.recommendations_cached(user=user, limit=limit, render=render)
    return items


def recommender_versions() -> QuerySet[RecommenderModel]:
    return RecommenderModel.objects.defer("artifact").order_by("-created_at", "-id")
