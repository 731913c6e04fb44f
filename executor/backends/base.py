"""The backend interface and what every backend shares: slots and the classification of a finished run."""

import errno
import fcntl
import signal as signals
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


@contextmanager
def hold_slot(timeout: float) -> Iterator[int]:
    """Hold one of EXECUTOR_SLOTS slots for a run (an flock, so it works across worker processes). Each slot has
    its own uid (EXECUTOR_UID_BASE + slot): process limits, signals and file ownership never cross runs."""
    state = Path(settings.EXECUTOR_STATE_DIR)
    state.mkdir(mode=0o700, parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout
    while True:
        for index in range(settings.EXECUTOR_SLOTS):
            fh = open(state / f"slot-{index}.lock", "a+")  # held for the whole run
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                fh.close()
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                continue
            try:
                yield index
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
                fh.close()
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
