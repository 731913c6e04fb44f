"""The executor's waits use the generic done-notification of common (a Redis list per job; see common/notify.py)."""

from common.notify import notify_done, wait_done

__all__ = ["notify_done", "wait_done"]
