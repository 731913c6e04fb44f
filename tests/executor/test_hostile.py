"""Hostile programs, each run on every backend (bwrap and docker) and, where it applies, as Python and as Jac.

Every case asserts the status it must end with, that nothing outside the sandbox changed, and (fixture) that no
process of a sandbox slot uid is left on the host.
"""

import os
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from executor.languages import get_language
from executor.spec import Limits, RunSpec, RunStatus
from tests.executor.conftest import slot_uids

pytestmark = pytest.mark.usefixtures("no_leftover_processes")

CANARIES = {
    "DJANGO_SECRET_KEY": "canary-secret-key-6f1d2c",
    "DATABASE_URL": "postgres://canary:canary-db-pw-91ab@127.0.0.1:5432/canary",
    "REDIS_URL": "redis://:canary-redis-pw-55cd@127.0.0.1:6379/0",
}
HOST_FILE = Path("/var/tmp/pathwise-hostile-canary.txt")
FAST = {"wall_seconds": 3.0, "cpu_seconds": 1.0}


@dataclass
class Case:
    name: str
    python: str | None
    expected: set[RunStatus]
    jac: str | None = None
    stdin: str = ""
    limits: dict = field(default_factory=dict)
    must_not_print: tuple[str, ...] = ()
    must_print: tuple[str, ...] = ()


