"""Reads for users, always scoped to the requester."""

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.db.models import Prefetch, QuerySet, prefetch_related_objects

from common.errors import NotFound
from common.history import history_page
from users.models import User, UserAchievement, UserBadge

# One query each: the earned rows joined to their definitions.
AWARD_PREFETCHES = (
    Prefetch("earned_achievements", queryset=UserAchievement.objects.select_related("achievement")),
    Prefetch("earned_badges", queryset=UserBadge.objects.select_related("badge")),
)


def users_with_awards() -> QuerySet[User]:
    return User.objects.prefetch_related(*AWARD_PREFETCHES)


def user_get_with_awards(*, user_id: Any) -> User:
    return users_with_awards().get(pk=user_id)


StatsProvider = Callable[[User], dict[str, Any]]
_STATS_PROVIDERS: list[StatsProvider] = []


def register_stats_provider(provider: StatsProvider) -> None:
    """Apps that know more about a learner (learning: reviews due, mastery) add their summary numbers to
    /api/users/stats/ without users importing them (registered from their AppConfig.ready)."""
    if provider not in _STATS_PROVIDERS:
        _STATS_PROVIDERS.append(provider)


def user_load_stats(*, user: User) -> User:
    """The user with awards attached and `extra_stats` from every registered provider."""
    user_load_awards(user=user)
    extra: dict[str, Any] = {}
    for provider in _STATS_PROVIDERS:
        extra.update(provider(user))
    user.extra_stats = extra  # type: ignore[attr-defined]
    return user


def user_load_awards(*, user: User) -> User:
    """Attach the user's achievements and badges to an already-loaded user (two queries, no refetch)."""
    prefetch_related_objects([user], *AWARD_PREFETCHES)
    return user


def user_get_visible(*, requester: User, user_id: UUID) -> User:
    """The user with that id if the requester is that user or staff; otherwise 404, as if it did not exist."""
    if requester.pk != user_id and not requester.is_staff:
        raise NotFound()
    user = users_with_awards().filter(pk=user_id).first()
    if user is None:
        raise NotFound()
    return user


def user_history(*, user: User, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
    return history_page(user=user, offset=offset, limit=limit)
