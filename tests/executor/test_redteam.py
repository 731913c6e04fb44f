"""The red team's programs (issue 13), as regression tests on every backend: a run's memory is bounded as a whole,
its measurement cannot be forged, the denied kernel interfaces fail, and nothing of a run outlives a killed worker.
"""

import ast
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from executor.backends.bwrap import processes_of_uid
from executor.languages import get_language
from executor.models import CodeRun, RunState
from executor.services import _save_result
from executor.spec import Limits, RunResult, RunSpec, RunStatus
from tests.executor.conftest import slot_uids
from tests.factories import UserFactory

pytestmark = pytest.mark.usefixtures("no_leftover_processes")
ROOT = Path(__file__).resolve().parents[2]
MiB = 1024 * 1024


def _run(backend, source: str, **limits) -> RunResult:  # type: ignore[no-untyped-def]
    lang = get_language("python")
    spec_limits = Limits(**{**lang.default_limits.__dict__, **limits})
    return backend.run(RunSpec(language="python", source=source, limits=spec_limits), lang)


def _host_shmem_kb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("Shmem:"):
            return int(line.split()[1])
    raise AssertionError("no Shmem line in /proc/meminfo")


MEMORY_ATTACK = """
import ctypes, os, time
libc = ctypes.CDLL(None, use_errno=True)
libc.shmget.restype = ctypes.c_int
libc.shmat.restype = ctypes.c_void_p
libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
libc.shmdt.argtypes = [ctypes.c_void_p]
held = 0
for i in range(12):  # SysV segments, touched then detached: they outlive every process and belong to nobody
    sid = libc.shmget(0, 64 << 20, 0o1000 | 0o600)
    if sid < 0:
        print('shmget refused', ctypes.get_errno(), flush=True)
        break
    addr = libc.shmat(sid, None, 0)
    if addr is None or addr == ctypes.c_void_p(-1).value:
        print('shmat refused', ctypes.get_errno(), flush=True)
        break
    ctypes.memset(addr, 1, 64 << 20)
    libc.shmdt(addr)
    held += 64
    print('shm MiB', held, flush=True)
kids = []
for i in range(5):  # children, each under its own per-process limit
    pid = os.fork()
    if pid == 0:
        try:
            block = b'x' * (150 << 20)
        except MemoryError:
            os._exit(3)
        time.sleep(3)
        os._exit(0)
    kids.append(pid)
print('children', len(kids), flush=True)
fds = []
for i in range(240):  # memfds, written through
    fd = os.memfd_create('m%d' % i)
    os.write(fd, b'y' * (1 << 20))
    fds.append(fd)
    if i % 40 == 0:
        print('memfd MiB', len(fds), flush=True)
for pid in kids:
    os.waitpid(pid, 0)
print('survived everything')
"""


def test_shared_memory_children_and_memfds_stay_within_the_run_memory_limit(backend):
    limit_mb = 256
    before = _host_shmem_kb()
    result = _run(backend, MEMORY_ATTACK, memory_mb=limit_mb, wall_seconds=10, cpu_seconds=5)
    after = _host_shmem_kb()
    printed = result.stdout + result.stderr
    assert "children" in printed or "memfd MiB" in printed or "shm MiB" in printed, printed[-2000:]
    # The run's peak, from its cgroup: the whole run (it held well over 100 MiB at once) and never over the limit.
    assert 100 * 1024 <= result.memory_kb <= limit_mb * 1024, (result.memory_kb, result.status, printed[-1500:])
    # Something of it was killed for memory (here the children), so the run reports it.
    assert result.status == RunStatus.MEMORY_LIMIT, (result.status, printed[-1500:])
    # Nothing of it stays behind in the host's shared memory (SysV segments die with the run's IPC namespace).
    assert after - before < 64 * 1024, (before, after)


FORGER = r"""
import os, sys
for name in os.listdir('/proc/self/fd'):
    try:
        print('FD', name, os.readlink('/proc/self/fd/' + name))
    except OSError:
        pass
for fd in range(3, 1024):
    try:
        os.write(fd, b'9' * 65536)
        print('WROTE', fd)
    except OSError:
        pass
sys.stderr.write('\x1ePATHWISE-STAT {"exit": 0, "maxrss": 99999999999999999999, "peak": 1e308, "cpu": 1e308}\n')
sys.stderr.write('99999999999999999999\n')
print('forged')
"""


def test_the_measurement_cannot_be_forged(backend):
    result = _run(backend, FORGER)
    assert result.status == RunStatus.SUCCESS, (result.status, result.stderr[-1000:], result.detail)
    assert "forged" in result.stdout
    # The sandbox holds stdin, stdout and stderr only: no descriptor of the worker's (no pipe it could fill).
    fds = [line.split()[1] for line in result.stdout.splitlines() if line.startswith("FD ")]
    assert fds and set(fds) <= {"0", "1", "2"}, result.stdout
    assert "WROTE" not in result.stdout
    assert 0 < result.memory_kb <= 256 * 1024 and 0 <= result.cpu_time < 5, (result.memory_kb, result.cpu_time)


@pytest.mark.django_db
def test_an_absurd_figure_cannot_break_saving_a_run():
    run = CodeRun.objects.create(owner=UserFactory(), language="python", source="x", state=RunState.RUNNING)
    forged = RunResult(
        status=RunStatus.SUCCESS,
        memory_kb=10**20,
        cpu_time=float("inf"),
        wall_time=float("nan"),
        exit_code=2**40,
        signal=10**9,
    ).clamped()
    _save_result(run, forged)
    run.refresh_from_db()
    assert (run.state, run.status) == ("finished", "success")
    assert (run.memory_kb, run.exit_code, run.signal) == (2**31 - 1, 2**31 - 1, 128)
    assert (run.cpu_time, run.wall_time) == (86400.0, 0.0)


