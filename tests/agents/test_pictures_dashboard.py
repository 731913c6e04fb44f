"""The staff dashboard (/admin/dashboard/): staff only, every chart drawn from the seeded rows, text escaped."""

import pytest
from django.test import Client
from django.utils import timezone

from agents import dashboard
from tests.agents.dashboard_seed import seed_dashboard
from tests.factories import StaffFactory, UserFactory
from tests.pictures_helpers import parse_svg, texts

pytestmark = pytest.mark.django_db
URL = "/admin/dashboard/"
PANELS = ["learners", "runs", "agents", "recommender", "search", "scrapes"]


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _marks(svg_text: str) -> list:
    root = parse_svg(svg_text)
    return [e for e in root.iter() if e.get("class") in ("bar", "point")]


def test_learners_and_anonymous_are_sent_to_the_login():
    seed = seed_dashboard()
    for client in (Client(), _client(seed["learners"][0])):
        response = client.get(URL)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
        assert b"<svg" not in response.content


def test_staff_see_every_chart_with_the_seeded_figures():
    seed_dashboard()
    response = _client(StaffFactory()).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert" not in html  # the hostile search query is escaped in the page too
    panels = {p.key: p for p in dashboard.dashboard()}
    assert list(panels) == PANELS
    for key in PANELS:
        assert f'data-panel="{key}"' in html
        assert _marks(panels[key].svg), key  # every chart has data
    assert "learners on the busiest day" in " ".join(panels["learners"].facts)
    assert panels["learners"].facts[0] == "6 learners on the busiest day"
    runs = panels["runs"].facts
    assert runs[0] == "61 runs"  # 60 in the last 24 h (1+2+3+4 per 4 hours) and the queued one
    assert runs[1].startswith("p50 ") and " · p95 " in runs[1]
    assert "success" in runs[2] and "runtime error" in runs[2] and "queued 1" in runs[2]
    assert panels["agents"].facts[0] == "64 jobs in 6 agents"
    assert panels["recommender"].facts[0].startswith("live: v") and "(als)" in panels["recommender"].facts[0]
    assert panels["recommender"].facts[1] == "retrain running: stage 2/5 — evaluate against popularity"
    rec = texts(parse_svg(panels["recommender"].svg))
    assert any(t.startswith("LIVE · promoted · 0.360 vs 0.220") for t in rec)
    search = texts(parse_svg(panels["search"].svg))
    assert "quantum basket weaving" in search and "rust lifetimes" in search and "python" not in search
    assert any("<script>alert('x')</script>" in t for t in search)  # shown as text, escaped in the markup
    scrape = texts(parse_svg(panels["scrapes"].svg))
    assert any("running · source 3 of 12 · +17 new · now https://example.com/feed3.xml" in t for t in scrape)


def test_empty_platform_still_renders():
    response = _client(StaffFactory()).get(URL)
    assert response.status_code == 200
    for panel in dashboard.dashboard():
        parse_svg(panel.svg)


def test_deterministic_for_a_fixed_moment():
    seed_dashboard()
    now = timezone.now()
    assert [p.svg for p in dashboard.dashboard(now=now)] == [p.svg for p in dashboard.dashboard(now=now)]


def test_the_admin_index_links_to_it():
    assert b'href="/admin/dashboard/"' in _client(StaffFactory()).get("/admin/").content
    assert _client(UserFactory()).get("/admin/").status_code == 302  # learners never reach the index either
