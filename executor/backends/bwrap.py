"""The bubblewrap backend: Linux namespaces, a cgroup per slot, a seccomp filter, rlimits and one unprivileged
uid per concurrent slot.

Each run:
- takes a slot (a file lock): its uid (so RLIMIT_NPROC, signals and file ownership are per slot) and its cgroup,
  which bounds the whole run's memory (every process, SysV and POSIX shared memory, memfds, tmpfs and page cache)
  and its number of processes, and gives the run's peak memory and OOM kills;
- is started by the worker's launcher (executor/launcher.py, a small process without Django), which drops to the
  slot uid *before* starting bwrap (bwrap run as root leaves the sandbox as host root) with a minimal environment
  (bwrap's own PID 1 would otherwise expose secrets in /proc/1/environ), oom_score_adj=1000, the rlimits, and
  no descriptor of the worker's: the sandbox holds stdin/stdout/stderr only;
- sees only the runtime rootfs read-only as `/`, a read-only /dev, /proc of its own PID namespace, its own IPC
  namespace, a sized tmpfs for /tmp and for the working directory, no network, no user namespaces of its own, no
  capabilities, and the seccomp filter of executor/seccomp.py;
- gets its source through a memfd (`--ro-bind-data`) and stdin from another memfd: the host never opens, writes
  or chowns a path the sandbox can write; output comes back through pipes, capped while reading;
- is killed as a whole (cgroup, PID namespace, die-with-parent) at the wall limit; whatever is left in the slot's
  cgroup is killed before the slot is released, and every slot is cleaned when a worker process starts.
"""

import array
import functools
import json
import logging
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from typing import Any

from django.conf import settings

from executor import cgroups, launcher, runtime, seccomp
from executor.backends.base import Backend, BackendUnavailable, classify, hold_slot, release_slot, try_slot
from executor.languages import RUNTIME_MOUNT, WORKDIR, Language, get_language
from executor.spec import Limits, RunResult, RunSpec, RunStatus, clean_text

logger = logging.getLogger(__name__)

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
WORKDIR_BYTES = 16 * 1024 * 1024
# bwrap's own two processes (its monitor and, inside, nothing else with --as-pid-1) on top of the program's.
BWRAP_PROCESSES = 2
MAX_SANE_KB = 64 * 1024 * 1024  # a figure above 64 GiB is not a measurement


