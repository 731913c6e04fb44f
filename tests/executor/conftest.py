import pytest

from executor.backends import BackendUnavailable, backend_class
from executor.backends.bwrap import processes_of_uid
from tests.sandbox import required_backends

BACKENDS = ["bwrap", "docker"]


@pytest.fixture(params=BACKENDS)
def backend(request):
    cls = backend_class(request.param)
    try:
        cls.check_available()
    except BackendUnavailable as exc:
        if request.param in required_backends():
            pytest.fail(f"{request.param} backend required but unavailable: {exc}")
        pytest.skip(f"{request.param} backend unavailable here: {exc}")
    return cls()


@pytest.fixture
def bwrap_backend():
    cls = backend_class("bwrap")
    try:
        cls.check_available()
    except BackendUnavailable as exc:
        if "bwrap" in required_backends():
            pytest.fail(f"bwrap backend required but unavailable: {exc}")
        pytest.skip(f"bwrap backend unavailable here: {exc}")
    return cls()


def slot_uids(settings) -> list[int]:
    return [settings.EXECUTOR_UID_BASE + i for i in range(settings.EXECUTOR_SLOTS)]


@pytest.fixture
def no_leftover_processes(settings):
    """After the test, no process of any sandbox slot uid may remain on the host."""
    yield
    leftovers = {uid: processes_of_uid(uid) for uid in slot_uids(settings)}
    assert all(not pids for pids in leftovers.values()), leftovers
