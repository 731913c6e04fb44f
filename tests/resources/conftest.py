import pytest

from resources import services


@pytest.fixture
def vocabulary(db):
    """Rebuild the search vocabulary (typo correction) from the resources created so far."""
    return services.search_terms_rebuild


@pytest.fixture
def site(httpserver_ipv4, settings):
    """A local web site for the scraper: one loopback test server, the only address the SSRF guard lets through."""
    settings.SCRAPER_ALLOWED_ADDRESSES = [f"127.0.0.1:{httpserver_ipv4.port}"]
    settings.SCRAPER_HOST_DELAY_SECONDS = 0
    settings.SCRAPER_CONNECT_TIMEOUT = 2
    settings.SCRAPER_READ_TIMEOUT = 2
    settings.SCRAPER_TOTAL_TIMEOUT = 5
    httpserver_ipv4.clear()
    yield httpserver_ipv4
    httpserver_ipv4.clear()


def site_url(server, path: str) -> str:
    return f"http://127.0.0.1:{server.port}{path}"