CASES = [
    Case(
        "fork bomb",
        "import os\nwhile True:\n    os.fork()",
        {RunStatus.RESOURCE_LIMIT, RunStatus.TIMEOUT, RunStatus.MEMORY_LIMIT},
        jac="import os;\nwith entry { while True { os.fork(); } }",
        limits=FAST,
    ),
    Case(
        "thread bomb",
        "import threading, time\nwhile True:\n    threading.Thread(target=time.sleep, args=(60,)).start()",
        {RunStatus.RESOURCE_LIMIT, RunStatus.TIMEOUT},
        limits=FAST,
    ),
    Case(
        "memory bomb",
        "x = []\nwhile True:\n    x.append(bytearray(50 * 1024 * 1024))",
        {RunStatus.MEMORY_LIMIT},
        jac="with entry { x = []; while True { x.append(bytearray(50 * 1024 * 1024)); } }",
    ),
    Case("one huge allocation", "x = b'a' * (4 * 1024 ** 3)", {RunStatus.MEMORY_LIMIT}),
    Case(
        "cpu loop",
        "while True:\n    pass",
        {RunStatus.TIMEOUT},
        jac="with entry { while True { x = 1; } }",
        limits=FAST,
    ),
    Case(
        "sleep forever",
        "import time\ntime.sleep(10_000)",
        {RunStatus.TIMEOUT},
        jac="import time;\nwith entry { time.sleep(10000); }",
        limits=FAST,
    ),
    Case(
        "stdin read to the end",
        "import sys\ndata = sys.stdin.read()\nprint(len(data))",
        {RunStatus.SUCCESS},
        stdin="abc\n",
        must_print=("4",),
    ),
    Case(
        "stdin read past the end",
        "input()\ninput()\nprint('never')",
        {RunStatus.RUNTIME_ERROR},
        stdin="one\n",
        must_print=("EOFError",),
    ),
    Case(
        "stdout flood",
        "while True:\n    print('x' * 1000)",
        {RunStatus.OUTPUT_LIMIT},
        jac='with entry { while True { print("x" * 1000); } }',
    ),
    Case("stderr flood", "import sys\nwhile True:\n    sys.stderr.write('e' * 1000)", {RunStatus.OUTPUT_LIMIT}),
    Case(
        "secrets in the environment",
        "import os\nprint(dict(os.environ))",
        {RunStatus.SUCCESS},
        jac="import os;\nwith entry { print(dict(os.environ)); }",
        must_not_print=tuple(CANARIES.values()),
    ),
    Case(
        "secrets in /proc/*/environ",
        "import os\nfor pid in os.listdir('/proc'):\n    if pid.isdigit():\n"
        "        for name in ('environ', 'cmdline'):\n            try:\n"
        "                print(open(f'/proc/{pid}/{name}', 'rb').read())\n            except OSError as e:\n"
        "                print(pid, name, e)\nprint(open('/proc/1/environ','rb').read())",
        {RunStatus.SUCCESS},
        must_not_print=tuple(CANARIES.values()),
    ),
    Case(
        "connect to PostgreSQL on 127.0.0.1",
        "import socket\ns = socket.create_connection(('127.0.0.1', 5432), timeout=2)\nprint('CONNECTED')",
        {RunStatus.RUNTIME_ERROR},
        must_not_print=("CONNECTED",),
        jac="import socket;\nwith entry { s = socket.create_connection(('127.0.0.1', 5432), timeout=2); "
        "print('CONNECTED'); }",
    ),
    Case(
        "connect to Redis on 127.0.0.1",
        "import socket\ns = socket.create_connection(('127.0.0.1', 6379), timeout=2)\nprint('CONNECTED')",
        {RunStatus.RUNTIME_ERROR},
        must_not_print=("CONNECTED",),
    ),
    Case(
        "connect to any other address",
        "import socket\ns = socket.create_connection(('192.0.2.1', 80), timeout=2)\nprint('CONNECTED')",
        {RunStatus.RUNTIME_ERROR},
        must_not_print=("CONNECTED",),
    ),
    Case(
        "read host files",
        "for p in ['/etc/shadow', '/root/.bashrc', '/etc/hostname', '"
        + str(HOST_FILE)
        + "', '/work/main/manage.py']:\n"
        "    try:\n        print(p, open(p).read()[:50])\n    except OSError as e:\n        print(p, 'DENIED', e)",
        {RunStatus.SUCCESS},
        must_not_print=("host-canary-content",),
    ),
    Case(
        "write host files",
        "import os\nfor p in ['/etc/passwd', '/runtime/python/bin/evil', '/evil', '" + str(HOST_FILE) + "',"
        " '/dev/evil']:\n    try:\n        open(p, 'w').write('pwned')\n        print('WROTE', p)\n"
        "    except OSError as e:\n        print(p, 'DENIED', e)",
        {RunStatus.SUCCESS},
        must_not_print=("WROTE",),
        jac="with entry { try { open('/etc/passwd', 'w').write('x'); print('WROTE'); } except Exception as e "
        "{ print('DENIED', e); } }",
    ),
    Case(
        "fill the disk",
        "f = open('/tmp/big', 'wb')\nwhile True:\n    f.write(b'0' * 1024 * 1024)",
        {RunStatus.RESOURCE_LIMIT},
    ),
    Case(
        "fill /tmp with files",
        "import os\nfor i in range(100):\n    open(f'/tmp/f{i}', 'wb').write(b'0' * 1000 * 1000)\nprint('FILLED')",
        {RunStatus.RESOURCE_LIMIT},
        must_not_print=("FILLED",),
    ),
    Case(
        "fill the inodes",
        "i = 0\nwhile True:\n    open(f'/tmp/{i}', 'w').close()\n    i += 1",
        {RunStatus.RESOURCE_LIMIT, RunStatus.TIMEOUT},
        limits=FAST,
    ),
    Case(
        "daemon that outlives the run",
        "import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        time.sleep(30)\n"
        "    os._exit(0)\nprint('parent done')",
        {RunStatus.SUCCESS},
        must_print=("done",),
        jac="import os, time;\nwith entry { if os.fork() == 0 { os.setsid(); time.sleep(30); } print('done'); }",
    ),
    Case(
        "kill every process it can",
        # kill(-1) reaches the sandbox's own processes only (its child here; never the caller nor its PID 1).
        "import os, signal, time\npid = os.fork()\nif pid == 0:\n    time.sleep(30)\n    os._exit(0)\n"
        "os.kill(-1, signal.SIGKILL)\n_, status = os.waitpid(pid, 0)\n"
        "print('child killed' if os.WIFSIGNALED(status) and os.WTERMSIG(status) == 9 else 'child alive')\n"
        "print('survived')",
        {RunStatus.SUCCESS},
        must_print=("child killed", "survived"),
        jac="import os, signal, time;\nwith entry { pid = os.fork(); if pid == 0 { time.sleep(30); os._exit(0); }"
        " os.kill(-1, signal.SIGKILL); st = os.waitpid(pid, 0)[1];"
        " if os.WIFSIGNALED(st) and os.WTERMSIG(st) == 9 { print('child killed'); } print('survived'); }",
    ),
    Case(
        "SIGSTOP its own process group",
        "import os, signal\npid = os.fork()\nif pid == 0:\n    os.killpg(0, signal.SIGSTOP)\n"
        "    print('child resumed')\nelse:\n    os.waitpid(pid, 0)\n    print('parent resumed')",
        {RunStatus.TIMEOUT},
        limits=FAST,
        must_not_print=("resumed",),
    ),
    Case(
        "plant symlinks where the host might look",
        "import os\nfor name, target in [('/tmp/out', '/etc/passwd'), ('/work/main.py.bak', '/root'),"
        " ('/work/result', '" + str(HOST_FILE) + "')]:\n    os.symlink(target, name)\nprint('planted')",
        {RunStatus.SUCCESS},
        must_print=("planted",),
    ),
    Case(
        "nested user namespace",
        "import os\nos.unshare(os.CLONE_NEWUSER)\nprint('NESTED')",
        {RunStatus.RUNTIME_ERROR, RunStatus.RESOURCE_LIMIT},
        must_not_print=("NESTED",),
    ),
    Case(
        "nested mount and network namespaces",
        "import os\nos.unshare(os.CLONE_NEWNS | os.CLONE_NEWNET)\nprint('NESTED')",
        {RunStatus.RUNTIME_ERROR, RunStatus.RESOURCE_LIMIT},
        must_not_print=("NESTED",),
    ),
    Case(
        "ptrace another process",
        "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\nchild = os.fork()\nif child == 0:\n"
        "    import time; time.sleep(5); os._exit(0)\nr = libc.ptrace(16, child, 0, 0)\n"
        "print('attach', r, ctypes.get_errno())\nos.kill(child, 9)",
        {RunStatus.SUCCESS},
        must_print=("attach -1 1\n",),  # PTRACE_ATTACH refused with EPERM
    ),
    Case(
        "NUL bytes and invalid UTF-8 in output",
        "import sys\nprint('a\\x00b')\nsys.stdout.flush()\nsys.stdout.buffer.write(b'\\xff\\xfe bad \\xc3\\x28\\n')",
        {RunStatus.SUCCESS},
    ),
    Case(
        "large source (60 KB)",
        "x = 1\n" + "# padding line for a large program\n" * 1700 + "print('big ok')",
        {RunStatus.SUCCESS},
        must_print=("big ok",),
    ),
    Case("compile error", "def broken(:\n    pass", {RunStatus.COMPILE_ERROR}, jac="with entry { print('a' }"),
    Case(
        "privilege escalation attempts",
        "import os\nfor f in (lambda: os.setuid(0), lambda: os.chroot('/tmp'),\n"
        "          lambda: os.mknod('/tmp/sda', 0o600 | 0o60000)):\n"
        "    try:\n        f()\n        print('ESCALATED')\n    except OSError as e:\n        print('denied', e)",
        {RunStatus.SUCCESS},
        must_not_print=("ESCALATED",),
    ),
]


