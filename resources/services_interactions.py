"""Users' interactions with resources: rate, complete, like/save (and undo), view.

Concurrency: every interaction locks its resource row first (one lock order, so no deadlock), then upserts the
interaction under its UNIQUE(user, resource, type), recomputes the rating aggregate or moves the counters with F()
in the same transaction, and bumps the user's interaction version. Identical concurrent requests therefore
serialise on the resource row and find the first one's row."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Avg, Count, F
from django.utils import timezone

from common.errors import NotFound
from resources.models import (
    POPULARITY_WEIGHTS,
    InteractionType,
    Resource,
    UserInteractionVersion,
    UserResourceInteraction,
)
from users.models import User

COUNTER_FIELDS: dict[str, str] = {
    InteractionType.VIEW: "view_count",
    InteractionType.LIKE: "like_count",
    InteractionType.SAVE: "save_count",
    InteractionType.COMPLETE: "completion_count",
}
TOGGLES = (InteractionType.LIKE, InteractionType.SAVE)


def _lock(resource: Resource) -> Resource:
    locked = Resource.objects.select_for_update().defer("search_vector").filter(pk=resource.pk, is_active=True).first()
    if locked is None:
        raise NotFound()
    return locked


def _move_counters(resource: Resource, interaction_type: str, delta: int) -> None:
    updates: dict[str, Any] = {"popularity": F("popularity") + delta * POPULARITY_WEIGHTS[interaction_type]}
    if interaction_type in COUNTER_FIELDS:
        updates[COUNTER_FIELDS[interaction_type]] = F(COUNTER_FIELDS[interaction_type]) + delta
    Resource.objects.filter(pk=resource.pk).update(**updates)


def interaction_version_bump(*, user: User) -> None:
    """+1 on the user's interaction version (created at 1), in the caller's transaction."""
    now = timezone.now()
    if UserInteractionVersion.objects.filter(user=user).update(version=F("version") + 1, updated_at=now):
        return
    _, created = UserInteractionVersion.objects.get_or_create(user=user, defaults={"version": 1})
    if not created:  # created by a concurrent request between our update and insert
        UserInteractionVersion.objects.filter(user=user).update(version=F("version") + 1, updated_at=now)


def _refreshed(resource: Resource) -> Resource:
    resource.refresh_from_db(fields=["rating", "rating_count", "popularity", *COUNTER_FIELDS.values()])
    return resource


@transaction.atomic
def resource_rate(*, user: User, resource: Resource, rating: int, review: str | None = None) -> Resource:
    """Record the user's 1–5 rating (replacing an earlier one; the review too when given) and recompute the
    resource's mean and count in the same transaction, under the resource's row lock."""
    locked = _lock(resource)
    interaction, created = UserResourceInteraction.objects.get_or_create(
        user=user,
        resource=locked,
        interaction_type=InteractionType.RATE,
        defaults={"rating": rating, "review": review or ""},
    )
    changed = created
    if not created and (interaction.rating != rating or (review is not None and interaction.review != review)):
        interaction.rating = rating
        if review is not None:
            interaction.review = review
        interaction.full_clean(validate_constraints=False)
        interaction.save(update_fields=["rating", "review", "updated_at"])
        changed = True
    if changed:
        aggregate = UserResourceInteraction.objects.filter(
            resource=locked, interaction_type=InteractionType.RATE
        ).aggregate(mean=Avg("rating"), n=Count("id"))
        Resource.objects.filter(pk=locked.pk).update(
            rating=float(aggregate["mean"] or 0.0), rating_count=aggregate["n"]
        )
        if created:
            _move_counters(locked, InteractionType.RATE, +1)
        interaction_version_bump(user=user)
    return _refreshed(locked)


@transaction.atomic
def resource_complete(
    *, user: User, resource: Resource, time_spent_minutes: int | None = None
) -> UserResourceInteraction:
    """Mark the resource completed by the user; `time_spent_minutes`, when given, replaces the recorded time (so a
    repeated identical request changes nothing)."""
    locked = _lock(resource)
    interaction, created = UserResourceInteraction.objects.get_or_create(
        user=user,
        resource=locked,
        interaction_type=InteractionType.COMPLETE,
        defaults={"completed": True, "time_spent_minutes": time_spent_minutes},
    )
    changed = created
    if not created and time_spent_minutes is not None and interaction.time_spent_minutes != time_spent_minutes:
        interaction.time_spent_minutes = time_spent_minutes
        interaction.completed = True
        interaction.save(update_fields=["time_spent_minutes", "completed", "updated_at"])
        changed = True
    if created:
        _move_counters(locked, InteractionType.COMPLETE, +1)
    if changed:
        interaction_version_bump(user=user)
    return interaction


@transaction.atomic
def resource_mark(*, user: User, resource: Resource, interaction_type: str) -> UserResourceInteraction:
    """Like or save (idempotent: the existing row is returned unchanged)."""
    if interaction_type not in TOGGLES:
        raise ValueError(f"{interaction_type} is not a toggle")
    locked = _lock(resource)
    interaction, created = UserResourceInteraction.objects.get_or_create(
        user=user, resource=locked, interaction_type=interaction_type
    )
    if created:
        _move_counters(locked, interaction_type, +1)
        interaction_version_bump(user=user)
    return interaction


@transaction.atomic
def resource_unmark(*, user: User, resource: Resource, interaction_type: str) -> bool:
    """Clear a like or save; True when there was one to clear."""
    if interaction_type not in TOGGLES:
        raise ValueError(f"{interaction_type} is not a toggle")
    locked = _lock(resource)
    deleted, _ = UserResourceInteraction.objects.filter(
        user=user, resource=locked, interaction_type=interaction_type
    ).delete()
    if deleted:
        _move_counters(locked, interaction_type, -1)
        interaction_version_bump(user=user)
    return bool(deleted)


@transaction.atomic
def resource_view(*, user: User, resource: Resource) -> UserResourceInteraction:
    """Record a view: the first creates the row (and counts towards popularity), later ones refresh its time."""
    locked = _lock(resource)
    interaction, created = UserResourceInteraction.objects.get_or_create(
        user=user, resource=locked, interaction_type=InteractionType.VIEW
    )
    if created:
        _move_counters(locked, InteractionType.VIEW, +1)
        interaction_version_bump(user=user)
    else:
        interaction.save(update_fields=["updated_at"])
    return interaction
