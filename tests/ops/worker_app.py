"""A Celery worker for tests/ops/test_readiness_workers.py: the project's broker settings and the project's heartbeat
(common/heartbeat.py, installed exactly as config/celery.py does), without setting Django up, so it starts in a
second instead of loading every app."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

from common import heartbeat

app = Celery("pathwise-readiness-test", fixups=[])
app.config_from_object("django.conf:settings", namespace="CELERY")
heartbeat.install(app)
