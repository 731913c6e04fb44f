"""A Celery app for tests/ops/test_beat_ha.py: the project's Celery settings (broker, RedBeat scheduler and its lock)
read from Django's settings without setting Django up, so a beat starts in a second instead of loading every app,
and one fast periodic job instead of the project's minute-long ones."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

app = Celery("pathwise-beat-ha-test", fixups=[])
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.beat_schedule = {
    "ha-probe": {"task": "ops.ha_probe", "schedule": 1.0, "options": {"queue": os.environ["OPS_BEAT_QUEUE"]}}
}
app.conf.redbeat_key_prefix = os.environ["OPS_BEAT_PREFIX"]
