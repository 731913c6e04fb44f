"""Dependency checks for the health endpoints.

/api/health/ — this instance's own dependencies: database, cache, broker.
/api/health/ready/ — the truth about the whole system: the same, plus migrations applied and, with a broker, a live
worker on every queue of HEALTH_WORKER_QUEUES (heartbeats, common/heartbeat.py) and a usable sandbox on at least one
executor worker. In the embedded default (eager Celery) tasks run in this process: workers are "eager".
"""

import logging
import uuid

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.utils import Error as DatabaseError
from django.utils.module_loading import import_string

from common import heartbeat
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


_migrations_applied = False


def check_migrations() -> str:
    """ "ok" when every migration of this code is applied ("pending" before the migrate job has run). Once true, it
    stays true for the life of the process: a database does not un-apply migrations under running code."""
    global _migrations_applied
    if _migrations_applied:
        return "ok"
    try:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError:
        logger.warning("Health: could not read the migration state", exc_info=True)
        return "error"
    if plan:
        return "pending"
    _migrations_applied = True
    return "ok"


def check_workers() -> dict[str, str]:
    """One entry per queue that must have a worker: "ok" or "none"; plus `executor_sandbox` when the executor
    queue has live workers none of which can run a sandbox."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"workers": "eager"}
    queues = list(settings.HEALTH_WORKER_QUEUES)
    if not queues:
        return {}
    try:
        live = heartbeat.live_workers(queues)
    except CACHE_ERRORS:
        logger.warning("Health: could not read the worker heartbeats", exc_info=True)
        return {f"workers_{queue}": "error" for queue in queues}
    checks = {f"workers_{queue}": "ok" if live[queue] else "none" for queue in queues}
    executors = live.get(heartbeat.EXECUTOR_QUEUE)
    if executors:
        usable = any(worker.get("sandbox") == "ok" for worker in executors)
        checks["executor_sandbox"] = "ok" if usable else "unavailable"
    return checks


def readiness_report() -> tuple[bool, dict[str, str]]:
    checks = {
        "database": check_database(),
        "cache": check_cache(),
        "broker": check_broker(),
    }
    checks["migrations"] = check_migrations() if checks["database"] == "ok" else "error"
    checks.update(check_workers() if checks["broker"] in ("ok", "eager") else {})
    healthy = all(value in ("ok", "eager") for value in checks.values())
    return healthy, {**checks, **_extra_checks()}
