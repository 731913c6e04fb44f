"""The `seed` command's hook: each app registers the loaders of its data files in AppConfig.ready(), and writes its
rows through `seed_upsert`, which never overwrites curation.

Every seeded row remembers what the seed last wrote into it (a `SeedSnapshot`: a hash per seeded field). On the next
seed a row is updated only while each of its seeded fields still holds what the seed wrote; a row that staff edited
since is left as it is and reported (`skipped`), with the fields they changed. A row that has no snapshot yet (seeded
before snapshots existed) is adopted: updated, and remembered from then on.
"""

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models


@dataclass(frozen=True)
class Seeder:
    name: str
    order: int
    # Called with a progress callback `advance(n)`; returns a summary such as {"created": 3, "updated": 5}.
    run: Callable[[Callable[[int], None]], dict[str, int]]
    # How many progress steps `run` will report, for the progress bar.
    size: Callable[[], int]


_seeders: dict[str, Seeder] = {}


def register_seeder(seeder: Seeder) -> None:
    _seeders[seeder.name] = seeder


def seeders() -> list[Seeder]:
    return sorted(_seeders.values(), key=lambda s: (s.order, s.name))


# --- Curation-preserving writes ---------------------------------------------------------------------------------------


@dataclass
class SkippedRow:
    model: str
    object_pk: str
    label: str
    fields: list[str]

    def __str__(self) -> str:
        return f"{self.model} {self.label!r} (edited since the last seed: {', '.join(self.fields)})"


@dataclass
class SeedReport:
    """Rows left alone in this seed run because staff edited them; the command prints them."""

    skipped: list[SkippedRow] = field(default_factory=list)


_report = SeedReport()


def current_report() -> SeedReport:
    return _report


def reset_report() -> SeedReport:
    global _report
    _report = SeedReport()
    return _report


def _label(model: type[models.Model]) -> str:
    return model._meta.label


def _normalise(model: type[models.Model], name: str, value: Any) -> Any:
    model_field = model._meta.get_field(name)
    if isinstance(value, models.Model):
        value = value.pk
    elif model_field.is_relation:
        return value
    else:
        value = model_field.to_python(value)
    return value


def _field_hash(value: Any) -> str:
    encoded = json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()[:16]


def _attname(model: type[models.Model], name: str) -> str:
    return model._meta.get_field(name).attname


def _hashes_of_values(model: type[models.Model], values: dict[str, Any]) -> dict[str, str]:
    return {name: _field_hash(_normalise(model, name, value)) for name, value in values.items()}


def _hashes_of_row(obj: models.Model, names: Iterable[str]) -> dict[str, str]:
    model = type(obj)
    return {name: _field_hash(_normalise(model, name, getattr(obj, _attname(model, name)))) for name in names}


def edited_fields(obj: models.Model, names: Iterable[str]) -> list[str] | None:
    """The seeded fields of `obj` whose value differs from what the seed last wrote; None when the row has no
    snapshot (never seeded, or seeded before snapshots existed)."""
    from common.models import SeedSnapshot

    snapshot = SeedSnapshot.objects.filter(model=_label(type(obj)), object_pk=str(obj.pk)).first()
    if snapshot is None:
        return None
    current = _hashes_of_row(obj, names)
    return sorted(name for name, digest in current.items() if snapshot.fields.get(name) not in (None, digest))


def remember(obj: models.Model, values: dict[str, Any]) -> None:
    """Record what the seed just wrote into `obj` (its seeded fields' values)."""
    from common.models import SeedSnapshot

    SeedSnapshot.objects.update_or_create(
        model=_label(type(obj)), object_pk=str(obj.pk), defaults={"fields": _hashes_of_values(type(obj), values)}
    )


def is_seeded(obj: models.Model) -> bool:
    from common.models import SeedSnapshot

    return SeedSnapshot.objects.filter(model=_label(type(obj)), object_pk=str(obj.pk)).exists()


def forget(model: type[models.Model], pks: Iterable[Any]) -> None:
    from common.models import SeedSnapshot

    SeedSnapshot.objects.filter(model=_label(model), object_pk__in=[str(pk) for pk in pks]).delete()


def skip(obj: models.Model, fields: list[str], label: str = "") -> None:
    _report.skipped.append(SkippedRow(_label(type(obj)), str(obj.pk), label or str(obj), fields))


def seed_upsert(
    model: type[models.Model],
    lookup: dict[str, Any],
    values: dict[str, Any],
    counts: dict[str, int],
    *,
    always: dict[str, Any] | None = None,
) -> models.Model:
    """Create or update the row `lookup` names with `values`, unless staff edited it since the last seed: then only
    `always` (structural fields the seed owns, e.g. an order the seed rewrites) is written, and the row is reported
    as skipped. Counts "created", "updated", "unchanged" or "skipped"."""
    always = always or {}
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model.objects.create(**lookup, **values, **always)
        remember(obj, values)
        counts["created"] = counts.get("created", 0) + 1
        return obj
    edited = edited_fields(obj, values)
    if edited:
        for name, value in always.items():
            setattr(obj, name, value)
        if always:
            obj.save(update_fields=list(always))
        skip(obj, edited)
        counts["skipped"] = counts.get("skipped", 0) + 1
        return obj
    target = _hashes_of_values(model, values)
    changed = [name for name, digest in _hashes_of_row(obj, values).items() if digest != target[name]]
    moved = [
        name for name, value in always.items() if getattr(obj, _attname(model, name)) != _normalise(model, name, value)
    ]
    for name, value in {**values, **always}.items():
        setattr(obj, name, value)
    if changed:
        obj.save()
    elif moved:  # structural fields only (e.g. the order the seed rewrites): not an update of the content
        obj.save(update_fields=moved)
    if changed or edited is None:
        remember(obj, values)
    key = "updated" if changed else "unchanged"
    counts[key] = counts.get(key, 0) + 1
    return obj
