"""The Celery application. Without REDIS_URL the settings make every task run eagerly in the caller's process."""

import os

from celery import Celery, signals

from common import celery_logging, heartbeat

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("pathwise")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Structured logs: Django's LOGGING in workers and beat, and the request id carried from publisher to task.
signals.setup_logging.connect(celery_logging.configure_logging, weak=False)
signals.before_task_publish.connect(celery_logging.add_request_id_header, weak=False)
signals.task_prerun.connect(celery_logging.bind_request_id, weak=False)
signals.task_postrun.connect(celery_logging.unbind_request_id, weak=False)


def _close_old_connections(**kwargs: object) -> None:
    from django.db import close_old_connections

    close_old_connections()


@signals.worker_init.connect(weak=False)
def _keep_the_database_pool(**kwargs: object) -> None:
    """Celery's Django fixup closes every database connection before and after each task and, in prefork with
    Django's connection pool, closes the whole pool (celery/fixups/django.py `_close_database`, Celery 5.7): every
    task then opened a new PostgreSQL connection (a server process forked, authenticated: milliseconds of CPU on
    both sides per code run). Tasks get Django's per-request treatment instead: before and after each, a connection
    that is unusable or past its age is closed — with the pool, handed back to it. (Each pool process still starts
    with its own pool: the fixup's worker_process_init handler stays.)"""
    from celery.fixups.django import DjangoFixup

    for fixup in app._fixups or []:
        if isinstance(fixup, DjangoFixup):
            worker_fixup = fixup.worker_fixup
            signals.task_prerun.disconnect(worker_fixup.on_task_prerun)
            signals.task_postrun.disconnect(worker_fixup.on_task_postrun)
    signals.task_prerun.connect(_close_old_connections, weak=False)
    signals.task_postrun.connect(_close_old_connections, weak=False)


# Readiness sees a live worker per queue through the heartbeats each worker writes to the broker (common/heartbeat.py).
heartbeat.install(app)
