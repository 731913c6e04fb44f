import pytest

from resources.scraping.normalize import (
    canonical_url,
    clean_tags,
    clean_text,
    difficulty_from,
    duration_minutes_from,
    media_type_from,
)
from resources.scraping.parse import parse_page
from resources.search import edit_distance, parse_websearch, stem


@pytest.mark.parametrize(
    ("value", "minutes"),
    [
        ("PT1H30M", 90), ("PT45S", 1), ("PT14M30S", 15), ("P1DT2H", 1560), ("P2W", 20160), ("PT1.5H", 90),
        ("pt20m", 20), ("1:02:30", 63), ("45:10", 46), ("2700", 45), (3600, 60), ("", None), ("P", None),
        ("PT", None), ("PT0S", None), ("P9999Y", None), ("soon", None), ("-PT5M", None), (None, None), (True, None),
        ("9" * 50, None),
    ],
)  # fmt: skip
def test_durations_become_minutes(value, minutes):
    assert duration_minutes_from(value) == minutes


@pytest.mark.parametrize(
    ("hints", "difficulty"),
    [
        (["Beginner"], "beginner"), (["Introductory course"], "beginner"), (["Python 101"], "beginner"),
        (["INTERMEDIATE"], "intermediate"), (["Expert level"], "advanced"), ([{"name": "Advanced"}], "advanced"),
        (["python", "basics"], "beginner"), (["Python"], None), ([None, 3], None),
    ],
)  # fmt: skip
def test_difficulty_words(hints, difficulty):
    assert difficulty_from(*hints) == difficulty


@pytest.mark.parametrize(
    ("hints", "media_type"),
    [
        (["VideoObject"], "video"), (["video.other"], "video"), (["audio/mpeg"], "podcast"), (["video/mp4"], "video"),
        (["PodcastEpisode"], "podcast"), (["Course"], "course"), (["Book"], "book"), (["TechArticle"], "documentation"),
        (["BlogPosting"], "article"), (["HowTo"], "tutorial"), (["interactive exercise"], "interactive"),
        (["website"], None), (["text/html", "book"], "book"), ([None, ""], None),
    ],
)  # fmt: skip
def test_media_types(hints, media_type):
    assert media_type_from(*hints) == media_type


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("HTTPS://Docs.Python.org:443/3/tutorial/#intro", "https://docs.python.org/3/tutorial"),
        ("https://example.com/a?utm_source=x&b=2&a=1&fbclid=y", "https://example.com/a?a=1&b=2"),
        ("http://example.com:8080/", "http://example.com:8080/"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/Case/Sensitive/", "https://example.com/Case/Sensitive"),
    ],
)
def test_canonical_urls(url, canonical):
    assert canonical_url(url) == canonical


def test_canonical_url_needs_a_host():
    with pytest.raises(ValueError, match="host"):
        canonical_url("/relative/path")


def test_clean_text_strips_markup_scripts_and_control_characters():
    dirty = "<p>Learn <b>SQL</b> &amp; joins</p><script>alert('x')</script>\x00\x07 now\ud800"
    assert clean_text(dirty, 200) == "Learn SQL & joins now"
    assert clean_text("Tom &amp; Jerry", 200) == "Tom & Jerry"
    long = clean_text("word " * 100, 50)
    assert len(long) <= 50 and long.endswith("…")


def test_clean_tags():
    assert clean_tags("Python, Machine Learning;  python |C++") == ["python", "machine-learning", "c++"]
    assert clean_tags(["<b>Web</b>", 3, "", "x" * 41]) == ["web"]
    assert len(clean_tags([f"t{i}" for i in range(40)])) == 15


def test_page_without_metadata_is_not_a_resource():
    assert parse_page("<html><head><title>Hello</title></head></html>", "https://x.example/") is None
    assert parse_page('<script type="application/ld+json">{not json</script>', "https://x.example/") is None
    assert parse_page('<script type="application/ld+json">{"@type": "Person", "name": "A"}</script>',
                      "https://x.example/") is None  # fmt: skip


def test_jsonld_url_on_another_host_is_not_trusted():
    html = '<script type="application/ld+json">{"@type": "Article", "name": "A", "url": "https://evil.example/x"}'
    html += "</script>"
    item = parse_page(html, "https://good.example/post")
    assert item is not None and item.url == "https://good.example/post"


def test_search_helpers():
    assert edit_distance("pyhton", "python") == 1
    assert edit_distance("decoratros", "decorators") == 1
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("a", "abcdefgh", limit=2) == 3
    assert stem("decorators") == "decorator" and stem("learning") == "learn" and stem("sql") == "sql"
    groups = parse_websearch('python "step by step" -java or rust')
    assert [[(t.text, t.negated) for t in g] for g in groups] == [
        [("python", False), ("step by step", False), ("java", True)],
        [("rust", False)],
    ]
