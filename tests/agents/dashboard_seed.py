"""A seeded platform for the staff dashboard's tests: a month of learner activity, a day of code runs, jobs for
every agent, two recommender versions (one live), searches that found nothing and a scrape job half-way through.
Rows are written directly: the dashboard reads whatever the apps stored, and these are the shapes they store."""

from datetime import timedelta

from django.utils import timezone

from agents.models import SearchQueryLog
from agents.services import agents_ensure
from common.models import Job, JobStatus
from executor.models import CodeRun, RunState
from resources.models import ScrapeJob, ScrapeStatus
from resources.models_reco import RecommenderModel, RecommenderStatus
from tests.factories import UserFactory
from tests.pictures_helpers import HOSTILE
from users.models import DailyActivity

RUN_STATUSES = ["success"] * 6 + ["runtime_error", "timeout", "compile_error"]


def seed_dashboard() -> dict:
    now = timezone.now()
    learners = [UserFactory() for _ in range(6)]
    for day in range(30):
        for n, learner in enumerate(learners[: 1 + (day % 6)]):
            DailyActivity.objects.create(user=learner, date=now.date() - timedelta(days=day), minutes=10 + n,
                                         actions=2, modules_completed=(day + n) % 3)  # fmt: skip
    hour_start = now.replace(minute=0, second=0, microsecond=0)
    for hour in range(24):
        for k in range(1 + hour % 4):
            # Inside its clock hour whatever the minute now is (minutes back from `now` crossed into the hour before,
            # out of the dashboard's 24-hour window, in the first minutes of every hour), and never in the future.
            created = min(hour_start - timedelta(hours=hour) + timedelta(seconds=k), now)
            status = RUN_STATUSES[(hour + k) % len(RUN_STATUSES)]
            finished = created + timedelta(seconds=0.2 + k)
            run = CodeRun.objects.create(owner=learners[k], language="python", source="print(1)", wall_time=0.05,
                                         state=RunState.FINISHED, status=status, started_at=created,
                                         finished_at=finished)  # fmt: skip
            CodeRun.objects.filter(pk=run.pk).update(created_at=created)
    CodeRun.objects.create(owner=learners[0], language="python", source="print(2)", state=RunState.QUEUED)
    agents_ensure()
    for kind, ok, failed in (("chat_reply", 12, 1), ("code_run", 30, 3), ("progress_analysis", 5, 0),
                             ("knowledge_graph_query", 7, 2), ("resource_scrape", 2, 1)):  # fmt: skip
        for i in range(ok + failed):
            Job.objects.create(kind=kind, title=f"{kind} {i}", owner=learners[0], duration=0.5,
                               status=JobStatus.FAILED if i < failed else JobStatus.COMPLETED,
                               started_at=now, finished_at=now)  # fmt: skip
    Job.objects.create(kind="recommender_retrain", title="Retrain the recommender", status=JobStatus.IN_PROGRESS,
                       started_at=now, output_data={"stage": "evaluate against popularity", "stage_index": 2,
                                                    "stages": 5})  # fmt: skip
    for n, (live, ndcg, pop) in enumerate(((False, 0.31, 0.22), (True, 0.36, 0.22))):
        RecommenderModel.objects.create(
            algorithm="als" if n else "itemknn", status=RecommenderStatus.PROMOTED, is_current=live,
            data_signature=f"sig{n}", artifact=b"", n_users=60, n_items=40, n_interactions=480,
            metrics={"candidate": {"ndcg@10": ndcg}, "popularity": {"ndcg@10": pop}},
        )  # fmt: skip
    for query, times in (("quantum basket weaving", 3), (HOSTILE[:60], 2), ("rust lifetimes", 1)):
        for i in range(times):
            SearchQueryLog.objects.create(user=learners[i], query=query, results=0)
    SearchQueryLog.objects.create(user=learners[0], query="python", results=12)
    sources = [{"url": f"https://example.com/feed{i}.xml", "kind": "rss"} for i in range(12)]
    ScrapeJob.objects.create(status=ScrapeStatus.RUNNING, sources=sources, sources_total=12, sources_done=3,
                             current_source=sources[3]["url"], started_at=now, created_count=17)  # fmt: skip
    ScrapeJob.objects.create(status=ScrapeStatus.SUCCEEDED, sources=sources[:2], sources_total=2, sources_done=2,
                             finished_at=now, created_count=4)  # fmt: skip
    return {"learners": learners}
