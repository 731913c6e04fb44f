import json
import socket
import time

import httpx
import pytest
from werkzeug import Response

from config.celery import app as celery_app
from resources import services, tasks
from resources.models import Origin, Resource, ScrapeJob
from resources.models import ScrapeStatus as JobStatus
from resources.scraping import guard
from resources.scraping.fetch import (
    BodyTooLarge,
    Fetcher,
    FetchError,
    HTTPStatusError,
    RobotsDisallowed,
    TooManyRedirects,
)
from tests.resources import site_fixtures as docs
from tests.resources.conftest import site_url
from tests.resources.factories import ResourceFactory, ScrapeSourceFactory
from tests.users.test_auth_views import assert_error_shape

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_connections(monkeypatch):
    """Fail the test if anything opens a TCP connection; record the attempts."""
    attempts = []

    def refuse(self, address, *args, **kwargs):
        attempts.append(address)
        raise AssertionError(f"connection attempted to {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


@pytest.fixture
def fake_dns(monkeypatch):
    """Names under .test resolve to the addresses given here; everything else resolves normally."""
    table: dict[str, list[str]] = {}
    calls: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if isinstance(host, str) and host in table:
            calls.append(host)
            out = []
            for address in table[host]:
                family = socket.AF_INET6 if ":" in address else socket.AF_INET
                sockaddr = (address, port, 0, 0) if family == socket.AF_INET6 else (address, port)
                out.append((family, socket.SOCK_STREAM, 6, "", sockaddr))
            return out
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table, calls


def serve_robots(server, text: str = docs.ROBOTS, status: int = 200) -> None:
    server.expect_request("/robots.txt").respond_with_data(text, status=status, content_type="text/plain")


# --- SSRF guard -------------------------------------------------------------------------------------------------------

UNSAFE = [
    "http://127.0.0.1/", "http://2130706433/", "http://0x7f.1/", "http://0x7f000001/", "http://0177.0.0.1/",
    "http://127.1/", "http://017700000001/", "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/",
    "http://[0:0:0:0:0:ffff:a00:1]/", "http://[64:ff9b::7f00:1]/", "http://[2002:7f00:1::]/", "http://[::127.0.0.1]/",
    "http://10.0.0.1/", "http://172.16.5.4/", "http://192.168.1.1/", "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/", "http://100.127.255.254/", "http://0.0.0.0/", "http://0/", "http://localhost/",
    "http://LOCALHOST./", "http://[fe80::1]/", "http://[fc00::1]/", "http://224.0.0.1/", "http://255.255.255.255/",
    "http://198.18.0.1/", "http://192.0.2.1/", "ftp://example.com/file", "file:///etc/passwd", "gopher://example.com/",
    "javascript:alert(1)", "http://user:pass@example.com/", "http://user@example.com/", "http://:pass@example.com/",
    "http:///no-host", "http://exa mple.com/", "http://example.com/\x00", "//example.com/", "example.com",
    "http://private.test/", "http://mixed.test/", "http://mapped.test/", "http://cgnat.test/",
]  # fmt: skip


@pytest.mark.parametrize("url", UNSAFE)
def test_every_ssrf_case_is_refused_before_any_connection(url, site, fake_dns, no_connections):
    table, _ = fake_dns
    table.update({"private.test": ["10.1.2.3"], "mixed.test": ["93.184.216.34", "192.168.0.10"],
                  "mapped.test": ["::ffff:10.0.0.1"], "cgnat.test": ["100.64.12.1"]})  # fmt: skip
    with Fetcher() as fetcher, pytest.raises(guard.UnsafeURL):
        fetcher.get(url)
    assert no_connections == []


def test_loopback_is_refused_on_any_port_but_the_allowed_test_server(site, no_connections):
    other_port = site.port + 1 if site.port < 65535 else site.port - 1
    for url in (f"http://127.0.0.1:{other_port}/", f"http://127.0.0.2:{site.port}/", f"http://[::1]:{site.port}/",
                f"http://2130706433:{other_port}/"):  # fmt: skip
        with pytest.raises(guard.UnsafeURL):
            guard.validate(url)
    assert guard.validate(site_url(site, "/x")).ip == "127.0.0.1"
    assert no_connections == []


@pytest.mark.parametrize("url", ["http://93.184.216.34/", "https://[2606:4700:4700::1111]/feed"])
def test_public_literal_addresses_pass_the_guard(url):
    assert guard.validate(url).ip in url


def test_pinning_connects_to_the_validated_address_and_keeps_the_host_name(site, fake_dns):
    table, calls = fake_dns
    table["learn.test"] = ["127.0.0.1"]
    serve_robots(site)
    site.expect_request("/page").respond_with_data("ok")
    with Fetcher() as fetcher:
        response = fetcher.get(f"http://learn.test:{site.port}/page")
    assert response.body == b"ok"
    hosts = [request.headers["Host"] for request, _ in site.log]
    assert hosts == [f"learn.test:{site.port}"] * 2  # robots.txt, then the page
    assert calls == ["learn.test", "learn.test"]  # resolved once per request by the guard, never by the client


def test_dns_rebinding_to_a_private_address_is_refused(site, fake_dns, no_connections):
    table, _ = fake_dns
    table["rebind.test"] = ["10.0.0.7"]
    with Fetcher() as fetcher, pytest.raises(guard.UnsafeURL, match=r"10\.0\.0\.7"):
        fetcher.get(f"http://rebind.test:{site.port}/")
    assert no_connections == []


# --- Fetcher rules ----------------------------------------------------------------------------------------------------


def test_robots_txt_disallow_is_respected_and_the_user_agent_sent(site, settings):
    serve_robots(site)
    site.expect_request("/public").respond_with_data("hello")
    with Fetcher() as fetcher:
        assert fetcher.get(site_url(site, "/public")).body == b"hello"
        with pytest.raises(RobotsDisallowed):
            fetcher.get(site_url(site, "/private/secret"))
    paths = [request.path for request, _ in site.log]
    assert paths == ["/robots.txt", "/public"]  # robots.txt read once, the disallowed page never requested
    assert all(request.headers["User-Agent"] == settings.SCRAPER_USER_AGENT for request, _ in site.log)


@pytest.mark.parametrize(("status", "allowed"), [(404, True), (410, True), (403, False), (500, False), (503, False)])
def test_robots_txt_status_codes(site, status, allowed):
    serve_robots(site, "", status=status)
    site.expect_request("/page").respond_with_data("x")
    with Fetcher() as fetcher:
        if allowed:
            assert fetcher.get(site_url(site, "/page")).body == b"x"
        else:
            with pytest.raises(RobotsDisallowed):
                fetcher.get(site_url(site, "/page"))


def test_redirects_are_followed_and_revalidated_hop_by_hop(site):
    serve_robots(site, "")
    for hop in range(5):
        site.expect_request(f"/r{hop}").respond_with_data("", status=302, headers={"Location": f"/r{hop + 1}"})
    site.expect_request("/r5").respond_with_data("arrived")
    with Fetcher() as fetcher:
        response = fetcher.get(site_url(site, "/r0"))
    assert (response.body, response.url) == (b"arrived", site_url(site, "/r5"))


def test_more_than_five_redirects_fail(site):
    serve_robots(site, "")
    for hop in range(6):
        site.expect_request(f"/r{hop}").respond_with_data("", status=301, headers={"Location": f"/r{hop + 1}"})
    site.expect_request("/r6").respond_with_data("too far")
    with Fetcher() as fetcher, pytest.raises(TooManyRedirects):
        fetcher.get(site_url(site, "/r0"))
    assert "/r6" not in [request.path for request, _ in site.log]


@pytest.mark.parametrize(
    "location",
    ["http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:1/", "file:///etc/passwd", "http://0x7f.1/",
     "http://user:pw@example.com/"],
)  # fmt: skip
def test_a_redirect_to_an_unsafe_url_is_refused(site, location):
    serve_robots(site, "")
    site.expect_request("/go").respond_with_data("", status=307, headers={"Location": location})
    with Fetcher() as fetcher, pytest.raises(guard.UnsafeURL):
        fetcher.get(site_url(site, "/go"))


def test_http_errors_are_reported(site):
    serve_robots(site, "")
    site.expect_request("/gone").respond_with_data("nope", status=404)
    with Fetcher() as fetcher, pytest.raises(HTTPStatusError, match="404"):
        fetcher.get(site_url(site, "/gone"))


def test_bodies_over_the_cap_are_refused_with_or_without_content_length(site, settings):
    serve_robots(site, "")
    cap = settings.SCRAPER_MAX_BODY_BYTES
    assert cap == 5 * 1024 * 1024
    site.expect_request("/declared").respond_with_data(b"x" * (cap + 1))

    def chunks():
        for _ in range(cap // 65536 + 2):
            yield b"y" * 65536

    site.expect_request("/chunked").respond_with_response(Response(chunks(), mimetype="text/html"))
    site.expect_request("/exact").respond_with_data(b"z" * cap)
    with Fetcher() as fetcher:
        with pytest.raises(BodyTooLarge):
            fetcher.get(site_url(site, "/declared"))
        with pytest.raises(BodyTooLarge):
            fetcher.get(site_url(site, "/chunked"))
        assert len(fetcher.get(site_url(site, "/exact")).body) == cap


def test_slow_servers_hit_the_read_timeout_and_the_total_deadline(site, settings):
    settings.SCRAPER_READ_TIMEOUT = 0.3
    settings.SCRAPER_TOTAL_TIMEOUT = 1.0
    serve_robots(site, "")

    def silent(request):
        time.sleep(0.8)
        return Response("late")

    def drip():
        for _ in range(20):
            time.sleep(0.2)
            yield b"."

    site.expect_request("/silent").respond_with_handler(silent)
    site.expect_request("/drip").respond_with_response(Response(drip()))
    with Fetcher() as fetcher:
        with pytest.raises(httpx.ReadTimeout):
            fetcher.get(site_url(site, "/silent"))
        time.sleep(0.7)  # the test server handles one request at a time: let it finish the silent one
        started = time.monotonic()
        with pytest.raises(FetchError, match="longer than"):
            fetcher.get(site_url(site, "/drip"))
        assert time.monotonic() - started < 2.5


def test_requests_to_one_host_are_spaced_by_the_per_host_delay(site, settings):
    settings.SCRAPER_HOST_DELAY_SECONDS = 0.3
    serve_robots(site, "")
    site.expect_request("/a").respond_with_data("a")
    started = time.monotonic()
    with Fetcher() as fetcher:
        for _ in range(3):
            fetcher.get(site_url(site, "/a"))
    assert time.monotonic() - started >= 0.9  # robots.txt + 3 pages = 3 waits of 0.3 s


# --- Jobs end to end --------------------------------------------------------------------------------------------------


def serve_site(server, *, course_description: str | None = None) -> None:
    base = site_url(server, "")
    serve_robots(server)
    server.expect_request("/podcast.rss").respond_with_data(docs.RSS_PODCAST, content_type="application/rss+xml")
    server.expect_request("/videos.atom").respond_with_data(docs.ATOM_VIDEOS, content_type="application/atom+xml")
    server.expect_request("/sitemap.xml").respond_with_data(docs.sitemap_index(base), content_type="application/xml")
    server.expect_request("/sitemap-pages.xml").respond_with_data(docs.sitemap_pages(base),
                                                                  content_type="application/xml")  # fmt: skip
    course = docs.course_page(base)
    if course_description:
        course = course.replace("Relational modelling, SQL and transactions", course_description)
    html = "text/html; charset=utf-8"
    server.expect_request("/courses/databases").respond_with_data(course, content_type=html)
    server.expect_request("/videos/git").respond_with_data(docs.VIDEO_PAGE, content_type=html)
    server.expect_request("/books/recursion").respond_with_data(docs.BOOK_PAGE, content_type=html)
    server.expect_request("/labs/regex").respond_with_data(docs.LEARNING_RESOURCE_PAGE, content_type=html)
    server.expect_request("/notes/http-caching").respond_with_data(docs.OG_PAGE, content_type=html)
    server.expect_request("/standalone").respond_with_data(docs.OG_PAGE.replace("HTTP Caching", "HTTP/2"),
                                                           content_type=html)  # fmt: skip
    server.expect_request("/plain").respond_with_data(docs.PLAIN_PAGE, content_type=html)
    server.expect_request("/missing").respond_with_data("not found", status=404)


def site_sources(server) -> list[dict[str, str]]:
    return [
        {"url": site_url(server, "/podcast.rss"), "kind": "rss"},
        {"url": site_url(server, "/videos.atom"), "kind": "rss"},
        {"url": site_url(server, "/sitemap.xml"), "kind": "sitemap"},
        {"url": site_url(server, "/standalone"), "kind": "page"},
    ]


def run_job(sources) -> ScrapeJob:
    job = ScrapeJob.objects.create(sources=sources)
    tasks.scrape_job_run.apply(args=json.loads(json.dumps([job.pk])))  # through Celery, JSON-round-tripped
    job.refresh_from_db()
    return job


def counts(job: ScrapeJob) -> tuple[int, int, int, int, int]:
    return job.found_count, job.created_count, job.updated_count, job.skipped_count, job.failed_count


def test_scrape_job_reads_feeds_sitemaps_and_pages_and_is_idempotent(site):
    serve_site(site)
    first = run_job(site_sources(site))
    assert first.status == JobStatus.SUCCEEDED and first.started_at and first.finished_at
    assert counts(first) == (12, 9, 0, 2, 1), first.errors
    errors = {e["url"].rsplit("/", 1)[-1]: e["error"] for e in first.errors}
    assert "404" in errors["missing"] and "robots.txt" in errors["secret"] and "metadata" in errors["plain"]
    assert "/private/secret" not in [request.path for request, _ in site.log]

    by_title = {r.title: r for r in Resource.objects.filter(origin=Origin.SCRAPED)}
    episode = by_title["Episode 12: Python & Type Hints"]
    assert (episode.media_type, episode.duration_minutes, episode.difficulty, episode.learning_style) == (
        "podcast", 63, "beginner", "auditory")  # fmt: skip
    assert episode.description == "We talk about typing in Python."  # markup and script removed
    assert episode.canonical_url == "https://codetalk.example/episodes/12"  # tracking parameters dropped
    assert episode.tags == ["python", "beginner"] and episode.source == "Code Talk Weekly"
    assert by_title["Episode 13: Testing with pytest"].duration_minutes == 45
    video = by_title["Dynamic Programming, Visually"]
    assert (video.media_type, video.difficulty, video.url) == ("video", "advanced", "https://algos.example/watch/dp")
    course = by_title["Intro to Databases"]
    assert (course.media_type, course.difficulty, course.duration_minutes, course.source) == (
        "course", "beginner", 720, "Example University")  # fmt: skip
    assert course.tags == ["sql", "databases", "transactions"] and course.prerequisites == ["basic-programming"]
    assert course.description == "Relational modelling, SQL and transactions & indexes."
    assert course.canonical_url == site_url(site, "/courses/databases")
    assert (by_title["Git in 15 Minutes"].media_type, by_title["Git in 15 Minutes"].duration_minutes) == ("video", 15)
    book = by_title["Thinking in Recursion"]
    assert (book.media_type, book.difficulty, book.duration_minutes, book.source) == ("book", "advanced", 1560,
                                                                                      "A. Author")  # fmt: skip
    assert (by_title["Regex Playground"].media_type, by_title["Regex Playground"].learning_style) == (
        "interactive", "kinesthetic")  # fmt: skip
    og = by_title["Understanding HTTP Caching"]
    assert (og.media_type, og.source, og.tags) == ("article", "Web Notes", ["http", "caching"])
    assert all(r.scraped_at for r in by_title.values())
    snapshot = sorted(Resource.objects.values_list("canonical_url", "title", "description", "updated_at"))

    second = run_job(site_sources(site))
    assert counts(second) == (12, 0, 0, 11, 1)
    assert sorted(Resource.objects.values_list("canonical_url", "title", "description", "updated_at")) == snapshot

    site.clear()
    serve_site(site, course_description="Normal forms and query plans")
    third = run_job(site_sources(site))
    assert counts(third) == (12, 0, 1, 10, 1)
    assert Resource.objects.get(title="Intro to Databases").description.startswith("Normal forms and query plans")
    # The vocabulary learnt the new words: typo correction can reach them.
    from resources.search import correct_query

    assert correct_query("recursoin") == "recursion"


def test_scraping_never_overwrites_the_curated_catalogue(site):
    serve_site(site)
    curated = ResourceFactory(url=site_url(site, "/courses/databases"), title="Our own title", origin=Origin.CURATED,
                              description="Written by the team.")  # fmt: skip
    job = run_job([{"url": site_url(site, "/courses/databases"), "kind": "page"}])
    assert counts(job) == (1, 0, 0, 1, 0)
    curated.refresh_from_db()
    assert (curated.title, curated.description) == ("Our own title", "Written by the team.")


def test_sources_that_are_not_what_they_claim_fail_cleanly(site):
    serve_robots(site, "")
    site.expect_request("/not-a-feed").respond_with_data("<html><body>hi</body></html>", content_type="text/html")
    site.expect_request("/bomb.xml").respond_with_data(
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><urlset>&lol2;</urlset>'
    )
    job = run_job([{"url": site_url(site, "/not-a-feed"), "kind": "rss"},
                   {"url": site_url(site, "/bomb.xml"), "kind": "sitemap"},
                   {"url": "http://10.0.0.1/feed", "kind": "rss"}])  # fmt: skip
    assert job.status == JobStatus.SUCCEEDED
    assert counts(job) == (0, 0, 0, 0, 3)
    assert [e["error"].split(" ")[0] for e in job.errors][2] == "'10.0.0.1'"


def test_the_task_returns_quietly_for_a_missing_or_claimed_job(site):
    tasks.scrape_job_run.apply(args=[987654])
    job = ScrapeJob.objects.create(sources=[], status=JobStatus.RUNNING)
    tasks.scrape_job_run.apply(args=[job.pk])
    job.refresh_from_db()
    assert (job.status, job.finished_at) == (JobStatus.RUNNING, None)


def test_an_unexpected_error_marks_the_job_failed_and_is_raised(site, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("parser exploded")

    monkeypatch.setattr(services, "_scrape_source", boom)
    job = ScrapeJob.objects.create(sources=[{"url": site_url(site, "/x"), "kind": "page"}])
    with pytest.raises(RuntimeError):
        services.scrape_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.error) == (JobStatus.FAILED, "RuntimeError: parser exploded") and job.finished_at


# --- The scrape endpoints ---------------------------------------------------------------------------------------------


@pytest.fixture
def eager_celery(monkeypatch):
    """Run enqueued tasks in-process even when a broker is configured (the PostgreSQL + Redis test run)."""
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)


def test_staff_start_a_scrape_job_and_read_its_status(staff_client, site, eager_celery,
                                                      django_capture_on_commit_callbacks):  # fmt: skip
    serve_site(site)
    with django_capture_on_commit_callbacks(execute=True):
        resp = staff_client.post("/api/resources/scrape", {"sources": site_sources(site)}, format="json")
    assert resp.status_code == 202, resp.content
    job_id = resp.json()["id"]
    body = staff_client.get(f"/api/resources/scrape/{job_id}/").json()
    assert body["status"] == "succeeded"
    assert [body[k] for k in ("found", "created", "updated", "skipped", "failed")] == [12, 9, 0, 2, 1]
    assert body["sources"] == site_sources(site)
    listed = staff_client.get("/api/resources/scrape/")
    assert [job["id"] for job in listed.json()] == [job_id] and listed["X-Total-Count"] == "1"


def test_scrape_without_sources_uses_the_active_scrape_sources(staff_client, staff, site, eager_celery,
                                                               django_capture_on_commit_callbacks):  # fmt: skip
    serve_site(site)
    ScrapeSourceFactory(url=site_url(site, "/standalone"), kind="page")
    ScrapeSourceFactory(url=site_url(site, "/videos.atom"), kind="rss", is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        resp = staff_client.post("/api/resources/scrape/", {}, format="json")
    assert resp.status_code == 202
    job = ScrapeJob.objects.get(pk=resp.json()["id"])
    assert job.sources == [{"url": site_url(site, "/standalone"), "kind": "page"}]
    assert (job.status, job.created_count, job.requested_by_id) == (JobStatus.SUCCEEDED, 1, staff.pk)


def test_the_job_is_queued_on_its_own_queue_after_commit(staff_client, monkeypatch,
                                                        django_capture_on_commit_callbacks):  # fmt: skip
    sent = []
    monkeypatch.setattr(
        tasks.scrape_job_run, "apply_async", lambda args=None, kwargs=None, **kw: sent.append((args, kwargs))
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        resp = staff_client.post("/api/resources/scrape/", {"sources": []}, format="json")
    assert resp.status_code == 400  # an empty list is refused
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        resp = staff_client.post("/api/resources/scrape/", {}, format="json")
    assert resp.status_code == 202 and resp.json()["status"] == "queued"
    assert sent == []  # nothing is sent before the transaction commits
    for callback in callbacks:
        callback()
    assert sent == [((resp.json()["id"],), {})]
    assert (
        celery_app.amqp.router.route({}, tasks.scrape_job_run.name)["queue"].name == "scrape"
    )  # by CELERY_TASK_ROUTES


@pytest.mark.parametrize(
    ("method", "path"), [("post", "/api/resources/scrape/"), ("get", "/api/resources/scrape/"),
                         ("get", "/api/resources/scrape/1/")],
)  # fmt: skip
def test_scrape_endpoints_are_staff_only(api_client, auth_client, method, path):
    resp = getattr(api_client, method)(path, {}, format="json")
    assert resp.status_code == 401
    resp = getattr(auth_client, method)(path, {}, format="json")
    assert resp.status_code == 403
    assert_error_shape(resp.json(), "permission_denied")
    assert not ScrapeJob.objects.exists()


@pytest.mark.parametrize(
    "source",
    [{"url": "http://2130706433/feed", "kind": "rss"}, {"url": "http://0x7f.1/", "kind": "rss"},
     {"url": "http://[::ffff:10.0.0.1]/", "kind": "page"}, {"url": "file:///etc/passwd", "kind": "page"},
     {"url": "http://user:pw@example.com/feed", "kind": "rss"}, {"url": "https://example.com/feed", "kind": "atom"},
     {"url": "https://example.com/\x00", "kind": "rss"}, {"url": "https://example.com/" + "a" * 2000, "kind": "rss"},
     {"url": 42, "kind": "rss"}, {"kind": "rss"}, "https://example.com/feed"],
)  # fmt: skip
def test_unsafe_or_malformed_sources_are_400(staff_client, source):
    resp = staff_client.post("/api/resources/scrape/", {"sources": [source]}, format="json")
    assert resp.status_code == 400, resp.content
    assert resp.json()["errors"][0]["attr"].startswith("sources")
    assert not ScrapeJob.objects.exists()


def test_unknown_scrape_job_is_404(staff_client):
    assert staff_client.get("/api/resources/scrape/424242/").status_code == 404
    assert staff_client.get(f"/api/resources/scrape/{10**30}/").status_code == 404


def test_raw_non_ascii_in_urls_is_percent_encoded(site):
    serve_robots(site, "")
    site.expect_request("/café", query_string="q=%C3%BC").respond_with_data("ok")
    with Fetcher() as fetcher:
        assert fetcher.get(site_url(site, "/café?q=ü")).body == b"ok"
        with pytest.raises(guard.UnsafeURL, match="whitespace"):
            fetcher.get(site_url(site, "/a page"))


def test_stuck_scrape_jobs_are_reaped_through_celery_and_fail_their_task(django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    from common import jobs
    from common.models import Job

    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=False):  # create the jobs without running them
        killed = services.scrape_job_create(
            requested_by=None, sources=[{"url": "https://example.org/feed", "kind": "rss"}]
        )
        lost = services.scrape_job_create(
            requested_by=None, sources=[{"url": "https://example.org/feed", "kind": "rss"}]
        )
        fresh = services.scrape_job_create(
            requested_by=None, sources=[{"url": "https://example.org/feed", "kind": "rss"}]
        )
    ScrapeJob.objects.filter(pk=killed.pk).update(status=JobStatus.RUNNING, started_at=now - timedelta(hours=2))
    jobs.job_start(kind=services.SCRAPE_JOB_KIND, ref=str(killed.pk))
    ScrapeJob.objects.filter(pk=lost.pk).update(created_at=now - timedelta(days=2))
    assert tasks.reap_scrape_jobs.apply().get() == 2
    assert ScrapeJob.objects.get(pk=killed.pk).status == JobStatus.FAILED
    assert "stopped before it finished" in ScrapeJob.objects.get(pk=killed.pk).error
    assert ScrapeJob.objects.get(pk=lost.pk).status == JobStatus.FAILED
    assert ScrapeJob.objects.get(pk=fresh.pk).status == JobStatus.QUEUED
    assert Job.objects.get(kind="resource_scrape", ref=str(killed.pk)).status == "failed"
    assert services.scrape_jobs_reap() == 0  # idempotent
