"""Dependency checks for the health endpoint."""

import logging
import uuid

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.utils import Error as DatabaseError
from django.utils.module_loading import import_string

from common.cache import CACHE_ERRORS

logger = logging.getLogger(__name__)


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.warning("Health: database unreachable", exc_info=True)
        return "error"
    return "ok"


def check_cache() -> str:
    key = f"health:{uuid.uuid4().hex}"
    try:
        cache.set(key, "1", timeout=5)
        ok = cache.get(key) == "1"
        cache.delete(key)
    except CACHE_ERRORS:
        logger.warning("Health: cache unreachable", exc_info=True)
        return "error"
    return "ok" if ok else "error"


def check_broker() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager"
    try:
        client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
        client.close()
    except CACHE_ERRORS:
        logger.warning("Health: broker unreachable", exc_info=True)
        return "error"
    return "ok"


def _extra_checks() -> dict[str, str]:
    """Informational entries from the apps (HEALTH_EXTRA_CHECKS: dotted paths of callables returning a dict), e.g.
    whether code execution can run here. They never fail the report; a failing check says "error"."""
    extra: dict[str, str] = {}
    for path in settings.HEALTH_EXTRA_CHECKS:
        try:
            extra.update(import_string(path)())
        except Exception:
            logger.exception("Health check %s failed", path)
            extra[path.rsplit(".", 2)[-2]] = "error"
    return extra


def health_report() -> tuple[bool, dict[str, str]]:
    checks = {"database": check_database(), "cache": check_cache(), "broker": check_broker()}
    healthy = all(value in ("ok", "eager") for value in checks.values())
    return healthy, {**checks, **_extra_checks()}
