"""The staff dashboard and a roadmap picture in a real headless Chromium (Debian's `chromium`), against the live
server: loads as staff with no console error (CSP reports included), shows each chart with data from a seeded
database, and is refused to a learner. With PICTURES_DOCS_DIR set it also writes the screenshots under docs/."""

import os
import time
from pathlib import Path

import pytest
from django.test import Client

from roadmaps.models import Roadmap, RoadmapStatus, RoadmapStep, StepResource, StepStatus
from tests.agents.dashboard_seed import seed_dashboard
from tests.browser import Browser, chromium_path
from tests.factories import StaffFactory
from tests.resources.factories import ResourceFactory
from users.tokens import tokens_for_user

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(chromium_path() is None, reason="needs Debian's chromium (.ci/run installs it)"),
]
PANELS = ["learners", "runs", "agents", "recommender", "search", "scrapes"]
CHARTS = """[...document.querySelectorAll('section[data-panel] svg[data-chart]')].map(s => [
    s.closest('section').dataset.panel, s.querySelectorAll('.bar, .point').length,
    Math.round(s.getBoundingClientRect().width)])"""


def _session(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def _docs() -> Path | None:
    target = os.environ.get("PICTURES_DOCS_DIR")
    return Path(target) if target else None


def test_dashboard_in_a_real_browser_staff_sees_every_chart_learner_is_refused(live_server):
    started = time.monotonic()
    seed = seed_dashboard()
    staff = StaffFactory(is_superuser=True)
    url = f"{live_server.url}/admin/dashboard/"
    with Browser() as browser:
        browser.set_cookie(live_server.url, "sessionid", _session(staff))
        page = browser.open(url)
        assert page.url == url
        assert page.errors == []  # no console error, no CSP violation, no failed load
        charts = browser.evaluate(CHARTS)
        assert [c[0] for c in charts] == PANELS
        assert all(marks > 0 and width > 300 for _, marks, width in charts), charts  # drawn, with data
        text = browser.evaluate("document.body.innerText")
        assert "retrain running: stage 2/5" in text and "quantum basket weaving" in text
        assert "<script>alert('x')</script>" in text  # the hostile query shown as text, never run
        assert browser.evaluate("document.querySelectorAll('script:not([src])').length") == 0  # no inline script
        if _docs():
            browser.screenshot(_docs() / "staff-dashboard.png")

        browser.call("Network.clearBrowserCookies")
        browser.set_cookie(live_server.url, "sessionid", _session(seed["learners"][0]))
        refused = browser.open(url)
        assert "/admin/login/" in refused.url
        assert browser.evaluate("document.querySelectorAll('svg[data-chart]').length") == 0
        assert "not authorized" in browser.evaluate("document.body.innerText")
    assert time.monotonic() - started < 30


def test_roadmap_svg_in_a_real_browser(live_server):
    staff = StaffFactory()
    roadmap = Roadmap.objects.create(user=staff, title="Become a Python web developer", concept="python web",
                                     duration_weeks=10, status=RoadmapStatus.ACTIVE)  # fmt: skip
    topics = ["Python syntax", "Control flow", "Functions", "Data structures", "Modules and packages", "Testing",
              "HTTP basics", "HTML and forms", "SQL", "Django models", "Django views", "Templates", "REST APIs",
              "Authentication", "Deployment", "Capstone project"]  # fmt: skip
    steps: list[RoadmapStep] = []
    for i, title in enumerate(topics):
        prerequisites = [steps[i - 1].pk] if i else []
        if i in (6, 9, 12):
            prerequisites.append(steps[i - 4].pk)
        steps.append(RoadmapStep.objects.create(
            roadmap=roadmap, title=title, order_index=i + 1, week=1 + (i * 10) // len(topics), estimated_hours=3,
            prerequisites=prerequisites, is_project=title == "Capstone project",
            status=StepStatus.COMPLETED if i < 5 else (StepStatus.IN_PROGRESS if i == 5 else StepStatus.PENDING),
        ))  # fmt: skip
    StepResource.objects.create(step=steps[0], resource=ResourceFactory(title="The Python Tutorial"))
    with Browser() as browser:
        browser.set_headers({"Authorization": f"Bearer {tokens_for_user(user=staff)['access']}"})
        page = browser.open(f"{live_server.url}/api/roadmaps/{roadmap.pk}/graph.svg")
        # A bare SVG document has no <link rel=icon>: the browser's own /favicon.ico probe 404s, not the picture.
        assert [e for e in page.errors if not e.endswith("/favicon.ico")] == []
        assert browser.evaluate("document.documentElement.tagName") == "svg"
        assert browser.evaluate("document.querySelectorAll('g.node').length") == len(topics)
        assert browser.evaluate("document.querySelectorAll('g.node.done').length") == 5
        if _docs():
            size = browser.evaluate(
                "[document.documentElement.width.baseVal.value, document.documentElement.height.baseVal.value]"
            )
            browser.screenshot(_docs() / "roadmap.png", width=int(size[0]), height=int(size[1]))
