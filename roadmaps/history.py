"""This app's part of a user's learning history (see common.history)."""

from typing import Any

from django.db.models import CharField, F, FloatField, QuerySet, Value

from roadmaps.models import Roadmap
from users.models import User


def roadmap_history(user: User) -> QuerySet[Any, Any]:
    return Roadmap.objects.filter(user=user).values(
        h_kind=Value("roadmap", output_field=CharField()),
        h_id=F("id"),
        h_title=F("title"),
        h_status=F("status"),
        h_score=Value(None, output_field=FloatField()),
        h_at=F("updated_at"),
    )
