"""The bubblewrap backend: Linux namespaces + rlimits, one unprivileged uid per concurrent slot.

Each run:
- takes a slot (a file lock) and its uid, so RLIMIT_NPROC, signals and file ownership are per slot;
- drops from root to that uid *before* starting bwrap (bwrap run as root leaves the sandbox as host root), with a
  minimal environment (bwrap's own PID 1 would otherwise expose the worker's secrets in /proc/1/environ);
- sees only the runtime rootfs read-only as `/`, a read-only /dev, /proc of its own PID namespace, a sized tmpfs
  for /tmp and for the working directory, no network, no user namespaces of its own, no capabilities;
- gets its source through a memfd (`--ro-bind-data`) and stdin from another memfd: the host never opens, writes
  or chowns a path the sandbox can write; output comes back through pipes, capped while reading;
- is killed as a whole (PID namespace, die-with-parent) at the wall limit, and every process of the slot uid is
  killed afterwards, so nothing outlives the run.
"""

import json
import logging
import os
import resource
import selectors
import shutil
import signal
import subprocess
import time

from django.conf import settings

from executor import runtime
from executor.backends.base import Backend, BackendUnavailable, classify, hold_slot
from executor.languages import RUNTIME_MOUNT, WORKDIR, Language
from executor.spec import RunResult, RunSpec, RunStatus, clean_text

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
GNU_TIME = shutil.which("time", path="/usr/bin:/bin")
PRLIMIT = shutil.which("prlimit", path="/usr/bin:/bin") or "/usr/bin/prlimit"
SETPRIV = shutil.which("setpriv", path="/usr/bin:/bin") or "/usr/bin/setpriv"
KILL_GRACE_SECONDS = 2.0


