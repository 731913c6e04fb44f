"""The embedded default as `make run` serves it — gunicorn with two uvicorn workers, SQLite, no Redis — started once
for this module as a real server, and asked over real sockets (a new connection per request, so both workers answer):
security state and WebSocket events must hold across its processes."""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect as ws_connect

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
LOGIN_LIMIT = 5
PASSWORD = "a-Long-test-passw0rd"

# The schema straight from the models (what `migrate` builds, without replaying every migration: seconds, not tens
# of seconds on a busy machine).
_CREATE_SCHEMA = """
import django
from django.conf import settings
django.setup()
class _NoMigrations(dict):
    def __contains__(self, item): return True
    def __getitem__(self, item): return None
settings.MIGRATION_MODULES = _NoMigrations()
from django.core.management import call_command
call_command("migrate", run_syncdb=True, verbosity=0)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, tmp: Path, port: int, proc: subprocess.Popen) -> None:
        self.tmp, self.port, self.proc = tmp, port, proc
        self.url = f"http://127.0.0.1:{port}"

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        # A fresh client per request: no keep-alive, so the kernel hands each request to either worker.
        with httpx.Client(base_url=self.url, timeout=60) as client:
            return client.request(method, path, **kwargs)

    def parallel(self, calls: list) -> list[httpx.Response]:
        with ThreadPoolExecutor(max_workers=len(calls)) as pool:
            return list(pool.map(lambda call: call(), calls))

    def worker_pids_that_served(self) -> set[int]:
        """Workers whose Prometheus file counts at least one request (gunicorn's multiprocess directory)."""
        from prometheus_client.mmap_dict import MmapedDict

        pids = set()
        for path in self.tmp.glob("pathwise-prometheus-*/counter_*.db"):
            values = MmapedDict.read_all_values_from_file(str(path))
            if any("django_http_requests_total_by_method" in key and value > 0 for key, value, *_ in values):
                pids.add(int(path.stem.split("_")[-1]))
        return pids

    def register(self, name: str) -> dict:
        body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD, "password_confirm": PASSWORD}
        resp = self.request("POST", "/api/users/auth/register/", json=body)
        assert resp.status_code == 201, resp.text
        return resp.json()["tokens"]

    def login(self, identifier: str, password: str = PASSWORD) -> httpx.Response:
        return self.request("POST", "/api/auth/login/", json={"username": identifier, "password": password})


@pytest.fixture(scope="module")
def server():
    tmp = Path(tempfile.mkdtemp(prefix="pathwise-default-"))
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "PROMETHEUS_MULTIPROC_DIR")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",  # what `make run` serves
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}",
        RATE_LIMIT_SQLITE_PATH=str(tmp / "ratelimits.sqlite3"),
        TMPDIR=str(tmp),  # the channel layer's and gunicorn's metrics directories land here
        THROTTLE_LOGIN_FAILURES=f"{LOGIN_LIMIT}/15m",
        THROTTLE_LOGIN_IP="1000/1m",
        THROTTLE_REGISTER_IP="1000/1h",
        LOG_LEVEL="WARNING",
    )
    subprocess.run([sys.executable, "-c", _CREATE_SCHEMA], cwd=ROOT, env=env, check=True, timeout=300)
    port = _free_port()
    log = (tmp / "server.log").open("wb")
    proc = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "config.asgi:application", "-k", "uvicorn_worker.UvicornWorker",
         "--bind", f"127.0.0.1:{port}", "--workers", "2", "--forwarded-allow-ips", ""],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    srv = Server(tmp, port, proc)
    deadline = time.monotonic() + 120
    while True:
        assert proc.poll() is None, (tmp / "server.log").read_text()[-3000:]
        try:
            if srv.request("GET", "/api/health/live/").status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.3)
    try:
        yield srv
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        leftover = list(tmp.glob("pathwise-prometheus-*"))
        shutil.rmtree(tmp, ignore_errors=True)
        assert leftover == [], "gunicorn left its metrics directory behind"


def test_logout_revokes_the_access_token_on_every_process(server):
    server.register("leaver")
    session = server.login("leaver").json()["tokens"]
    other = server.login("leaver@example.com").json()["tokens"]
    profile = [
        lambda t=session["access"]: server.request(
            "GET", "/api/users/profile/", headers={"Authorization": f"Bearer {t}"}
        )
    ]
    assert [r.status_code for r in server.parallel(profile * 20)] == [200] * 20

    assert server.request("POST", "/api/auth/logout/", json={"refresh": session["refresh"]}).status_code == 200

    revoked = server.parallel(profile * 20)
    assert [r.status_code for r in revoked] == [401] * 20
    assert {r.json()["errors"][0]["code"] for r in revoked} == {"token_revoked"}
    still = [
        lambda: server.request("GET", "/api/users/profile/", headers={"Authorization": f"Bearer {other['access']}"})
    ]
    assert [r.status_code for r in server.parallel(still * 20)] == [200] * 20
    assert len(server.worker_pids_that_served()) == 2


