"""Sandboxed execution figures, in one run:

- median wall time of `print(1)`: bare Python (the sandbox's own interpreter, no sandbox) vs each backend, and the
  overhead/ratio; Jac hello world per backend;
- runs per second with 2 worker slots (two concurrent sandboxes);
- end-to-end POST /api/learning/code/execute/ p50/p95 through gunicorn (2 workers) and a real Celery worker
  (needs REDIS_URL; PostgreSQL via DATABASE_URL for production-like figures);
- the serving figures (`serving_figures`): the server exactly as `make run` starts it (gunicorn + 2 uvicorn ASGI
  workers) with `make worker`'s Celery worker (its default concurrency, EXECUTOR_SLOTS sized to match), hello-world
  HTTP p50/p95 at c=1 (target p50 ≤ 100 ms) and runs/s at c=2/4/8 with distinct users (target ≥ 30 runs/s), per-user
  limits raised. Only these with `--serving`.

Usage: .venv/bin/python bench/executor.py [--runs 40] [--api-requests 60] [--serving] [--serving-only]
Run as root with the runtime built (manage.py executor_build_runtime); docker figures need EXECUTOR_DOCKER_URL
pointing at an engine with the image built (manage.py executor_build_image).
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.bench_settings")
os.environ.setdefault("DJANGO_SECRET_KEY", os.urandom(32).hex())

import django  # noqa: E402

django.setup()

from bench._harness import PY, server  # noqa: E402
from executor import runtime  # noqa: E402
from executor.backends import BackendUnavailable, backend_class  # noqa: E402
from executor.languages import get_language  # noqa: E402
from executor.spec import RunSpec  # noqa: E402


def load() -> str:
    """The machine's 1-minute load average next to every figure (it is shared: figures move with it)."""
    return f"{os.getloadavg()[0]:.1f}/{os.cpu_count()} cores"


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:7.1f} ms"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def interleaved_print1(backend, n: int) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    """Bare interpreter and sandboxed `print(1)`, alternated run by run, so the machine's noise falls on both."""
    python = runtime.rootfs_dir() / "runtime/python/bin/python3.12"
    env = {"LD_LIBRARY_PATH": str(runtime.rootfs_dir() / "runtime/python/lib")}
    lang = get_language("python")
    spec = RunSpec(language="python", source="print(1)", limits=lang.default_limits)
    bare, boxed = [], []
    cpu_bare, cpu_boxed = [], []
    for i in range(n + 2):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        # -S: a sandboxed Python run does not see jaclang.pth (executor/languages.py); site without it costs what -S
        # saves (~0.3 ms), so the bare interpreter does the same work and the overhead is the sandbox's own.
        subprocess.run([str(python), "-I", "-S", "-c", "print(1)"], env=env, capture_output=True, check=True)
        middle = time.perf_counter()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        worker_cpu = time.process_time()
        result = backend.run(spec, lang)
        ended = time.perf_counter()
        worker_cpu = time.process_time() - worker_cpu
        assert result.status == "success", (result.status, result.stderr[-500:], result.detail)
        if i >= 2:  # the first runs start the launcher and warm the caches
            bare.append(middle - started)
            boxed.append(ended - middle)
            cpu_bare.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
            # the worker's own CPU plus the launcher's runner, bwrap and the sandboxed interpreter (bwrap only)
            cpu_boxed.append(worker_cpu + getattr(backend, "last_runner_cpu", 0.0))
    if backend.name == "bwrap":
        over = (statistics.median(cpu_boxed) - statistics.median(cpu_bare)) * 1000
        print(f"  CPU time (load-independent): bare {statistics.median(cpu_bare) * 1000:.1f} ms, "
              f"{backend.name} {statistics.median(cpu_boxed) * 1000:.1f} ms, overhead {over:.1f} ms")  # fmt: skip
    return bare, boxed


OVERHEAD_TARGET_MS = 15.0


def sandbox_times(backend, language: str, source: str, n: int) -> list[float]:  # type: ignore[no-untyped-def]
    lang = get_language(language)
    times = []
    for _ in range(n + 2):
        started = time.perf_counter()
        result = backend.run(RunSpec(language=language, source=source, limits=lang.default_limits), lang)
        assert result.status == "success", (result.status, result.stderr[-500:], result.detail)
        times.append(time.perf_counter() - started)
    return times[2:]


def throughput(backend, n: int) -> float:  # type: ignore[no-untyped-def]
    lang = get_language("python")
    spec = RunSpec(language="python", source="print(1)", limits=lang.default_limits)

    def one(_: int) -> str:
        return backend.run(spec, lang).status

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = list(pool.map(one, range(n)))
    elapsed = time.perf_counter() - started
    assert all(s == "success" for s in statuses), statuses
    return n / elapsed


