"""Writes of the lessons corpus: a module's sections (rows of `LessonSection`) rebuilt from its Markdown, with their
retrieval embeddings computed here, at seed or staff-edit time, never while answering a question."""

import hashlib
import logging

import numpy as np
from django.db import transaction

from learning.models import LessonSection, Module
from learning.retrieval_engine import MODEL_NAME, embed_texts
from learning.sections import split_lesson

logger = logging.getLogger(__name__)


def section_embedding_text(*, module_title: str, heading: str, body: str) -> str:
    """What a section's vector is computed from: lesson and heading first, so a section about "Tuples" in "Lists and
    Tuples" is near a question about tuples even where its body only says "it"."""
    return f"{module_title}. {heading}.\n{body}" if heading else f"{module_title}.\n{body}"


@transaction.atomic
def lesson_sections_sync(*, module: Module, force: bool = False) -> int:
    """Replace the module's sections by those of its current content. A section whose text (with the module title),
    place and embedding model are unchanged keeps its row and vector: re-embedding a whole lesson for a typo fix is
    wasted work. `force` recomputes every vector. Returns how many sections were (re)embedded."""
    row = Module.objects.filter(pk=module.pk).values_list("content", "title").first()
    if row is None:
        return 0
    content, title = row
    wanted = []
    for unit in split_lesson(content or ""):
        text = section_embedding_text(module_title=title, heading=unit.heading, body=unit.body)
        wanted.append((unit, text, hashlib.sha256(text.encode()).hexdigest()))
    existing = {
        (s.position, s.anchor, s.text_hash): s.pk
        for s in LessonSection.objects.filter(module=module, embedding_model=MODEL_NAME).only(
            "id", "position", "anchor", "text_hash"
        )
    }
    keep = set() if force else {existing[k] for u, _, h in wanted if (k := (u.position, u.anchor, h)) in existing}
    LessonSection.objects.filter(module=module).exclude(pk__in=keep).delete()
    kept = set(LessonSection.objects.filter(pk__in=keep).values_list("position", flat=True))
    fresh = [(u, text, h) for u, text, h in wanted if u.position not in kept]
    if not fresh:
        return 0
    vectors = np.asarray(embed_texts([text for _, text, _ in fresh]), dtype=np.float32)
    LessonSection.objects.bulk_create(
        [
            LessonSection(
                module=module,
                position=u.position,
                level=u.level,
                heading=u.heading[:255],
                anchor=u.anchor[:255],
                body=u.body,
                embedding=vector.tobytes(),
                embedding_model=MODEL_NAME,
                text_hash=h,
            )
            for (u, _, h), vector in zip(fresh, vectors, strict=True)
        ]
    )
    return len(fresh)


def lesson_sections_sync_all(*, force: bool = False) -> int:
    """Every module's sections (`manage.py lesson_sections`); `force` recomputes every embedding, e.g. after the
    retrieval engine's model changed (sections embedded by another model are recomputed anyway)."""
    total = 0
    for module in Module.objects.only("id").order_by("id"):
        total += lesson_sections_sync(module=module, force=force)
    logger.info("lesson sections: %s (re)embedded", total)
    return total
