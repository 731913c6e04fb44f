"""Topic graph format v2: topics.yaml + topics/*.yaml (sorted) + topic_outcomes.yaml merged, on small fixture files."""

import textwrap

import pytest

from roadmaps.topics import TopicGraph, graph, load_topics


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


def _entry(slug, prereqs="[]", extra=""):
    return f"""
    - slug: {slug}
      title: {slug.title()}
      description: About {slug}.
      base_hours: 3
      difficulty: beginner
      tags: [area-{slug[0]}]
      prerequisites: {prereqs}
    {extra}"""


@pytest.fixture
def data_dir(tmp_path):
    _write(tmp_path / "topics.yaml", _entry("alpha") + _entry("beta", "[alpha]"))
    inline = '  outcomes: ["You can run a gamma.", "You can read a gamma."]\n      check: Write a gamma.'
    _write(tmp_path / "topics" / "z-last.yaml", _entry("gamma", "[beta, delta]", inline))
    _write(tmp_path / "topics" / "a-first.yaml", _entry("delta", "[alpha]"))
    _write(
        tmp_path / "topic_outcomes.yaml",
        """
        alpha:
          outcomes: ["You can   explain alpha.", "You can use alpha."]
          check: "Write an alpha that prints 1."
        """,
    )
    return tmp_path


def test_loader_reads_main_file_then_area_files_sorted_and_merges_outcomes(data_dir):
    topics = load_topics(data_dir)
    assert [t.slug for t in topics] == ["alpha", "beta", "delta", "gamma"]
    by_slug = {t.slug: t for t in topics}
    assert by_slug["alpha"].outcomes == ("You can explain alpha.", "You can use alpha.")
    assert by_slug["alpha"].check == "Write an alpha that prints 1."
    assert by_slug["gamma"].outcomes == ("You can run a gamma.", "You can read a gamma.")
    assert by_slug["gamma"].check == "Write a gamma."
    assert by_slug["beta"].outcomes == () and by_slug["beta"].check == ""
    g = TopicGraph(topics)
    assert g.topological({"alpha", "beta", "gamma", "delta"})[-1] == "gamma"
    assert g.closure(["gamma"]) == {"alpha", "beta", "gamma", "delta"}


def test_loader_rejects_duplicate_slugs_across_files(data_dir):
    _write(data_dir / "topics" / "m-dup.yaml", _entry("beta"))
    with pytest.raises(ValueError, match=r"'beta' in m-dup\.yaml is already defined in topics\.yaml"):
        load_topics(data_dir)


def test_loader_rejects_unknown_prerequisites(data_dir):
    _write(data_dir / "topics" / "m-bad.yaml", _entry("epsilon", "[nowhere]"))
    with pytest.raises(ValueError, match="unknown prerequisite 'nowhere'"):
        load_topics(data_dir)


def test_loader_works_without_area_files_or_outcomes(tmp_path):
    _write(tmp_path / "topics.yaml", _entry("alpha"))
    assert [(t.slug, t.outcomes, t.check) for t in load_topics(tmp_path)] == [("alpha", (), "")]


def test_the_shipped_graph_loads_every_file():
    g = graph()
    assert len(g.topics) >= 253
    assert all(isinstance(t.outcomes, tuple) and isinstance(t.check, str) for t in g.topics.values())
