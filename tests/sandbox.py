"""Whether tests can run code in a sandbox here, for the one `sandbox` fixture (tests/conftest.py)."""

import os

import pytest


def required_backends() -> set[str]:
    """CI sets EXECUTOR_REQUIRE_BACKENDS=bwrap,docker: a backend that is unavailable there fails, not skips."""
    return {b.strip() for b in os.environ.get("EXECUTOR_REQUIRE_BACKENDS", "").split(",") if b.strip()}


def require_sandbox() -> None:
    """Skip (saying why) where no sandbox backend can run code; fail instead where CI requires one."""
    from executor.backends import BackendUnavailable, get_backend

    try:
        get_backend()
    except BackendUnavailable as exc:
        if required_backends():
            pytest.fail(f"a sandbox backend is required here ({', '.join(sorted(required_backends()))}): {exc}")
        pytest.skip(f"no sandbox backend here: {exc}")
