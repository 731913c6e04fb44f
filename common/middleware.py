"""HTTP plumbing: request ids and the access log; for /api/: slash-insensitive routing, the body-size cap, and JSON
for every error response."""

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse, JsonResponse

from common.exceptions import simple_error_body
from common.logs import NO_REQUEST, clean_request_id, new_request_id, request_id_var

logger = logging.getLogger(__name__)
access_logger = logging.getLogger("common.access")
REQUEST_ID_HEADER = "X-Request-ID"

_STATUS_CODES = {
    400: ("bad_request", "Bad request."),
    401: ("not_authenticated", "Authentication credentials were not provided."),
    403: ("permission_denied", "You do not have permission to perform this action."),
    404: ("not_found", "Not found."),
    405: ("method_not_allowed", "Method not allowed."),
    413: ("payload_too_large", "Request body is too large."),
    415: ("unsupported_media_type", "Unsupported media type."),
    429: ("throttled", "Request was throttled."),
    500: ("server_error", "A server error occurred."),
    503: ("service_unavailable", "Service temporarily unavailable, try again later."),
}


class RequestIdMiddleware:
    """Outermost: gives the request an id (a sane incoming X-Request-ID, else a fresh one), puts it in the contextvar
    every log line reads (and every Celery task enqueued from here carries), echoes it in the response header, and
    writes one access-log line (method, path without query string, status, duration).

    Sync and async capable: under ASGI it runs in the event loop, so the contextvar is set in the request's own task
    and reaches the sync code below it through asgiref's context copying. The id is not reset on the way out because
    django.request logs 4xx/5xx after the middleware chain returns; `request_finished` resets it instead.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def _begin(self, request: HttpRequest) -> str:
        request_id = clean_request_id(request.META.get("HTTP_X_REQUEST_ID")) or new_request_id()
        request.request_id = request_id
        request_id_var.set(request_id)
        return request_id

    def _end(self, request: HttpRequest, response: HttpResponse, request_id: str, started: float) -> HttpResponse:
        response[REQUEST_ID_HEADER] = request_id
        access_logger.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        return response

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        if self.is_async:
            return self.__acall__(request)
        started = time.perf_counter()
        request_id = self._begin(request)
        return self._end(request, self.get_response(request), request_id, started)

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        request_id = self._begin(request)
        return self._end(request, await self.get_response(request), request_id, started)


def _reset_request_id(**kwargs: Any) -> None:
    # A WSGI thread serves many requests: no line logged between two of them may carry the previous one's id.
    request_id_var.set(NO_REQUEST)


request_finished.connect(_reset_request_id, dispatch_uid="common.middleware.reset_request_id")


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def json_error(status: int, detail: str | None = None, code: str | None = None) -> JsonResponse:
    default_code, default_detail = _STATUS_CODES.get(status, ("error", "Request failed."))
    return JsonResponse(simple_error_body(detail or default_detail, code or default_code), status=status)


class ApiPathMiddleware:
    """Outermost middleware for /api/.

    - Routes answer with and without a trailing slash, with no redirect (a redirected POST loses its body): the
      path is given its slash before URL resolution.
    - Any 4xx/5xx under /api/ that is not JSON already (Django's own 400/404/500 pages, a DEBUG traceback) is
      replaced by the API's JSON error shape, so no HTML and no traceback ever leaves the API.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _is_api(request) and not request.path_info.endswith("/"):
            request.path_info += "/"
        response = self.get_response(request)
        if _is_api(request) and response.status_code >= 400:
            content_type = response.get("Content-Type", "")
            if not content_type.startswith("application/json"):
                replaced = json_error(response.status_code)
                for header in ("Retry-After", "Allow", "WWW-Authenticate"):
                    if header in response:
                        replaced[header] = response[header]
                return replaced
        return response


class ApiBodySizeMiddleware:
    """Refuse /api/ bodies over API_MAX_BODY_BYTES with a JSON 413 before anything reads them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _is_api(request):
            raw = request.META.get("CONTENT_LENGTH") or "0"
            try:
                length = int(raw)
            except ValueError:
                return json_error(400, "Invalid Content-Length header.", "bad_request")
            if length > settings.API_MAX_BODY_BYTES:
                return json_error(413, f"Request body is larger than {settings.API_MAX_BODY_BYTES} bytes.")
        return self.get_response(request)


class ApiExceptionMiddleware:
    """Innermost: an exception escaping a non-DRF view under /api/ becomes a JSON 500 (logged with traceback)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not _is_api(request):
            return None
        from django.core.exceptions import RequestDataTooBig
        from django.http import Http404

        if isinstance(exception, RequestDataTooBig):
            return json_error(413)
        if isinstance(exception, Http404):
            return json_error(404)
        from common.exceptions import DATABASE_UNAVAILABLE

        if isinstance(exception, DATABASE_UNAVAILABLE):
            logger.warning("Database unavailable on %s %s: %s", request.method, request.path, exception)
            response = json_error(
                503, "The database is temporarily unavailable; try again shortly.", "database_unavailable"
            )
            response["Retry-After"] = "2"
            return response
        logger.error("Unhandled error on %s %s", request.method, request.path, exc_info=exception)
        return json_error(500)