def _memfd(name: str, data: bytes) -> int:
    fd = os.memfd_create(name, 0)
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _kill_group(proc: subprocess.Popen) -> None:
    """Kill bwrap; the sandbox dies with it (die-with-parent, PID namespace). Under GNU time only its child is
    killed, so that time still reports the peak memory; the whole process group is the fallback."""
    if GNU_TIME:
        try:
            with open(f"/proc/{proc.pid}/task/{proc.pid}/children") as fh:
                children = [int(pid) for pid in fh.read().split()]
        except OSError:
            children = []
        for child in children:
            try:
                os.kill(child, signal.SIGKILL)
            except ProcessLookupError:
                continue
        if children:
            return
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


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
    """kill(-1, SIGKILL) as `uid`: every process of that uid except the killer. Through /bin/kill when present
    (spawned by subprocess's C fork-exec, safe in a threaded worker), else a forked child."""
    if KILL:
        subprocess.run([KILL, "-KILL", "-1"], user=uid, group=uid, extra_groups=[], env={},
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)  # fmt: skip
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
    """SIGKILL every process of `uid` (a child that becomes that uid and calls kill(-1)) and wait until they are
    gone, zombies reaped included. Returns what is still there after `timeout` (normally nothing)."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = processes_of_uid(uid)
        if not remaining or time.monotonic() > deadline:
            if remaining:
                logger.error("Processes of sandbox uid %s survived cleanup: %s", uid, remaining)
            return remaining
        _kill_all_as(uid)
        time.sleep(0.005)


class BwrapBackend(Backend):
    name = "bwrap"

    def __init__(self, *, writable_jac_cache: bool = False) -> None:
        self.writable_jac_cache = writable_jac_cache

    @classmethod
    def check_available(cls) -> None:
        if not shutil.which(settings.EXECUTOR_BWRAP_PATH):
            raise BackendUnavailable("bubblewrap is not installed (apt-get install bubblewrap)")
        if not (os.path.exists(PRLIMIT) and os.path.exists(SETPRIV)):
            raise BackendUnavailable("prlimit and setpriv (util-linux) are required")
        if os.geteuid() != 0:
            raise BackendUnavailable(
                "the bwrap backend runs each slot under its own uid and must start as root; "
                "run the executor worker as root or use EXECUTOR_BACKEND=docker"
            )
        if not runtime.is_built() and not (runtime.rootfs_dir() / "runtime").exists():
            raise BackendUnavailable("the sandbox runtime is not built: run `manage.py executor_build_runtime`")

    # --- command line ---------------------------------------------------------------------------------------------

    def _argv(self, spec: RunSpec, language: Language, src_fd: int, status_fd: int) -> list[str]:
        limits = spec.limits
        rootfs = str(runtime.rootfs_dir())
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
        if language.name == "jac":
            cache = str(runtime.jac_cache_dir())
            argv += ["--bind" if self.writable_jac_cache else "--ro-bind", cache, f"{WORKDIR}/.cache/jac"]
        argv += [
            "--ro-bind-data", str(src_fd), f"{WORKDIR}/{language.filename}",
            "--chdir", WORKDIR,
            "--json-status-fd", str(status_fd),
            "--", *language.argv,
        ]  # fmt: skip
        return argv

    @staticmethod
    def _launcher(spec: RunSpec, uid: int, usage_fd: int) -> list[str]:
        """prlimit sets the rlimits (as root, so they stick), setpriv drops to the slot uid with no groups, GNU time
        measures; all before bwrap. Plain execs keep the spawn on subprocess's fast path (no preexec_fn)."""
        limits = spec.limits
        cpu = max(1, int(limits.cpu_seconds + 0.999))
        memory = limits.memory_mb * 1024 * 1024
        fsize = limits.file_size_mb * 1024 * 1024
        argv = [
            PRLIMIT, f"--cpu={cpu}:{cpu + 1}", f"--as={memory}:{memory}",
            f"--nproc={limits.processes}:{limits.processes}", f"--nofile={limits.open_files}:{limits.open_files}",
            f"--fsize={fsize}:{fsize}", "--core=0:0", "--memlock=0:0", "--msgqueue=0:0", "--",
            SETPRIV, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--",
        ]  # fmt: skip
        if GNU_TIME:
            # GNU time forks bwrap from a tiny process, so the peak RSS it reports is the sandbox's own, not that of
            # this (large) worker process, whose pages a direct fork would carry into the measurement.
            argv += [GNU_TIME, "-f", "%M", "-o", f"/dev/fd/{usage_fd}"]
        return argv

    # --- run ------------------------------------------------------------------------------------------------------

    def run(self, spec: RunSpec, language: Language) -> RunResult:
        started = time.monotonic()
        with hold_slot(timeout=spec.limits.wall_seconds + 30) as slot:
            uid = settings.EXECUTOR_UID_BASE + slot
            try:
                return self._run_in_slot(spec, language, uid, started)
            finally:
                kill_uid(uid)

    def _run_in_slot(self, spec: RunSpec, language: Language, uid: int, started: float) -> RunResult:
        limits = spec.limits
        src_fd = _memfd("source", spec.source.encode("utf-8", errors="surrogatepass"))
        stdin_fd = _memfd("stdin", spec.stdin.encode("utf-8", errors="surrogatepass"))
        status_r, status_w = os.pipe()
        usage_r, usage_w = os.pipe()
        os.fchown(usage_w, uid, uid)  # GNU time reopens it through /dev/fd as the slot uid
        argv = [*self._launcher(spec, uid, usage_w), *self._argv(spec, language, src_fd, status_w)]
        try:
            proc = subprocess.Popen(
                argv,
                stdin=stdin_fd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                pass_fds=(src_fd, status_w, usage_w), close_fds=True,
                env={"PATH": "/usr/bin:/bin"},
                start_new_session=True,
            )  # fmt: skip
        finally:
            os.close(src_fd)
            os.close(stdin_fd)
            os.close(status_w)
            os.close(usage_w)
        deadline = started + limits.wall_seconds
        out, err, exceeded, timed_out = self._collect(proc, limits.output_bytes, deadline)
        wait_status, usage, waited_out = self._wait(proc, deadline)
        timed_out = timed_out or waited_out
        proc.returncode = os.waitstatus_to_exitcode(wait_status)
        wall = time.monotonic() - started
        status_lines = os.read(status_r, 65536).decode(errors="replace")
        os.close(status_r)
        os.set_blocking(usage_r, False)
        try:
            measured = os.read(usage_r, 4096).decode(errors="replace")
        except BlockingIOError:
            measured = ""
        os.close(usage_r)
        # GNU time's last line is the figure (a "Command exited with non-zero status" line may precede it).
        last = measured.strip().splitlines()[-1:] or [""]
        peak_kb = int(last[0]) if last[0].isdigit() else 0
        info = {}
        for line in status_lines.splitlines():
            try:
                info.update(json.loads(line))
            except ValueError:
                continue
        stdout, out_trunc = clean_text(out, limits.output_bytes)
        stderr, err_trunc = clean_text(err, limits.output_bytes)
        if "child-pid" not in info and not timed_out and not exceeded:
            logger.error("bwrap failed to start a sandbox: %s", stderr[-2000:])
            return RunResult(status=RunStatus.SYSTEM_ERROR, wall_time=wall, backend=self.name,
                             detail=f"sandbox setup failed: {stderr[-500:]}")  # fmt: skip
        exit_code, term_signal = None, None
        if "exit-code" in info:
            code = int(info["exit-code"])
            # bwrap reports a child killed by signal N as 128+N
            exit_code, term_signal = (code, None) if code < 128 else (None, code - 128)
        elif proc.returncode is not None and proc.returncode < 0:
            term_signal = -proc.returncode
        cpu = usage.ru_utime + usage.ru_stime
        status = classify(
            language=language, exit_code=exit_code, term_signal=term_signal, wall_timed_out=timed_out,
            cpu_time=cpu, cpu_limit=limits.cpu_seconds, output_exceeded=exceeded, oom_killed=False, stderr=stderr,
        )  # fmt: skip
        return RunResult(
            status=status, stdout=stdout, stderr=stderr, exit_code=exit_code, signal=term_signal,
            wall_time=round(wall, 4), cpu_time=round(cpu, 4), memory_kb=peak_kb,
            stdout_truncated=out_trunc, stderr_truncated=err_trunc, backend=self.name,
        )  # fmt: skip

    @staticmethod
    def _wait(proc: subprocess.Popen, deadline: float) -> tuple[int, resource.struct_rusage, bool]:
        """Reap bwrap, killing it at the deadline (a program may close its output and keep running)."""
        timed_out = False
        while True:
            pid, wait_status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                return wait_status, usage, timed_out
            if time.monotonic() >= deadline and not timed_out:
                timed_out = True
                _kill_group(proc)
            time.sleep(0.0005)

    @staticmethod
    def _collect(proc: subprocess.Popen, cap: int, deadline: float) -> tuple[bytes, bytes, bool, bool]:
        """Read stdout and stderr until both close, stopping the run at the output cap or the wall deadline."""
        buffers = {proc.stdout: bytearray(), proc.stderr: bytearray()}
        selector = selectors.DefaultSelector()
        for stream in buffers:
            os.set_blocking(stream.fileno(), False)
            selector.register(stream, selectors.EVENT_READ)
        exceeded = timed_out = False
        killed_at: float | None = None
        while selector.get_map():
            now = time.monotonic()
            if killed_at is None and now >= deadline:
                timed_out = True
                _kill_group(proc)
                killed_at = now
            if killed_at is not None and now - killed_at > KILL_GRACE_SECONDS:
                break  # something still holds the pipes; the slot cleanup kills it
            timeout = max(0.0, deadline - now) if killed_at is None else 0.1
            for key, _ in selector.select(timeout=min(timeout, 0.5)):
                try:
                    chunk = os.read(key.fd, 65536)
                except BlockingIOError:
                    continue
                if not chunk:
                    selector.unregister(key.fileobj)
                    continue
                buf = buffers[key.fileobj]
                if len(buf) <= cap:
                    buf += chunk[: cap + 1 - len(buf)]
                if len(buf) > cap and not exceeded:
                    exceeded = True
                    if killed_at is None:
                        _kill_group(proc)
                        killed_at = time.monotonic()
        selector.close()
        for stream in buffers:
            stream.close()
        return bytes(buffers[proc.stdout]), bytes(buffers[proc.stderr]), exceeded, timed_out
