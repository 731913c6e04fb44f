"""Small helpers shared by services."""

from typing import Any

from django.db import models


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
