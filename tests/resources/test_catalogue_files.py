"""The curated catalogue files (catalogue.yaml, then catalogue_extra.yaml): both are seeded, URLs are unique across
them, every entry is valid for the Resource model, and the extra file's tags point at topics of the topic graph."""

import re
from collections import Counter
from pathlib import Path

import yaml

from common.choices import Difficulty, LearningStyle, MediaType
from resources import services
from resources.scraping.normalize import TAG_MAX, TAGS_MAX, TITLE_MAX, canonical_url

ROOT = Path(__file__).resolve().parents[2]
FIELDS = {"title", "url", "description", "media_type", "difficulty", "duration_minutes", "tags", "prerequisites",
          "learning_style", "source"}  # fmt: skip


def _file(name: str) -> list[dict]:
    return yaml.safe_load((ROOT / "resources" / "data" / name).read_text(encoding="utf-8"))


def _topic_names() -> set[str]:
    def normalise(text: str) -> str:
        return re.sub(r"\s+", " ", re.sub(r"[^\w#+./ ]", " ", text.lower().replace("-", " "))).strip()

    names: set[str] = set()
    paths = [
        ROOT / "roadmaps" / "data" / "topics.yaml",
        *sorted((ROOT / "roadmaps" / "data" / "topics").glob("*.yaml")),
    ]
    for path in paths:
        for topic in yaml.safe_load(path.read_text(encoding="utf-8")):
            names |= {normalise(n) for n in (topic["slug"], topic["title"], *topic.get("aliases", []), *topic["tags"])}
    return names


def test_the_seed_reads_both_files_in_order():
    main, extra = _file("catalogue.yaml"), _file("catalogue_extra.yaml")
    assert services.CATALOGUE_FILES[0].name == "catalogue.yaml"
    assert [e["url"] for e in services.load_catalogue()] == [e["url"] for e in main + extra]
    assert len(extra) >= 120


def test_urls_are_unique_across_both_files():
    entries = _file("catalogue.yaml") + _file("catalogue_extra.yaml")
    counts = Counter(canonical_url(e["url"]) for e in entries)
    assert [url for url, n in counts.items() if n > 1] == []


def test_every_entry_has_valid_fields():
    for entry in _file("catalogue.yaml") + _file("catalogue_extra.yaml"):
        title = entry["title"]
        assert set(entry) == FIELDS, (title, set(entry) ^ FIELDS)
        assert entry["url"].startswith("https://") and " " not in entry["url"], title
        assert 0 < len(title) <= TITLE_MAX
        assert len(entry["description"].split()) >= 25, title
        assert entry["media_type"] in MediaType.values, title
        assert entry["difficulty"] in Difficulty.values, title
        assert entry["learning_style"] in LearningStyle.values, title
        assert isinstance(entry["duration_minutes"], int) and 5 <= entry["duration_minutes"] <= 6000, title
        assert 1 <= len(entry["tags"]) <= TAGS_MAX, title
        assert all(t == t.lower() and 0 < len(t) <= TAG_MAX for t in entry["tags"]), title
        assert isinstance(entry["prerequisites"], list) and entry["source"].strip(), title


def test_extra_entries_are_tagged_with_topics_of_the_graph():
    names = _topic_names()
    extra = _file("catalogue_extra.yaml")
    untagged = [e["title"] for e in extra if not any(t.replace("-", " ") in names for t in e["tags"])]
    assert untagged == []
    # most tags name a topic, an alias or an area, not free-floating words
    tags = [t for e in extra for t in e["tags"]]
    assert sum(t.replace("-", " ") in names for t in tags) / len(tags) >= 0.7
