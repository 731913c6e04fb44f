"""The learning history of a user, assembled from every app without `users` importing any of them.

Each app registers, in its AppConfig.ready(), a provider: a function of the user returning a `.values()` queryset
with the columns h_kind, h_id, h_title, h_status, h_score and h_at (prefixed so they never clash with model fields).
The history is their UNION ALL, newest first, paginated in the database.
"""

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet

HistoryProvider = Callable[[Any], "QuerySet[Any, Any]"]
HISTORY_COLUMNS = ("h_kind", "h_id", "h_title", "h_status", "h_score", "h_at")
OUTPUT_NAMES = {
    "h_kind": "kind",
    "h_id": "object_id",
    "h_title": "title",
    "h_status": "status",
    "h_score": "score",
    "h_at": "occurred_at",
}

_providers: dict[str, HistoryProvider] = {}


def register_history_provider(name: str, provider: HistoryProvider) -> None:
    _providers[name] = provider


def history_page(*, user: Any, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
    querysets = [provider(user).order_by().values(*HISTORY_COLUMNS) for _, provider in sorted(_providers.items())]
    if not querysets:
        return [], 0
    total = sum(qs.count() for qs in querysets)
    if total == 0 or offset >= total:
        return [], total
    union = querysets[0].union(*querysets[1:], all=True) if len(querysets) > 1 else querysets[0]
    rows = union.order_by("-h_at", "h_kind", "-h_id")[offset : offset + limit]
    return [{OUTPUT_NAMES[k]: v for k, v in row.items()} for row in rows], total
