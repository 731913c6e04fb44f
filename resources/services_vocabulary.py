"""The search vocabulary: resource embeddings and the search terms (words of titles, tags and descriptions)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from django.db import connection, transaction
from django.db.models import Q

from common.retrieval import embed_precise_texts, embed_texts, encode_vector
from common.retrieval.precise import DOC_MAX_TOKENS
from resources.models import (
    Resource,
    SearchTerm,
)
from resources.results import catalogue_changed
from resources.search import words


def _resource_words(title: str, tags: list[str], description: str) -> set[str]:
    return set(words(f"{title} {' '.join(tags)} {description}"))


EMBED_BATCH = 1000


def resource_embedding_text(*, title: str, tags: list[str], description: str) -> str:
    """What a resource's dense vector is computed from (the semantic side of search and of the retrieval engine)."""
    return f"{title}\n{', '.join(tags or [])}\n{description}"


def _store_embeddings(rows: list[tuple[int, bytes, bytes]]) -> None:
    """(pk, embedding, meaning) rows: one UPDATE for the batch on PostgreSQL (a VALUES list; Django's bulk_update
    builds a CASE per row, ~10× slower at 100k rows), one prepared statement per row on SQLite."""
    table = Resource._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            values = ", ".join(["(%s, %s::bytea, %s::bytea)"] * len(rows))
            params = [value for row in rows for value in row]
            cursor.execute(
                f"UPDATE {table} AS r SET embedding = v.e, meaning = v.m FROM (VALUES {values}) AS v(id, e, m) "  # noqa: S608
                "WHERE r.id = v.id",
                params,
            )
        else:
            cursor.executemany(
                f"UPDATE {table} SET embedding = %s, meaning = %s WHERE id = %s",  # noqa: S608
                [(e, m, pk) for pk, e, m in rows],
            )


def resource_embeddings_compute(
    *, only_missing: bool = True, ids: list[int] | None = None, advance: Callable[[int], None] | None = None
) -> int:
    """Compute and store both vectors of resources (the fast `embedding` and the precise `meaning`, see
    common.retrieval) for those missing either, or for all of them; returns how many. Runs in batches, one UPDATE
    per batch inside its own transaction, so a large catalogue streams through."""
    rows = Resource.objects.order_by("pk")
    if only_missing:
        rows = rows.filter(Q(embedding__isnull=True) | Q(meaning__isnull=True))
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    done = 0
    last = 0
    while True:
        batch = list(rows.filter(pk__gt=last).values_list("pk", "title", "tags", "description")[:EMBED_BATCH])
        if not batch:
            return done
        texts = [resource_embedding_text(title=title, tags=tags, description=text) for _, title, tags, text in batch]
        fast, precise = embed_texts(texts), embed_precise_texts(texts, max_tokens=DOC_MAX_TOKENS)
        _store_embeddings(
            [(pk, encode_vector(e), encode_vector(m)) for (pk, *_), e, m in zip(batch, fast, precise, strict=True)]
        )
        done += len(batch)
        last = batch[-1][0]
        if advance is not None:
            advance(len(batch))


def search_terms_rebuild() -> int:
    """Recount the vocabulary of the active resources (typo correction reads it) and embed the resources that have
    no embedding yet (new or changed ones); returns the vocabulary's size."""
    counts: Counter[str] = Counter()
    rows = Resource.objects.filter(is_active=True).values_list("title", "tags", "description")
    for title, tags, description in rows.iterator(chunk_size=2000):
        counts.update(_resource_words(title, tags or [], description))
    with transaction.atomic():
        SearchTerm.objects.all().delete()
        SearchTerm.objects.bulk_create(
            [SearchTerm(word=word, document_count=n) for word, n in counts.items()], batch_size=5000
        )
    resource_embeddings_compute(only_missing=True)
    catalogue_changed()
    return len(counts)


def search_terms_add(*, resource: Resource) -> None:
    """After a single resource was added or edited (by staff): add its new words (counts are made exact again by
    the next rebuild) and let cached searches see it."""
    terms = [
        SearchTerm(word=w, document_count=1)
        for w in _resource_words(resource.title, resource.tags, resource.description)
    ]
    SearchTerm.objects.bulk_create(terms, ignore_conflicts=True, batch_size=5000)
    resource_embeddings_compute(only_missing=False, ids=[resource.pk])
    catalogue_changed()
