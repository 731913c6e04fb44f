"""What a sandboxed run is asked to do (RunSpec) and what came of it (RunResult), with the limits' defaults and
server-side maxima. Request values are clamped, never trusted."""

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any


class RunStatus(StrEnum):
    SUCCESS = "success"
    COMPILE_ERROR = "compile_error"
    RUNTIME_ERROR = "runtime_error"
    TIMEOUT = "timeout"
    MEMORY_LIMIT = "memory_limit"
    OUTPUT_LIMIT = "output_limit"
    RESOURCE_LIMIT = "resource_limit"
    SYSTEM_ERROR = "system_error"


@dataclass(frozen=True)
class Limits:
    wall_seconds: float = 5.0
    cpu_seconds: float = 2.0
    memory_mb: int = 256
    processes: int = 32
    open_files: int = 256
    file_size_mb: int = 1
    tmp_mb: int = 64
    output_bytes: int = 64 * 1024  # each of stdout and stderr

    def clamp(self, maximum: "Limits") -> "Limits":
        """Every limit at most the server's maximum and at least a sane floor."""
        return Limits(
            wall_seconds=min(max(self.wall_seconds, 0.5), maximum.wall_seconds),
            cpu_seconds=min(max(self.cpu_seconds, 0.5), maximum.cpu_seconds),
            memory_mb=min(max(self.memory_mb, 32), maximum.memory_mb),
            processes=min(max(self.processes, 4), maximum.processes),
            open_files=min(max(self.open_files, 16), maximum.open_files),
            file_size_mb=min(max(self.file_size_mb, 1), maximum.file_size_mb),
            tmp_mb=min(max(self.tmp_mb, 1), maximum.tmp_mb),
            output_bytes=min(max(self.output_bytes, 1024), maximum.output_bytes),
        )

    def with_request(self, *, timeout: float | None = None, memory_mb: int | None = None) -> "Limits":
        """Apply a learner's `timeout` (seconds of wall time) and `memory_limit` (MB) before clamping."""
        limits = self
        if timeout is not None:
            limits = replace(limits, wall_seconds=float(timeout), cpu_seconds=min(self.cpu_seconds, float(timeout)))
        if memory_mb is not None:
            limits = replace(limits, memory_mb=int(memory_mb))
        return limits


MAX_SOURCE_BYTES = 64 * 1024
MAX_STDIN_BYTES = 64 * 1024


@dataclass(frozen=True)
class RunSpec:
    language: str
    source: str
    stdin: str = ""
    limits: Limits = field(default_factory=Limits)


@dataclass
class RunResult:
    status: RunStatus
    stdout: str = ""
    stderr: str = ""
    exit_code: int | None = None
    signal: int | None = None
    wall_time: float = 0.0  # seconds
    cpu_time: float = 0.0  # seconds
    memory_kb: int = 0  # peak resident set
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    backend: str = ""
    detail: str = ""  # why a system_error happened (for operators; not shown to learners)

    def clamped(self) -> "RunResult":
        """Every figure within what its column holds (an integer out of range or a NaN must never fail the save of a
        finished run): a backend's figures are measured outside the sandbox, this is the last line of defence."""
        self.wall_time = _finite(self.wall_time, 86400.0)
        self.cpu_time = _finite(self.cpu_time, 86400.0)
        self.memory_kb = int(_finite(self.memory_kb, INT32_MAX))
        if self.exit_code is not None:
            self.exit_code = int(_finite(self.exit_code, INT32_MAX, minimum=-INT32_MAX))
        if self.signal is not None:
            self.signal = int(_finite(self.signal, 128))
        return self

    @property
    def memory_mb(self) -> float:
        return round(self.memory_kb / 1024, 2)


INT32_MAX = 2**31 - 1


def _finite(value: Any, maximum: float, minimum: float = 0.0) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return 0.0
    if number != number:  # NaN
        return 0.0
    return min(max(number, minimum), maximum)


def clean_text(data: bytes, limit: int) -> tuple[str, bool]:
    """Captured output as text that is safe for PostgreSQL and JSON: at most `limit` bytes, invalid UTF-8 replaced,
    NUL bytes replaced by U+FFFD. Returns (text, truncated)."""
    truncated = len(data) > limit
    text = data[:limit].decode("utf-8", errors="replace").replace("\x00", "\ufffd")
    return text, truncated
