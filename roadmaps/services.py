"""Writes for roadmaps: accepting a generation request, generating (task body), progress, deletion.

The LLM call (or planning) happens outside any transaction; the roadmap's steps and step resources are then written
in one transaction, all or nothing, under a row lock that also makes a second delivery of the task a no-op.
"""

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from common import jobs, throttling
from common.errors import Conflict, NotFound, RateLimited, Unavailable
from roadmaps.attach import Preferences, pick_resources
from roadmaps.generation import generate_plan, unknown_message
from roadmaps.learner import Evidence, learner_known_topics, lessons_for
from roadmaps.models import Roadmap, RoadmapStatus, RoadmapStep, StepResource, StepStatus
from roadmaps.planner import Budget, UnknownConcept
from users.models import User, UserPreferences

logger = logging.getLogger(__name__)

DEFAULT_HOURS_PER_WEEK = 5
JOB_KIND = jobs.JobKind.ROADMAP_GENERATION


def roadmap_request(*, user: User, concept: str, duration_weeks: int, preferences: dict[str, Any]) -> Roadmap:
    """Create the roadmap in `generating` and queue its generation (after commit)."""
    try:
        state = throttling.hit("roadmap_generate", f"user:{user.pk}")
    except throttling.CACHE_ERRORS:
        raise Unavailable("Roadmap generation is temporarily unavailable.") from None
    if state.exceeded:
        raise RateLimited("Too many roadmaps generated; try again later.", wait=state.retry_after)
    hours = int(preferences.get("hours_per_week") or DEFAULT_HOURS_PER_WEEK)
    roadmap = Roadmap.objects.create(
        user=user,
        title=f"{concept.strip()[:150]} roadmap",
        concept=concept.strip(),
        duration_weeks=duration_weeks,
        hours_per_week=hours,
        preferences=preferences,
        status=RoadmapStatus.GENERATING,
    )
    jobs.submit_for(
        roadmap,
        JOB_KIND,
        owner=user,
        title=f"Generate a roadmap for “{concept.strip()[:120]}”",
        input_data={"roadmap_id": roadmap.pk, "concept": concept.strip()[:200], "duration_weeks": duration_weeks},
        estimated_duration=5.0,
    )
    transaction.on_commit(lambda: jobs.dispatch(JOB_KIND, roadmap.pk))
    return roadmap


def _preferences(roadmap: Roadmap) -> tuple[Preferences, Evidence]:
    """The learner as the planner sees them: the request's preferences first, then stored preferences, then the
    profile; and the topics they know (named in the request or evidenced by their progress)."""
    stored = UserPreferences.objects.filter(user_id=roadmap.user_id).first()
    request = roadmap.preferences or {}
    user = User.objects.only("id", "preferred_difficulty", "learning_style").get(pk=roadmap.user_id)
    level, source = request.get("difficulty") or request.get("level"), "request"
    if not level and stored and stored.preferred_difficulty:
        level, source = stored.preferred_difficulty, "preferences"
    if not level and user.preferred_difficulty:
        level, source = user.preferred_difficulty, "profile"
    evidence = learner_known_topics(user=user, named=tuple(request.get("known_topics") or ()))
    prefs = Preferences(
        media_types=tuple(request.get("media_types") or (stored.preferred_media_types if stored else []) or ()),
        learning_style=request.get("learning_style")
        or (stored and stored.preferred_learning_style)
        or user.learning_style,
        difficulty=level or None,
        avoid_tags=tuple(stored.avoid_tags if stored else ()),
        max_duration=stored.max_duration_minutes if stored else None,
        known_topics=evidence.known,
        level_source=source if level else "",
    )
    return prefs, evidence


