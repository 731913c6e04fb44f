"""JSON answers for URLs no view claims and for Django-level errors under /api/."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.defaults import page_not_found, server_error

from common.middleware import json_error


@csrf_exempt  # an unknown URL is a 404 whatever the method; without this a POST to one answered 403 (CSRF)
def api_not_found(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return json_error(404, "Not found.", "not_found")


def handler404(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        return json_error(404)
    return page_not_found(request, exception)


def handler500(request: HttpRequest) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        return json_error(500)
    return server_error(request)
