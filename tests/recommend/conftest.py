import pytest

from resources.recommend import services


@pytest.fixture(autouse=True)
def fresh_process_state():
    """Forget the per-process catalogue index and model between tests (ids are reused after rollbacks)."""
    services._catalogue = None
    services._model = None
    yield
    services._catalogue = None
    services._model = None
