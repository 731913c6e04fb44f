"""The staff dashboard (`/admin/dashboard/`): how the platform is doing, as server-rendered SVG charts.

Reads only, each bounded (a fixed window and a row cap), from the rows every app already keeps: daily activity,
code runs, job rows per agent, recommender versions, the search box's query log and scrape jobs. `agents/` may
read every app (nothing imports it), so the dashboard lives here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from django.db.models import Count, Q, Sum
from django.utils import timezone

from agents import selectors
from agents.models import SearchQueryLog
from common import svg
from common.models import Job, JobStatus
from executor import selectors as executor_selectors
from executor.choices import RunState
from resources import selectors as resource_selectors
from resources.recommend import selectors as recommend_selectors
from users.models import DailyActivity

ACTIVITY_DAYS = 30
RUN_HOURS = 24
RUN_ROWS_CAP = 50_000  # the last day's runs read at most; past that the figures cover the newest 50,000
VERSIONS_SHOWN = 12
QUERIES_SHOWN = 15
QUERY_DAYS = 30
SCRAPES_SHOWN = 8
STATUS_COLORS = {
    "success": "#16a34a", "runtime_error": "#d97706", "compile_error": "#f59e0b", "timeout": "#7c3aed",
    "memory_limit": "#db2777", "output_limit": "#0891b2", "resource_limit": "#64748b", "system_error": "#dc2626",
}  # fmt: skip


@dataclass
class Panel:
    key: str
    title: str
    svg: str
    facts: list[str]


def _percentile(values: list[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(values), q)), 3) if values else 0.0


def learners_panel(*, today: date) -> Panel:
    start = today - timedelta(days=ACTIVITY_DAYS - 1)
    rows = {
        r["date"]: r
        for r in DailyActivity.objects.filter(date__gte=start, date__lte=today)
        .values("date")
        .annotate(active=Count("user", filter=Q(actions__gt=0) | Q(minutes__gt=0)), modules=Sum("modules_completed"))
    }
    days = [start + timedelta(days=i) for i in range(ACTIVITY_DAYS)]
    active = [float(rows.get(d, {}).get("active") or 0) for d in days]
    modules = [float(rows.get(d, {}).get("modules") or 0) for d in days]
    chart = svg.bar_chart(
        title=f"Learners active per day and modules completed (last {ACTIVITY_DAYS} days)",
        labels=[d.strftime("%d %b") for d in days],
        series=[
            svg.Series("active learners", active, "#2563eb"),
            svg.Series("modules completed", modules, "#16a34a", "line", True),
        ],
        width=900,
        chart_id="learners",
    )
    facts = [f"{int(max(active, default=0))} learners on the busiest day", f"{int(sum(modules))} modules completed"]
    return Panel("learners", "Learners", chart, facts)


def runs_panel(*, now: datetime) -> Panel:
    since = (now - timedelta(hours=RUN_HOURS - 1)).replace(minute=0, second=0, microsecond=0)
    rows = executor_selectors.runs_since(since=since, limit=RUN_ROWS_CAP)
    hours = [since + timedelta(hours=i) for i in range(RUN_HOURS)]
    index = {h: i for i, h in enumerate(hours)}
    statuses = sorted({status or state for _, state, status, _ in rows}, key=lambda s: (s != "success", s))
    counts = {s: [0.0] * RUN_HOURS for s in statuses}
    latency: list[list[float]] = [[] for _ in hours]
    for created, state, status, finished in rows:
        i = index.get(created.replace(minute=0, second=0, microsecond=0))
        if i is None:
            continue
        counts[status or state][i] += 1
        if state == RunState.FINISHED and finished is not None:
            latency[i].append((finished - created).total_seconds())
    series = [svg.Series(s.replace("_", " "), counts[s], STATUS_COLORS.get(s, "#94a3b8")) for s in statuses]
    series += [
        svg.Series("p50 latency", [_percentile(v, 50) for v in latency], "#0f172a", "line", True),
        svg.Series("p95 latency", [_percentile(v, 95) for v in latency], "#ef4444", "line", True),
    ]
    chart = svg.bar_chart(
        title=f"Code runs per hour by status, p50/p95 latency (last {RUN_HOURS} h)",
        labels=[h.strftime("%H:00") for h in hours],
        series=series,
        width=900,
        right_unit=" s",
        chart_id="runs",
    )
    everything = [x for hour in latency for x in hour]
    total = len(rows)
    mix = ", ".join(f"{s.replace('_', ' ')} {int(sum(counts[s]))}" for s in statuses) or "no runs"
    facts = [f"{total} runs", f"p50 {_percentile(everything, 50)} s · p95 {_percentile(everything, 95)} s", mix]
    return Panel("runs", "Code runs", chart, facts)


def agents_panel() -> Panel:
    agents = list(selectors.agent_list())
    rows = selectors.metrics_rows(agents)
    names = {a.pk: a.name for a in agents}
    chart = svg.hbar_chart(
        title="Jobs per agent: completed and failed, with the error rate",
        rows=[
            (
                names[r["agent_id"]],
                [float(r["successful_requests"]), float(r["failed_requests"])],
                f"{r['total_requests']} jobs · error rate {100 * r['error_rate']:.1f}%",
            )
            for r in rows
        ],
        names=["completed", "failed"],
        colors=["#16a34a", "#dc2626"],
        width=900,
        chart_id="agents",
    )
    worst = max(rows, key=lambda r: (r["error_rate"], r["total_requests"]), default=None)
    facts = [f"{sum(r['total_requests'] for r in rows)} jobs in {len(rows)} agents"]
    if worst and worst["error_rate"]:
        facts.append(f"highest error rate: {names[worst['agent_id']]} {100 * worst['error_rate']:.1f}%")
    return Panel("agents", "Agents", chart, facts)


def recommender_panel() -> Panel:
    versions = list(recommend_selectors.recommender_versions()[:VERSIONS_SHOWN])
    rows = []
    for v in versions:
        metrics = v.metrics or {}
        candidate = float((metrics.get("candidate") or {}).get("ndcg@10") or 0.0)
        popularity = float((metrics.get("popularity") or {}).get("ndcg@10") or 0.0)
        note = f"{'LIVE · ' if v.is_current else ''}{v.status} · {candidate:.3f} vs {popularity:.3f}"
        rows.append((f"v{v.pk} {v.algorithm}{' (live)' if v.is_current else ''}", [candidate, popularity], note))
    chart = svg.hbar_chart(
        title="Recommender versions: NDCG@10 of the model against popularity on the same holdout",
        rows=rows,
        names=["model", "popularity"],
        colors=["#7c3aed", "#94a3b8"],
        width=900,
        chart_id="recommender",
    )
    live = next((v for v in versions if v.is_current), None)
    facts = [f"live: v{live.pk} ({live.algorithm})" if live else "no live model: popularity and content serve"]
    running = Job.objects.filter(kind="recommender_retrain", status=JobStatus.IN_PROGRESS).order_by("-id").first()
    if running is not None:
        data = running.output_data or {}
        stage = data.get("stage", "starting")
        facts.append(f"retrain running: stage {data.get('stage_index', 0)}/{data.get('stages', '?')} — {stage}")
    return Panel("recommender", "Recommender", chart, facts)


def search_panel(*, now: datetime) -> Panel:
    rows = list(
        SearchQueryLog.objects.filter(created_at__gte=now - timedelta(days=QUERY_DAYS), results=0)
        .values("query")
        .annotate(n=Count("id"), learners=Count("user", distinct=True))
        .order_by("-n", "query")[:QUERIES_SHOWN]
    )
    chart = svg.hbar_chart(
        title=f"Search queries with no result (last {QUERY_DAYS} days)",
        rows=[(r["query"], [float(r["n"])], f"{r['n']}× · {r['learners']} learner(s)") for r in rows],
        names=["searches"],
        colors=["#d97706"],
        width=900,
        chart_id="search",
    )
    return Panel("search", "Search", chart, [f"{len(rows)} distinct queries found nothing"])


def scrape_panel() -> Panel:
    jobs = list(resource_selectors.scrape_jobs_list()[:SCRAPES_SHOWN])
    rows = []
    for job in jobs:
        total = job.sources_total or len(job.sources or [])
        percent = 100.0 * job.sources_done / total if total else 0.0
        where = f" · now {job.current_source}" if job.status == "running" and job.current_source else ""
        note = f"{job.status} · source {job.sources_done} of {total} · +{job.created_count} new{where}"
        rows.append((f"#{job.pk} {job.created_at:%d %b %H:%M}", [round(percent, 1)], note))
    chart = svg.hbar_chart(
        title="Scrape jobs: sources read of each job's total",
        rows=rows,
        names=["progress"],
        unit="%",
        maximum=100.0,
        colors=["#0891b2"],
        width=900,
        chart_id="scrapes",
    )
    running = sum(1 for j in jobs if j.status == "running")
    return Panel("scrapes", "Scraping", chart, [f"{running} running", f"{len(jobs)} most recent shown"])


def dashboard(*, now: datetime | None = None) -> list[Panel]:
    now = now or timezone.now()
    return [
        learners_panel(today=now.date()),
        runs_panel(now=now),
        agents_panel(),
        recommender_panel(),
        search_panel(now=now),
        scrape_panel(),
    ]


def context(*, now: datetime | None = None) -> dict[str, Any]:
    return {"panels": dashboard(now=now), "generated_at": now or timezone.now()}