def roadmap_generate(*, roadmap_id: int) -> Roadmap | None:
    """Plan (outside any transaction), then write steps and resources in one transaction. Idempotent: a roadmap
    that is no longer `generating` (or already has steps) is left alone."""
    roadmap = Roadmap.objects.filter(pk=roadmap_id, status=RoadmapStatus.GENERATING).first()
    if roadmap is None:
        return None
    job = roadmap.job_id if roadmap.job_id is not None else jobs.job_id_for(JOB_KIND, str(roadmap.pk))
    jobs.start(job)
    budget = Budget(weeks=roadmap.duration_weeks, hours_per_week=roadmap.hours_per_week)
    prefs, evidence = _preferences(roadmap)
    try:
        generated = generate_plan(roadmap.concept, budget, prefs)
        picks = pick_resources(generated.plan.steps, prefs)
        lessons = lessons_for(generated.plan.steps)
    except UnknownConcept as exc:
        # An honest "no match" is the planner working, not failing: the job completes and says so.
        jobs.finish(
            job,
            output={"outcome": "no_match"},
            change=jobs.Change(
                Roadmap.objects.filter(pk=roadmap.pk, status=RoadmapStatus.GENERATING),
                {
                    "status": RoadmapStatus.FAILED,
                    "updated_at": timezone.now(),
                    "error": unknown_message(exc),
                    "generation_metadata": {
                        "provider": "offline",
                        "model_used": "pathwise-planner-1",
                        "generated_at": timezone.now().isoformat(),
                        "estimated_total_hours": None,
                        "outcome": "no_match",
                        "unknown_terms": exc.unknown_terms,
                        "suggestions": exc.suggestions,
                    },
                },
            ),
        )
        _wake_unlinked(roadmap.pk, job)
        return Roadmap.objects.get(pk=roadmap.pk)
    plan = generated.plan
    fallback = plan.metadata.pop("fallback_resources", {})
    with transaction.atomic():
        locked = Roadmap.objects.select_for_update().get(pk=roadmap.pk)
        if locked.status != RoadmapStatus.GENERATING or locked.steps.exists():
            return locked
        ids: dict[str, int] = {}
        for step in plan.steps:
            row = RoadmapStep.objects.create(
                roadmap=locked,
                title=step.title[:255],
                description=step.description,
                order_index=step.order_index,
                week=step.week,
                estimated_hours=step.estimated_hours,
                difficulty=step.difficulty,
                prerequisites=[ids[p] for p in step.prerequisites if p in ids],
                topic_slug=step.topic_slug,
                is_project=step.is_project,
                outcomes=step.outcomes,
                done_when=step.check,
                covers=step.covers,
                lessons=lessons.get(step.key, []),
            )
            ids[step.key] = row.pk
            chosen = picks.get(step.key) or []
            links = [
                StepResource(
                    step=row,
                    resource_id=pick.resource_id,
                    order_index=i,
                    recommendation_score=pick.score,
                    recommendation_reason=pick.reason,
                )
                for i, pick in enumerate(chosen)
            ]
            if step.key in fallback:
                # The catalogue's matches for the concept itself (a catalogue plan's groups, or what a partial plan
                # does not teach), after the step's own picks.
                linked = {link.resource_id for link in links}
                links += [
                    StepResource(
                        step=row,
                        resource_id=rid,
                        order_index=len(links) + i,
                        recommendation_score=0.0,
                        recommendation_reason=f"closest catalogue match for “{locked.concept[:80]}”",
                    )
                    for i, rid in enumerate(r for r in fallback[step.key] if r not in linked)
                ]
            StepResource.objects.bulk_create(links)
        locked.title = plan.title[:255]
        locked.description = plan.description
        locked.status = RoadmapStatus.DRAFT
        locked.generation_metadata = {
            "provider": generated.provider,
            "model_used": generated.model,
            "generated_at": timezone.now().isoformat(),
            **plan.metadata,
            "level_source": prefs.level_source or "assumed",
            "known_from": evidence.sources,
            "unresolved_known_topics": list(evidence.unresolved),
        }
        fields = ["title", "description", "status", "generation_metadata", "updated_at"]
        locked.updated_at = timezone.now()
        jobs.finish(
            job,
            output={"outcome": "generated", "steps": len(plan.steps), "provider": generated.provider},
            change=jobs.Change(
                Roadmap.objects.filter(pk=roadmap.pk, status=RoadmapStatus.GENERATING),
                {name: getattr(locked, name) for name in fields},
            ),
        )
    _wake_unlinked(roadmap.pk, job)
    return locked


