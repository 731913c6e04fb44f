"""Celery entry points of agents/."""

from celery import shared_task


@shared_task(name="agents.refresh_panels", ignore_result=True)
def refresh_panels() -> None:
    """Recompute the dashboard panels' public snapshot (the anonymous sockets read it from the cache)."""
    from agents.spa import panels

    panels.public_refresh()


@shared_task(name="agents.prune_search_log", ignore_result=True)
def prune_search_log() -> int:
    """Keep the search box's query log bounded (SEARCH_LOG_RETENTION_DAYS)."""
    from django.conf import settings

    from agents.spa import search

    return search.search_log_prune(older_than_days=settings.SEARCH_LOG_RETENTION_DAYS)
