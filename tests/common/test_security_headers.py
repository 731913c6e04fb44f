"""The Content-Security-Policy and the pages it must not break (Swagger UI, ReDoc, the admin login).

No browser runs here, so the test does what a browser's CSP check does for these pages: every script, stylesheet
and image they reference must be allowed by the header's directives, no inline script may exist (the policy allows
none), inline styles only where 'unsafe-inline' allows them, and every same-origin asset must really be served."""

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

pytestmark = pytest.mark.django_db


def parse_csp(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


class Resources(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.inline_scripts: list[str] = []
        self.stylesheets: list[str] = []
        self.images: list[str] = []
        self.inline_styles = 0
        self.event_handlers: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.event_handlers += [name for name in attrs if name.startswith("on")]
        if "style" in attrs:
            self.inline_styles += 1
        if tag == "script":
            if attrs.get("src"):
                self.scripts.append(attrs["src"])
            else:
                self._in_script = True
                self.inline_scripts.append("")
        elif tag == "link" and attrs.get("rel") in ("stylesheet", "icon"):
            self.stylesheets.append(attrs["href"])
        elif tag == "style":
            self.inline_styles += 1
        elif tag == "img" and attrs.get("src"):
            self.images.append(attrs["src"])

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.inline_scripts[-1] += data.strip()


def allowed(url: str, page: str, sources: list[str]) -> bool:
    absolute = urlsplit(urljoin(f"http://testserver{page}", url))
    if absolute.scheme == "data":
        return "data:" in sources
    return absolute.netloc == "testserver" and "'self'" in sources


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/", "/admin/login/"])
def test_pages_render_under_the_csp(client, page):
    resp = client.get(page)
    assert resp.status_code == 200
    csp = parse_csp(resp["Content-Security-Policy"])
    html = Resources()
    html.feed(resp.content.decode())

    assert html.scripts, "the page loads its scripts"
    assert [s for s in html.inline_scripts if s] == [], "inline scripts are blocked by script-src 'self'"
    assert html.event_handlers == [], "inline event handlers are blocked too"
    for src in html.scripts:
        assert allowed(src, page, csp["script-src"]), src
        asset = client.get(urljoin(page, src))
        assert asset.status_code == 200, src
        body = b"".join(asset.streaming_content) if asset.streaming else asset.content
        assert body
    for href in html.stylesheets:
        assert allowed(href, page, csp["style-src"] if href.endswith(".css") else csp["img-src"]), href
        assert client.get(urljoin(page, href)).status_code == 200, href
    for src in html.images:
        assert allowed(src, page, csp["img-src"]), src
    if html.inline_styles:
        assert "'unsafe-inline'" in csp["style-src"]


def test_swagger_init_script_is_same_origin_javascript(client):
    resp = client.get("/api/docs/?script=")
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in resp.content
    assert b"/api/schema/" in resp.content


def test_the_policy_itself():
    from django.test import Client

    csp = parse_csp(Client().get("/api/health/live/")["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval'
    assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"] and csp["base-uri"] == ["'none'"]
    assert "'unsafe-eval'" not in " ".join(source for sources in csp.values() for source in sources)


def test_security_headers_on_api_responses(client):
    resp = client.get("/api/health/live/")
    assert resp["X-Content-Type-Options"] == "nosniff"
    assert resp["Referrer-Policy"] == "same-origin"
    assert resp["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "Content-Security-Policy" in resp
    assert "Server" not in resp


def test_redoc_page_pulls_nothing_from_other_origins(client):
    body = client.get("/api/redoc/").content.decode()
    assert "googleapis" not in body and "cdn.jsdelivr" not in body and "https://" not in body


def test_the_cached_policy_is_django_csps_and_follows_setting_changes(api_client, settings):
    from csp.utils import build_policy

    expected = build_policy()
    assert api_client.get("/api/health/live/")["Content-Security-Policy"] == expected
    assert api_client.get("/api/health/live/")["Content-Security-Policy"] == expected
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    assert api_client.get("/api/health/live/")["Content-Security-Policy"] == "default-src 'none'"
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"img-src": ["'self'"]}}
    resp = api_client.get("/api/health/live/")
    assert resp["Content-Security-Policy-Report-Only"] == build_policy(report_only=True)
    assert "img-src 'self'" in resp["Content-Security-Policy-Report-Only"]
