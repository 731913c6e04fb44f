"""Reads of the executor's run records for other apps (the staff dashboard): plain rows, no model leaves the app."""

from datetime import datetime

from executor.models import CodeRun


def runs_since(*, since: datetime, limit: int) -> list[tuple[datetime, str, str, datetime | None]]:
    """The newest `limit` runs created at or after `since`, newest first: (created_at, state, status, finished_at)."""
    rows = (
        CodeRun.objects.filter(created_at__gte=since)
        .order_by("-created_at")
        .values_list("created_at", "state", "status", "finished_at")[:limit]
    )
    return list(rows)
