"""This app's part of a user's learning history (see common.history): one row per resource interaction, its
`status` the interaction type (view, like, save, rate, complete) and its `score` the rating when rated."""

from typing import Any

from django.db.models import CharField, F, FloatField, QuerySet, Value
from django.db.models.functions import Cast

from resources.models import UserResourceInteraction
from users.models import User


def interaction_history(user: User) -> QuerySet[Any, Any]:
    return UserResourceInteraction.objects.filter(user=user).values(
        h_kind=Value("resource_interaction", output_field=CharField()),
        h_id=F("resource_id"),
        h_title=F("resource__title"),
        h_status=F("interaction_type"),
        h_score=Cast("rating", FloatField()),
        h_at=F("updated_at"),
    )
