from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from resources import services
from resources.models import Origin, Resource, ScrapeJob, SearchTerm, UserResourceInteraction
from resources.scraping.normalize import canonical_url
from tests.resources.factories import InteractionFactory, ResourceFactory, ScrapeSourceFactory

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {
        "resources": Resource.objects.count(),
        "active": Resource.objects.filter(is_active=True).count(),
        "terms": SearchTerm.objects.count(),
    }


def test_seed_loads_the_catalogue_and_a_second_run_changes_nothing():
    entries = services.load_catalogue()
    first = services.seed_resources(lambda n: None)
    assert first == {"created": len(entries), "updated": 0, "unchanged": 0, "skipped": 0, "deactivated": 0}
    after_first = _counts()
    stamps = dict(Resource.objects.values_list("canonical_url", "updated_at"))
    out = StringIO()
    call_command("seed", "--only", "resources", "--no-progress", stdout=out)
    assert f"resources: created 0, updated 0, unchanged {len(entries)}, skipped 0, deactivated 0" in out.getvalue()
    assert _counts() == after_first == {"resources": len(entries), "active": len(entries),
                                        "terms": after_first["terms"]}  # fmt: skip
    assert dict(Resource.objects.values_list("canonical_url", "updated_at")) == stamps


def test_seed_keeps_staff_edits_restores_its_own_values_and_deactivates_removed_ones():
    services.seed_resources(lambda n: None)
    tutorial = Resource.objects.get(canonical_url="https://docs.python.org/3/tutorial")
    # Staff retitle one entry in the admin: the next seed keeps their title and says so.
    Resource.objects.filter(pk=tutorial.pk).update(title="The Official Python Tutorial (start here)")
    gone = ResourceFactory(origin=Origin.CURATED, url="https://retired.example.com/course")
    InteractionFactory(resource=gone, interaction_type="like")
    counts = services.seed_resources(lambda n: None)
    assert (counts["skipped"], counts["updated"], counts["deactivated"], counts["created"]) == (1, 0, 1, 0)
    assert Resource.objects.get(pk=tutorial.pk).title == "The Official Python Tutorial (start here)"
    gone.refresh_from_db()
    assert not gone.is_active and UserResourceInteraction.objects.filter(resource=gone).exists()


def test_seed_takes_over_a_scraped_copy_of_a_catalogue_url():
    scraped = ResourceFactory(url="https://docs.python.org/3/tutorial/#intro", origin=Origin.SCRAPED, title="scraped")
    services.seed_resources(lambda n: None)
    scraped.refresh_from_db()
    assert (scraped.origin, scraped.title) == (Origin.CURATED, "The Python Tutorial")


def test_the_catalogue_is_real_varied_and_valid():
    entries = services.load_catalogue()
    assert len(entries) >= 250
    canonical = {canonical_url(e["url"]) for e in entries}
    assert len(canonical) == len(entries)
    assert all(e["url"].startswith("https://") for e in entries)
    assert all(len(e["description"].split()) >= 25 for e in entries)
    assert len({e["media_type"] for e in entries}) == 8
    assert {e["difficulty"] for e in entries} == {"beginner", "intermediate", "advanced"}
    tags = {t for e in entries for t in e["tags"]}
    for topic in ("python", "jac", "django", "sql", "git", "machine-learning", "algorithms", "devops", "security",
                  "data-science", "web", "javascript", "linux", "testing"):  # fmt: skip
        assert topic in tags, topic


@pytest.mark.parametrize(
    ("q", "expected_tag"),
    [("pyhton decorators", "decorators"), ("djagno orm", "django"), ("kubernets", "kubernetes"),
     ("machine lerning", "machine-learning"), ("git branching", "git"), ("sql joins", "sql")],
)  # fmt: skip
def test_search_on_the_seeded_catalogue_finds_the_topic_despite_typos(api_client, q, expected_tag):
    services.seed_resources(lambda n: None)
    top = api_client.get("/api/resources/search/", {"q": q, "limit": 3}).json()
    assert top, q
    assert expected_tag in top[0]["tags"], [(r["title"], r["tags"]) for r in top]


# --- Admin ------------------------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(staff):
    staff.is_superuser = True
    staff.save(update_fields=["is_superuser"])
    client = Client()
    client.force_login(staff)
    return client


def test_admin_pages_render(admin_client):
    resource = ResourceFactory()
    InteractionFactory(resource=resource)
    ScrapeSourceFactory()
    ScrapeJob.objects.create(sources=[])
    for path in ("resource", "userresourceinteraction", "scrapesource", "scrapejob", "userinteractionversion"):
        assert admin_client.get(f"/admin/resources/{path}/").status_code == 200, path
    assert admin_client.get(f"/admin/resources/resource/{resource.pk}/change/").status_code == 200
    assert admin_client.get("/admin/resources/resource/add/").status_code == 200


def _admin_form(**overrides) -> dict:
    form = {"title": "Quetzal Guide", "description": "All about quetzals.", "url": "https://Birds.example.com/q/",
            "media_type": "article", "difficulty": "beginner", "duration_minutes": "15", "tags": '["birds"]',
            "prerequisites": "[]", "learning_style": "reading", "source": "Birds", "origin": "manual",
            "is_active": "on"}  # fmt: skip
    form.update(overrides)
    return form


def test_admin_add_sets_the_canonical_url_and_vocabulary_and_refuses_duplicates(admin_client):
    resp = admin_client.post("/admin/resources/resource/add/", _admin_form())
    assert resp.status_code == 302, resp.content[:2000]
    resource = Resource.objects.get(title="Quetzal Guide")
    assert resource.canonical_url == "https://birds.example.com/q"
    assert SearchTerm.objects.filter(word="quetzals").exists()
    dup = admin_client.post("/admin/resources/resource/add/", _admin_form(url="https://birds.example.com/q"))
    assert dup.status_code == 200 and b"already exists" in dup.content
    bad = admin_client.post("/admin/resources/resource/add/", _admin_form(url="http://x.example/a", tags='"x"'))
    assert bad.status_code == 200 and Resource.objects.count() == 1


def test_admin_actions(admin_client):
    resource = ResourceFactory(title="Hidden Gem")
    resp = admin_client.post("/admin/resources/resource/", {"action": "deactivate", "_selected_action": [resource.pk]})
    assert resp.status_code == 302
    resource.refresh_from_db()
    assert not resource.is_active
    admin_client.post("/admin/resources/resource/", {"action": "rebuild_vocabulary", "_selected_action": [resource.pk]})
    assert not SearchTerm.objects.filter(word="gem").exists()  # inactive resources leave the vocabulary