def processes_of_uid(uid: int) -> list[int]:
    """PIDs on the host running as `uid` (real uid), read from /proc."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:  # /proc/<pid> is owned by the process's uid
                    pids.append(int(entry))
            except OSError:
                continue
    return pids


KILL = shutil.which("kill", path="/usr/bin:/bin")


def _kill_all_as(uid: int) -> None:
    """kill(-1, SIGKILL) as `uid`: every process of that uid except the killer (through /bin/kill when present,
    spawned by subprocess's C fork-exec, safe in a threaded worker)."""
    if KILL:
        subprocess.run(
            [KILL, "-KILL", "-1"],
            user=uid,
            group=uid,
            extra_groups=[],
            env={},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        return
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the forked child
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def kill_uid(uid: int, timeout: float = 3.0) -> list[int]:
    """SIGKILL every process of `uid` and wait until they are gone, zombies reaped included. Returns what is
    still there after `timeout` (normally nothing). Used when a slot is cleaned, not on every run."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = processes_of_uid(uid)
        if not remaining or time.monotonic() > deadline:
            if remaining:
                logger.error("Processes of sandbox uid %s survived cleanup: %s", uid, remaining)
            return remaining
        _kill_all_as(uid)
        time.sleep(0.005)


@functools.cache
def _in_rootfs(rootfs: str, path: str) -> bool:
    """Whether the runtime has `path` (a bind needs its target: the read-only root cannot grow one)."""
    return os.path.lexists(rootfs + path)


# --- the launcher, one per worker process ----------------------------------------------------------------------------


class LauncherClient:
    """This process's launcher (executor/launcher.py): started on first use, restarted if it died, replaced in a
    forked child (a launcher belongs to the process, and the thread, that started it)."""

    _lock = threading.Lock()
    _instance: "LauncherClient | None" = None

    def __init__(self) -> None:
        self.pid = os.getpid()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        started = threading.Event()
        failure: list[BaseException] = []
        argv = [sys.executable, "-I", "-S", launcher.__file__, str(theirs.fileno()), str(self.pid)]

        def keeper() -> None:
            # The launcher dies with the *thread* that started it (PR_SET_PDEATHSIG): this one lives as long as
            # the process, never a request thread that a pool may retire.
            try:
                self.proc = subprocess.Popen(
                    argv,
                    pass_fds=(theirs.fileno(),),
                    stdin=subprocess.DEVNULL,
                    env={"PATH": "/usr/bin:/bin"},
                    close_fds=True,
                )
            except BaseException as exc:
                failure.append(exc)
            started.set()
            threading.Event().wait()

        threading.Thread(target=keeper, name="sandbox-launcher", daemon=True).start()
        started.wait()
        theirs.close()
        if failure:
            ours.close()
            raise BackendUnavailable(f"cannot start the sandbox launcher: {failure[0]}")
        self.channel = ours

    @classmethod
    def get(cls) -> "LauncherClient":
        with cls._lock:
            inst = cls._instance
            if inst is None or inst.pid != os.getpid() or inst.proc.poll() is not None:
                cls._instance = inst = cls()
            return inst

    def run(self, header: dict[str, Any], source: bytes, stdin: bytes) -> tuple[dict[str, Any], bytes, bytes]:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            with self._lock:
                rights = array.array("i", [theirs.fileno()])
                self.channel.sendmsg([b"r"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, rights)])
            theirs.close()
            data = json.dumps({**header, "source_len": len(source), "stdin_len": len(stdin)}).encode()
            ours.sendall(struct.pack("<I", len(data)) + data + source + stdin)
            ours.shutdown(socket.SHUT_WR)
            answer = bytearray()
            while chunk := ours.recv(1 << 20):
                answer += chunk
        finally:
            theirs.close()
            ours.close()
        if len(answer) < 4:
            raise BackendUnavailable("the sandbox launcher stopped before answering")
        (size,) = struct.unpack("<I", answer[:4])
        reply = json.loads(answer[4 : 4 + size])
        rest = answer[4 + size :]
        out_len = int(reply.get("out_len", 0))
        return reply, bytes(rest[:out_len]), bytes(rest[out_len:])


# --- the backend ------------------------------------------------------------------------------------------------------


class _Host:
    """What a worker process sets up once: the slots' cgroups (or the operator's acceptance of weaker limits),
    the compiled seccomp program, every slot cleaned."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.seccomp_hex = seccomp.bpf_program().hex()
        try:
            self.cgroups: list[cgroups.SlotCgroup] | None = cgroups.setup_slots(
                [settings.EXECUTOR_UID_BASE + index for index in range(settings.EXECUTOR_SLOTS)]
            )
        except cgroups.CgroupUnavailable as exc:
            if not settings.EXECUTOR_ALLOW_WEAKER_LIMITS:
                raise BackendUnavailable(
                    f"{exc}. A run's memory cannot be bounded as a whole without cgroups (shared memory, memfds and "
                    "child processes escape per-process limits). Run the worker as root on a host with the memory "
                    "and pids controllers, or set EXECUTOR_ALLOW_WEAKER_LIMITS=true to accept per-process limits."
                ) from None
            logger.warning("Sandbox runs without cgroups (EXECUTOR_ALLOW_WEAKER_LIMITS): %s", exc)
            self.cgroups = None
        for index in range(settings.EXECUTOR_SLOTS):
            self.clean_slot(index, only_if_free=True)

    def clean_slot(self, index: int, *, only_if_free: bool) -> None:
        """Kill whatever a dead worker left in a slot (its cgroup and its uid). A slot another live process holds
        is left alone."""
        if only_if_free and not try_slot(index):
            return
        try:
            if self.cgroups is not None:
                left = self.cgroups[index].kill_all()
                if left:
                    logger.error("Processes in sandbox slot %s survived cleanup: %s", index, left)
            kill_uid(settings.EXECUTOR_UID_BASE + index)
        finally:
            if only_if_free:
                release_slot(index)


_host: _Host | None = None
_host_lock = threading.Lock()


def host() -> _Host:
    global _host
    with _host_lock:
        if _host is None or _host.pid != os.getpid():
            _host = _Host()
        return _host


class BwrapBackend(Backend):
    name = "bwrap"

    def __init__(self, *, writable_jac_cache: bool = False) -> None:
        self.writable_jac_cache = writable_jac_cache
        self.last_runner_cpu = 0.0

    @classmethod
    def check_available(cls) -> None:
        if not shutil.which(settings.EXECUTOR_BWRAP_PATH):
            raise BackendUnavailable("bubblewrap is not installed (apt-get install bubblewrap)")
        if os.geteuid() != 0:
            raise BackendUnavailable(
                "the bwrap backend runs each slot under its own uid and must start as root; "
                "run the executor worker as root or use EXECUTOR_BACKEND=docker"
            )
        if not runtime.is_built() and not (runtime.rootfs_dir() / "runtime").exists():
            raise BackendUnavailable("the sandbox runtime is not built: run `manage.py executor_build_runtime`")
        try:
            host()
        except seccomp.UnsupportedArchitecture as exc:
            raise BackendUnavailable(str(exc)) from None

    # --- command line ---------------------------------------------------------------------------------------------

    def _argv(self, spec: RunSpec, language: Language) -> list[str]:
        """bwrap's command line; the launcher puts the source at fd 3, the status pipe at 4, the filter at 5."""
        limits = spec.limits
        rootfs = str(runtime.rootfs_dir())
        src_fd, status_fd, seccomp_fd = (str(fd) for fd in launcher.SANDBOX_FDS)
        argv = [
            settings.EXECUTOR_BWRAP_PATH,
            "--unshare-all", "--unshare-user", "--disable-userns",
            "--die-with-parent", "--new-session", "--as-pid-1",
            "--hostname", "sandbox",
            "--cap-drop", "ALL",
            "--clearenv",
        ]  # fmt: skip
        for key, value in SANDBOX_ENV.items():
            argv += ["--setenv", key, value]
        argv += [
            "--ro-bind", rootfs, "/",
            "--proc", "/proc",
            "--dev", "/dev",
            "--remount-ro", "/dev",
            "--size", str(limits.tmp_mb * 1024 * 1024), "--tmpfs", "/tmp",
            "--size", str(WORKDIR_BYTES), "--tmpfs", WORKDIR,
        ]  # fmt: skip
        for path in language.masked:
            if _in_rootfs(rootfs, path):
                argv += ["--ro-bind", "/dev/null", path]
        if language.name == "jac":
            cache = str(runtime.jac_cache_dir())
            argv += ["--bind" if self.writable_jac_cache else "--ro-bind", cache, f"{WORKDIR}/.cache/jac"]
        argv += [
            "--ro-bind-data", src_fd, f"{WORKDIR}/{language.filename}",
            "--chdir", WORKDIR,
            "--json-status-fd", status_fd,
            "--seccomp", seccomp_fd,
            "--", *language.argv,
        ]  # fmt: skip
        return argv

    @staticmethod
    def _rlimits(spec: RunSpec) -> list[tuple[str, int, int]]:
        limits = spec.limits
        cpu = max(1, int(limits.cpu_seconds + 0.999))
        memory = limits.memory_mb * 1024 * 1024
        fsize = limits.file_size_mb * 1024 * 1024
        return [
            ("RLIMIT_CPU", cpu, cpu + 1),
            ("RLIMIT_AS", memory, memory),
            ("RLIMIT_NPROC", limits.processes, limits.processes),
            ("RLIMIT_NOFILE", limits.open_files, limits.open_files),
            ("RLIMIT_FSIZE", fsize, fsize),
            ("RLIMIT_CORE", 0, 0),
            ("RLIMIT_MEMLOCK", 0, 0),
            ("RLIMIT_MSGQUEUE", 0, 0),
        ]

    # --- run ------------------------------------------------------------------------------------------------------

    def run(self, spec: RunSpec, language: Language) -> RunResult:
        started = time.monotonic()
        setup = host()
        with hold_slot(timeout=spec.limits.wall_seconds + 30) as slot:
            try:
                return self._run_in_slot(spec, language, slot, setup, started)
            except (OSError, ValueError, BackendUnavailable) as exc:
                logger.exception("Sandbox launcher failed")
                setup.clean_slot(slot, only_if_free=False)
                return RunResult(
                    status=RunStatus.SYSTEM_ERROR,
                    backend=self.name,
                    detail=f"launcher: {exc}",
                    wall_time=round(time.monotonic() - started, 4),
                )

    def _run_in_slot(self, spec: RunSpec, language: Language, slot: int, setup: _Host, started: float) -> RunResult:
        limits = spec.limits
        uid = settings.EXECUTOR_UID_BASE + slot
        header = {
            "argv": self._argv(spec, language),
            "env": {"PATH": "/usr/bin:/bin"},
            "uid": uid,
            "rlimits": self._rlimits(spec),
            "seccomp": setup.seccomp_hex,
            "cgroup": setup.cgroups[slot].to_dict() if setup.cgroups is not None else None,
            "memory_bytes": limits.memory_mb * 1024 * 1024,
            "pids": limits.processes + BWRAP_PROCESSES,
            "wall_seconds": max(0.0, started + limits.wall_seconds - time.monotonic()),
            "output_bytes": limits.output_bytes,
        }
        source = spec.source.encode("utf-8", errors="surrogatepass")
        stdin = spec.stdin.encode("utf-8", errors="surrogatepass")
        reply, out, err = LauncherClient.get().run(header, source, stdin)
        wall = time.monotonic() - started
        self.last_runner_cpu = float(reply.get("runner_cpu") or 0.0)  # for bench/executor.py
        if reply.get("error"):
            raise BackendUnavailable(reply["error"])
        if reply.get("leftover"):
            logger.error("Processes in sandbox slot %s survived the run: %s", slot, reply["leftover"])
            setup.clean_slot(slot, only_if_free=False)
        info: dict[str, Any] = {}
        for line in str(reply.get("status", "")).splitlines():
            try:
                parsed = json.loads(line)
            except ValueError:
                continue
            if isinstance(parsed, dict):
                info.update(parsed)
        timed_out, exceeded = bool(reply.get("timed_out")), bool(reply.get("exceeded"))
        stdout, out_trunc = clean_text(out, limits.output_bytes)
        stderr, err_trunc = clean_text(err, limits.output_bytes)
        if "child-pid" not in info and not timed_out and not exceeded:
            logger.error("bwrap failed to start a sandbox: %s", stderr[-2000:])
            return RunResult(
                status=RunStatus.SYSTEM_ERROR,
                wall_time=round(wall, 4),
                backend=self.name,
                detail=f"sandbox setup failed: {stderr[-500:]}",
            )
        exit_code, term_signal = None, None
        returncode = os.waitstatus_to_exitcode(int(reply.get("wait_status", 0)))
        if isinstance(info.get("exit-code"), int):
            code = info["exit-code"]
            # bwrap reports a child killed by signal N as 128+N
            exit_code, term_signal = (code, None) if code < 128 else (None, code - 128)
        elif returncode < 0:
            term_signal = -returncode
        cpu = min(max(float(reply.get("cpu", 0.0)), 0.0), 3600.0)
        peak_kb = self._peak_kb(reply)
        oom_killed = int(reply.get("oom_kills", 0)) > 0
        status = classify(
            language=language,
            exit_code=exit_code,
            term_signal=term_signal,
            wall_timed_out=timed_out,
            cpu_time=cpu,
            cpu_limit=limits.cpu_seconds,
            output_exceeded=exceeded,
            oom_killed=oom_killed,
            stderr=stderr,
        )
        return RunResult(
            status=status,
            stdout=stdout,
            stderr=stderr,
            exit_code=exit_code,
            signal=term_signal,
            wall_time=round(wall, 4),
            cpu_time=round(cpu, 4),
            memory_kb=peak_kb,
            stdout_truncated=out_trunc,
            stderr_truncated=err_trunc,
            backend=self.name,
        )

    @staticmethod
    def _peak_kb(reply: dict[str, Any]) -> int:
        """The run's peak memory from its cgroup, less what the slot held before the run started (page cache of
        earlier runs stays charged to the slot); the kernel's max RSS where there is no cgroup."""
        peak = reply.get("peak_bytes")
        if isinstance(peak, int):
            kb = max(peak - int(reply.get("baseline_bytes") or 0), 0) // 1024
            kb = max(kb, int(reply.get("maxrss_kb") or 0))
        else:
            kb = int(reply.get("maxrss_kb") or 0)
        return min(max(kb, 0), MAX_SANE_KB)


def prewarm_jac_cache() -> None:
    """Run a Jac program once with the cache writable, so later runs (cache read-only) skip compiling jaclang."""
    cache = runtime.jac_cache_dir()
    os.chmod(cache, 0o777)  # writable by whichever slot uid runs the warm-up; read-only again right after
    backend = BwrapBackend(writable_jac_cache=True)
    program = 'import math;\nwith entry { print("warm", math.sqrt(16)); }\n'
    spec = RunSpec(language="jac", source=program, limits=Limits(wall_seconds=60, cpu_seconds=60, memory_mb=1024))
    try:
        result = backend.run(spec, get_language("jac"))
    finally:
        for dirpath, _, filenames in os.walk(cache):
            os.chown(dirpath, 0, 0)
            for name in filenames:
                os.chown(os.path.join(dirpath, name), 0, 0)
        runtime.make_world_readable(cache)
    if result.status != RunStatus.SUCCESS:
        raise RuntimeError(f"Jac pre-warm failed: {result.status} {result.stderr[-2000:]} {result.detail}")