@contextmanager
def celery_worker(env: dict[str, str]):
    proc = subprocess.Popen(
        [str(Path(PY).parent / "celery"), "-A", "config", "worker", "-Q", "executor,default", "-c", "2",
         "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        time.sleep(4)
        yield proc
    finally:
        proc.terminate()
        proc.wait(20)


def api_latency(requests: int) -> dict[str, float] | None:
    if not os.environ.get("REDIS_URL"):
        print("  (skipped: set REDIS_URL, and DATABASE_URL for PostgreSQL, to measure through a real worker)")
        return None
    os.environ["EXECUTOR_USER_RATE"] = "1000000/1m"
    with server() as (base, env):
        env = {**env, "EXECUTOR_USER_RATE": "1000000/1m"}
        body = json.dumps({"username": "bench", "password": "bench-Passw0rd!"}).encode()
        req = urllib.request.Request(f"{base}/api/users/auth/login/", body, {"Content-Type": "application/json"})
        access = json.loads(urllib.request.urlopen(req).read())["tokens"]["access"]
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {access}"}
        with celery_worker(env):
            results = {}
            for language, code, n in (("python", "print(1)", requests), ("jac", 'with entry { print("hi"); }', 20)):
                times = []
                payload = json.dumps({"code": code, "language": language}).encode()
                for i in range(n + 3):
                    started = time.perf_counter()
                    resp = urllib.request.urlopen(
                        urllib.request.Request(f"{base}/api/learning/code/execute/", payload, headers)
                    )
                    answer = json.loads(resp.read())
                    elapsed = time.perf_counter() - started
                    assert resp.status == 200 and answer["success"], answer
                    if i >= 3:
                        times.append(elapsed)
                results[language] = times
    return results


# --- serving figures (issue 14): the stack as `make run` + `make worker` start it -------------------------------------

SERVING_USERS = """
import json, sys
from users.models import User, UserPreferences
from users.tokens import tokens_for_user
tokens = []
for i in range(int(sys.argv[-1]) if sys.argv[-1].isdigit() else 8):
    user = User.objects.filter(username=f"exec{i}").first() or User.objects.create_user(
        f"exec{i}", f"exec{i}@example.com", "bench-Passw0rd!")
    UserPreferences.objects.get_or_create(user=user)
    tokens.append(tokens_for_user(user=user)["access"])
print(json.dumps(tokens))
"""


def _post_run(base: str, token: str, payload: bytes) -> tuple[float, int, dict]:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    started = time.perf_counter()
    try:
        resp = urllib.request.urlopen(urllib.request.Request(f"{base}/api/learning/code/execute/", payload, headers))
        status, body = resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        status, body = exc.code, {}
    return time.perf_counter() - started, status, body


BREAKDOWN = """
import json, statistics, sys
from executor.models import CodeRun
rows = list(CodeRun.objects.order_by("-id").values_list("created_at", "started_at", "finished_at", "wall_time")[:N])
q = [(s - c).total_seconds() * 1000 for c, s, f, w in rows if s]
r = [(f - s).total_seconds() * 1000 for c, s, f, w in rows if s and f]
w = [x * 1000 for *_, x in rows if x]
print(json.dumps([statistics.median(q), statistics.median(r), statistics.median(w)]))
"""


class CpuMeter:
    """CPU seconds (user + system) used by process trees (the web server, the Celery worker: their children,
    launchers, runners and sandboxes included) between `start` and `stop`: a load-independent cost per run."""

    def __init__(self, roots: dict[str, list[int]], database_url: str) -> None:
        import psutil

        self.psutil = psutil
        self.roots = roots
        self.database_url = database_url
        self.before: dict[str, float] = {}

    def _tree(self, name: str, pid: int, into: dict[str, float]) -> None:
        """Add the tree's CPU to `into[name]`; the worker's sandbox launchers (their runners, bwrap and the sandboxed
        programs, which they reap) go to "sandbox" instead, so the worker's own Python work shows apart."""
        try:
            root = self.psutil.Process(pid)
            procs = [root, *root.children(recursive=True)]
        except self.psutil.Error:
            return
        for proc in procs:
            try:
                times = proc.cpu_times()
                launcher = "launcher.py" in " ".join(proc.cmdline())
            except self.psutil.Error:
                continue
            # a process's own CPU and that of its children it has already reaped (runners, sandboxes)
            key = "sandbox" if launcher else name
            into[key] = into.get(key, 0.0) + times.user + times.system + times.children_user + times.children_system

    def sample(self) -> dict[str, float]:
        totals: dict[str, float] = {name: 0.0 for name in (*self.roots, "sandbox", "redis")}
        for name, pids in self.roots.items():
            for pid in pids:
                self._tree(name, pid, totals)
        for proc in self.psutil.process_iter(["name"]):
            if proc.info["name"] == "redis-server":  # shared with whatever else uses this Redis: an upper bound
                try:
                    times = proc.cpu_times()
                except self.psutil.Error:
                    continue
                totals["redis"] += times.user + times.system
        return totals

    def _db_backends(self) -> list[int]:
        """PostgreSQL's backend processes serving the bench's database (pooled: they live through a phase)."""
        import psycopg

        name = self.database_url.rsplit("/", 1)[1].split("?")[0]
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [name]
            ).fetchall()
        return [int(row[0]) for row in rows]

    def start(self) -> None:
        self.roots["db"] = self._db_backends()
        self.before = self.sample()

    def stop(self) -> dict[str, float]:
        after = self.sample()
        # backends that closed during the phase are not counted (their CPU is gone with them): a lower bound
        return {name: max(0.0, after[name] - self.before.get(name, 0.0)) for name in after}


def serving_figures(requests: int, seconds: float) -> None:
    """HTTP p50/p95 at c=1 and runs/s at c=2/4/8 (distinct users), server and worker as make run/make worker; where
    a run's time goes (queue → claim → finish, from the run rows) and the CPU each run costs the web and the
    worker (load-independent: the machine is shared)."""
    import tempfile

    from bench._harness import bench_env, prepare, serve

    if not (os.environ.get("REDIS_URL") and os.environ.get("DATABASE_URL", "").startswith("postgres")):
        print("  (skipped: set DATABASE_URL to PostgreSQL and REDIS_URL; this measures the real stack)")
        return
    with tempfile.TemporaryDirectory(prefix="pathwise-exec-") as tmp:
        env = {**bench_env(Path(tmp)), "EXECUTOR_USER_RATE": "1000000/1m", "LOG_LEVEL": "WARNING"}
        prepare(env)
        users = subprocess.run([PY, "manage.py", "shell", "-c", SERVING_USERS.replace("sys.argv[-1]", "'8'")],
                               cwd=ROOT, env=env, capture_output=True, text=True, check=True)  # fmt: skip
        tokens = json.loads(users.stdout.strip().splitlines()[-1])
        payload = json.dumps({"code": "print('Hello, World!')", "language": "python"}).encode()
        # `make worker`: celery -A config worker -Q <all queues>, its default concurrency.
        worker = subprocess.Popen(
            [str(Path(PY).parent / "celery"), "-A", "config", "worker", "-Q", "default,executor,llm,scrape,reco",
             "--loglevel", "WARNING"], cwd=ROOT, env=env,
        )  # fmt: skip
        try:
            with serve(env, "asgi") as base:
                import psutil

                web_pid = next(
                    p.info["pid"] for p in psutil.process_iter(["pid", "cmdline"])
                    if base.rsplit(":", 1)[1] in " ".join(p.info["cmdline"] or []) and "gunicorn" in
                    " ".join(p.info["cmdline"] or [])
                )  # fmt: skip
                meter = CpuMeter({"web": [web_pid], "worker": [worker.pid], "db": []}, env["DATABASE_URL"])
                for _ in range(3):  # warm every web worker, the worker's children and the sandbox
                    for token in tokens:
                        _post_run(base, token, payload)
                times = []
                meter.start()
                for _ in range(requests):
                    elapsed, status, body = _post_run(base, tokens[0], payload)
                    assert status == 200 and body.get("success"), (status, body)
                    times.append(elapsed)
                cpu = meter.stop()
                p50, p95 = pct(times, 0.5) * 1000, pct(times, 0.95) * 1000
                print(f"  hello world, c=1, n={len(times)}: p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  (target p50 <= 100)"
                      f"  VERDICT {'PASS' if p50 <= 100 else 'MISS'}   load {load()}")  # fmt: skip
                split = subprocess.run([PY, "manage.py", "shell", "-c", BREAKDOWN.replace("[:N]", f"[:{requests}]")],
                                       cwd=ROOT, env=env, capture_output=True, text=True, check=True)  # fmt: skip
                queued, running, sandbox = json.loads(split.stdout.strip().splitlines()[-1])
                print(f"    where it goes (medians): request → claimed {queued:5.1f} ms, claimed → finished "
                      f"{running:5.1f} ms (sandbox wall {sandbox:5.1f} ms), the rest is the web before the insert "
                      f"and after the wake ({p50 - queued - running:5.1f} ms)")  # fmt: skip
                print(f"    CPU per run: {_cpu_split(cpu, len(times))}")
                for concurrency in (2, 4, 8):
                    meter.start()
                    done, statuses = _throughput(base, tokens[:concurrency], payload, seconds)
                    cpu = meter.stop()
                    rate = done / seconds
                    per_run = sum(cpu.values()) / max(done, 1) * 1000
                    print(f"  c={concurrency}: {rate:5.1f} runs/s  statuses {dict(sorted(statuses.items()))}  "
                          f"(target >= 30)  VERDICT {'PASS' if rate >= 30 else 'MISS'}   load {load()}")  # fmt: skip
                    print(f"    CPU per run: {_cpu_split(cpu, done)} "
                          f"(2 cores / that = {2000 / per_run:5.1f} runs/s if nothing else ran)")  # fmt: skip
        finally:
            worker.terminate()
            worker.wait(30)


def _cpu_split(cpu: dict[str, float], runs: int) -> str:
    per = {name: value / max(runs, 1) * 1000 for name, value in cpu.items()}
    return (f"web {per['web']:5.1f} ms + worker {per['worker']:5.1f} ms + sandbox chain (launcher, runner, bwrap, "
            f"program) {per['sandbox']:5.1f} ms + PostgreSQL backends {per['db']:5.1f} ms + Redis {per['redis']:4.1f} "
            f"ms = {sum(per.values()):5.1f} ms")  # fmt: skip


def _throughput(base: str, tokens: list[str], payload: bytes, seconds: float) -> tuple[int, dict[int, int]]:
    """Closed loop: one client per token posts runs back to back for `seconds`; counts completed successful runs."""
    import threading
    from collections import Counter

    deadline = time.monotonic() + seconds
    statuses: Counter = Counter()
    done = [0]
    lock = threading.Lock()

    def client(token: str) -> None:
        while time.monotonic() < deadline:
            _, status, body = _post_run(base, token, payload)
            with lock:
                statuses[status] += 1
                if status == 200 and body.get("success") and time.monotonic() <= deadline + 1:
                    done[0] += 1

    threads = [threading.Thread(target=client, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done[0], dict(statuses)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--api-requests", type=int, default=60)
    parser.add_argument("--serving", action="store_true", help="add the serving figures (make run + make worker)")
    parser.add_argument("--serving-only", action="store_true", help="only the serving figures")
    parser.add_argument("--seconds", type=float, default=15, help="length of each throughput phase")
    args = parser.parse_args()
    if args.serving_only:
        print("\nPOST /api/learning/code/execute/ as make run + make worker serve it")
        serving_figures(args.api_requests, args.seconds)
        return

    backends = {}
    for name in ("bwrap", "docker"):
        try:
            cls = backend_class(name)
            cls.check_available()
            backends[name] = cls()
        except BackendUnavailable as exc:
            print(f"{name}: unavailable ({exc})")

    print(f"load: {load()}")
    print(f"\nprint(1), median of {args.runs} runs, bare and sandboxed alternated")
    for name, backend in backends.items():
        bare, times = interleaved_print1(backend, args.runs)
        over = (statistics.median(times) - statistics.median(bare)) * 1000
        ratio = statistics.median(times) / statistics.median(bare)
        verdict = "met" if over <= OVERHEAD_TARGET_MS else "MISSED"
        print(f"  bare Python 3.12 (no sandbox)   {ms(bare)}")
        print(f"  {name:30}  {ms(times)}   overhead {over:6.1f} ms   ratio {ratio:.2f}"
              f"   (target <= {OVERHEAD_TARGET_MS:.0f} ms: {verdict})")  # fmt: skip
    if args.serving:
        # The figures only: sandbox overhead above, then the stack as `make run` + `make worker` serve it.
        print("\nPython runs per second with 2 worker slots (print(1), two concurrent sandboxes)")
        for name, backend in backends.items():
            print(f"  {name:30}  {throughput(backend, args.runs * 3):7.1f} runs/s   load {load()}")
        print("\nPOST /api/learning/code/execute/ as make run + make worker serve it")
        serving_figures(args.api_requests, args.seconds)
        return
    print("\nJac hello world, median of 10 runs")
    jac_hello = 'with entry { print("Hello, Jac!"); }'
    for name, backend in backends.items():
        print(f"  {name:30}  {ms(sandbox_times(backend, 'jac', jac_hello, 10))}")
    print("\nPython runs per second with 2 worker slots (print(1), two concurrent sandboxes)")
    for name, backend in backends.items():
        print(f"  {name:30}  {throughput(backend, args.runs * 3):7.1f} runs/s")
    print("\nPOST /api/learning/code/execute/ end to end (gunicorn 2 workers + Celery worker, concurrency 2)")
    latency = api_latency(args.api_requests)
    if latency:
        db = os.environ.get("DATABASE_URL", "sqlite").split(":", 1)[0]
        backend_name = os.environ.get("EXECUTOR_BACKEND", "auto")
        for language, times in latency.items():
            p50, p95 = pct(times, 0.5) * 1000, pct(times, 0.95) * 1000
            print(f"  {language:8} n={len(times):3}  p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   (db={db}, {backend_name})")
    print("\nAnchor: Judge0 answers a submission in about 700 ms.")


if __name__ == "__main__":
    main()
