"""Whether code can run here, asked before a run is queued: without a usable sandbox a run could only end as
"The code runner failed", so the request answers 503 `sandbox_unavailable` with the remedy instead, and readiness
shows the same (common.health reads `health_check` through HEALTH_EXTRA_CHECKS).

Only the embedded default (eager Celery) runs programs in the web process, so only there can the web process judge;
with a broker the executor workers run them and the answer here is "remote". The executor's own availability check
(`check_available` of the configured backend, bypassing get_backend's per-process cache so an install is noticed)
is asked at most every CHECK_TTL seconds per process.
"""

import time

from django.conf import settings

from common.errors import Unavailable
from executor.backends import BackendUnavailable, backend_class
from learning.errors import LearningErrorCode

CHECK_TTL = 10.0
REMEDY = (
    "To enable code execution: as root on Debian/Ubuntu run `apt-get install bubblewrap` then `make sandbox` "
    "(`make run` as root does both), or set EXECUTOR_BACKEND=docker with a Docker engine; see the README, "
    "'Code execution'."
)

_cache: dict[tuple[str, ...], tuple[float, str]] = {}


class SandboxUnavailable(Unavailable):
    default_detail = "Code execution is unavailable on this server."
    default_code = LearningErrorCode.SANDBOX_UNAVAILABLE


def _check(name: str) -> str:
    """'' when the backend `name` (or, for auto, any backend) can run here, else why not."""
    candidates = ("bwrap", "docker") if name == "auto" else (name,)
    reasons = []
    for candidate in candidates:
        try:
            backend_class(candidate).check_available()
            return ""
        except BackendUnavailable as exc:
            reasons.append(f"{candidate}: {exc}" if name == "auto" else str(exc))
        except Exception as exc:  # a backend's probe failing in an unforeseen way is still "not usable"
            reasons.append(f"{candidate}: {type(exc).__name__}: {exc}")
    return "; ".join(reasons)


def sandbox_problem() -> str | None:
    """None when code can run (or runs on remote workers), else the reason this process cannot run it."""
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        return None
    key = (settings.EXECUTOR_BACKEND, settings.EXECUTOR_BWRAP_PATH, settings.EXECUTOR_RUNTIME_DIR)
    now = time.monotonic()
    cached = _cache.get(key)
    if cached is None or now - cached[0] > CHECK_TTL:
        cached = (now, _check(settings.EXECUTOR_BACKEND))
        _cache[key] = cached
    return cached[1] or None


def sandbox_require() -> None:
    """Raise 503 `sandbox_unavailable` (with the reason and the remedy in `detail`) when code cannot run here."""
    problem = sandbox_problem()
    if problem:
        raise SandboxUnavailable(f"Code execution is unavailable on this server: {problem}. {REMEDY}")


def health_check() -> dict[str, str]:
    """Readiness entries, only when code cannot run here: `sandbox: unavailable` and `sandbox_remedy`. Nothing when
    it can (or when executor workers run code). Informational: the rest of the API works without it, so it does not
    fail readiness."""
    problem = sandbox_problem()
    if problem:
        return {"sandbox": "unavailable", "sandbox_remedy": f"{problem}. {REMEDY}"}
    return {}
