"""The Docker backend, through the `docker` SDK, for deployments with a Docker engine.

Each run is a fresh container of the sandbox image (the same runtime rootfs as bwrap, imported offline): no
network, read-only root, sized tmpfs for /tmp and the working directory, memory/pids/CPU limits, every capability
dropped, no-new-privileges, the slot's unprivileged uid, no log driver (output never lands on the host's disk),
and stdout/stderr read from the attach socket with the caps applied while reading.

The source and stdin travel in the container's environment and a tiny bootstrap (PID 1) writes the source into
the container's own tmpfs, removes them from the environment, runs the program as its child, enforces the wall
limit itself (so it holds when the worker is gone), kills every other process of the container, and only then
reports the exit status, the container cgroup's peak memory and the CPU time on a last stderr line that the host
strips (the last marker wins, and nothing of the program is alive to write after it). The host validates and
clamps every figure. The whole run (processes, SysV/POSIX shared memory, memfds, tmpfs) is within the run's memory
limit (the container's cgroup), under the seccomp policy of executor/seccomp.py, at oom_score_adj 1000.
Known limit: the bootstrap and the program share a uid, so a program could rewrite the bootstrap's memory through
/proc/1/mem and choose the figures of its own run (never beyond the clamps; its output and the engine's OOM flag
are not the bootstrap's to report). The bwrap backend has no such path: its figures come from outside the
sandbox. The host never touches a path the container can write.
"""

import json
import logging
import os
import select
import socket
import struct
import tarfile
import tempfile
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import docker
from django.conf import settings
from docker.errors import DockerException, ImageNotFound, NotFound
from docker.types import Mount, Ulimit
from requests.exceptions import RequestException

from executor import runtime, seccomp
from executor.backends.base import Backend, BackendUnavailable, classify, hold_slot
from executor.languages import RUNTIME_MOUNT, WORKDIR, Language
from executor.spec import RunResult, RunSpec, RunStatus, clean_text

logger = logging.getLogger(__name__)

STAT_MARKER = b"\x1ePATHWISE-STAT "
SANDBOX_LABEL = "pathwise.sandbox"
BOOTSTRAP = r"""
import json, os, resource, signal, sys, time
env = os.environ
source = env.pop("PW_SOURCE"); data = env.pop("PW_STDIN"); name = env.pop("PW_FILE")
argv = env.pop("PW_ARGV").split("\x1f"); wall = float(env.pop("PW_WALL"))
with open(name, "w", encoding="utf-8", errors="surrogatepass") as fh:
    fh.write(source)
fd = os.memfd_create("stdin"); os.write(fd, data.encode("utf-8", "surrogatepass")); os.lseek(fd, 0, 0)
pid = os.fork()
if pid == 0:
    os.dup2(fd, 0); os.setsid(); os.execv(argv[0], argv)
os.close(fd)
def stop(*_):
    try:
        os.kill(-1, signal.SIGKILL)  # from PID 1: every other process of the container
    except ProcessLookupError:
        pass
signal.signal(signal.SIGALRM, stop)
signal.setitimer(signal.ITIMER_REAL, wall)  # the wall limit holds even if the worker that started us is gone
while True:
    try:
        _, status, usage = os.wait4(pid, 0); break
    except InterruptedError:
        continue
signal.setitimer(signal.ITIMER_REAL, 0)
stop()  # nothing of the run may write after the figures below
while True:
    try:
        os.wait()
    except ChildProcessError:
        break
    except InterruptedError:
        continue
code = os.waitstatus_to_exitcode(status)
peak = 0
for path in ("/sys/fs/cgroup/memory/memory.max_usage_in_bytes", "/sys/fs/cgroup/memory.peak"):
    try:
        with open(path) as fh:
            peak = int(fh.read()) // 1024
        break
    except (OSError, ValueError):
        continue
sys.stderr.flush()
os.write(2, b"\x1ePATHWISE-STAT " + json.dumps({"exit": code, "maxrss": usage.ru_maxrss, "peak": peak,
         "cpu": usage.ru_utime + usage.ru_stime}).encode() + b"\n")
os._exit(code if code >= 0 else 128 - code)
"""
SANDBOX_ENV = {
    "PATH": f"{RUNTIME_MOUNT}/python/bin",
    "HOME": WORKDIR,
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "PYTHONUTF8": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
    "LD_LIBRARY_PATH": f"{RUNTIME_MOUNT}/python/lib",
    "TMPDIR": "/tmp",
}


MAX_SANE_KB = 64 * 1024 * 1024


