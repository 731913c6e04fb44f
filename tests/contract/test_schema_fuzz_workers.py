"""Contract fuzzing of the operations that hand work to a Celery worker and wait for it: code execution (the real
sandbox, nothing stubbed), graded submissions and roadmap generation. They need committed rows and a worker (a real
worker thread with a broker, eager tasks without), so they run in transactional tests. Sandboxed runs are slow,
so these get a few random examples each (the per-user run rate limit answers 429 beyond ten a minute, which the
schema declares)."""

import re

import pytest
import schemathesis

from tests.contract.conftest import World, build_world
from tests.contract.test_schema_fuzz import SETTINGS, WORKER_OPERATIONS, call_as, config, keep_test_connection, schema

# The worker operations only (a filtered document: Schemathesis' include() is OR-ed with the per-operation
# configuration blocks, which would select every operation).
_raw = {
    **schema.raw_schema,
    "paths": {p: v for p, v in schema.raw_schema["paths"].items() if re.match(WORKER_OPERATIONS, p)},
}
worker_schema = schemathesis.openapi.from_dict(_raw, config=config(max_examples=5, coverage=False))
worker_schema.app = schema.app

__all__ = ["keep_test_connection"]


@pytest.fixture
def world(role, transactional_db, sandbox, celery_worker) -> World:
    return build_world(role)


@pytest.mark.django_db(transaction=True)
@worker_schema.parametrize()
@pytest.mark.parametrize("role", ["user", "anonymous"])
@SETTINGS
def test_schema_fuzz_workers(case, role, world):
    call_as(case, world)
