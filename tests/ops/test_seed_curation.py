"""Seeding never destroys curation: `seed` updates a row only while it still holds what the seed last wrote."""

import re
from io import StringIO

import pytest
from django.core.management import call_command

from common import seeding
from common.models import SeedSnapshot
from learning.models import Module
from resources.models import Resource

pytestmark = pytest.mark.django_db


def _seed(*only: str) -> str:
    out = StringIO()
    call_command("seed", "--only", *only, "--no-progress", stdout=out)
    return out.getvalue()


def test_seed_keeps_a_staff_edit_and_reports_it():
    _seed("learning", "resources")
    module = Module.objects.filter(module_type="lesson").order_by("pk").first()
    original_title, original_content = module.title, module.content
    # Staff rewrite a lesson's title in the admin (a plain model save, as the admin does).
    module.title = "Variables, explained by our staff"
    module.save()
    resource = Resource.objects.get(canonical_url="https://docs.python.org/3/tutorial")
    resource.description = "Our pick for week one."
    resource.save()
    # Another seeded module that nobody touched, whose content the previous seed wrote differently (as if the
    # data file changed since): the seed must still update it.
    other = Module.objects.filter(module_type="lesson").exclude(pk=module.pk).order_by("pk").first()
    file_content = other.content
    other.content = "old seeded text"
    other.save()
    seeding.remember(other, {"content": "old seeded text"} | _seeded_values(other, exclude={"content"}))

    out = _seed("learning", "resources")

    module.refresh_from_db()
    resource.refresh_from_db()
    other.refresh_from_db()
    assert module.title == "Variables, explained by our staff"
    assert module.content == original_content  # the edit is kept whole, not merged field by field
    assert resource.description == "Our pick for week one."
    assert other.content == file_content  # an unedited seeded row still follows the data files
    assert "Kept 2 row(s) edited by staff since the last seed:" in out
    assert f"skipped learning.Module {str(module)!r} (edited since the last seed: title)" in out
    assert (
        "skipped resources.Resource 'https://docs.python.org/3/tutorial/' (edited since the last seed: description)"
        in out
    )
    # Updated: the other module, and the edited module's check quiz, whose title follows the module's (staff's) title.
    assert re.search(r"learning: created 0, updated 2, unchanged \d+, skipped 1, deleted 0", out)
    assert original_title != module.title

    # Still kept on every later seed; and once staff put the seeded value back, the seed owns the row again.
    assert "skipped learning.Module" in _seed("learning")
    module.title = original_title
    module.save()
    assert "skipped learning.Module" not in _seed("learning")


def test_a_module_staff_added_to_a_seeded_path_survives_the_seed():
    _seed("learning")
    path_module = Module.objects.order_by("pk").first()
    path = path_module.learning_path
    added = Module.objects.create(
        learning_path=path, slug="staff-extra", title="Extra practice", description="d", content="c",
        order_index=999, estimated_duration=5, module_type="lesson",
    )  # fmt: skip
    out = _seed("learning")
    assert Module.objects.filter(pk=added.pk).exists()
    assert "skipped learning.Module 'staff-extra' (edited since the last seed: not seeded)" in out
    assert not SeedSnapshot.objects.filter(model="learning.Module", object_pk=str(added.pk)).exists()


def _seeded_values(module: Module, exclude: set[str]) -> dict:
    from learning.services import MODULE_SEEDED_FIELDS

    return {name: getattr(module, name) for name in MODULE_SEEDED_FIELDS if name not in exclude}