def _figure(value: object, maximum: float) -> float:
    """A figure from the sandbox's status line, as a finite number within [0, maximum] (0 if it is not one)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return 0.0
    return float(min(max(value, 0), maximum))


@cache
def _client() -> docker.DockerClient:
    return docker.DockerClient(base_url=settings.EXECUTOR_DOCKER_URL, timeout=30)


def image_tag() -> str:
    return str(settings.EXECUTOR_DOCKER_IMAGE)


def build_image(log: Callable[[str], None] = logger.info) -> str:
    """Import the runtime rootfs as the sandbox image (`docker import`: nothing is pulled from a registry)."""
    if not runtime.is_built():
        raise BackendUnavailable("build the sandbox runtime first: manage.py executor_build_runtime")
    client = _client()
    stamp = runtime.expected_stamp() + " " + str(runtime.rootfs_dir().stat().st_mtime_ns)
    try:
        image = client.images.get(image_tag())
        if image.labels.get("pathwise.runtime") == stamp:
            log(f"Sandbox image {image_tag()} up to date")
            return image_tag()
    except ImageNotFound:
        pass
    repository, _, tag = image_tag().rpartition(":")
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "rootfs.tar"
        log(f"Packing {runtime.rootfs_dir()} into {archive}")
        with tarfile.open(archive, "w") as tar:
            tar.add(runtime.rootfs_dir(), arcname=".")
        log(f"Importing as {image_tag()}")
        client.api.import_image_from_file(
            str(archive),
            repository=repository or image_tag(),
            tag=tag or "latest",
            changes=[f'LABEL pathwise.runtime="{stamp}"', "USER 65534:65534", f"WORKDIR {WORKDIR}"],
        )
    return image_tag()


def _read_frames(sock: socket.socket, cap: int, deadline: float) -> tuple[bytes, bytes, bool, bool]:
    """Demultiplex Docker's attach stream (8-byte frame headers), stopping at the cap or the deadline."""
    buffers = {1: bytearray(), 2: bytearray()}
    pending = b""
    exceeded = timed_out = False
    sock.setblocking(False)
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            timed_out = True
            break
        ready, _, _ = select.select([sock], [], [], min(remaining, 0.5))
        if not ready:
            continue
        try:
            chunk = sock.recv(65536)
        except BlockingIOError:
            continue
        if not chunk:
            break
        pending += chunk
        while len(pending) >= 8:
            stream, size = struct.unpack(">BxxxL", pending[:8])
            if len(pending) < 8 + size:
                break
            payload, pending = pending[8 : 8 + size], pending[8 + size :]
            buf = buffers.get(stream)
            if buf is None:
                continue
            # stderr keeps room for the bootstrap's last line, which may follow a flood
            limit = cap if stream == 1 else cap + 4096
            if len(buf) <= limit:
                buf += payload[: limit + 1 - len(buf)]
            if stream == 1 and len(buf) > cap:
                exceeded = True
            if stream == 2 and len(buf) > cap and STAT_MARKER not in payload:
                exceeded = True
        if exceeded:
            break
    return bytes(buffers[1]), bytes(buffers[2]), exceeded, timed_out


_cleaned_in: int = 0


def _remove_stopped_sandboxes() -> None:
    """Once per worker process: remove the stopped containers a killed worker left (their processes ended at the
    wall limit, enforced inside the container; running ones belong to live runs and are left alone)."""
    global _cleaned_in
    if _cleaned_in == os.getpid():
        return
    _cleaned_in = os.getpid()
    client = _client()
    for status in ("exited", "created", "dead"):
        for container in client.api.containers(all=True, filters={"label": SANDBOX_LABEL, "status": status}):
            try:
                client.api.remove_container(container["Id"], force=True)
            except (NotFound, DockerException):
                continue


