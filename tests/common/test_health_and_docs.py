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
    expected = {"database": "ok", "cache": "ok", "broker": expected_broker, "migrations": "ok"}
    if settings.CELERY_TASK_ALWAYS_EAGER:
        expected["workers"] = "eager"  # tasks run in this process; with a broker, tests/ops covers the workers
    assert resp.json() == {"status": "ok", "checks": expected}


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
        "DJANGO_READ_DOT_ENV": "false",  # what is checked is these settings, not a local .env
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
    env["DJANGO_READ_DOT_ENV"] = "false"  # a local .env with a key must not hide the missing one
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


APP_SERVICES = ["web", "worker-default", "worker-executor", "worker-llm", "worker-reco", "beat", "flower"]


def test_compose_file_invariants():
    compose = _compose()
    services = compose["services"]
    assert {*APP_SERVICES, "migrate", "proxy", "postgres", "redis-broker", "redis-cache"} == set(services)
    for name, service in services.items():
        assert not service.get("privileged"), name
        assert "no-new-privileges:true" in service.get("security_opt", []), name
        for volume in service.get("volumes", []):
            assert "docker.sock" not in str(volume), name
        if name == "migrate":  # the one-off: runs to completion, never restarted
            assert service["restart"] == "no"
            continue
        assert service.get("restart") == "unless-stopped", name
        assert "healthcheck" in service, name
        limits = service["deploy"]["resources"]["limits"]
        assert limits.get("cpus") and limits.get("memory"), name
        if name != "worker-executor":
            assert "cap_add" not in service, name
    text = (ROOT / "docker-compose.yml").read_text()
    # Secrets are files (compose secrets), read through *_FILE: never a literal, never plain environment.
    assert "DJANGO_SECRET_KEY_FILE: /run/secrets/django_secret_key" in text
    assert services["web"]["environment"]["DATABASE_URL_FILE"] == "/run/secrets/database_url"
    assert all(secret["file"].startswith("./secrets/") for secret in compose["secrets"].values())
    assert "docker.sock" not in text


def test_compose_web_runs_asgi_and_probes_liveness():
    web = _compose()["services"]["web"]
    assert "gunicorn config.asgi:application -k uvicorn_worker.UvicornWorker" in web["command"]
    assert "/api/health/live/" in " ".join(web["healthcheck"]["test"])
    assert "EXECUTOR_BACKEND" not in web["environment"]


def test_compose_one_worker_per_kind_of_queue():
    services = _compose()["services"]
    queues = {}
    for name in ("worker-default", "worker-executor", "worker-llm", "worker-reco"):
        command = services[name]["command"]
        assert "celery -A config worker" in command, name
        queues[name] = set(command.split(" -Q ", 1)[1].split()[0].split(","))
        assert "inspect ping" in " ".join(services[name]["healthcheck"]["test"]), name
    assert queues == {
        "worker-default": {"default"},
        "worker-executor": {"executor"},
        "worker-llm": {"llm", "scrape"},
        "worker-reco": {"reco"},
    }
    # Every queue a task is routed to is consumed by some worker.
    from django.conf import settings

    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()} | {settings.CELERY_TASK_DEFAULT_QUEUE}
    assert routed <= set().union(*queues.values())
    assert "celery -A config beat" in services["beat"]["command"]


def test_compose_only_the_executor_worker_has_sandbox_privileges():
    services = _compose()["services"]
    executor = services["worker-executor"]
    assert executor["user"] == "0:0" and executor["environment"]["EXECUTOR_BACKEND"] == "bwrap"
    assert set(executor["cap_add"]) <= {"SETUID", "SETGID", "KILL", "CHOWN", "DAC_OVERRIDE", "FOWNER"}
    assert "SYS_ADMIN" not in executor["cap_add"] and executor["cap_drop"] == ["ALL"]
    assert "executor_build_runtime" in executor["command"]  # warms the Jac cache before taking tasks
    for name in APP_SERVICES:
        if name != "worker-executor":
            assert "user" not in services[name], name  # the image's non-root user
            assert services[name]["cap_drop"] == ["ALL"], name
            assert not any("unconfined" in opt for opt in services[name]["security_opt"]), name
    # No outside route for the executor worker: only the internal data network.
    assert executor["networks"] == ["data"]


def test_compose_networks_keep_the_data_stores_internal():
    compose = _compose()
    assert compose["networks"]["data"]["internal"] is True
    for name in ("postgres", "redis-broker", "redis-cache"):
        assert compose["services"][name]["networks"] == ["data"], name
        assert "ports" not in compose["services"][name], name
    assert set(compose["services"]["web"]["networks"]) == {"data", "edge"}
    assert "ports" not in compose["services"]["web"] and compose["services"]["proxy"]["networks"] == ["edge"]


def test_compose_redis_requires_credentials_and_the_broker_keeps_an_append_only_file():
    services = _compose()["services"]
    broker_conf = (ROOT / "deploy/redis/broker.conf").read_text()
    assert "appendonly yes" in broker_conf and "aclfile" in broker_conf
    assert "user default off" in (ROOT / "deploy/redis/users.acl.template").read_text()
    assert "--requirepass" in " ".join(services["redis-cache"]["command"])
    for name in APP_SERVICES:
        env = services[name].get("environment", {})
        assert env["REDIS_URL_FILE"].startswith("/run/secrets/"), name


def test_compose_flower_is_an_ops_profile_behind_basic_auth():
    flower = _compose()["services"]["flower"]
    assert flower["profiles"] == ["ops"]
    assert flower["build"]["target"] == "ops"
    assert "FLOWER_BASIC_AUTH" in flower["environment"] and "test -n" in flower["command"]
    assert all(port.startswith("127.0.0.1:") for port in flower["ports"])
    assert "flower" not in (ROOT / "requirements.txt").read_text()
    assert "flower==" in (ROOT / "requirements-ops.txt").read_text()


def test_dockerfile_runs_as_non_root_with_gunicorn():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.count("FROM ") >= 2  # multi-stage
    runtime = dockerfile.split(" AS runtime", 1)[1].split(" AS ops", 1)[0]
    assert "\nUSER app" in runtime and "USER root" not in runtime
    assert 'CMD ["gunicorn", "config.asgi:application", "-k", "uvicorn_worker.UvicornWorker"' in runtime
    assert "manage.py executor_build_runtime --skip-prewarm" in runtime  # the sandbox runtime is in the image
    assert runtime.index("executor_build_runtime") < runtime.index("\nUSER app")  # built as root, owned by root
    assert "/api/health/live/" in runtime
    ops = dockerfile.split(" AS ops", 1)[1]
    assert "requirements-ops.txt" in ops and ops.rstrip().split("\n").count("USER app") == 1
    assert "privileged" not in dockerfile and "docker.sock" not in dockerfile


def test_makefile_serves_asgi():
    makefile = (ROOT / "Makefile").read_text()
    assert "gunicorn config.asgi:application -k uvicorn_worker.UvicornWorker" in makefile


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
