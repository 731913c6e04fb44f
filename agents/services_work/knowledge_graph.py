"""The knowledge graph agent's job record, and the published module an agent call is about."""

from __future__ import annotations

from typing import Any

from common import jobs
from learning import selectors as learning_selectors
from learning.models import (
    Module,
)
from users.models import User


def knowledge_graph_record(*, user: User, title: str, query: dict[str, Any], build: Any) -> dict[str, Any]:
    with jobs.job_run(kind="knowledge_graph_query", title=title, owner=user, input_data=query) as recorder:
        result: dict[str, Any] = build()
        recorder.output.update(nodes=len(result.get("nodes", [])), edges=len(result.get("edges", [])))
    return result


def module_for_user(*, module_id: int) -> Module:
    return learning_selectors.module_get_published(module_id=module_id)
