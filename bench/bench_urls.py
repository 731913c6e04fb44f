"""The real URLs plus `/bench/bare/?of=<path>`: a bare Django view returning, from memory, the JSON body the real
endpoint `<path>` returned once, so the difference is our stack (auth, DRF, queries, serialization)."""

from django.http import HttpResponse
from django.test import Client
from django.urls import path

from config.urls import urlpatterns as real_patterns

_BODIES: dict[str, bytes] = {}


def bare(request):
    target = request.GET["of"]
    if target not in _BODIES:
        auth = request.headers.get("Authorization")
        client = Client(HTTP_AUTHORIZATION=auth) if auth else Client()
        _BODIES[target] = client.get(target, HTTP_HOST="127.0.0.1").content
    return HttpResponse(_BODIES[target], content_type="application/json")


urlpatterns = [path("bench/bare/", bare), *real_patterns]
