"""Small helpers shared by services."""

import functools
from typing import Any

from django.db import models


@functools.cache
def _by_pk_sql(model: type[models.Model]) -> str:
    meta = model._meta
    return f'SELECT * FROM "{meta.db_table}" WHERE "{meta.pk.column}" = %s'  # noqa: S608 - names from the model


def get_by_pk[M: models.Model](model: type[M], pk: Any) -> M | None:
    """`model.objects.filter(pk=pk).first()` for the hot paths (a job listener, a worker claiming a run, a request
    waiting on one): one statement written once per model. The ORM compiled the same query, ordering included, on
    every call: ~1 ms of CPU against ~0.35 ms for this."""
    return next(iter(model._default_manager.raw(_by_pk_sql(model), [pk])), None)


def model_update(*, instance: models.Model, fields: list[str], data: dict[str, Any]) -> tuple[models.Model, bool]:
    """Set the given fields from `data` (only those present), validate and save only what changed.

    Returns the instance and whether anything changed.
    """
    changed: list[str] = []
    for field in fields:
        if field not in data:
            continue
        if getattr(instance, field) != data[field]:
            setattr(instance, field, data[field])
            changed.append(field)
    if changed:
        instance.full_clean()
        if any(f.name == "updated_at" for f in instance._meta.concrete_fields):
            changed.append("updated_at")
        instance.save(update_fields=changed)
    return instance, bool(changed)


def client_ip(request: Any) -> str:
    """The client's address as the throttles see it: REMOTE_ADDR unless NUM_PROXIES trusted proxies are configured."""
    from rest_framework.throttling import BaseThrottle

    return BaseThrottle().get_ident(request) or "unknown"