def _wake_unlinked(roadmap_id: int, job: int | None) -> None:
    """A roadmap without a job (from before roadmaps referenced one) is waited on by name."""
    if job is None:
        transaction.on_commit(lambda: jobs.notify_key(f"roadmap:{roadmap_id}"))


def roadmap_mark_failed(*, roadmap_id: int, error: str) -> None:
    job = Roadmap.objects.filter(pk=roadmap_id).values_list("job_id", flat=True).first()
    job = job if job is not None else jobs.job_id_for(JOB_KIND, str(roadmap_id))
    jobs.fail(
        job,
        error=error,
        change=jobs.Change(
            Roadmap.objects.filter(pk=roadmap_id, status=RoadmapStatus.GENERATING),
            {"status": RoadmapStatus.FAILED, "error": error[:2000], "updated_at": timezone.now()},
        ),
    )
    _wake_unlinked(roadmap_id, job)


def roadmaps_reap(*, now: datetime | None = None) -> int:
    """Fail roadmaps still `generating` past the generation task's hard time limit plus a margin
    (ROADMAP_REAP_AFTER_SECONDS): their worker died (a redelivery would have finished them by then) or the broker
    lost the message. The job row fails with them, so the roadmap agent is no longer busy; the learner can ask
    again. A late delivery after this finds the roadmap no longer `generating` and does nothing."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.ROADMAP_REAP_AFTER_SECONDS)
    reason = "Generation did not finish in time (its worker stopped); please try again."
    reaped = jobs.reap(
        JOB_KIND,
        stale=Roadmap.objects.filter(status=RoadmapStatus.GENERATING, updated_at__lt=cutoff),
        values={"status": RoadmapStatus.FAILED, "error": reason, "updated_at": now},
        error=reason,
        now=now,
        on_reaped=lambda pk: jobs.notify_key(f"roadmap:{pk}"),
    )
    if reaped:
        logger.warning("Reaped %s stuck roadmap generations", reaped)
    return reaped


def roadmap_wait(*, roadmap: Roadmap, timeout: float) -> Roadmap:
    def done() -> bool:
        return not Roadmap.objects.filter(pk=roadmap.pk, status=RoadmapStatus.GENERATING).exists()

    jobs.wait(roadmap.job_id, timeout, done, name=None if roadmap.job_id is not None else f"roadmap:{roadmap.pk}")
    roadmap.refresh_from_db()
    return roadmap


@transaction.atomic
def roadmap_progress(*, roadmap: Roadmap, step_id: int, completed: bool, rating: int | None = None) -> Roadmap:
    """Mark a step done (or not) with an optional 1–5 rating; the roadmap becomes active on first progress and
    completed when every step is."""
    locked = Roadmap.objects.select_for_update().get(pk=roadmap.pk)
    if locked.status in (RoadmapStatus.GENERATING, RoadmapStatus.FAILED):
        raise Conflict(f"This roadmap is {locked.status}; it has no steps to progress.")
    step = RoadmapStep.objects.filter(roadmap=locked, pk=step_id).first()
    if step is None:
        raise NotFound("No such step in this roadmap.")
    step.status = StepStatus.COMPLETED if completed else StepStatus.PENDING
    step.completed_at = (step.completed_at or timezone.now()) if completed else None
    if rating is not None:
        step.rating = rating
    step.save(update_fields=["status", "completed_at", "rating"])
    total = locked.steps.count()
    done = locked.steps.filter(status=StepStatus.COMPLETED).count()
    locked.status = RoadmapStatus.COMPLETED if done == total else RoadmapStatus.ACTIVE
    locked.save(update_fields=["status", "updated_at"])
    return locked


def roadmap_delete(*, roadmap: Roadmap) -> None:
    roadmap.delete()
