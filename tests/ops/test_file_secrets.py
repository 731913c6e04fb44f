"""`*_FILE` secrets in settings: a secret read from a mounted file, as Docker and Kubernetes secrets are."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from common.file_secrets import SecretFileError, load_file_secrets

ROOT = Path(__file__).resolve().parents[2]


def test_a_secret_comes_from_its_file_and_an_explicit_value_wins(tmp_path):
    (tmp_path / "key").write_text("s3cret-from-file\n")
    environ = {"DJANGO_SECRET_KEY_FILE": str(tmp_path / "key"), "LLM_API_KEY": "explicit",
               "LLM_API_KEY_FILE": str(tmp_path / "key"), "OTHER_FILE": str(tmp_path / "key")}  # fmt: skip
    assert load_file_secrets(environ) == ["DJANGO_SECRET_KEY"]
    assert environ["DJANGO_SECRET_KEY"] == "s3cret-from-file"
    assert environ["LLM_API_KEY"] == "explicit"
    assert "OTHER" not in environ  # only the known secret variables


def test_a_missing_secret_file_stops_the_start(tmp_path):
    with pytest.raises(SecretFileError, match=r"DATABASE_URL_FILE=.*cannot read"):
        load_file_secrets({"DATABASE_URL_FILE": str(tmp_path / "absent")})


def test_production_settings_read_the_secret_key_and_database_url_from_files(tmp_path):
    (tmp_path / "key").write_text("k" * 50)
    (tmp_path / "db").write_text(f"sqlite:///{tmp_path / 'from-file.sqlite3'}\n")
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SECRET_KEY", "DATABASE_URL")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.production", DJANGO_READ_DOT_ENV="false",
               DJANGO_SECRET_KEY_FILE=str(tmp_path / "key"),
               DATABASE_URL_FILE=str(tmp_path / "db"))  # fmt: skip
    code = "from django.conf import settings; print(len(settings.SECRET_KEY), settings.DATABASES['default']['NAME'])"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["50", str(tmp_path / "from-file.sqlite3")]
