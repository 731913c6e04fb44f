"""An ASGI worker runs at most ASGI_REQUEST_THREADS requests at once, and a request waiting on a job gives its slot
back while it waits: under `make run`'s server, 50 learners running code held every slot with waiting runs and reads
queued for seconds (bench/load.py: reads p95 4–7 s)."""

import asyncio
import time

import httpx
import pytest

from common.asgi import SyncChainASGIHandler
from tests.common import slot_urls

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def handler(settings):
    settings.ROOT_URLCONF = "tests.common.slot_urls"
    settings.ASGI_REQUEST_THREADS = 2
    settings.ASGI_MAX_THREADS = 16
    slot_urls.running.update(now=0, most=0)
    return SyncChainASGIHandler()


async def _client(app):
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1", timeout=30)


def test_a_read_is_served_while_every_slot_would_be_held_by_waiting_runs(handler):
    async def scenario():
        async with await _client(handler) as client:
            waits = [asyncio.create_task(client.get("/wait/")) for _ in range(4)]  # twice the slots
            await asyncio.sleep(0.3)
            started = time.monotonic()
            fast = await client.get("/fast/")
            took = time.monotonic() - started
            return fast, took, await asyncio.gather(*waits)

    fast, took, waited = asyncio.run(scenario())
    assert fast.status_code == 200 and fast.text == "fast"
    assert took < 0.75, f"the read waited {took:.2f} s behind requests waiting on jobs"
    assert [w.text for w in waited] == ["waited"] * 4


def test_at_most_the_configured_number_of_requests_run_at_once(handler):
    async def scenario():
        async with await _client(handler) as client:
            return await asyncio.gather(*[client.get("/busy/") for _ in range(6)])

    responses = asyncio.run(scenario())
    assert all(r.status_code == 200 for r in responses)
    assert slot_urls.running["most"] == 2  # six at once, two slots: never more than two in the view
