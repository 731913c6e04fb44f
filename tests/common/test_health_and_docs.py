import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path", ["/api/health/", "/api/health", "/api/users/health/"])
def test_health_reports_every_dependency(api_client, settings, path):
    resp = api_client.get(path)
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "ok"
    expected_broker = "eager" if settings.CELERY_TASK_ALWAYS_EAGER else "ok"
    assert body["checks"] == {"database": "ok", "cache": "ok", "broker": expected_broker}


def test_health_is_503_when_the_cache_is_down(api_client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    resp = api_client.get("/api/health/")
    assert resp.status_code == 503
    assert resp.json()["checks"]["cache"] == "error"
    assert resp.json()["status"] == "error"


def test_health_is_503_when_the_broker_is_down(api_client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    resp = api_client.get("/api/health/")
    assert resp.status_code == 503
    assert resp.json()["checks"]["broker"] == "error"


def test_readiness_reports_every_dependency(api_client, settings):
    resp = api_client.get("/api/health/ready/")
    assert resp.status_code == 200
    expected_broker = "eager" if settings.CELERY_TASK_ALWAYS_EAGER else "ok"
    assert resp.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok", "broker": expected_broker}}


def test_readiness_is_503_and_liveness_200_when_the_cache_and_broker_are_down(api_client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    ready = api_client.get("/api/health/ready")
    assert ready.status_code == 503
    assert ready.json()["checks"]["cache"] == "error" and ready.json()["checks"]["broker"] == "error"
    live = api_client.get("/api/health/live")
    assert live.status_code == 200 and live.json() == {"status": "ok"}


def test_readiness_is_503_when_the_database_is_down(api_client, monkeypatch):
    from django.db import connection
    from django.db.utils import OperationalError

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    resp = api_client.get("/api/health/ready/")
    assert resp.status_code == 503
    assert resp.json()["checks"]["database"] == "error"


def test_liveness_touches_no_dependency(api_client, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert api_client.get("/api/health/live/").status_code == 200


@pytest.mark.parametrize("path", ["/api/health/", "/api/health/live/", "/api/health/ready/", "/api/users/health/"])
def test_health_probes_are_never_throttled(api_client, settings, path):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "anon": "1/1m", "user": "1/1m"}
    codes = {api_client.get(path).status_code for _ in range(4)}
    assert codes == {200}
    # Sanity: the same burst limit does throttle an ordinary public endpoint.
    assert 429 in {api_client.get("/api/learning/learning-paths/").status_code for _ in range(4)}


def test_health_probes_are_in_the_schema(tmp_path):
    call_command("spectacular", "--file", str(tmp_path / "schema.yaml"))
    paths = yaml.safe_load((tmp_path / "schema.yaml").read_text())["paths"]
    assert {"/api/health/", "/api/health/live/", "/api/health/ready/", "/api/users/health/"} <= set(paths)
    assert set(paths["/api/health/live/"]["get"]["responses"]) == {"200"}
    assert set(paths["/api/health/ready/"]["get"]["responses"]) == {"200", "503"}


def test_schema_and_docs_are_served(api_client):
    schema = api_client.get("/api/schema/")
    assert schema.status_code == 200
    docs = api_client.get("/api/docs/")
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()
    assert b"cdn.jsdelivr" not in docs.content  # self-hosted assets
    assert api_client.get("/api/redoc/").status_code == 200


def test_openapi_schema_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    schema = yaml.safe_load((tmp_path / "schema.yaml").read_text())
    assert "/api/users/auth/login/" in schema["paths"]
    assert "/api/auth/register/" in schema["paths"]


def test_check_deploy_with_production_settings_is_clean():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "k3-" + "x9Q!vB7#mZ2$pL5^" * 4,
        "DJANGO_ALLOWED_HOSTS": "api.pathwise.example",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_compose_file_invariants():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"web", "worker", "beat", "postgres", "redis"} <= set(services)
    for name, service in services.items():
        assert not service.get("privileged"), name
        for volume in service.get("volumes", []):
            assert "docker.sock" not in str(volume), name
    text = (ROOT / "docker-compose.yml").read_text()
    assert "DJANGO_SECRET_KEY: ${DJANGO_SECRET_KEY:?" in text  # required from the environment, never a literal
    assert services["web"]["environment"]["DATABASE_URL"].startswith("postgres")
    assert "healthcheck" in services["web"] and "healthcheck" in services["postgres"]


def test_dockerfile_runs_as_non_root_with_gunicorn():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.count("FROM ") >= 2  # multi-stage
    assert "\nUSER " in dockerfile and "USER root" not in dockerfile.split("FROM ")[-1]
    assert "gunicorn" in dockerfile


def test_env_example_lists_every_setting():
    example = (ROOT / ".env.example").read_text()
    for name in (
        "DJANGO_SECRET_KEY",
        "DJANGO_DEBUG",
        "DJANGO_ALLOWED_HOSTS",
        "DATABASE_URL",
        "REDIS_URL",
        "CORS_ALLOWED_ORIGINS",
        "JWT_ACCESS_MINUTES",
        "JWT_REFRESH_DAYS",
        "JWT_ROTATE_REFRESH_TOKENS",
        "THROTTLE_LOGIN_FAILURES",
        "THROTTLE_LOGIN_IP",
        "THROTTLE_REGISTER_IP",
        "NUM_PROXIES",
    ):
        assert f"{name}=" in example, name