def _params():
    for case in CASES:
        yield pytest.param(case, "python", id=f"{case.name} [python]")
        if case.jac:
            yield pytest.param(case, "jac", id=f"{case.name} [jac]")


@pytest.fixture
def canaries(monkeypatch):
    for key, value in CANARIES.items():
        monkeypatch.setenv(key, value)
    HOST_FILE.write_text("host-canary-content\n")
    os.chmod(HOST_FILE, 0o644)
    before = HOST_FILE.stat()
    yield
    after = HOST_FILE.stat()
    assert HOST_FILE.read_text() == "host-canary-content\n"
    assert (after.st_mtime_ns, after.st_ino) == (before.st_mtime_ns, before.st_ino)


def test_there_are_at_least_25_hostile_programs():
    assert len(CASES) >= 25


def sandbox_files_in_host_tmp(settings) -> list[str]:
    uids = set(slot_uids(settings))
    found = []
    for name in os.listdir("/tmp"):
        try:
            if os.lstat(os.path.join("/tmp", name)).st_uid in uids:
                found.append(name)
        except FileNotFoundError:
            continue
    return found


@pytest.mark.parametrize(("case", "language"), list(_params()))
def test_hostile_program(backend, canaries, case, language, settings):
    lang = get_language(language)
    limits = Limits(**{**lang.default_limits.__dict__, **case.limits})
    source = case.python if language == "python" else case.jac
    started = time.monotonic()
    result = backend.run(RunSpec(language=language, source=source, stdin=case.stdin, limits=limits), lang)
    elapsed = time.monotonic() - started
    printed = result.stdout + result.stderr
    assert result.status in case.expected, (result.status, result.stderr[-1500:], result.detail)
    assert elapsed < limits.wall_seconds + 10
    for text in case.must_not_print:
        assert text not in printed
    for text in case.must_print:
        assert text in printed
    assert "\x00" not in printed
    assert len(result.stdout.encode()) <= limits.output_bytes + 4 * 1024  # replacement chars may widen a little
    assert len(result.stderr.encode()) <= limits.output_bytes + 4 * 1024
    # The sandbox's /tmp is its own: nothing the sandbox made (its slot uids own whatever it creates) appears in
    # the host's. Other processes' files there are no concern of this test.
    assert sandbox_files_in_host_tmp(settings) == []


