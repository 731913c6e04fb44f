"""The curated catalogue (data/catalogue*.yaml): loaded into resources by canonical URL, idempotently."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction

from common import seeding
from resources.models import (
    Origin,
    Resource,
)
from resources.scraping.normalize import canonical_url
from resources.services_vocabulary import search_terms_rebuild

CATALOGUE = Path(__file__).resolve().parent / "data" / "catalogue.yaml"
CATALOGUE_FILES = (CATALOGUE, CATALOGUE.with_name("catalogue_extra.yaml"))  # seeded in this order; URLs unique


def load_catalogue() -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for path in CATALOGUE_FILES:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, list):
            raise ValueError(f"{path} must hold a list of resources")
        entries.extend(data)
    return entries


def seed_size() -> int:
    return len(load_catalogue()) + 1


def _catalogue_values(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "url": entry["url"],
        "title": entry["title"].strip(),
        "description": " ".join(str(entry.get("description", "")).split()),
        "media_type": entry["media_type"],
        "difficulty": entry.get("difficulty"),
        "duration_minutes": entry.get("duration_minutes"),
        "tags": list(entry.get("tags") or []),
        "prerequisites": list(entry.get("prerequisites") or []),
        "learning_style": entry.get("learning_style"),
        "source": entry.get("source", ""),
    }


def _seed_one(entry: dict[str, Any]) -> tuple[str, str]:
    values = _catalogue_values(entry)
    canonical = canonical_url(values["url"])
    existing = Resource.objects.select_for_update().defer("search_vector").filter(canonical_url=canonical).first()
    if existing is not None and existing.origin == Origin.CURATED:
        edited = seeding.edited_fields(existing, values)
        if edited:  # staff edited it since the last seed: their curation stays (reported by `seed`)
            seeding.skip(existing, edited, label=values["url"])
            return canonical, "skipped"
    resource = existing or Resource(canonical_url=canonical)
    changed = [name for name, value in values.items() if getattr(resource, name) != value]
    if existing is not None and resource.origin == Origin.CURATED and resource.is_active and not changed:
        if not seeding.is_seeded(resource):
            seeding.remember(resource, values)
        return canonical, "unchanged"
    for name, value in values.items():
        setattr(resource, name, value)
    if changed:
        resource.embedding = resource.meaning = None  # recomputed by search_terms_rebuild() at the end of the seed
    resource.origin = Origin.CURATED
    resource.is_active = True
    try:
        resource.full_clean(validate_constraints=False)
    except ValidationError as exc:
        raise ValidationError(f"catalogue entry {values['title']!r}: {exc}") from None
    resource.save()
    seeding.remember(resource, values)
    return canonical, "created" if existing is None else "updated"


@transaction.atomic
def seed_resources(advance: Callable[[int], None]) -> dict[str, int]:
    """Load the curated catalogue, updating by canonical URL (idempotent). Curated rows that left the file are
    deactivated, not deleted: users' interactions with them stay."""
    counts = {"created": 0, "updated": 0, "unchanged": 0, "skipped": 0, "deactivated": 0}
    seen: list[str] = []
    for entry in load_catalogue():
        canonical, outcome = _seed_one(entry)
        seen.append(canonical)
        counts[outcome] += 1
        advance(1)
    counts["deactivated"] = (
        Resource.objects.filter(origin=Origin.CURATED, is_active=True)
        .exclude(canonical_url__in=seen)
        .update(is_active=False)
    )
    search_terms_rebuild()
    advance(1)
    return counts
