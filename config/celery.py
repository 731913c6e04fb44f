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

# Readiness sees a live worker per queue through the heartbeats each worker writes to the broker (common/heartbeat.py).
heartbeat.install(app)
