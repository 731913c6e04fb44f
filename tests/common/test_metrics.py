import pytest
from django.conf import settings
from django.core.cache import cache

pytestmark = pytest.mark.django_db


def test_metrics_are_served_to_loopback_by_default(client):
    client.get("/api/health/live/")
    resp = client.get("/internal/metrics", REMOTE_ADDR="127.0.0.1")
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("text/plain")
    body = resp.content.decode()
    assert "django_http_requests_total_by_view_transport_method_total" in body
    assert 'view="health-live"' in body


@pytest.mark.parametrize("path", ["/internal/metrics", "/internal/metrics/"])
def test_metrics_are_a_404_from_elsewhere(client, settings, path):
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    resp = client.get(path, REMOTE_ADDR="192.0.2.7")
    assert resp.status_code == 404
    assert b"django_http" not in resp.content
    assert client.get(path, REMOTE_ADDR="10.1.2.3").status_code == 200


def test_metrics_token_opens_them_from_anywhere(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = []
    settings.METRICS_TOKEN = "s3cret-scrape-token"
    assert client.get("/internal/metrics", REMOTE_ADDR="192.0.2.7").status_code == 404
    wrong = client.get("/internal/metrics", REMOTE_ADDR="192.0.2.7", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 404
    ok = client.get("/internal/metrics", REMOTE_ADDR="192.0.2.7", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token")
    assert ok.status_code == 200


def test_a_forged_forwarded_for_does_not_open_them(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    resp = client.get("/internal/metrics", REMOTE_ADDR="192.0.2.7", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert resp.status_code == 404


def test_metrics_are_not_in_the_api_schema(client):
    assert "/internal/" not in client.get("/api/schema/").content.decode()


def test_metrics_only_answer_get(client):
    assert client.post("/internal/metrics", REMOTE_ADDR="127.0.0.1").status_code == 405


def test_database_and_cache_metrics_when_postgres_and_redis(client):
    if not settings.IS_POSTGRES or not settings.REDIS_URL:
        pytest.skip("the DB wrapper is PostgreSQL-only and the cache wrapper Redis-only")
    from django.db import connections
    from django_prometheus.db.backends.postgresql.base import DatabaseWrapper as CountedWrapper

    assert isinstance(connections["default"], CountedWrapper)
    cache.set("metrics-probe", 1)
    cache.get("metrics-probe")
    cache.get("metrics-probe-missing")
    client.get("/api/health/ready/")
    body = client.get("/internal/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    assert 'django_db_execute_total{alias="default",vendor="postgresql"}' in body
    assert 'django_cache_get_hits_total{backend="redis"}' in body
    assert 'django_cache_get_misses_total{backend="redis"}' in body
