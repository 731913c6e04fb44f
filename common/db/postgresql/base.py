"""PostgreSQL backend: Django's (counted by django-prometheus when METRICS_DB), with a pool that queues while busy.

Django builds its psycopg pool lazily (and again after `close_pool()`); every pool it builds here is made a
`common.dbpool.PatientConnectionPool` before it is opened. The vendor stays "postgresql".
"""

from typing import Any

from django.conf import settings

from common.dbpool import make_patient

if getattr(settings, "METRICS_DB", True):
    from django_prometheus.db.backends.postgresql.base import DatabaseWrapper as _Base
else:  # pragma: no cover - METRICS_DB=false
    from django.db.backends.postgresql.base import DatabaseWrapper as _Base


class DatabaseWrapper(_Base):
    @property
    def pool(self) -> Any:
        pool = super().pool
        if pool is not None:
            make_patient(pool, settings.DB_POOL_QUEUE_TIMEOUT)
        return pool
