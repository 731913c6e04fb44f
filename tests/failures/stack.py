"""A private stack for failure injection: a throwaway PostgreSQL cluster and a Redis server on their own ports,
gunicorn and (when asked) a Celery worker in front of them, all under one temporary directory. Nothing here touches
the machine's shared PostgreSQL or Redis, so stopping and killing things is safe."""

from __future__ import annotations

import glob
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
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
BIN = Path(PYTHON).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def missing_binaries() -> list[str]:
    missing = []
    if pg_bin() is None:
        missing.append("postgresql server (initdb)")
    if shutil.which("redis-server") is None:
        missing.append("redis-server")
    if not (BIN / "gunicorn").exists():
        missing.append("gunicorn")
    return missing


@dataclass
class Response:
    status: int
    body: Any
    headers: dict[str, str]
    seconds: float


@dataclass
class Stack:
    tmp: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="pathwise-failures-")))
    pg_port: int = field(default_factory=free_port)
    redis_port: int = field(default_factory=free_port)
    web_port: int = field(default_factory=free_port)
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(50))  # one key for all the stack's processes
    extra_env: dict[str, str] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    # --- environment ------------------------------------------------------------------------------------------------
    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "PYTEST"))}
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings.test",
            DJANGO_SECRET_KEY=self.secret_key,
            DATABASE_URL=f"postgres://postgres@127.0.0.1:{self.pg_port}/pathwise",
            REDIS_URL=f"redis://127.0.0.1:{self.redis_port}/0",
            CACHE_KEY_PREFIX="failures",
            DB_CONNECT_TIMEOUT="2",
            OPENBLAS_NUM_THREADS="1",
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        return env

    def log(self, name: str) -> Path:
        return self.tmp / f"{name}.log"

    def _spawn(self, name: str, args: list[str], **kwargs: Any) -> subprocess.Popen:
        out = open(self.log(name), "ab")
        proc = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, **kwargs)  # fmt: skip
        self.procs[name] = proc
        return proc

    # --- PostgreSQL -------------------------------------------------------------------------------------------------
    @property
    def pgdata(self) -> Path:
        return self.tmp / "pgdata"

    def _as_postgres(self, *args: str) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else list(args)

    def pg_init(self) -> None:
        bindir = pg_bin()
        assert bindir is not None
        self.pgdata.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.tmp, "postgres")
            shutil.chown(self.pgdata, "postgres")
        os.chmod(self.tmp, 0o755)
        subprocess.run(self._as_postgres(str(bindir / "initdb"), "-D", str(self.pgdata), "-A", "trust", "-U",
                                         "postgres", "--no-sync"), check=True, capture_output=True)  # fmt: skip
        self.pg_start()
        subprocess.run(self._as_postgres(str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.pg_port),
                                         "-U", "postgres", "pathwise"), check=True, capture_output=True)  # fmt: skip

    def pg_ctl(self, *args: str) -> None:
        bindir = pg_bin()
        assert bindir is not None
        subprocess.run(self._as_postgres(str(bindir / "pg_ctl"), "-D", str(self.pgdata), *args), check=True,
                       capture_output=True, timeout=60)  # fmt: skip

    def pg_start(self) -> None:
        options = (f"-p {self.pg_port} -k {self.tmp} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60")  # fmt: skip
        self.pg_ctl("-o", options, "-l", str(self.tmp / "postgres.log"), "-w", "start")

    def pg_stop(self) -> None:
        self.pg_ctl("-m", "fast", "-w", "stop")

    # --- Redis ------------------------------------------------------------------------------------------------------
    def redis_start(self) -> None:
        self._spawn("redis", ["redis-server", "--bind", "127.0.0.1", "--port", str(self.redis_port), "--save", "",
                              "--appendonly", "no", "--dir", str(self.tmp)])  # fmt: skip
        wait_for(lambda: _tcp_open(self.redis_port), 10, "redis")

    def redis_stop(self) -> None:
        self.stop("redis")

    # --- Django -----------------------------------------------------------------------------------------------------
    def manage(self, *args: str, timeout: float = 600) -> str:
        done = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True,
                              timeout=timeout)  # fmt: skip
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return done.stdout

    def shell(self, code: str) -> Any:
        """Run Python in a Django shell against the private stack; the last line printed is read as JSON."""
        out = self.manage("shell", "-c", code)
        return json.loads(out.strip().splitlines()[-1])

    def web_start(self, workers: int = 2) -> None:
        self._spawn("web", [str(BIN / "gunicorn"), "config.wsgi:application", "--bind", f"127.0.0.1:{self.web_port}",
                            "--workers", str(workers), "--timeout", "60", "--graceful-timeout", "5"])  # fmt: skip
        wait_for(lambda: _tcp_open(self.web_port), 30, "gunicorn")

    def worker_start(self, queues: str = "default,executor,llm,scrape,reco") -> None:
        self._spawn("worker", [str(BIN / "celery"), "-A", "config", "worker", "-Q", queues, "--concurrency", "1",
                               "--pool", "prefork", "--loglevel", "INFO", "--without-gossip", "--without-mingle",
                               "--without-heartbeat"])  # fmt: skip
        wait_for(lambda: "ready." in self.log("worker").read_text(errors="replace"), 60, "celery worker")

    def worker_children(self) -> list[int]:
        main = self.procs["worker"].pid
        out = subprocess.run(["pgrep", "-P", str(main)], capture_output=True, text=True).stdout
        return [int(pid) for pid in out.split()]

    # --- HTTP -------------------------------------------------------------------------------------------------------
    def request(self, method: str, path: str, body: Any = None, token: str | None = None,
                timeout: float = 30) -> Response:  # fmt: skip
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"http://127.0.0.1:{self.web_port}{path}", data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        started = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                status, raw, headers = resp.status, resp.read(), dict(resp.headers)
        except urllib.error.HTTPError as exc:
            status, raw, headers = exc.code, exc.read(), dict(exc.headers)
        elapsed = time.monotonic() - started
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode(errors="replace")
        return Response(status, parsed, headers, elapsed)

    def login(self, username: str, password: str) -> str:
        resp = self.request("POST", "/api/users/auth/login/", {"username": username, "password": password})
        assert resp.status == 200, resp
        return resp.body["tokens"]["access"]

    # --- teardown ---------------------------------------------------------------------------------------------------
    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def close(self) -> None:
        for name in list(self.procs):
            self.stop(name)
        try:
            self.pg_stop()
        except (OSError, subprocess.SubprocessError) as exc:  # already stopped, or never started
            print(f"pg_stop during teardown: {exc}", file=sys.stderr)
        shutil.rmtree(self.tmp, ignore_errors=True)


def _tcp_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_for(predicate, timeout: float, what: str, interval: float = 0.2) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except Exception as exc:  # not ready yet (connection refused, 503, …): keep polling, report the last one
            last_error = exc
        time.sleep(interval)
    raise AssertionError(f"{what} did not become ready within {timeout} s (last error: {last_error!r})")
