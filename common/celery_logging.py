"""Celery plumbing for structured logs: the request id travels with every task, and workers log like the web.

- `before_task_publish`: the publisher's current request id goes into the message headers (`request_id`), so a task
  enqueued by a request (or by another task) logs under the id of the request that caused it.
- `task_prerun` / `task_postrun`: the worker puts that id in the contextvar for the task's run and restores the
  previous value afterwards. A task with no id (a beat job) gets a fresh one, so its lines still group together.
  In eager mode the task runs inside the caller, which already has the id: nothing changes.
- `setup_logging`: Celery configures nothing itself (no hijacked root logger, no stdout redirection); the worker and
  beat use Django's LOGGING, i.e. the same JSON lines and redaction as the web.

Connected in config/celery.py.
"""

import logging.config
from typing import Any

from django.conf import settings

from common.logs import NO_REQUEST, clean_request_id, new_request_id, request_id_var

HEADER = "request_id"
_tokens: dict[str, Any] = {}


def add_request_id_header(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    request_id = request_id_var.get()
    if headers is not None and request_id != NO_REQUEST:
        headers.setdefault(HEADER, request_id)


def bind_request_id(task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    incoming = clean_request_id(getattr(getattr(task, "request", None), HEADER, None))
    current = request_id_var.get()
    if incoming is None and current != NO_REQUEST:
        return  # eager: already inside the caller's request
    token = request_id_var.set(incoming or new_request_id())
    if task_id:
        _tokens[task_id] = token


def unbind_request_id(task_id: str | None = None, **kwargs: Any) -> None:
    token = _tokens.pop(task_id, None) if task_id else None
    if token is not None:
        try:
            request_id_var.reset(token)
        except ValueError:  # set in another context (should not happen with prefork/threads): just clear it
            request_id_var.set(NO_REQUEST)


def configure_logging(loglevel: int | str | None = None, **kwargs: Any) -> None:
    logging.config.dictConfig(settings.LOGGING)
    if loglevel:
        logging.getLogger().setLevel(loglevel)
