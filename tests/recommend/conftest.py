import pytest

from resources.recommend.services import index


@pytest.fixture(autouse=True)
def fresh_process_state():
    """Forget the per-process catalogue index and model between tests (ids are reused after rollbacks)."""
    index._catalogue = None
    index._model = None
    yield
    index._catalogue = None
    index._model = None
