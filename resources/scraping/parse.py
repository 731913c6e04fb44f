"""Parsers of what the scraper fetches: RSS/Atom feeds (feedparser), sitemaps (defusedxml), and HTML pages read
through their schema.org JSON-LD (Course, LearningResource, VideoObject, Article, Book, …) or OpenGraph metadata.

Each yields `Item`s already normalised: plain text, catalogue media types and difficulty words, minutes, tags.
"""

import io
import json
import logging
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit
from xml.etree.ElementTree import ParseError

import feedparser
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from common.choices import LearningStyle, MediaType
from resources.scraping import guard
from resources.scraping.normalize import (
    DESCRIPTION_MAX,
    SOURCE_MAX,
    TITLE_MAX,
    clean_tags,
    clean_text,
    difficulty_from,
    duration_minutes_from,
    media_type_from,
)

logger = logging.getLogger(__name__)

STYLE_BY_MEDIA = {
    MediaType.VIDEO: LearningStyle.VISUAL,
    MediaType.PODCAST: LearningStyle.AUDITORY,
    MediaType.INTERACTIVE: LearningStyle.KINESTHETIC,
}


class ParseFailure(Exception):
    """The document is not what its source kind promises (not a feed, not a sitemap)."""


@dataclass
class Item:
    url: str
    title: str
    description: str = ""
    media_type: str = MediaType.ARTICLE
    difficulty: str | None = None
    duration_minutes: int | None = None
    tags: list[str] = field(default_factory=list)
    prerequisites: list[str] = field(default_factory=list)
    source: str = ""
    learning_style: str | None = None


def _item(
    *,
    url: str,
    title: object,
    description: object,
    media_hints: list[object],
    difficulty_hints: list[object],
    duration: int | None,
    tags: object,
    prerequisites: object,
    source: object,
) -> Item | None:
    title_text = clean_text(title, TITLE_MAX)
    if not title_text:
        return None
    media_type = media_type_from(*media_hints) or MediaType.ARTICLE
    tag_list = clean_tags(tags)
    return Item(
        url=url,
        title=title_text,
        description=clean_text(description, DESCRIPTION_MAX),
        media_type=media_type,
        difficulty=difficulty_from(*difficulty_hints, *tag_list),
        duration_minutes=duration,
        tags=tag_list,
        prerequisites=clean_tags(prerequisites),
        source=clean_text(source, SOURCE_MAX),
        learning_style=STYLE_BY_MEDIA.get(media_type, LearningStyle.READING),
    )


def safe_link(base: str, href: object) -> str | None:
    """An absolute http(s) link without credentials, or None (links are stored, not fetched, unless from a sitemap,
    whose pages go through the guard again)."""
    if not isinstance(href, str) or not href.strip():
        return None
    url = urljoin(base, href.strip())
    try:
        guard.parse_url(url)
    except guard.UnsafeURL:
        return None
    return url


# --- Feeds ------------------------------------------------------------------------------------------------------------


def parse_feed(body: bytes, feed_url: str, limit: int) -> list[Item]:
    # A stream, never a string: feedparser fetches strings that look like URLs or file names.
    parsed = feedparser.parse(io.BytesIO(body), response_headers={"content-location": feed_url})
    if not parsed.entries and (parsed.bozo or not parsed.version):
        raise ParseFailure(f"{feed_url} is not an RSS or Atom feed")
    feed = parsed.feed
    feed_title = feed.get("title", "") or urlsplit(feed_url).hostname or ""
    is_podcast = any("itunes" in prefix for prefix in parsed.namespaces.values()) or "itunes_author" in feed
    items: list[Item] = []
    for entry in parsed.entries[:limit]:
        link = safe_link(
            feed_url,
            entry.get("link")
            or next((link.get("href") for link in entry.get("links", []) if link.get("rel") == "alternate"), None),
        )
        if not link:
            continue
        enclosure_types = [enc.get("type", "") for enc in entry.get("enclosures", [])]
        media_types = [media.get("type", "") or media.get("medium", "") for media in entry.get("media_content", [])]
        hints: list[object] = [*enclosure_types, *media_types]
        if "yt_videoid" in entry:
            hints.append("video")
        if is_podcast:
            hints.append("podcast")
        tags = [tag.get("term", "") for tag in entry.get("tags", [])]
        content = entry.get("content") or []
        description = entry.get("summary") or (content[0].get("value") if content else "")
        item = _item(
            url=link,
            title=entry.get("title"),
            description=description,
            media_hints=[*hints, *tags],
            difficulty_hints=[],
            duration=duration_minutes_from(entry.get("itunes_duration")),
            tags=tags,
            prerequisites=[],
            source=feed_title,
        )
        if item:
            items.append(item)
    return items


