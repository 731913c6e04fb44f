"""This app's part of a user's learning history (see common.history)."""

from django.db.models import CharField, F, FloatField, QuerySet, Value

from roadmaps.models import Roadmap


def roadmap_history(user) -> QuerySet:  # type: ignore[no-untyped-def]
    return Roadmap.objects.filter(user=user).values(
        h_kind=Value("roadmap", output_field=CharField()),
        h_id=F("id"),
        h_title=F("title"),
        h_status=F("status"),
        h_score=Value(None, output_field=FloatField()),
        h_at=F("updated_at"),
    )