def test_no_state_survives_between_runs(backend):
    lang = get_language("python")
    writer = (
        "import os\nfor p in ['/tmp/marker', '/work/marker', '/dev/shm/marker']:\n    try:\n"
        "        open(p, 'w').write('x')\n    except OSError:\n        pass\nprint('wrote')"
    )
    reader = "import os\nprint([p for p in ['/tmp/marker', '/work/marker', '/dev/shm/marker'] if os.path.exists(p)])"
    assert backend.run(RunSpec(language="python", source=writer, limits=lang.default_limits), lang).status == "success"
    result = backend.run(RunSpec(language="python", source=reader, limits=lang.default_limits), lang)
    assert result.stdout.strip() == "[]"


def test_runs_as_an_unprivileged_uid_without_capabilities(backend):
    lang = get_language("python")
    program = (
        "import os\nprint(os.getuid(), os.geteuid())\n"
        "print([l for l in open('/proc/self/status') if l.startswith(('CapEff', 'CapPrm', 'NoNewPrivs'))])"
    )
    result = backend.run(RunSpec(language="python", source=program, limits=lang.default_limits), lang)
    assert result.status == "success"
    uid_line = result.stdout.splitlines()[0].split()
    assert uid_line[0] != "0" and uid_line[1] != "0"
    assert "CapEff:\\t0000000000000000" in result.stdout


def test_network_is_absent(backend):
    lang = get_language("python")
    program = "import socket\nprint(socket.if_nameindex())"
    result = backend.run(RunSpec(language="python", source=program, limits=lang.default_limits), lang)
    assert result.status == "success"
    assert "eth" not in result.stdout and "ens" not in result.stdout


def test_hello_world_in_both_languages(backend):
    for language, program, expected in (
        ("python", "print(input() * 2)", "abab"),
        ("jac", 'with entry { print("Hello, Jac!"); }', "Hello, Jac!"),
    ):
        lang = get_language(language)
        result = backend.run(RunSpec(language=language, source=program, stdin="ab\n", limits=lang.default_limits), lang)
        assert result.status == "success", result.stderr
        assert result.stdout.strip() == expected
        assert result.wall_time > 0 and result.memory_kb > 0
        assert result.backend == backend.name


def test_python_runs_skip_jaclangs_startup_finder_yet_keep_site(bwrap_backend):
    """A Python run's interpreter does not load jaclang's .pth finder (its imports were a third of a hello world's
    CPU); site still runs: exit() exists and the runtime's site-packages stay importable."""
    lang = get_language("python")
    program = (
        "import sys, importlib.util\n"
        "print('_jac_finder' in sys.modules, importlib.util.find_spec('jaclang') is not None)\nexit(3)"
    )
    result = bwrap_backend.run(RunSpec(language="python", source=program, limits=lang.default_limits), lang)
    assert (result.stdout, result.exit_code) == ("False True\n", 3), result.stderr


def test_worker_is_not_reachable_from_the_sandbox(backend):
    """A listening socket of the worker on loopback is not reachable: the sandbox has its own network."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    lang = get_language("python")
    program = f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2)\nprint('CONNECTED')"
    try:
        result = backend.run(RunSpec(language="python", source=program, limits=lang.default_limits), lang)
    finally:
        server.close()
    assert result.status == "runtime_error" and "CONNECTED" not in result.stdout
