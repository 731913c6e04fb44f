"""Locust users for bench/load.py: a learner's session mixing catalogue browsing, search, recommendations, progress
updates, chat and code runs, with think time between steps. Reads the users, tokens and ids prepared by load.py from
$LOAD_DATA and writes every (endpoint, status) count to $LOAD_STATUS at the end."""

import itertools
import json
import os
import random
from collections import Counter

from locust import FastHttpUser, between, events, task

DATA = json.loads(open(os.environ["LOAD_DATA"]).read()) if os.environ.get("LOAD_DATA") else {}
STATUS: Counter = Counter()
QUERIES = ["python", "python decorators", "pyhton", "machine learning", "sql joins", "git branching", "docker",
           "data structures", "javascript async", "testing", "django orm", "algorithms"]  # fmt: skip
# Each simulated learner comes from an address of its own, through the one trusted proxy (NUM_PROXIES=1) that
# load.py's server is configured with, as learners behind a load balancer would.
_ADDRESSES = (f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}" for n in itertools.count(1))
PROGRAMS = ["print(sum(range(1000)))", "import math\nprint(math.factorial(20))", "print(input()[::-1])"]


@events.request.add_listener
def _count(name, response, exception, **kwargs):
    STATUS[f"{name}|{getattr(response, 'status_code', 0) or type(exception).__name__}"] += 1


@events.quitting.add_listener
def _dump(environment, **kwargs):
    if os.environ.get("LOAD_STATUS"):
        with open(os.environ["LOAD_STATUS"], "w") as out:
            json.dump(STATUS, out)


class Learner(FastHttpUser):
    wait_time = between(1, 3)

    def on_start(self):
        self.me = random.choice(DATA["users"])
        self.anon = {"X-Forwarded-For": next(_ADDRESSES)}
        self.auth = {**self.anon, "Authorization": f"Bearer {self.me['token']}"}

    def _get(self, path, name, auth=True, ok=(200,)):
        with self.client.get(path, headers=self.auth if auth else self.anon, name=name, catch_response=True) as resp:
            self._judge(resp, ok)

    def _judge(self, resp, ok):
        # 429 is an expected answer under load (per-user limits): a success for the latency figures, counted apart.
        if resp.status_code in ok or resp.status_code == 429:
            resp.success()
        else:
            resp.failure(f"HTTP {resp.status_code}")

    @task(6)
    def browse_paths(self):
        self._get("/api/learning/learning-paths/", "GET learning-paths", auth=False)
        path_id = random.choice(DATA["paths"])
        self._get(f"/api/learning/learning-paths/{path_id}/", "GET learning-paths/{id}")
        self._get(f"/api/learning/modules/?learning_path={path_id}", "GET modules?learning_path")
        self._get(f"/api/learning/modules/{random.choice(DATA['modules'])}/", "GET modules/{id}")

    @task(6)
    def search(self):
        query = random.choice(QUERIES)
        self._get(f"/api/resources/search/?q={query}&limit=20", "GET resources/search", auth=random.random() < 0.5)

    @task(3)
    def recommendations(self):
        self._get(f"/api/resources/recommendations/{self.me['id']}/?limit=20", "GET recommendations/{user}")

    @task(4)
    def progress(self):
        module = random.choice(DATA["modules"])
        body = {"status": "in_progress", "time_spent": random.randint(1, 15), "score": random.randint(0, 100)}
        with self.client.patch(f"/api/learning/user-module-progress/?module={module}", json=body, headers=self.auth,
                               name="PATCH user-module-progress", catch_response=True) as resp:  # fmt: skip
            self._judge(resp, (200, 409))  # 409: completing before prerequisites is a normal answer

    @task(2)
    def chat(self):
        body = {"message": "How do Python decorators work?", "session_id": f"load-{self.me['id']}"}
        with self.client.post("/api/agents/chat-assistant/message/", json=body, headers=self.auth,
                               name="POST chat-assistant/message", catch_response=True) as resp:  # fmt: skip
            if resp.status_code == 404:
                resp.success()  # not built on this branch yet: load.py reports its 404s separately
            else:
                self._judge(resp, (200, 201))

    @task(2)
    def code_run(self):
        body = {"code": random.choice(PROGRAMS), "language": "python", "stdin": "hello"}
        with self.client.post("/api/learning/code/execute/", json=body, headers=self.auth,
                               name="POST code/execute", catch_response=True) as resp:  # fmt: skip
            self._judge(resp, (200, 202))
