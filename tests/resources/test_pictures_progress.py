"""Scrape jobs report their progress while they run: sources_done / sources_total and the source being read, in the
API and the admin (the staff dashboard draws the same fields)."""

import json

import pytest
from django.db import connection
from werkzeug import Response

from resources import services, tasks
from resources.admin import progress_text
from resources.models import ScrapeJob
from resources.models import ScrapeStatus as JobStatus
from tests.resources import site_fixtures as docs
from tests.resources.conftest import site_url


def _serve(server, seen: dict) -> None:
    server.expect_request("/robots.txt").respond_with_data(docs.ROBOTS, content_type="text/plain")
    html = "text/html; charset=utf-8"
    server.expect_request("/one").respond_with_data(docs.OG_PAGE, content_type=html)
    server.expect_request("/three").respond_with_data(docs.VIDEO_PAGE, content_type=html)

    def second(request):  # runs in the server's thread while the job is reading its second source
        job = ScrapeJob.objects.get()
        seen.update(done=job.sources_done, total=job.sources_total, current=job.current_source, status=job.status,
                    text=progress_text(job))  # fmt: skip
        connection.close()
        return Response(docs.BOOK_PAGE, content_type=html)

    server.expect_request("/two").respond_with_handler(second)


@pytest.mark.django_db(transaction=True)
def test_a_running_scrape_reports_source_n_of_m(site):
    seen: dict = {}
    _serve(site, seen)
    sources = [{"url": site_url(site, f"/{name}"), "kind": "page"} for name in ("one", "two", "three")]
    job = ScrapeJob.objects.create(sources=sources, sources_total=3)
    tasks.scrape_job_run.apply(args=json.loads(json.dumps([job.pk])))
    assert seen == {"done": 1, "total": 3, "current": sources[1]["url"], "status": JobStatus.RUNNING,
                    "text": f"▰▰▰▱▱▱▱▱▱▱ 1/3 · {sources[1]['url']}"}  # fmt: skip
    job.refresh_from_db()
    assert (job.status, job.sources_done, job.sources_total, job.current_source) == (JobStatus.SUCCEEDED, 3, 3, "")
    assert progress_text(job) == "▰▰▰▰▰▰▰▰▰▰ 3/3"


@pytest.mark.django_db
def test_the_api_shows_progress_fields(staff_client, staff):
    # The test's transaction never commits, so the on-commit enqueue never runs: the job stays queued.
    sources = [{"url": "https://example.com/feed.xml", "kind": "rss"}, {"url": "https://example.org/", "kind": "page"}]
    job = services.scrape_job_create(requested_by=staff, sources=sources)
    body = staff_client.get(f"/api/resources/scrape/{job.pk}/").json()
    assert (body["sources_done"], body["sources_total"], body["current_source"]) == (0, 2, "")
    ScrapeJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, sources_done=1,
                                               current_source=sources[1]["url"])  # fmt: skip
    body = staff_client.get(f"/api/resources/scrape/{job.pk}/").json()
    assert (body["sources_done"], body["sources_total"], body["current_source"]) == (1, 2, "https://example.org/")
