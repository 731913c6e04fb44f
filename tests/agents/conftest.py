import pytest

from agents.tutor import tutor_index_reset
from learning.models import LearningPath, Quiz
from learning.services import seed_learning
from resources.models import Resource, SearchTerm
from resources.services import seed_resources
from users.models import Achievement, Badge


@pytest.fixture(scope="module")
def seeded_content(django_db_setup, django_db_blocker):
    """The content `manage.py seed` loads (learning paths with their quizzes, the resource catalogue), committed
    once per test module (seeding takes seconds) and removed afterwards, so no other test module sees it. Each test
    still runs in its own rolled-back transaction on top of it."""
    with django_db_blocker.unblock():
        seed_learning(lambda n: None)
        seed_resources(lambda n: None)
    yield
    with django_db_blocker.unblock():
        Quiz.objects.all().delete()
        LearningPath.objects.all().delete()
        Resource.objects.all().delete()
        SearchTerm.objects.all().delete()
        Achievement.objects.all().delete()
        Badge.objects.all().delete()


@pytest.fixture
def seeded(seeded_content, db):
    """Seeded content and a tutor index built from it (tests change content, so no index outlives a test)."""
    tutor_index_reset()
    yield
    tutor_index_reset()


@pytest.fixture(autouse=True)
def agents(db):
    """The six agents (a migration creates them; transactional tests flush the table, so make sure)."""
    from agents.services import agents_ensure

    agents_ensure()
