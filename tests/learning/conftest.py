import pytest

from learning import services


@pytest.fixture(autouse=True)
def gamification(db):
    """Achievement and badge definitions, as `manage.py seed` loads them."""
    services.seed_gamification({"created": 0, "updated": 0, "deleted": 0})
