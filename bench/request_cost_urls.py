"""Probe views for bench/request_cost.py: what one database or Redis touch costs a request under the real server."""

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path

from bench.bench_urls import urlpatterns as bench_patterns

BODY = b'{"ok": true}'


def nothing(request: HttpRequest) -> HttpResponse:
    return HttpResponse(BODY, content_type="application/json")


def db(request: HttpRequest) -> HttpResponse:
    """`?n=` trivial queries on the request's pooled connection (the first one takes it from the pool)."""
    with connection.cursor() as cursor:
        for _ in range(int(request.GET.get("n", "1"))):
            cursor.execute("SELECT 1")
            cursor.fetchall()
    return HttpResponse(BODY, content_type="application/json")


def redis(request: HttpRequest) -> HttpResponse:
    cache.get("request-cost-probe")
    return HttpResponse(BODY, content_type="application/json")


urlpatterns = [
    path("probe/nothing/", nothing),
    path("probe/db/", db),
    path("probe/redis/", redis),
    *bench_patterns,
]
