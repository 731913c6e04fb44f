"""Waking a waiting web request: moved to the job engine (common.jobs `wait` / `notify_key`); these names remain for
callers that wait on a key of their own."""

from collections.abc import Callable

from common import jobs


def notify_done(name: str) -> None:
    """Wake whoever waits on `name`."""
    jobs.notify_key(name)


def wait_done(name: str, timeout: float, is_finished: Callable[[], bool]) -> bool:
    """Wait until `is_finished()` or the timeout; True if finished."""
    return jobs.wait(None, timeout, is_finished, name=name)
