"""A recommender retrain shows its stage while it runs: on its job row (what the staff dashboard reads) and in the
log, in order."""

import logging

import pytest

from common.models import Job, JobStatus
from resources.recommend import services
from tests.recommend.test_recommendations import clustered_interactions

pytestmark = pytest.mark.django_db


class _RowReader(logging.Handler):
    """At each stage's log line, read what the job row says at that moment (same connection, as a reader would)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, dict]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("Recommender retrain "):
            job = Job.objects.get(kind="recommender_retrain", status=JobStatus.IN_PROGRESS)
            self.seen.append((record.getMessage(), job.output_data))


def test_retrain_reports_each_stage_on_its_job_while_running():
    clustered_interactions()
    reader = _RowReader()
    log = logging.getLogger("resources.recommend.services")
    log.addHandler(reader)
    level = log.level
    log.setLevel(logging.INFO)
    try:
        first = services.retrain()
        second = services.retrain(force=True)  # a current model exists now: evaluated against it, not promoted
    finally:
        log.removeHandler(reader)
        log.setLevel(level)
    assert first.is_current and not second.is_current
    stages = [row["stage"] for _, row in reader.seen]
    assert stages == [
        "fit candidates", "evaluate against popularity", "refit on every interaction", "store the version",
        "fit candidates", "evaluate against popularity", "evaluate the current model", "store the version",
    ]  # fmt: skip
    assert reader.seen[0] == ("Recommender retrain 1/5: fit candidates",
                              {"stage": "fit candidates", "stage_index": 1, "stages": 5})  # fmt: skip
    finished = Job.objects.filter(kind="recommender_retrain").order_by("id")
    assert [j.status for j in finished] == [JobStatus.COMPLETED, JobStatus.COMPLETED]
