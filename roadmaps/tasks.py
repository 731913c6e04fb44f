"""Celery entry points of roadmaps, on the `llm` queue.

acks_late with reject_on_worker_lost: a generation whose worker died is delivered again (planning has no side
effects before its single transaction, and that transaction is skipped if the roadmap already has its steps).
"""

import logging

from celery import shared_task

from roadmaps import services

logger = logging.getLogger(__name__)


@shared_task(
    name="roadmaps.generate",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=240,
    time_limit=300,
    ignore_result=True,
)
def generate_roadmap(roadmap_id: int) -> None:
    try:
        services.roadmap_generate(roadmap_id=roadmap_id)
    except Exception as exc:
        # A bug or an outage: recorded on the roadmap (never left `generating`) and logged with its traceback.
        logger.exception("Roadmap %s generation failed", roadmap_id)
        services.roadmap_mark_failed(roadmap_id=roadmap_id, error=f"Generation failed: {type(exc).__name__}")


@shared_task(name="roadmaps.reap", ignore_result=True)
def reap_roadmaps() -> int:
    return services.roadmaps_reap()
