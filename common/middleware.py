"""HTTP plumbing for /api/: slash-insensitive routing, the body-size cap, and JSON for every error response."""

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from common.exceptions import simple_error_body

logger = logging.getLogger(__name__)

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
            response = json_error(503, "The database is temporarily unavailable; try again shortly.",
                                  "database_unavailable")  # fmt: skip
            response["Retry-After"] = "2"
            return response
        logger.error("Unhandled error on %s %s", request.method, request.path, exc_info=exception)
        return json_error(500)
