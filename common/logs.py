"""Structured logging: one JSON object a line, a request id on every line, secrets redacted.

- `request_id_var` holds the id of the request (or Celery task) being served. It is a contextvar, so it is right
  under WSGI threads, ASGI tasks and Celery workers alike. `RequestIdFilter` copies it onto every record.
- `RedactingFilter` runs on the handlers, i.e. on every record whoever logged it: values under sensitive keys
  (password, token, access, refresh, authorization, secret, api_key, cookie…) in dict arguments, dict messages and
  `extra=` become "[REDACTED]"; `Bearer …` credentials and JWT-looking strings in messages and tracebacks too.
- `JsonFormatter` writes time (ISO 8601, UTC), level, logger, message, request_id, then any `extra=` fields.

This module imports nothing from Django, so gunicorn's own logging configuration (gunicorn.conf.py) can use it.
"""

import logging
import re
import secrets
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

NO_REQUEST = "-"
request_id_var: ContextVar[str] = ContextVar("request_id", default=NO_REQUEST)

# A client-supplied X-Request-ID is kept only if it is short and made of harmless characters (no spaces, quotes or
# control characters that could forge log lines or headers); otherwise a fresh one is generated.
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:\-]{8,128}$")


def new_request_id() -> str:
    return secrets.token_hex(16)


def clean_request_id(value: str | None) -> str | None:
    """The incoming id if it is acceptable, else None."""
    if value and REQUEST_ID_RE.fullmatch(value):
        return value
    return None


REDACTED = "[REDACTED]"
# Keys whose values are never logged. Matched case-insensitively as a substring (new_password, HTTP_AUTHORIZATION,
# X-Api-Key, refresh_token…) except for the short words that are common in harmless keys, matched exactly.
_SENSITIVE_SUBSTRINGS = ("password", "passwd", "token", "secret", "authorization", "api_key", "apikey", "api-key",
                         "cookie", "sessionid", "csrf", "private_key", "credential")  # fmt: skip
_SENSITIVE_EXACT = {"access", "refresh", "key", "jwt", "otp", "pin", "signature", "auth"}
_BEARER_RE = re.compile(r"(?i)\b(bearer|token|basic)\s+[A-Za-z0-9._~+/=\-]{6,}")
_JWT_RE = re.compile(r"\beyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]*")
# key=value / "key": "value" pairs inside free text (query strings, reprs of dicts that reached a message).
_PAIR_RE = re.compile(
    r"""(?ix)
    (?P<key>["']?[\w\-]*(?:password|passwd|token|secret|authorization|api[_\-]?key|cookie|sessionid|csrf
        |\baccess|\brefresh)[\w\-]*["']?)
    (?P<sep>\s*[:=]\s*)
    (?P<value>"[^"]*"|'[^']*'|[^\s,&;}\]]+)
    """
)
_LOGRECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def is_sensitive_key(key: object) -> bool:
    if not isinstance(key, str):
        return False
    lowered = key.lower()
    return lowered in _SENSITIVE_EXACT or any(part in lowered for part in _SENSITIVE_SUBSTRINGS)


# Every pattern above needs one of these words (case-insensitively) or the JWT prefix to match: ASCII text holding
# none of them (an access-log path, most messages) skips the three regular expressions. Non-ASCII text always runs
# them (case-insensitive matching knows letters such as "ſ" that lower() does not turn into ASCII).
_TRIGGERS = ("passw", "token", "secret", "authorization", "api", "cookie", "sessionid", "csrf", "access", "refresh",
             "bearer", "basic", "eyj")  # fmt: skip


def _may_hold_secret(text: str) -> bool:
    if not text.isascii():
        return True
    lowered = text.lower()
    return any(trigger in lowered for trigger in _TRIGGERS)


def redact_text(text: str) -> str:
    if not _may_hold_secret(text):
        return text
    text = _JWT_RE.sub(REDACTED, text)
    text = _BEARER_RE.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    return _PAIR_RE.sub(lambda m: f"{m.group('key')}{m.group('sep')}{REDACTED}", text)


