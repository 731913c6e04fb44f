"""The learning coordinator: what to do next (modules of started paths, roadmap steps), as one job."""

from __future__ import annotations

from typing import Any

from common import jobs
from learning.choices import ProgressStatus
from learning.models import Module, UserModuleProgress
from learning.review import selectors as review_selectors
from roadmaps.models import RoadmapStatus, RoadmapStep, StepStatus
from users.models import User


def _progress_by_module(user: User) -> dict[int, str]:
    return dict(UserModuleProgress.objects.filter(user=user).values_list("module_id", "status"))


def coordinator_recommend(*, user: User, limit: int = 5) -> dict[str, Any]:
    """Next modules whose prerequisites are done, next learning paths and next roadmap steps — each with a reason."""
    with jobs.job_run(kind="learning_recommendation", title="Recommend what to learn next", owner=user) as recorder:
        status = _progress_by_module(user)
        completed = {mid for mid, s in status.items() if s == ProgressStatus.COMPLETED}
        modules = list(
            Module.objects.filter(learning_path__is_published=True)
            .select_related("learning_path")
            .prefetch_related("prerequisites")
            .order_by("learning_path_id", "order_index")
        )
        started_paths = {m.learning_path_id for m in modules if m.pk in status}
        next_modules = []
        for module in modules:
            if module.pk in completed:
                continue
            prereqs = list(module.prerequisites.all())
            if any(p.pk not in completed for p in prereqs):
                continue
            if status.get(module.pk) == ProgressStatus.IN_PROGRESS:
                reason, rank = "You started this module; finish it next.", 0
            elif prereqs:
                names = ", ".join(f"“{p.title}”" for p in prereqs[:3])
                reason, rank = f"Its prerequisites are done: {names}.", 1
            elif module.learning_path_id in started_paths:
                reason, rank = f"Next in “{module.learning_path.title}”, which you are following.", 2
            else:
                reason, rank = f"A starting point of “{module.learning_path.title}” (no prerequisites).", 3
            next_modules.append((rank, module, reason))
        next_modules.sort(key=lambda item: (item[0], item[1].learning_path_id, item[1].order_index))
        # one start module per untouched path is enough
        seen_fresh: set[int] = set()
        picked = []
        for rank, module, reason in next_modules:
            if rank == 3:
                if module.learning_path_id in seen_fresh:
                    continue
                seen_fresh.add(module.learning_path_id)
            picked.append(
                {
                    "module_id": module.pk,
                    "title": module.title,
                    "learning_path_id": module.learning_path_id,
                    "learning_path": module.learning_path.title,
                    "module_type": module.module_type,
                    "estimated_duration": module.estimated_duration,
                    "reason": reason,
                }
            )
            if len(picked) >= limit:
                break
        paths = _next_paths(user, modules, completed, started_paths)
        steps = _next_roadmap_steps(user, limit)
        due = [
            {
                **row,
                "reason": f"{row['reviews_due']} review{'s' if row['reviews_due'] != 1 else ''} due in "
                f"“{row['title']}”: recall it before it fades.",
            }
            for row in review_selectors.due_by_module(user=user, limit=limit)
        ]
        recorder.output.update(modules=len(picked), paths=len(paths), roadmap_steps=len(steps), due_reviews=len(due))
    return {"due_reviews": due, "next_modules": picked, "next_paths": paths, "roadmap_steps": steps}


def _next_paths(user: User, modules: list[Module], completed: set[int], started: set[int]) -> list[dict[str, Any]]:
    by_path: dict[int, list[Module]] = {}
    for module in modules:
        by_path.setdefault(module.learning_path_id, []).append(module)
    order = {"beginner": 0, "intermediate": 1, "advanced": 2}
    finished_levels = [
        order.get(mods[0].learning_path.difficulty_level, 0)
        for pid, mods in by_path.items()
        if mods and all(m.pk in completed for m in mods)
    ]
    target = max(finished_levels, default=-1) + 1
    preferred = user.preferred_difficulty
    out = []
    for pid, mods in by_path.items():
        path = mods[0].learning_path
        done = sum(1 for m in mods if m.pk in completed)
        if done == len(mods):
            continue
        level = order.get(path.difficulty_level, 0)
        if pid in started:
            reason, rank = f"You are {round(100 * done / len(mods))}% through it.", 0
        elif preferred and path.difficulty_level == preferred:
            reason, rank = f"Matches your preferred difficulty ({preferred}).", 1
        elif level == target or (target > 2 and level == 2):
            reason, rank = (
                "The next level up from the paths you finished." if target else "A beginner path to start.",
                2,
            )
        else:
            reason, rank = f"A {path.difficulty_level} path.", 3 + abs(level - target)
        out.append(
            (
                rank,
                path.pk,
                {
                    "learning_path_id": path.pk,
                    "title": path.title,
                    "difficulty_level": path.difficulty_level,
                    "modules_completed": done,
                    "modules_total": len(mods),
                    "reason": reason,
                },
            )
        )
    out.sort(key=lambda item: (item[0], item[1]))
    return [item[2] for item in out[:3]]


def _next_roadmap_steps(user: User, limit: int) -> list[dict[str, Any]]:
    steps = (
        RoadmapStep.objects.filter(roadmap__user=user, roadmap__status__in=[RoadmapStatus.DRAFT, RoadmapStatus.ACTIVE])
        .exclude(status=StepStatus.COMPLETED)
        .select_related("roadmap")
        .order_by("roadmap_id", "order_index")
    )
    out: list[dict[str, Any]] = []
    per_roadmap: dict[int, int] = {}
    for step in steps[:200]:
        if per_roadmap.get(step.roadmap_id, 0) >= 2:
            continue
        per_roadmap[step.roadmap_id] = per_roadmap.get(step.roadmap_id, 0) + 1
        out.append(
            {
                "roadmap_id": step.roadmap_id,
                "step_id": step.pk,
                "title": step.title,
                "week": step.week,
                "reason": f"Next open step (week {step.week}) of your roadmap “{step.roadmap.title}”.",
            }
        )
        if len(out) >= limit:
            break
    return out