def test_login_failures_lock_at_the_limit_across_processes(server):
    server.register("guessed")
    statuses = [server.login("guessed" if i % 2 else "guessed@example.com", "wrong").status_code for i in range(8)]
    assert statuses == [401] * LOGIN_LIMIT + [429] * (8 - LOGIN_LIMIT)
    locked = server.login("guessed")
    assert locked.status_code == 429
    assert locked.json()["errors"][0]["code"] == "throttled"
    assert int(locked.headers["Retry-After"]) > 0
    assert len(server.worker_pids_that_served()) == 2


def test_parallel_login_failures_get_exactly_the_limit_checked(server):
    server.register("stormed")
    wrong = [lambda: server.login("stormed", "wrong")]
    statuses = Counter(r.status_code for r in server.parallel(wrong * 12))
    assert statuses == {401: LOGIN_LIMIT, 429: 12 - LOGIN_LIMIT}


def test_forged_x_forwarded_for_from_loopback_does_not_change_the_client(server):
    server.register("spoofed")
    statuses = [
        server.request(
            "POST", "/api/auth/login/", json={"username": "spoofed", "password": "wrong"},
            headers={"X-Forwarded-For": f"203.0.113.{i}"},
        ).status_code
        for i in range(LOGIN_LIMIT + 2)
    ]  # fmt: skip
    assert statuses == [401] * LOGIN_LIMIT + [429, 429]


def test_websocket_events_arrive_from_every_process(server):
    server.register("listener")
    access = server.login("listener").json()["tokens"]["access"]
    headers = {"Authorization": f"Bearer {access}"}
    completed: set[int] = set()
    with ws_connect(f"ws://127.0.0.1:{server.port}/ws/agents/?token={access}", open_timeout=30) as ws:
        assert json.loads(ws.recv(timeout=30))["type"] == "connection_established"
        sends = [
            lambda i=i: server.request(
                "POST", "/api/agents/chat-assistant/message/", json={"message": f"What is a walker? ({i})"},
                headers=headers,
            )
            for i in range(10)
        ]  # fmt: skip
        assert [r.status_code for r in server.parallel(sends)] == [201] * 10
        deadline = time.monotonic() + 30
        while len(completed) < 10 and time.monotonic() < deadline:
            try:
                event = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            except TimeoutError:
                break
            task = event.get("task") or {}
            if event.get("type") == "task_update" and task.get("status") == "completed":
                completed.add(task["id"])
    assert len(completed) == 10
    assert len(server.worker_pids_that_served()) == 2


def test_a_declared_200_mib_body_is_refused_before_it_is_read(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(
            b"POST /api/auth/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 209715200\r\n\r\n" + b"x" * 65536
        )
        response = b""
        while b"\r\n\r\n" not in response or not response.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            response += chunk
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert json.loads(body)["errors"][0]["code"] == "payload_too_large"


@pytest.mark.parametrize("name", ["Makefile", "Dockerfile", "docker-compose.yml"])
def test_every_server_command_passes_forwarded_allow_ips(name):
    text = (ROOT / name).read_text()
    assert text.count("config.asgi:application") >= 1
    assert text.count("config.asgi:application") == text.count("--forwarded-allow-ips")


def _http_get_on(sock: socket.socket, path: str) -> bytes:
    """One HTTP/1.1 request on an open socket; the whole response (Content-Length framed), or b"" if the server had
    closed the connection."""
    try:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    except OSError:
        return b""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def test_an_idle_keep_alive_connection_outlives_a_pause_between_requests(server):
    """A client that reuses its connection after a few seconds' pause (a learner between clicks, a proxy's pooled
    connection) gets its answer; with gunicorn's default keepalive (2 s) the server had closed the connection, and a
    request sent at that moment failed with a reset (bench/load.py's "HTTP 0")."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        assert _http_get_on(sock, "/api/health/live/").startswith(b"HTTP/1.1 200")
        time.sleep(3.5)
        assert _http_get_on(sock, "/api/health/live/").startswith(b"HTTP/1.1 200")