def redact(value: Any, depth: int = 0) -> Any:
    """A copy of `value` with sensitive mapping values and credential-looking strings replaced."""
    if depth > 6:
        return value
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {k: REDACTED if is_sensitive_key(k) else redact(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact(v, depth + 1) for v in value) if type(value) in (list, tuple) else value
    return value


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = request_id_var.get()
        return True


class RedactingFilter(logging.Filter):
    """Scrubs the record in place, so that every handler after it (and any test capturing it) sees it clean."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, Mapping):
            record.msg = redact(record.msg)
        else:
            try:
                message = record.getMessage() if record.args else str(record.msg)
            except Exception:  # a broken format string: let the formatter report it
                message = None
            if message is not None:
                if record.args:
                    # Redact the arguments first (by key), then the rendered text (by pattern).
                    args = record.args
                    safe_args = redact(args) if isinstance(args, Mapping | tuple) else args
                    try:
                        message = str(record.msg) % safe_args
                    except (TypeError, ValueError, KeyError):
                        message = record.getMessage()
                record.msg = redact_text(message)
                record.args = ()
        for key in list(vars(record)):
            if key in _LOGRECORD_ATTRS or key == "request_id":
                continue
            value = record.__dict__[key]
            if is_sensitive_key(key):
                record.__dict__[key] = REDACTED
            elif isinstance(value, str | Mapping | list | tuple):
                record.__dict__[key] = redact(value)
        return True


class _RedactingExceptionsMixin:
    def formatException(self, ei: Any) -> Any:
        text = super().formatException(ei)  # type: ignore[misc]
        return redact_text(text) if isinstance(text, str) else [redact_text(line) for line in text]

    def formatStack(self, stack_info: str) -> Any:
        text = super().formatStack(stack_info)  # type: ignore[misc]
        return redact_text(text) if isinstance(text, str) else [redact_text(line) for line in text]


class JsonFormatter(_RedactingExceptionsMixin, _JsonFormatter):
    """{"time", "level", "logger", "message", "request_id", …extra}. Objects that are not JSON (Django's `request`
    passed by django.request, a socket…) are reduced to safe summaries instead of their repr (which may hold a query
    string with a token)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("fmt", ["levelname", "name", "message", "request_id"])
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        super().__init__(*args, **kwargs)

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]) -> None:
        log_data["time"] = datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds")
        super().add_fields(log_data, record, message_dict)
        request = log_data.pop("request", None)
        if request is not None and hasattr(request, "method"):
            log_data.setdefault("method", request.method)
            log_data.setdefault("path", getattr(request, "path", ""))
        log_data.pop("server_time", None)
        log_data.pop("color_message", None)  # uvicorn's ANSI copy of the message


class PlainFormatter(_RedactingExceptionsMixin, logging.Formatter):
    """For humans at a terminal (LOG_FORMAT=plain): the same fields on one line."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("fmt", "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        super().__init__(*args, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return super().format(record)


def logging_config(*, level: str = "INFO", fmt: str = "json") -> dict[str, Any]:
    """The dictConfig used by Django (settings.LOGGING), hence by Celery workers and beat too."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "common.logs.RequestIdFilter"},
            "redact": {"()": "common.logs.RedactingFilter"},
        },
        "formatters": {
            "json": {"()": "common.logs.JsonFormatter"},
            "plain": {"()": "common.logs.PlainFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "plain" if fmt == "plain" else "json",
                "filters": ["request_id", "redact"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # 4xx are logged at WARNING by django.request: they carry the request id and path, never the body.
            "django.request": {"level": "WARNING"},
            # Celery installs its own handlers unless told not to (see config/celery.py); these go to the root.
            "celery": {"level": level},
            # Uvicorn's own access log duplicates ours (common.access, with request id and duration).
            "uvicorn.access": {"level": "WARNING"},
        },
    }