# --- Sitemaps ---------------------------------------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_sitemap(body: bytes, sitemap_url: str, limit: int) -> tuple[list[str], list[str]]:
    """(page URLs, child sitemap URLs) of a sitemap or sitemap index; only URLs on the sitemap's own host."""
    try:
        root = fromstring(body, forbid_dtd=True)
    except (ParseError, DefusedXmlException) as exc:
        raise ParseFailure(f"{sitemap_url} is not a valid sitemap: {exc}") from None
    kind = _local(root.tag)
    if kind not in ("urlset", "sitemapindex"):
        raise ParseFailure(f"{sitemap_url} is not a sitemap (root element <{kind}>)")
    host = urlsplit(sitemap_url).hostname
    urls: list[str] = []
    for child in root:
        loc = next((el.text for el in child if _local(el.tag) == "loc" and el.text), None)
        url = safe_link(sitemap_url, loc)
        if url and urlsplit(url).hostname == host and url not in urls:
            urls.append(url)
        if len(urls) >= limit:
            break
    return (urls, []) if kind == "urlset" else ([], urls)


# --- HTML pages -------------------------------------------------------------------------------------------------------


class _MetadataParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, list[str]] = {}
        self.json_ld: list[str] = []
        self.title = ""
        self.canonical = ""
        self._in_ld = False
        self._in_title = False
        self._buffer: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            key = (attributes.get("property") or attributes.get("name") or "").strip().lower()
            if key and "content" in attributes:
                self.meta.setdefault(key, []).append(attributes["content"])
        elif tag == "script" and attributes.get("type", "").split(";")[0].strip().lower() == "application/ld+json":
            self._in_ld, self._buffer = True, []
        elif tag == "title" and not self.title:
            self._in_title, self._buffer = True, []
        elif tag == "link" and "canonical" in attributes.get("rel", "").lower().split():
            self.canonical = attributes.get("href", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._in_ld:
            self.json_ld.append("".join(self._buffer))
            self._in_ld = False
        elif tag == "title" and self._in_title:
            self.title = "".join(self._buffer)
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_ld or self._in_title:
            self._buffer.append(data)

    def first(self, *keys: str) -> str:
        for key in keys:
            if self.meta.get(key):
                return self.meta[key][0]
        return ""


KNOWN_TYPES = {
    "course": MediaType.COURSE,
    "learningresource": None,
    "videoobject": MediaType.VIDEO,
    "article": MediaType.ARTICLE,
    "techarticle": MediaType.DOCUMENTATION,
    "blogposting": MediaType.ARTICLE,
    "newsarticle": MediaType.ARTICLE,
    "scholarlyarticle": MediaType.ARTICLE,
    "book": MediaType.BOOK,
    "podcastepisode": MediaType.PODCAST,
    "podcastseries": MediaType.PODCAST,
    "howto": MediaType.TUTORIAL,
    "quiz": MediaType.INTERACTIVE,
}


def _types(obj: dict[str, Any]) -> list[str]:
    value = obj.get("@type", [])
    values = value if isinstance(value, list) else [value]
    return [v.rsplit("/", 1)[-1].lower() for v in values if isinstance(v, str)]


def _ld_objects(blocks: list[str]) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    for block in blocks:
        try:
            data = json.loads(block, strict=False)
        except (json.JSONDecodeError, RecursionError):
            continue
        stack = data if isinstance(data, list) else [data]
        for obj in stack[:50]:
            if isinstance(obj, dict):
                objects.append(obj)
                graph = obj.get("@graph")
                if isinstance(graph, list):
                    objects.extend(o for o in graph[:50] if isinstance(o, dict))
    return objects


def _names(value: Any) -> list[str]:
    """Text of a schema.org value that may be a string, a Thing with `name`, or a list of either."""
    values = value if isinstance(value, list) else [value]
    out = []
    for v in values[:30]:
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, dict) and isinstance(v.get("name"), str):
            out.append(v["name"])
    return out


