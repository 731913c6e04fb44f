"""The learning history of a user, assembled from every app without `users` importing any of them.

Each app registers, in its AppConfig.ready(), a provider: a function of the user returning a `.values()` queryset
with the columns kind, object_id, title, status, score and occurred_at. The history is their UNION ALL, newest first,
paginated in the database.
"""

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet

HistoryProvider = Callable[[Any], QuerySet]
HISTORY_COLUMNS = ("kind", "object_id", "title", "status", "score", "occurred_at")

_providers: dict[str, HistoryProvider] = {}


def register_history_provider(name: str, provider: HistoryProvider) -> None:
    _providers[name] = provider


def history_page(*, user: Any, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
    querysets = [provider(user).values(*HISTORY_COLUMNS) for _, provider in sorted(_providers.items())]
    if not querysets:
        return [], 0
    total = sum(qs.count() for qs in querysets)
    if total == 0 or offset >= total:
        return [], total
    union = querysets[0].union(*querysets[1:], all=True) if len(querysets) > 1 else querysets[0]
    rows = list(union.order_by("-occurred_at", "kind", "-object_id")[offset : offset + limit])
    return rows, total
