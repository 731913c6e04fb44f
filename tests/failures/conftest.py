import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.failures.stack import Stack, free_port, missing_binaries

SEED_USERS = """
import json
from users.models import User
from tests.factories import UserFactory, StaffFactory
learner = UserFactory(username="fi-learner", email="fi-learner@example.com")
staff = StaffFactory(username="fi-staff", email="fi-staff@example.com")
print(json.dumps({"learner": str(learner.pk), "staff": str(staff.pk)}))
"""


class SlowLLM:
    """A local OpenAI-compatible server: the first chat completion hangs for `delay` seconds (long enough to kill
    the worker running it), every later one fails fast with HTTP 500, which the provider treats as "fall back to
    the offline planner at once" — so each delivery of a generation task makes exactly one request here."""

    def __init__(self, delay: float = 20.0) -> None:
        self.delay = delay
        self.requests = 0
        self.first_started = threading.Event()
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                outer.requests += 1
                if outer.requests == 1:
                    outer.first_started.set()
                    outer.release.wait(outer.delay)
                body = json.dumps({"error": {"message": "test server: try the planner"}}).encode()
                try:
                    self.send_response(500)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client (a killed worker) is gone

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def slow_llm():
    server = SlowLLM()
    yield server
    server.close()


@pytest.fixture(scope="module")
def stack(slow_llm):
    missing = missing_binaries()
    if missing:
        pytest.skip(f"failure injection needs {', '.join(missing)}")
    stack = Stack(extra_env={
        "LLM_BASE_URL": slow_llm.url, "LLM_MAX_RETRIES": "0", "LLM_TIMEOUT_SECONDS": "60",
        "ROADMAP_WAIT_SECONDS": "1", "EXECUTOR_WAIT_MARGIN_SECONDS": "1",
    })  # fmt: skip
    try:
        stack.pg_init()
        stack.redis_start()
        stack.manage("migrate", "--noinput")
        stack.manage("seed")
        stack.users = stack.shell(SEED_USERS)
        stack.web_start()
        stack.worker_start()
        yield stack
    finally:
        stack.close()