class DockerBackend(Backend):
    name = "docker"

    @classmethod
    def check_available(cls) -> None:
        try:
            client = _client()
            client.ping()
            client.images.get(image_tag())
        except ImageNotFound:
            raise BackendUnavailable(f"sandbox image {image_tag()} missing: run manage.py executor_build_image")
        except (DockerException, OSError) as exc:
            _client.cache_clear()
            raise BackendUnavailable(f"no Docker engine at {settings.EXECUTOR_DOCKER_URL}: {exc}") from None
        if not runtime.jac_cache_dir().exists():
            raise BackendUnavailable("the sandbox runtime is not built: run manage.py executor_build_runtime")
        _remove_stopped_sandboxes()

    def run(self, spec: RunSpec, language: Language) -> RunResult:
        started = time.monotonic()
        with hold_slot(timeout=spec.limits.wall_seconds + 30) as slot:
            uid = settings.EXECUTOR_UID_BASE + slot
            try:
                return self._run(spec, language, uid, started)
            except (DockerException, OSError) as exc:
                logger.error("Docker sandbox failed: %s", exc)
                return RunResult(
                    status=RunStatus.SYSTEM_ERROR,
                    backend=self.name,
                    detail=f"docker: {exc}",
                    wall_time=time.monotonic() - started,
                )

    def _run(self, spec: RunSpec, language: Language, uid: int, started: float) -> RunResult:
        limits = spec.limits
        client = _client()
        memory = limits.memory_mb * 1024 * 1024
        cpu = max(1, int(limits.cpu_seconds + 0.999))
        fsize = limits.file_size_mb * 1024 * 1024
        mounts = []
        if language.name == "jac":
            mounts.append(
                Mount(target=f"{WORKDIR}/.cache/jac", source=str(runtime.jac_cache_dir()), type="bind", read_only=True)
            )
        environment = {
            **SANDBOX_ENV,
            "PW_SOURCE": spec.source,
            "PW_STDIN": spec.stdin,
            "PW_FILE": language.filename,
            "PW_ARGV": "\x1f".join(language.argv),
            "PW_WALL": str(limits.wall_seconds + 0.5),
        }
        container = client.api.create_container(
            image=image_tag(),
            labels={SANDBOX_LABEL: "1"},
            command=[f"{RUNTIME_MOUNT}/python/bin/python3.12", "-I", "-S", "-c", BOOTSTRAP],
            user=f"{uid}:{uid}",
            working_dir=WORKDIR,
            environment=environment,
            network_disabled=True,
            hostname="sandbox",
            host_config=client.api.create_host_config(
                network_mode="none",
                read_only=True,
                tmpfs={
                    "/tmp": f"rw,nosuid,nodev,size={limits.tmp_mb}m,mode=1777",
                    WORKDIR: "rw,nosuid,nodev,size=16m,mode=1777",
                },
                mounts=mounts,
                # The whole run (every process, shared memory, memfds, tmpfs) within the run's memory limit.
                mem_limit=memory,
                memswap_limit=memory,
                oom_score_adj=1000,
                pids_limit=limits.processes + 2,
                nano_cpus=1_000_000_000,
                cap_drop=["ALL"],
                security_opt=["no-new-privileges", f"seccomp={seccomp.docker_profile()}"],
                ulimits=[
                    Ulimit(name="cpu", soft=cpu, hard=cpu + 1),
                    Ulimit(name="data", soft=memory, hard=memory),
                    Ulimit(name="nofile", soft=limits.open_files, hard=limits.open_files),
                    Ulimit(name="fsize", soft=fsize, hard=fsize),
                    Ulimit(name="core", soft=0, hard=0),
                    Ulimit(name="nproc", soft=limits.processes, hard=limits.processes),
                ],
                log_config={"type": "none"},
                ipc_mode="private",
                init=False,
            ),
        )
        cid = container["Id"]
        try:
            sock = client.api.attach_socket(cid, params={"stdout": 1, "stderr": 1, "stream": 1, "logs": 0})
            raw = getattr(sock, "_sock", sock)
            client.api.start(cid)
            deadline = started + limits.wall_seconds
            out, err, exceeded, timed_out = _read_frames(raw, limits.output_bytes, deadline)
            # Hang up first: a daemon blocked writing a flood into an unread attach socket stalls the kill.
            try:
                raw.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            raw.close()
            sock.close()
            if exceeded or timed_out:
                client.api.kill(cid)
            try:
                waited = client.api.wait(cid, timeout=max(5.0, deadline - time.monotonic() + 5))
            except RequestException:  # the container would not stop in time: kill it
                client.api.kill(cid)
                waited = client.api.wait(cid, timeout=10)
                timed_out = True
            state = client.api.inspect_container(cid)["State"]
        finally:
            try:
                client.api.remove_container(cid, force=True)
            except NotFound:
                pass
        wall = time.monotonic() - started
        stat: dict[str, Any] = {}
        if STAT_MARKER in err:
            err, _, tail = err.rpartition(STAT_MARKER)
            try:
                stat = json.loads(tail.split(b"\n", 1)[0])
            except ValueError:
                stat = {}
        stdout, out_trunc = clean_text(out, limits.output_bytes)
        stderr, err_trunc = clean_text(err, limits.output_bytes)
        exit_code: int | None = None
        term_signal: int | None = None
        if not isinstance(stat, dict):
            stat = {}
        if isinstance(stat.get("exit"), int) and -64 <= stat["exit"] <= 255:
            code = int(stat["exit"])
            exit_code, term_signal = (code, None) if code >= 0 else (None, -code)
        elif not timed_out and not exceeded:
            status_code = waited.get("StatusCode")
            if state.get("OOMKilled") or status_code == 137:
                term_signal = 9
            else:
                logger.error("Docker sandbox produced no status: %s", stderr[-1000:])
                detail = f"no status from the sandbox (exit {status_code}): {stderr[-300:]}"
                return RunResult(status=RunStatus.SYSTEM_ERROR, backend=self.name, wall_time=wall, detail=detail)
        cpu_time = _figure(stat.get("cpu"), 3600.0)
        # The container's cgroup peak (the whole run), else the largest process's; never more than the limit
        # allows by much, whatever a forged line says (the bootstrap kills every other process before writing).
        memory_kb = int(_figure(stat.get("peak"), MAX_SANE_KB) or _figure(stat.get("maxrss"), MAX_SANE_KB))
        status = classify(
            language=language,
            exit_code=exit_code,
            term_signal=term_signal,
            wall_timed_out=timed_out,
            cpu_time=cpu_time,
            cpu_limit=limits.cpu_seconds,
            output_exceeded=exceeded,
            oom_killed=bool(state.get("OOMKilled")),
            stderr=stderr,
        )
        return RunResult(
            status=status,
            stdout=stdout,
            stderr=stderr,
            exit_code=exit_code,
            signal=term_signal,
            wall_time=round(wall, 4),
            cpu_time=round(cpu_time, 4),
            memory_kb=memory_kb,
            stdout_truncated=out_trunc,
            stderr_truncated=err_trunc,
            backend=self.name,
        )
