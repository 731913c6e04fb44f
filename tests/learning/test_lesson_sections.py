"""The lessons corpus: lessons cut into sections, stored with their embeddings, kept in step with edits, served to the
shared retrieval engine."""

import numpy as np
import pytest
from django.contrib.admin.sites import site
from django.core.management import call_command
from django.test import RequestFactory

from common.retrieval import EMBEDDING_DIM, MODEL_NAME, get_index
from learning.admin import ModuleAdmin
from learning.models import LearningPath, LessonSection, Module
from learning.sections import split_lesson
from learning.selectors import lesson_section_docs, lessons_corpus_version
from learning.services import seed_path
from learning.services_sections import lesson_sections_sync

pytestmark = pytest.mark.django_db

LESSON = """# Lists

Intro text about lists.

## Methods

The method tells the server what to do:

| Method | Meaning |
|--------|---------|
| `PUT`  | replace |

```python
# not a heading: a comment
items = [1, 2]
```

- one item
- another item

## `if __name__ == "__main__":`

Runs only when executed directly.

## Methods

A second section with the same heading.
"""


def _module(content: str = LESSON) -> Module:
    path = LearningPath.objects.create(slug="p", title="Path", difficulty_level="beginner")
    return Module.objects.create(learning_path=path, slug="m", title="Lists", content=content, order_index=1)


def test_a_section_keeps_its_paragraphs_tables_code_and_lists_whole():
    units = split_lesson(LESSON)
    assert [(u.heading, u.anchor, u.level) for u in units] == [
        ("Lists", "lists", 1),
        ("Methods", "methods", 2),
        ('if __name__ == "__main__":', "if-__name__--__main__", 2),
        ("Methods", "methods-1", 2),
    ]
    methods = units[1].body
    assert "| `PUT`  | replace |" in methods and "# not a heading: a comment" in methods
    assert methods.index("what to do:") < methods.index("| Method |") < methods.index("```python")
    assert methods.endswith("- another item")
    assert split_lesson("Just a paragraph, no heading.")[0].anchor == "introduction"


def test_sync_stores_embeddings_and_re_embeds_only_what_changed():
    module = _module()
    assert lesson_sections_sync(module=module) == 4
    rows = list(LessonSection.objects.filter(module=module).order_by("position"))
    assert [r.anchor for r in rows] == ["lists", "methods", "if-__name__--__main__", "methods-1"]
    vector = np.frombuffer(bytes(rows[1].embedding), dtype=np.float32)
    assert vector.shape == (EMBEDDING_DIM,) and rows[1].embedding_model == MODEL_NAME
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-3
    assert lesson_sections_sync(module=module) == 0  # nothing changed: nothing recomputed
    module.content = LESSON.replace("Runs only when executed directly.", "Runs only as a script.")
    module.save()
    assert lesson_sections_sync(module=module) == 1
    after = {r.anchor: r.pk for r in LessonSection.objects.filter(module=module)}
    assert after["methods"] == rows[1].pk and after["if-__name__--__main__"] != rows[2].pk
    module.content = "# Lists\n\nOnly this now."
    module.save()
    lesson_sections_sync(module=module)
    assert list(LessonSection.objects.filter(module=module).values_list("anchor", flat=True)) == ["lists"]


def test_the_management_command_recomputes_every_embedding():
    module = _module()
    lesson_sections_sync(module=module)
    LessonSection.objects.filter(module=module).update(embedding=None, embedding_model="old-model")
    call_command("lesson_sections")
    assert set(LessonSection.objects.values_list("embedding_model", flat=True)) == {MODEL_NAME}
    before = set(LessonSection.objects.values_list("pk", flat=True))
    call_command("lesson_sections", "--force")
    assert not before & set(LessonSection.objects.values_list("pk", flat=True))


def test_a_staff_edit_in_the_admin_updates_the_sections(staff):
    module = _module()
    request = RequestFactory().post("/admin/")
    request.user = staff
    module.content = "# Lists\n\n## Slicing\n\nUse `items[1:3]`."
    ModuleAdmin(Module, site).save_model(request, module, form=None, change=True)
    assert list(LessonSection.objects.filter(module=module).values_list("anchor", flat=True)) == ["slicing"]


def test_the_seed_registers_the_lessons_corpus_with_deep_links_and_stored_vectors():
    from django.conf import settings

    path = seed_path(settings.BASE_DIR / "learning/data/paths/web-apis.yaml", {"created": 0, "updated": 0,
                                                                              "deleted": 0})  # fmt: skip
    docs = lesson_section_docs()
    assert docs and all(d.vector is not None and d.vector.shape == (EMBEDDING_DIM,) for d in docs)
    methods = next(d for d in docs if d.meta["heading"] == "Methods")
    module = Module.objects.get(slug="api-http-basics")
    assert methods.id == f"module:{module.pk}#methods"
    assert methods.meta["url"] == f"/learning/{path.pk}/module/{module.pk}#methods"
    assert "| `PATCH`" in methods.meta["body"]
    version = lessons_corpus_version()
    index = get_index("lessons")
    assert len(index) == len(docs)
    assert index.search("PATCH change part of a resource", k=1)[0].id == methods.id
    LearningPath.objects.filter(pk=path.pk).update(is_published=False)
    path.refresh_from_db()
    path.save()  # unpublishing moves the version: the index is rebuilt without the path
    assert lessons_corpus_version() != version and len(get_index("lessons")) == 0
