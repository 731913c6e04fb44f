"""Celery entry points of agents/."""

from celery import shared_task


@shared_task(name="agents.refresh_panels", ignore_result=True)
def refresh_panels() -> None:
    """Recompute the dashboard panels' public snapshot (the anonymous sockets read it from the cache)."""
    from agents.spa import panels

    panels.public_refresh()