def _keywords(value: Any) -> list[str]:
    if isinstance(value, str):
        return value.split(",")
    return _names(value)


def _from_json_ld(obj: dict[str, Any], page_url: str, site_name: str) -> Item | None:
    types = _types(obj)
    known = next((t for t in types if t in KNOWN_TYPES), None)
    if known is None:
        return None
    media_hints: list[object] = [KNOWN_TYPES[known]] if KNOWN_TYPES[known] else []
    if known == "learningresource":
        media_hints += [*_names(obj.get("learningResourceType")), "tutorial"]
    workloads = [obj.get("duration"), obj.get("timeRequired"), obj.get("courseWorkload")]
    instances = obj.get("hasCourseInstance")
    for instance in instances if isinstance(instances, list) else [instances]:
        if isinstance(instance, dict):
            workloads.append(instance.get("courseWorkload"))
    duration = next((m for m in (duration_minutes_from(w) for w in workloads if isinstance(w, str)) if m), None)
    url = obj.get("url") if isinstance(obj.get("url"), str) else None
    link = (
        safe_link(page_url, url)
        if url and urlsplit(urljoin(page_url, url)).hostname == urlsplit(page_url).hostname
        else page_url
    )
    source = next(iter(_names(obj.get("provider")) + _names(obj.get("publisher")) + _names(obj.get("author"))), "")
    return _item(
        url=link or page_url,
        title=obj.get("name") or obj.get("headline"),
        description=obj.get("description") or obj.get("abstract"),
        media_hints=media_hints,
        difficulty_hints=[*_names(obj.get("educationalLevel")), *_names(obj.get("proficiencyLevel"))],
        duration=duration,
        tags=_keywords(obj.get("keywords")) + _names(obj.get("about")),
        prerequisites=_names(obj.get("coursePrerequisites")) + _names(obj.get("competencyRequired")),
        source=site_name or source,
    )


def parse_page(html_text: str, page_url: str) -> Item | None:
    """The page as a resource from its JSON-LD (a known schema.org type) or OpenGraph tags; None without either."""
    parser = _MetadataParser()
    parser.feed(html_text)
    parser.close()
    site_name = parser.first("og:site_name")
    for obj in _ld_objects(parser.json_ld):
        item = _from_json_ld(obj, page_url, site_name)
        if item:
            if not item.tags:
                item.tags = clean_tags(parser.meta.get("article:tag", []) or parser.first("keywords"))
            return item
    og_title = parser.first("og:title")
    if not og_title:
        return None
    og_url = parser.first("og:url")
    link = page_url
    if og_url and urlsplit(urljoin(page_url, og_url)).hostname == urlsplit(page_url).hostname:
        link = safe_link(page_url, og_url) or page_url
    og_type = parser.first("og:type")
    hints: list[object] = [og_type, "video" if parser.first("og:video", "og:video:url") else None]
    return _item(
        url=link,
        title=og_title,
        description=parser.first("og:description", "description"),
        media_hints=hints,
        difficulty_hints=[],
        duration=duration_minutes_from(parser.first("video:duration", "og:video:duration")),
        tags=parser.meta.get("article:tag", []) + parser.meta.get("book:tag", []) or parser.first("keywords"),
        prerequisites=[],
        source=site_name or (urlsplit(page_url).hostname or ""),
    )
