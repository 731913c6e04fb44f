"""Request slots of an ASGI worker: at most ASGI_REQUEST_THREADS requests run Django code at once, and a request that
waits seconds on a job (a code run, a graded submission, a roadmap; `common.jobs.wait`) gives its slot back while it
waits, so a burst of code runs no longer starves the worker's reads (50 learners, one run each per ~5 s: every slot
was held by a waiting run and reads queued for seconds)."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_local = threading.local()


@contextmanager
def held(slots: threading.Semaphore) -> Iterator[None]:
    """Run the block in one of `slots` (blocking this thread, not the event loop, until one is free)."""
    slots.acquire()
    _local.slots = slots
    try:
        yield
    finally:
        _local.slots = None
        slots.release()


@contextmanager
def given_back() -> Iterator[None]:
    """Give this thread's slot back for the block (a wait that does no work), and take one again after it. Outside a
    slot (WSGI, Celery, tests, the embedded default's single thread) it does nothing."""
    slots = getattr(_local, "slots", None)
    if slots is None:
        yield
        return
    _local.slots = None
    slots.release()
    try:
        yield
    finally:
        slots.acquire()
        _local.slots = slots
