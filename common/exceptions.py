"""The one error shape of the API (see API.md "Errors") and the handler that renders every 4xx/5xx in it.

Shape: DRF's native body (field lists, ``non_field_errors``) plus a ``detail`` summary and
``errors: [{attr, code, detail}]``.
"""

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError as DatabaseInterfaceError
from django.db import OperationalError as DatabaseOperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.fields import get_error_detail
from rest_framework.response import Response
from rest_framework.settings import api_settings

from common import errors

logger = logging.getLogger(__name__)


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body is too large."
    default_code = "payload_too_large"


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Service temporarily unavailable, try again later."
    default_code = "service_unavailable"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"


# The database is unreachable (down, restarting, connection lost) or refused the work for a transient reason
# (deadlock, cancelled statement): the client should retry, so 503 with Retry-After rather than a 500.
DATABASE_UNAVAILABLE = (DatabaseOperationalError, DatabaseInterfaceError)


def database_unavailable() -> ServiceUnavailable:
    exc = ServiceUnavailable("The database is temporarily unavailable; try again shortly.", code="database_unavailable")
    exc.wait = 2  # type: ignore[attr-defined]  # DRF turns `wait` into Retry-After
    return exc


class _DomainAPIException(exceptions.APIException):
    """A domain error as DRF sees it: the status code and retry delay are the domain error's."""

    def __init__(self, exc: errors.DomainError) -> None:
        super().__init__(exc.detail, exc.code)
        self.status_code = exc.status_code
        self.default_code = exc.default_code
        if exc.wait is not None:
            self.wait = exc.wait


def api_exception(exc: errors.DomainError, context: dict[str, Any] | None = None) -> exceptions.APIException:
    """Translate a domain error into the DRF exception rendering the same status, body and headers."""
    if isinstance(exc, errors.Unauthenticated):
        failed = exceptions.AuthenticationFailed(exc.detail, exc.code)
        # What APIView.handle_exception does for AuthenticationFailed, which it only recognises before translation.
        view, request = (context or {}).get("view"), (context or {}).get("request")
        header = view.get_authenticate_header(request) if view is not None and request is not None else None
        if header:
            failed.auth_header = header  # type: ignore[attr-defined]  # DRF's handler reads it into WWW-Authenticate
        elif view is not None:
            failed.status_code = status.HTTP_403_FORBIDDEN
        return failed
    if exc.fields is not None:
        return exceptions.ValidationError({name: list(messages) for name, messages in exc.fields.items()}, exc.code)
    if isinstance(exc, errors.Invalid):
        return exceptions.ValidationError(exc.detail, exc.code)
    if isinstance(exc, errors.RateLimited):
        # Throttled appends "Expected available in N seconds." to the detail, as it always did.
        return exceptions.Throttled(wait=exc.wait, detail=exc.given_detail, code=exc.code)
    return _DomainAPIException(exc)


def _is_leaf(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"message", "code"}


def _flatten(details: Any, attr: str | None) -> list[dict[str, Any]]:
    """Turn DRF's get_full_details() tree into a flat list of {attr, code, detail}."""
    out: list[dict[str, Any]] = []
    if _is_leaf(details):
        out.append({"attr": attr, "code": str(details["code"]), "detail": str(details["message"])})
    elif isinstance(details, dict):
        for key, value in details.items():
            if key == api_settings.NON_FIELD_ERRORS_KEY:
                child = attr
            else:
                child = str(key) if attr is None else f"{attr}.{key}"
            out.extend(_flatten(value, child))
    elif isinstance(details, list):
        for index, item in enumerate(details):
            if _is_leaf(item):
                out.extend(_flatten(item, attr))
            else:
                out.extend(_flatten(item, f"{attr}.{index}" if attr is not None else str(index)))
    return out


def error_body(exc: exceptions.APIException) -> dict[str, Any]:
    """Render an APIException as the API's error shape."""
    if isinstance(exc, exceptions.ValidationError):
        native = exc.detail
        full = exc.get_full_details()
        if not isinstance(native, dict):
            native = {api_settings.NON_FIELD_ERRORS_KEY: native}
            full = {api_settings.NON_FIELD_ERRORS_KEY: full}
        errors = _flatten(full, None)
        body: dict[str, Any] = dict(native)
        summary = "; ".join(f"{e['attr']}: {e['detail']}" if e["attr"] else e["detail"] for e in errors[:5])
        body["detail"] = summary or "Invalid input."
        body["errors"] = errors
        return body
    detail = exc.detail
    if isinstance(detail, (list, dict)):  # an APIException raised with structured detail
        return error_body(exceptions.ValidationError(detail))
    codes = exc.get_codes()
    return {"detail": str(detail), "errors": [{"attr": None, "code": str(codes), "detail": str(detail)}]}


def simple_error_body(detail: str, code: str) -> dict[str, Any]:
    return {"detail": detail, "errors": [{"attr": None, "code": code, "detail": detail}]}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    # Imported here: rest_framework.views reads the throttle settings at import, which import this module.
    from rest_framework.views import exception_handler as drf_exception_handler
    from rest_framework.views import set_rollback

    if isinstance(exc, errors.DomainError):
        exc = api_exception(exc, context)
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(get_error_detail(exc))
    elif isinstance(exc, DATABASE_UNAVAILABLE):
        logger.warning("Database unavailable: %s", exc)
        exc = database_unavailable()

    response = drf_exception_handler(exc, context)
    if response is None:
        # Not an API error: a bug or an outage. Log it with its traceback, answer without one.
        view = context.get("view")
        logger.error("Unhandled error in %s", view.__class__.__name__ if view else "view", exc_info=exc)
        set_rollback()
        return Response(
            simple_error_body("A server error occurred.", "server_error"),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    response.data = error_body(exc)  # type: ignore[arg-type]
    return response
