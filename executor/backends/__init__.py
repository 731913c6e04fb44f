"""Backend selection: EXECUTOR_BACKEND = auto | bwrap | docker."""

from functools import cache

from django.conf import settings

from executor.backends.base import Backend, BackendUnavailable
from executor.backends.bwrap import BwrapBackend

__all__ = ["Backend", "BackendUnavailable", "backend_class", "get_backend"]


def backend_class(name: str) -> type[Backend]:
    if name == "bwrap":
        return BwrapBackend
    if name == "docker":
        from executor.backends.docker import DockerBackend

        return DockerBackend
    raise BackendUnavailable(f"Unknown executor backend {name!r} (bwrap, docker or auto)")


@cache
def _resolve(name: str) -> type[Backend]:
    if name != "auto":
        cls = backend_class(name)
        cls.check_available()
        return cls
    reasons = []
    for candidate in ("bwrap", "docker"):
        try:
            cls = backend_class(candidate)
            cls.check_available()
            return cls
        except BackendUnavailable as exc:
            reasons.append(f"{candidate}: {exc}")
    raise BackendUnavailable("no sandbox backend is available here (" + "; ".join(reasons) + ")")


def get_backend(name: str | None = None) -> Backend:
    """The configured backend, checked once per process (a failed check is retried on the next call)."""
    name = name or settings.EXECUTOR_BACKEND
    try:
        return _resolve(name)()
    except BackendUnavailable:
        _resolve.cache_clear()
        raise
