"""Small helpers shared by services."""

import functools
import threading
from collections.abc import Sequence
from typing import Any

from django.db import connections, models
from django.db.models import Field

_converters = threading.local()


@functools.cache
def model_columns(model: type[models.Model]) -> str:
    """The model's concrete columns, table-qualified and quoted, in field order: the select list that
    `fetch_models` reads (identifiers from the model's metadata only)."""
    meta = model._meta
    qn = connections["default"].ops.quote_name
    return ", ".join(f"{qn(meta.db_table)}.{qn(str(f.column))}" for f in meta.concrete_fields)


def _field_converters(model: type[models.Model], alias: str) -> list[tuple[int, list[Any], Any]]:
    """The ORM's value converters of the model's columns on this connection (e.g. SQLite's datetimes and booleans,
    JSON fields), worked out once per thread and model."""
    cache: dict[tuple[type[models.Model], str], list[tuple[int, list[Any], Any]]]
    cache = getattr(_converters, "by_model", None) or {}
    key = (model, alias)
    if key not in cache:
        meta = model._meta
        compiler = model._default_manager.none().query.get_compiler(using=alias)
        fields: list[Field[Any, Any]] = list(meta.concrete_fields)
        found = compiler.get_converters([f.get_col(meta.db_table) for f in fields])
        cache = {**cache, key: [(i, convs, expr) for i, (convs, expr) in found.items()]}
        _converters.by_model = cache
    return cache[key]


def fetch_models[M: models.Model](
    model: type[M], sql: str, params: Sequence[Any], *, using: str = "default"
) -> list[M]:
    """Instances of `model` from a statement that selects exactly `model_columns(model)` (in that order): what
    `model.objects.raw(sql, params)` gives, for the hot paths. RawQuerySet works out the columns' order, the
    model's init order and the converters again on every call: ~0.2 ms of CPU per query, a fifth of a code run's
    web and worker time (py-spy, bench/executor.py --serving-only). Here the columns are known and the converters
    are worked out once per thread."""
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return []
    attnames = [f.attname for f in model._meta.concrete_fields]
    converters = _field_converters(model, using)
    out = []
    for row in rows:
        values = list(row)
        for i, convs, expression in converters:
            value = values[i]
            for convert in convs:
                value = convert(value, expression, connection)
            values[i] = value
        out.append(model.from_db(using, attnames, values))
    return out


@functools.cache
def _by_pk_sql(model: type[models.Model]) -> str:
    meta = model._meta
    qn = connections["default"].ops.quote_name
    # Identifiers only, from model metadata, quoted; the value is a parameter.
    return f"SELECT {model_columns(model)} FROM {qn(meta.db_table)} WHERE {qn(str(meta.pk.column))} = %s"  # noqa: S608


def get_by_pk[M: models.Model](model: type[M], pk: Any) -> M | None:
    """`model.objects.filter(pk=pk).first()` for the hot paths (a job listener, a worker claiming a run, a request
    waiting on one): one statement written once per model. The ORM compiled the same query, ordering included, on
    every call: ~1 ms of CPU against ~0.1 ms for this."""
    value = model._meta.pk.get_db_prep_value(pk, connections["default"])
    found = fetch_models(model, _by_pk_sql(model), [value])
    return found[0] if found else None


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
