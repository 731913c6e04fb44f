"""The sandbox launcher: a small process, started once per worker process, that starts and watches every run.

Why a process of its own: the worker carries Django (~100 MB of pages to copy on every fork) and its threads; the
launcher is a bare interpreter with the standard library only. Per run it forks a *runner* (a copy of itself,
a few MB) that:
- creates the run's descriptors (source, stdin and the seccomp program as memfds, stdout/stderr/status pipes);
- forks the sandbox's first process, which joins the slot's cgroup, sets oom_score_adj=1000 and the rlimits,
  keeps exactly the descriptors bwrap needs (0-2 and 3-5, everything else closed), drops to the slot uid with no
  groups, asks to be killed when the runner dies (PR_SET_PDEATHSIG, after the uid change that would clear it)
  and execs bwrap;
- reads the output with its caps, enforces the wall limit, reaps bwrap with wait4 (CPU time from the kernel),
  reads the peak memory and OOM kills from the slot's cgroup, kills anything left in the slot, and answers.
Nothing the sandbox can reach carries a figure back: the answer is written by the runner, which no sandboxed
process has a descriptor to.

Death chain: the launcher dies with the worker thread that started it, a runner with the launcher, bwrap with its
runner and the sandbox with bwrap (--die-with-parent, PID namespace), so a SIGKILLed worker leaves nothing running.

Protocol: the worker sends one byte and one descriptor (its end of a fresh stream socketpair) over a SEQPACKET
channel; over that socket it writes `len(header) header source stdin` and reads `len(header) header stdout
stderr` back. Django-free on purpose.
"""

import array
import ctypes
import json
import os
import resource
import select
import signal
import socket
import struct
import sys
import time
from collections.abc import Callable
from typing import Any

if __package__ in (None, ""):  # started as a script: make `executor.cgroups` importable without Django
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from executor.cgroups import SlotCgroup

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
KILL_GRACE_SECONDS = 2.0
SANDBOX_FDS = (3, 4, 5)  # source (--ro-bind-data 3), status (--json-status-fd 4), seccomp (--seccomp 5)
_libc = ctypes.CDLL(None, use_errno=True)


def die_with_parent(parent: int) -> None:
    """SIGKILL when the parent (thread) dies; exit now if it already has."""
    if _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        os._exit(70)
    if os.getppid() != parent:
        os._exit(71)


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(min(size - len(chunks), 1 << 20))
        if not chunk:
            raise EOFError("short request")
        chunks += chunk
    return bytes(chunks)


def _memfd(name: str, data: bytes) -> int:
    fd = os.memfd_create(name, 0)
    if data:
        os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _exec_sandbox(req: dict[str, Any], stdin_fd: int, out_w: int, err_w: int, keep: list[int], runner: int) -> None:
    """In the forked child: become the sandbox's first process and exec bwrap. Never returns."""
    try:
        os.setsid()
        for directory in req["cgroup_dirs"]:
            with open(os.path.join(directory, "cgroup.procs"), "w") as fh:
                fh.write(str(os.getpid()))
        with open("/proc/self/oom_score_adj", "w") as fh:
            fh.write("1000")
        for name, soft, hard in req["rlimits"]:
            resource.setrlimit(getattr(resource, name), (soft, hard))
        high = [os.dup(fd) for fd in keep]  # above every target number, so the dup2s below cannot collide
        for target, fd in zip((0, 1, 2), (stdin_fd, out_w, err_w), strict=True):
            os.dup2(fd, target)
        for target, fd in zip(SANDBOX_FDS, high, strict=True):
            os.dup2(fd, target)
        os.closerange(SANDBOX_FDS[-1] + 1, 1 << 20)
        uid = req["uid"]
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        die_with_parent(runner)  # after the uid change, which clears the parent-death signal
        os.execve(req["argv"][0], req["argv"], req["env"])  # noqa: S606 - bwrap, by absolute path
    except BaseException as exc:
        try:
            os.write(2, f"launcher: cannot start the sandbox: {exc!r}\n".encode())
        finally:
            os._exit(126)


