"""The topic graph's data files (format v2, issue 18), read straight from the YAML — no dependency on the loader.

topics.yaml holds the original topics; topics/*.yaml the new areas and gaps; topic_outcomes.yaml the outcomes and
check of every topic of topics.yaml. These tests keep the graph a sound, connected, self-describing DAG.
"""

import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
import yaml

DATA = Path(__file__).resolve().parents[2] / "roadmaps" / "data"
DIFFICULTIES = {"beginner", "intermediate", "advanced"}
FIELDS = {"slug", "title", "aliases", "description", "base_hours", "difficulty", "tags", "prerequisites", "optional",
          "project", "outcomes", "check"}  # fmt: skip
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def _normalise(text: str) -> str:  # the same normalisation the matcher applies to names
    text = text.lower().replace("_", " ").replace("-", " ")
    text = re.sub(r"[^\w#+./ ]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


@cache
def _files() -> dict[str, list[dict]]:
    files = {"topics.yaml": yaml.safe_load((DATA / "topics.yaml").read_text(encoding="utf-8"))}
    for path in sorted((DATA / "topics").glob("*.yaml")):
        files[f"topics/{path.name}"] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return files


@cache
def _outcomes() -> dict[str, dict]:
    return yaml.safe_load((DATA / "topic_outcomes.yaml").read_text(encoding="utf-8"))


def _base() -> list[dict]:
    return _files()["topics.yaml"]


def _new() -> list[dict]:
    return [t for name, items in _files().items() if name != "topics.yaml" for t in items]


def _all() -> list[dict]:
    return _base() + _new()


def _by_slug() -> dict[str, dict]:
    return {t["slug"]: t for t in _all()}


def test_every_file_is_a_list_of_well_formed_topics():
    for name, items in _files().items():
        assert isinstance(items, list) and items, name
        for t in items:
            assert set(t) <= FIELDS, (name, t.get("slug"), set(t) - FIELDS)
            assert SLUG.match(t["slug"]), t["slug"]
            assert t["title"].strip() and t["description"].strip(), t["slug"]
            assert isinstance(t["base_hours"], int) and 1 <= t["base_hours"] <= 40, t["slug"]
            assert t["difficulty"] in DIFFICULTIES, t["slug"]
            assert t["tags"] and all(isinstance(tag, str) and tag for tag in t["tags"]), t["slug"]
            assert isinstance(t.get("prerequisites", []), list), t["slug"]
            assert isinstance(t.get("aliases", []), list), t["slug"]


def test_slugs_are_unique_across_files_and_there_are_at_least_400():
    counts = Counter(t["slug"] for t in _all())
    assert [slug for slug, n in counts.items() if n > 1] == []
    assert len(counts) >= 400


def test_names_and_aliases_point_to_one_topic_only():
    owner: dict[str, str] = {}
    clashes = []
    for t in _all():
        for name in {_normalise(n) for n in (t["slug"], t["title"], *t.get("aliases", []))}:
            if owner.setdefault(name, t["slug"]) != t["slug"]:
                clashes.append((name, owner[name], t["slug"]))
    assert clashes == []


def test_every_prerequisite_exists_and_the_graph_is_acyclic():
    topics = _by_slug()
    missing = [(t["slug"], p) for t in topics.values() for p in t.get("prerequisites", []) if p not in topics]
    assert missing == []
    assert all(t["slug"] not in t.get("prerequisites", []) for t in topics.values())
    # Kahn's algorithm: every topic is eventually free of unmet prerequisites
    remaining = {slug: set(t.get("prerequisites", [])) for slug, t in topics.items()}
    done: set[str] = set()
    while True:
        ready = [slug for slug, needs in remaining.items() if needs <= done]
        if not ready:
            break
        for slug in ready:
            done.add(slug)
            del remaining[slug]
    assert remaining == {}, f"cycle among {sorted(remaining)[:10]}"


def test_no_required_topic_depends_on_an_optional_one():
    topics = _by_slug()
    wrong = [
        (t["slug"], p)
        for t in topics.values()
        if not t.get("optional")
        for p in t.get("prerequisites", [])
        if topics[p].get("optional")
    ]
    assert wrong == []


def _check_outcomes(slug: str, outcomes: object, check: object) -> None:
    assert isinstance(outcomes, list) and 2 <= len(outcomes) <= 4, slug
    for outcome in outcomes:
        assert isinstance(outcome, str) and outcome.startswith("You can "), (slug, outcome)
        assert len(outcome.split()) >= 5, (slug, outcome)
    assert len(set(outcomes)) == len(outcomes), slug
    assert isinstance(check, str) and len(check.split()) >= 6, (slug, check)


def test_every_topic_has_outcomes_and_a_check():
    outcomes = _outcomes()
    base = {t["slug"] for t in _base()}
    assert set(outcomes) == base, (sorted(base - set(outcomes))[:10], sorted(set(outcomes) - base)[:10])
    for slug, entry in outcomes.items():
        assert set(entry) == {"outcomes", "check"}, slug
        _check_outcomes(slug, entry["outcomes"], entry["check"])
    for t in _base():
        assert "outcomes" not in t and "check" not in t, t["slug"]  # topics.yaml is not rewritten
    for t in _new():
        _check_outcomes(t["slug"], t.get("outcomes"), t.get("check"))


def test_outcomes_and_checks_are_written_for_each_topic_not_templated():
    texts = [o for e in _outcomes().values() for o in e["outcomes"]] + [o for t in _new() for o in t["outcomes"]]
    checks = [e["check"] for e in _outcomes().values()] + [t["check"] for t in _new()]
    assert [text for text, n in Counter(texts).items() if n > 1] == []
    assert [text for text, n in Counter(checks).items() if n > 1] == []


def test_new_topics_have_an_area_tag_and_a_two_or_three_sentence_description():
    for t in _new():
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", " ".join(t["description"].split())) if s]
        assert 2 <= len(sentences) <= 3, (t["slug"], len(sentences))


def test_each_new_area_connects_to_the_foundations_and_has_a_project():
    base = {t["slug"] for t in _base()}
    base_areas = {t["tags"][0] for t in _base()}
    areas: dict[str, list[dict]] = {}
    for t in _new():
        areas.setdefault(t["tags"][0], []).append(t)
    new_areas = {area: topics for area, topics in areas.items() if area not in base_areas}
    assert len(new_areas) >= 10, sorted(new_areas)
    for area, topics in new_areas.items():
        entries = [t for t in topics if t.get("prerequisites") and set(t["prerequisites"]) <= base]
        assert entries, f"{area} has no entry point built on existing foundations"
        assert any(t["difficulty"] != "advanced" and not t.get("optional") for t in entries), area
        assert any(t.get("project") for t in topics), f"{area} has no project topic"


@pytest.mark.parametrize(
    "header",
    sorted(name for name in _files() if name.startswith("topics/")),
)
def test_each_new_file_lists_its_area_tags_in_its_header(header):
    text = (DATA / header).read_text(encoding="utf-8")
    comment = "\n".join(line for line in text.splitlines() if line.startswith("#"))
    for area in {t["tags"][0] for t in _files()[header]}:
        assert area in comment, (header, area)
