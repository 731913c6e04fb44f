"""The backend interface and what every backend shares: slots and the classification of a finished run."""

import errno
import fcntl
import os
import signal as signals
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from executor.languages import Language
from executor.spec import RunResult, RunSpec, RunStatus


class BackendUnavailable(RuntimeError):
    """This backend cannot run anything on this host (missing tool, not root, no engine, runtime not built)."""


_slot_guard = threading.Lock()
_slot_files: dict[int, int] = {}  # slot → this process's open lock file (opened once per process)
_slot_busy: set[int] = set()  # slots this process holds (flock is per open file, so threads need this too)
_slot_pid = 0


def _slot_fd(index: int) -> int:
    """The slot's lock file, opened once per process (a forked child opens its own: flock is per open file)."""
    global _slot_pid
    if _slot_pid != os.getpid():
        _slot_files.clear()
        _slot_busy.clear()
        _slot_pid = os.getpid()
    if index not in _slot_files:
        state = Path(settings.EXECUTOR_STATE_DIR)
        state.mkdir(mode=0o700, parents=True, exist_ok=True)
        _slot_files[index] = os.open(state / f"slot-{index}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    return _slot_files[index]


def try_slot(index: int) -> bool:
    """Take slot `index` if it is free (in this process and in every other); release with release_slot."""
    with _slot_guard:
        fd = _slot_fd(index)
        if index in _slot_busy:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            return False
        _slot_busy.add(index)
        return True


def release_slot(index: int) -> None:
    with _slot_guard:
        fcntl.flock(_slot_files[index], fcntl.LOCK_UN)
        _slot_busy.discard(index)


@contextmanager
def hold_slot(timeout: float) -> Iterator[int]:
    """Hold one of EXECUTOR_SLOTS slots for a run (an flock, so it works across worker processes). Each slot has
    its own uid (EXECUTOR_UID_BASE + slot): process limits, signals and file ownership never cross runs."""
    deadline = time.monotonic() + timeout
    while True:
        for index in range(settings.EXECUTOR_SLOTS):
            if not try_slot(index):
                continue
            try:
                yield index
            finally:
                release_slot(index)
            return
        if time.monotonic() > deadline:
            raise BackendUnavailable("no free sandbox slot")
        time.sleep(0.01)


class Backend(ABC):
    name = "base"

    @abstractmethod
    def run(self, spec: RunSpec, language: Language) -> RunResult:
        """Run one program to completion inside a fresh sandbox and return what happened. Never raises for
        anything the program does; raises BackendUnavailable only if the sandbox cannot be set up at all."""

    @classmethod
    @abstractmethod
    def check_available(cls) -> None:
        """Raise BackendUnavailable with a helpful message if this backend cannot work here."""


_RESOURCE_MESSAGES = (
    "[Errno 11] Resource temporarily unavailable",
    "can't start new thread",
    "Too many open files",
    "File too large",
    "No space left on device",
    "Disk quota exceeded",
)


def classify(
    *,
    language: Language,
    exit_code: int | None,
    term_signal: int | None,
    wall_timed_out: bool,
    cpu_time: float,
    cpu_limit: float,
    output_exceeded: bool,
    oom_killed: bool,
    stderr: str,
) -> RunStatus:
    """One rule set for every backend, so a program gets the same status wherever it runs."""
    if output_exceeded:
        return RunStatus.OUTPUT_LIMIT
    if wall_timed_out:
        return RunStatus.TIMEOUT
    if term_signal == signals.SIGXCPU or (term_signal == signals.SIGKILL and cpu_time >= cpu_limit - 0.05):
        return RunStatus.TIMEOUT
    if oom_killed or language.is_memory_error(stderr) or "Cannot allocate memory" in stderr[-4000:]:
        return RunStatus.MEMORY_LIMIT
    if term_signal == signals.SIGXFSZ:
        return RunStatus.RESOURCE_LIMIT
    if exit_code == 0 and term_signal is None:
        return RunStatus.SUCCESS
    compile_status = language.classify_failure(stderr)
    if compile_status is not None:
        return compile_status
    tail = stderr[-4000:]
    if any(message in tail for message in _RESOURCE_MESSAGES):
        return RunStatus.RESOURCE_LIMIT
    return RunStatus.RUNTIME_ERROR