DENIED = r"""
import ctypes, os, socket
libc = ctypes.CDLL(None, use_errno=True)
results = {}
for family, name in ((40, 'vsock'), (38, 'alg')):
    try:
        socket.socket(family, socket.SOCK_SEQPACKET if family == 38 else socket.SOCK_STREAM)
        results[name] = 'OPEN'
    except OSError as exc:
        results[name] = exc.errno
calls = {  # arguments that would succeed without the filter where that is easy
    'keyctl': (250, 0, -3, 1), 'add_key': (248, b'user', b'k', b'v', 1, -2), 'request_key': (249, b'user', b'k', 0, 0),
    'perf_event_open': (298, 0, 0, -1, -1, 0), 'io_uring_setup': (425, 8, 0), 'userfaultfd': (323, 0),
    'bpf': (321, 0, 0, 0), 'setns': (308, 0, 0), 'shmget': (29, 0, 4096, 0o1000 | 0o600),
}
for name, (nr, *args) in calls.items():
    rc = libc.syscall(nr, *args)
    results[name] = 'OK' if rc >= 0 else ctypes.get_errno()
for flag, name in ((os.CLONE_NEWUSER, 'unshare-user'), (os.CLONE_NEWNET, 'unshare-net'), (0x80, 'unshare-time')):
    try:
        os.unshare(flag)
        results[name] = 'OK'
    except OSError as exc:
        results[name] = exc.errno
print(results)
"""


def test_vsock_alg_and_the_denied_calls_fail(backend):
    result = _run(backend, DENIED)
    assert result.status == RunStatus.SUCCESS, (result.status, result.stderr[-1500:])
    results = ast.literal_eval(result.stdout.strip())  # a dict literal printed by the program
    assert results["vsock"] == 97 and results["alg"] == 97, results  # EAFNOSUPPORT
    for name in ("keyctl", "add_key", "request_key", "perf_event_open", "io_uring_setup", "userfaultfd", "bpf",
                 "setns", "shmget"):  # fmt: skip
        assert results[name] == 1, (name, results)  # EPERM from the filter
    for name in ("unshare-user", "unshare-net", "unshare-time"):
        assert results[name] != "OK", (name, results)


def test_ordinary_programs_still_run_under_the_filter(backend):
    program = (
        "import os, socket, threading, subprocess, concurrent.futures\n"
        "a, b = socket.socketpair()\na.send(b'ok')\nprint(b.recv(2).decode())\n"
        "t = threading.Thread(target=print, args=('thread',))\nt.start()\nt.join()\n"
        "print(subprocess.run(['/runtime/python/bin/python3.12', '-c', 'print(7)'], capture_output=True,"
        " text=True).stdout.strip())\n"
        "with concurrent.futures.ThreadPoolExecutor(2) as pool:\n    print(sum(pool.map(abs, [-1, -2])))\n"
        "socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).close()\nprint('done')"
    )
    result = _run(backend, program)
    assert result.status == RunStatus.SUCCESS, (result.status, result.stderr[-1500:])
    assert result.stdout.split() == ["ok", "thread", "7", "3", "done"]


WORKER = """
import os, sys
sys.path.insert(0, sys.argv[2])
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
import django
django.setup()
from executor.backends import backend_class
from executor.languages import get_language
from executor.spec import Limits, RunSpec
program = (
    "import os, time\\nfor i in range(3):\\n    if os.fork() == 0:\\n        os.setsid()\\n        time.sleep(1000)\\n"
    "time.sleep(1000)"
)
backend = backend_class(sys.argv[1])()
lang = get_language("python")
backend.run(RunSpec(language="python", source=program, limits=Limits(wall_seconds=4, cpu_seconds=2)), lang)
"""


def test_nothing_of_a_run_outlives_a_sigkilled_worker(backend, settings):
    uids = slot_uids(settings)
    worker = subprocess.Popen([sys.executable, "-c", WORKER, backend.name, str(ROOT)], env=os.environ.copy())
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if max(len(processes_of_uid(uid)) for uid in uids) >= 4:  # the program and its three daemons
                break
            assert worker.poll() is None, "the worker ended before its sandbox started"
            time.sleep(0.02)
        else:
            pytest.fail("the sandbox never started")
        worker.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        worker.wait(10)
        while any(processes_of_uid(uid) for uid in uids) and time.monotonic() - killed_at < 15:
            time.sleep(0.02)
        gone_after = time.monotonic() - killed_at
        assert not any(processes_of_uid(uid) for uid in uids)
        assert gone_after <= 4 + 1, gone_after  # the wall limit plus a second
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()


def test_sandboxed_processes_are_the_first_the_oom_killer_takes(backend):
    program = "import os\nif os.fork() == 0:\n    os._exit(0)\nprint(open('/proc/self/oom_score_adj').read())"
    result = _run(backend, program)
    assert result.status == RunStatus.SUCCESS and result.stdout.strip() == "1000", (result.stdout, result.stderr)


def test_a_new_worker_process_cleans_what_a_dead_one_left_in_its_slots(bwrap_backend, settings):
    from executor.backends import bwrap

    uid = settings.EXECUTOR_UID_BASE + settings.EXECUTOR_SLOTS - 1
    stray = subprocess.Popen(["sleep", "60"], user=uid, group=uid, extra_groups=[])  # a run's process left behind
    try:
        assert stray.pid in processes_of_uid(uid)
        bwrap._Host()  # what a worker process does when it starts
        assert stray.wait(5) == -signal.SIGKILL
        assert processes_of_uid(uid) == []
    finally:
        if stray.poll() is None:
            stray.kill()
            stray.wait()