def _kill_uid(uid: int, timeout: float = 3.0) -> None:
    """Without cgroups: kill(-1) as the slot uid until no process of that uid is left."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = [p for p in os.listdir("/proc") if p.isdigit() and _owner(p) == uid]
        if not alive:
            return
        pid = os.fork()
        if pid == 0:
            try:
                os.setgroups([])
                os.setresgid(uid, uid, uid)
                os.setresuid(uid, uid, uid)
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        time.sleep(0.005)


def _owner(pid: str) -> int:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return -1


def run_one(req: dict[str, Any], source: bytes, stdin: bytes) -> tuple[dict[str, Any], bytes, bytes]:
    """Start one sandbox and watch it to the end (in a runner process)."""
    cgroup = SlotCgroup.from_dict(req["cgroup"]) if req.get("cgroup") else None
    oom_before = baseline = 0
    if cgroup is not None:
        leftovers = cgroup.kill_all()
        if leftovers:
            return {"error": f"slot still busy: {leftovers}"}, b"", b""
        oom_before = cgroup.prepare_run(memory_bytes=req["memory_bytes"], pids=req["pids"])
        baseline = cgroup.usage()
        req["cgroup_dirs"] = cgroup.run_dirs()
    else:
        req["cgroup_dirs"] = []
    src_fd = _memfd("source", source)
    stdin_fd = _memfd("stdin", stdin)
    filter_fd = _memfd("seccomp", bytes.fromhex(req["seccomp"]))
    status_r, status_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    started = time.monotonic()
    deadline = started + req["wall_seconds"]
    runner = os.getpid()
    pid = os.fork()
    if pid == 0:
        _exec_sandbox(req, stdin_fd, out_w, err_w, [src_fd, status_w, filter_fd], runner)
    for fd in (src_fd, stdin_fd, filter_fd, status_w, out_w, err_w):
        os.close(fd)

    killed = reaped_bwrap = False

    def kill_run() -> None:
        nonlocal killed
        killed = True
        if not reaped_bwrap:  # once reaped, its pid (and group id) may be another process's
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if cgroup is not None:
            for victim in cgroup.pids():
                try:
                    os.kill(victim, signal.SIGKILL)
                except ProcessLookupError:
                    continue

    out, err, exceeded, timed_out = _collect(out_r, err_r, req["output_bytes"], deadline, kill_run)
    wait_status, usage = 0, None
    while True:
        reaped, wait_status, usage = os.wait4(pid, os.WNOHANG)
        if reaped:
            reaped_bwrap = True
            break
        if time.monotonic() >= deadline and not killed:
            timed_out = True
            kill_run()
        time.sleep(0.0005)
    wall = time.monotonic() - started
    # The runner is a child subreaper: a sandbox's PID 1 orphaned by a killed bwrap comes back to it, not to the
    # host's init. Reap every descendant, so no process (nor zombie) of the run outlives the answer.
    reap_deadline = time.monotonic() + KILL_GRACE_SECONDS
    while True:
        try:
            reaped, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if reaped:
            continue
        if time.monotonic() > reap_deadline:
            break
        kill_run()  # bwrap is gone: whatever of the run is left must go too
        time.sleep(0.0005)
    os.set_blocking(status_r, False)
    try:
        status_text = os.read(status_r, 65536).decode(errors="replace")
    except BlockingIOError:
        status_text = ""
    os.close(status_r)
    reply = {
        "wait_status": wait_status,
        "cpu": usage.ru_utime + usage.ru_stime,
        "maxrss_kb": usage.ru_maxrss,
        "wall": wall,
        "timed_out": timed_out,
        "exceeded": exceeded,
        "status": status_text,
        "peak_bytes": None,
        "baseline_bytes": baseline,
        "oom_kills": 0,
        "leftover": [],
    }
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU of this runner and everything it waited for (bwrap, the sandbox): the bench's load-independent figure.
    reply["runner_cpu"] = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    if cgroup is not None:
        reply["peak_bytes"] = cgroup.peak()
        reply["oom_kills"] = cgroup.oom_kills() - oom_before
        reply["leftover"] = cgroup.kill_all()
    else:
        _kill_uid(req["uid"])
    return reply, out, err


def _collect(
    out_r: int, err_r: int, cap: int, deadline: float, kill_run: Callable[[], None]
) -> tuple[bytes, bytes, bool, bool]:
    """Read stdout and stderr until both close, stopping the run at the output cap or the wall deadline."""
    buffers = {out_r: bytearray(), err_r: bytearray()}
    poller = select.poll()
    for fd in buffers:
        poller.register(fd, select.POLLIN)
    open_fds = set(buffers)
    exceeded = timed_out = False
    killed_at: float | None = None
    while open_fds:
        now = time.monotonic()
        if killed_at is None and now >= deadline:
            timed_out = True
            kill_run()
            killed_at = now
        if killed_at is not None and now - killed_at > KILL_GRACE_SECONDS:
            break
        timeout = max(0.0, deadline - now) if killed_at is None else 0.1
        for fd, _event in poller.poll(min(timeout, 0.5) * 1000):
            chunk = os.read(fd, 65536)
            if not chunk:
                poller.unregister(fd)
                open_fds.discard(fd)
                continue
            buf = buffers[fd]
            if len(buf) <= cap:
                buf += chunk[: cap + 1 - len(buf)]
            if len(buf) > cap and not exceeded:
                exceeded = True
                if killed_at is None:
                    kill_run()
                    killed_at = time.monotonic()
    for fd in buffers:
        os.close(fd)
    return bytes(buffers[out_r]), bytes(buffers[err_r]), exceeded, timed_out


def _runner(conn: socket.socket, launcher: int) -> None:
    die_with_parent(launcher)
    _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    try:
        (size,) = struct.unpack("<I", _recv_exact(conn, 4))
        req = json.loads(_recv_exact(conn, size))
        source = _recv_exact(conn, req["source_len"])
        stdin = _recv_exact(conn, req["stdin_len"])
        try:
            reply, out, err = run_one(req, source, stdin)
        except Exception as exc:
            reply, out, err = {"error": f"launcher: {exc!r}"}, b"", b""
        reply["out_len"], reply["err_len"] = len(out), len(err)
        header = json.dumps(reply).encode()
        conn.sendall(struct.pack("<I", len(header)) + header + out + err)
    finally:
        conn.close()


def _reap_finished_runners() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def serve(channel_fd: int, parent: int) -> None:
    die_with_parent(parent)
    # Runners are reaped here (not auto-reaped with SIG_IGN), so their CPU and that of everything they waited for
    # (bwrap, the sandbox) is accounted to this process's children, as the worker's own CPU figures expect.
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    channel = socket.socket(fileno=channel_fd)
    launcher = os.getpid()
    while True:
        fds = array.array("i")
        try:
            msg, ancdata, _flags, _addr = channel.recvmsg(1, socket.CMSG_SPACE(fds.itemsize), socket.MSG_CMSG_CLOEXEC)
        except InterruptedError:
            continue
        if not msg:
            os._exit(0)  # the worker closed the channel
        for level, kind, data in ancdata:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
        if not fds:
            continue
        _reap_finished_runners()
        pid = os.fork()
        if pid == 0:
            channel.close()
            try:
                _runner(socket.socket(fileno=fds[0]), launcher)
            finally:
                os._exit(0)
        os.close(fds[0])


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]))
