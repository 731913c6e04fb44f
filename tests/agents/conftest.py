import pytest

from agents.services import agents_ensure


@pytest.fixture(autouse=True)
def agents(db):
    """The six agents (a migration creates them; transactional tests flush the table, so make sure)."""
    agents_ensure()
