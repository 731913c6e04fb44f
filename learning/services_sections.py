"""Writes of the lessons corpus: a module's sections (rows of `LessonSection`) rebuilt from its Markdown, with their
retrieval embeddings computed here, at seed or staff-edit time, never while answering a question."""

import hashlib
import logging
import threading
from collections import OrderedDict

import numpy as np
from django.db import transaction

from learning.lesson_markdown import PASSAGES_VERSION, passage_texts
from learning.models import LessonSection, Module
from learning.retrieval_engine import MODEL_NAME, PRECISE_DIM, PRECISE_MODEL_NAME, embed_precise_texts, embed_texts
from learning.sections import split_lesson

logger = logging.getLogger(__name__)


def section_embedding_text(*, module_title: str, heading: str, body: str) -> str:
    """What a section's vector is computed from: lesson and heading first, so a section about "Tuples" in "Lists and
    Tuples" is near a question about tuples even where its body only says "it"."""
    return f"{module_title}. {heading}.\n{body}" if heading else f"{module_title}.\n{body}"


# Passage vectors computed in this process, by text: a re-seed (every test module seeds) or a staff edit re-embeds only
# the passages whose text changed. Bounded (float16, ~6 MB at most); the seeded lessons have ~1,400 passages.
PASSAGE_MEMO_SIZE = 8192
_passage_memo: "OrderedDict[str, np.ndarray]" = OrderedDict()
_passage_lock = threading.Lock()


PASSAGES_MODEL = f"{PRECISE_MODEL_NAME}/{PASSAGES_VERSION}"  # `LessonSection.passages_model` of current vectors


def passage_vectors(texts: list[str]) -> np.ndarray:
    """float32 (len(texts), PRECISE_DIM), L2-normalised rows: the precise model's vectors of the passages."""
    out = np.zeros((len(texts), PRECISE_DIM), dtype=np.float32)
    with _passage_lock:
        todo = [t for t in dict.fromkeys(texts) if t not in _passage_memo]
    if todo:
        fresh = embed_precise_texts(todo)
        with _passage_lock:
            for text, vector in zip(todo, fresh, strict=True):
                _passage_memo[text] = vector.astype(np.float16)
            while len(_passage_memo) > PASSAGE_MEMO_SIZE:
                _passage_memo.popitem(last=False)
    with _passage_lock:
        missing = []
        for i, text in enumerate(texts):
            known = _passage_memo.get(text)
            if known is None:
                missing.append(i)
            else:
                out[i] = known
    if missing:  # evicted meanwhile by another thread's texts: computed again
        out[missing] = embed_precise_texts([texts[i] for i in missing])
    return out


def section_passages_bytes(*, module_title: str, heading: str, body: str) -> bytes:
    """The section's passage vectors as stored (`LessonSection.passages`): float16 rows, in reading order."""
    texts = passage_texts(module_title=module_title, heading=heading, body=body)
    if not texts:
        return b""
    return passage_vectors(texts).astype("<f2").tobytes()


def _fill_passages(module: Module, title: str) -> None:
    """Kept rows embedded before passages existed (or by another precise model) get their passage vectors."""
    stale = LessonSection.objects.filter(module=module).exclude(passages_model=PASSAGES_MODEL)
    for section in stale.only("id", "heading", "body"):
        section.passages = section_passages_bytes(module_title=title, heading=section.heading, body=section.body)
        section.passages_model = PASSAGES_MODEL
        section.save(update_fields=["passages", "passages_model"])


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
        _fill_passages(module, title)
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
                passages=section_passages_bytes(module_title=title, heading=u.heading, body=u.body),
                passages_model=PASSAGES_MODEL,
            )
            for (u, _, h), vector in zip(fresh, vectors, strict=True)
        ]
    )
    _fill_passages(module, title)
    return len(fresh)


def lesson_sections_sync_all(*, force: bool = False) -> int:
    """Every module's sections (`manage.py lesson_sections`); `force` recomputes every embedding, e.g. after the
    retrieval engine's model changed (sections embedded by another model are recomputed anyway)."""
    total = 0
    for module in Module.objects.only("id").order_by("id"):
        total += lesson_sections_sync(module=module, force=force)
    logger.info("lesson sections: %s (re)embedded", total)
    return total
