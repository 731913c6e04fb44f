"""`manage.py prepare` (what `make run` runs before serving): each step only when something changed."""

from io import StringIO

import pytest
from django.core.management import call_command

from agents.management.commands import prepare

pytestmark = pytest.mark.django_db


def _prepare() -> str:
    out = StringIO()
    call_command("prepare", stdout=out)
    return out.getvalue()


def test_prepare_runs_each_step_once_then_skips_until_its_inputs_change(tmp_path, monkeypatch, settings):
    monkeypatch.setattr(prepare, "state_dir", lambda: tmp_path / "state")
    settings.STATIC_ROOT = tmp_path / "static"
    first = _prepare()
    assert "migrate: up to date (skipped)" in first  # the test database is migrated: the plan is empty
    assert "learning: created" in first and "collectstatic: done" in first
    assert (tmp_path / "static").is_dir()

    second = _prepare()
    assert "seed: inputs unchanged since the last seed of this database (skipped)" in second
    assert "collectstatic: static sources unchanged (skipped)" in second
    assert "learning:" not in second

    # Another database (or changed seed data) changes the seed's digest: it seeds again, and only that.
    (tmp_path / "state" / "seed.stamp").write_text("another database or other seed data\n")
    third = _prepare()
    assert "learning: created 0" in third and "collectstatic: static sources unchanged (skipped)" in third
    # The static sources' digest covers their sizes and times: a missing output directory is rebuilt.
    (tmp_path / "static").rename(tmp_path / "gone")
    assert "collectstatic: done" in _prepare()
