"""Domain errors: what services and selectors raise instead of HTTP exceptions.

They carry a machine code, a human ``detail``, optional field errors and an optional retry delay; the one exception
handler (``common.exceptions.api_exception_handler``) renders them in the API's error shape with the status code each
class names, so a service never imports ``rest_framework``. Codes are the apps' snake_case enum members.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class DomainError(Exception):
    """Base of every error a service or selector raises for the caller (not a bug, not an outage of ours)."""

    status_code: int = 400
    default_detail: str = "Invalid input."
    default_code: str = "invalid"

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        fields: Mapping[str, Sequence[str]] | None = None,
        wait: float | None = None,
    ) -> None:
        self.given_detail = detail
        self.detail: str = detail if detail is not None else self.default_detail
        self.code: str = str(code or self.default_code)
        # Per-field messages ({"password": ["Too short."]}); every message carries `code`.
        self.fields = fields
        # Seconds the client should wait before retrying (rendered as Retry-After).
        self.wait = wait
        super().__init__(self.detail)


class Invalid(DomainError):
    """The input is well-formed but not acceptable (400)."""


class Unauthenticated(DomainError):
    """Credentials or a token are wrong, expired or revoked (401, with the view's WWW-Authenticate)."""

    status_code = 401
    default_detail = "Incorrect authentication credentials."
    default_code = "authentication_failed"


class NotFound(DomainError):
    """No such object in the caller's scope (404: another user's object is not found, not forbidden)."""

    status_code = 404
    default_detail = "Not found."
    default_code = "not_found"


class Conflict(DomainError):
    """The request conflicts with the current state (409)."""

    status_code = 409
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"


class RateLimited(DomainError):
    """Too many requests (429); ``wait`` says when to retry."""

    status_code = 429
    default_detail = "Request was throttled."
    default_code = "throttled"


class Unavailable(DomainError):
    """A dependency (cache, database, sandbox, model) is temporarily unavailable (503)."""

    status_code = 503
    default_detail = "Service temporarily unavailable, try again later."
    default_code = "service_unavailable"
