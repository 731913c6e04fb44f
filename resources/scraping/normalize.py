"""Turn scraped values into the catalogue's vocabulary: canonical URLs, media types, minutes, difficulty words, and
plain text with no markup or control characters."""

import html
import math
import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from common.choices import Difficulty, MediaType

TITLE_MAX = 255
DESCRIPTION_MAX = 4000
SOURCE_MAX = 100
TAG_MAX = 40
TAGS_MAX = 15
MAX_MINUTES = 100_000

_TRACKING_PARAM = re.compile(
    r"^(utm_[a-z_]+|fbclid|gclid|dclid|msclkid|yclid|mc_cid|mc_eid|igshid|_hsenc|_hsmi|ref_src)$", re.IGNORECASE
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_url(url: str) -> str:
    """The dedupe key of a URL: lower-case scheme and host, no default port, no fragment, no tracking parameters,
    the remaining query sorted, no trailing slash (except the root). Raises ValueError for a URL without a host."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".").lower()
    if not scheme or not host:
        raise ValueError("URL needs a scheme and a host")
    port = parts.port
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port is None or _DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    path = parts.path or "/"
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING_PARAM.match(k))
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


# --- Text -------------------------------------------------------------------------------------------------------------


class _TextExtractor(HTMLParser):
    _SKIP = {"script", "style", "template", "noscript", "iframe", "object", "svg"}
    _BLOCK = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BLOCK:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1
        elif tag in self._BLOCK:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_SPACE = re.compile(r"\s+")


def clean_text(value: object, max_length: int) -> str:
    """Plain text from HTML or text: tags and scripts dropped, entities decoded, control characters and lone
    surrogates removed, whitespace collapsed, cut at a word boundary to `max_length`."""
    if value is None:
        return ""
    text = str(value)
    if "<" in text:
        extractor = _TextExtractor()
        extractor.feed(text)
        extractor.close()
        text = "".join(extractor.parts)
    else:
        text = html.unescape(text)
    text = _SPACE.sub(" ", _CONTROL.sub("", text)).strip()
    if len(text) > max_length:
        cut = text[: max_length - 1]
        text = (cut.rsplit(" ", 1)[0] if " " in cut[-40:] else cut).rstrip(" ,;:.") + "…"
    return text


_TAG_CHARS = re.compile(r"[^a-z0-9+#.\- ]")


def clean_tags(values: object) -> list[str]:
    """Lower-case, hyphenated, de-duplicated tags (at most 15 of at most 40 characters)."""
    if isinstance(values, str):
        values = re.split(r"[,;|]", values)
    if not isinstance(values, list | tuple):
        return []
    tags: list[str] = []
    for value in values:
        if not isinstance(value, str):
            continue
        tag = _TAG_CHARS.sub("", clean_text(value, 200).lower()).strip(" .-")
        tag = re.sub(r"\s+", "-", tag)
        if tag and len(tag) <= TAG_MAX and tag not in tags:
            tags.append(tag)
        if len(tags) >= TAGS_MAX:
            break
    return tags


# --- Media type, difficulty, duration ---------------------------------------------------------------------------------

_MEDIA_WORDS = {
    MediaType.VIDEO: ("video", "videoobject", "movie", "clip", "screencast", "webinar"),
    MediaType.PODCAST: ("podcast", "podcastepisode", "podcastseries", "audio", "audioobject", "episode"),
    MediaType.COURSE: ("course", "courseinstance", "mooc", "class", "curriculum", "specialization"),
    MediaType.BOOK: ("book", "ebook", "e-book", "textbook", "chapter"),
    MediaType.TUTORIAL: ("tutorial", "howto", "how-to", "guide", "walkthrough", "codelab", "lesson"),
    MediaType.DOCUMENTATION: ("documentation", "docs", "reference", "manual", "techarticle", "apireference", "spec"),
    MediaType.INTERACTIVE: ("interactive", "exercise", "quiz", "sandbox", "playground", "game", "kata", "lab"),
    MediaType.ARTICLE: ("article", "blogposting", "newsarticle", "blog", "post", "scholarlyarticle", "report"),
}


def media_type_from(*hints: object) -> str | None:
    """The first hint that names a media type (schema.org types, og:type such as `video.other`, MIME types such as
    `audio/mpeg`, or plain words such as "interactive exercise"), else None."""
    for hint in hints:
        if not isinstance(hint, str) or not hint.strip():
            continue
        text = hint.strip().lower()
        if re.fullmatch(r"[a-z]+/[\w.+-]+", text):  # a MIME type
            major = text.split("/", 1)[0]
            if major in ("audio", "video"):
                return MediaType.PODCAST if major == "audio" else MediaType.VIDEO
            continue
        tokens = re.split(r"[\s._/]+", text)
        for media_type, vocabulary in _MEDIA_WORDS.items():
            if text.replace(" ", "") in vocabulary or any(token in vocabulary for token in tokens):
                return media_type
    return None


_DIFFICULTY_WORDS = {
    Difficulty.BEGINNER: (
        "beginner",
        "beginners",
        "introductory",
        "intro",
        "introduction",
        "basic",
        "basics",
        "novice",
        "entry",
        "entry-level",
        "elementary",
        "easy",
        "starter",
        "101",
        "fundamentals",
        "foundation",
    ),
    Difficulty.INTERMEDIATE: ("intermediate", "medium", "moderate", "mid-level", "practitioner"),
    Difficulty.ADVANCED: (
        "advanced",
        "expert",
        "hard",
        "difficult",
        "professional",
        "mastery",
        "in-depth",
        "deep-dive",
    ),
}


def difficulty_from(*hints: object) -> str | None:
    for hint in hints:
        if isinstance(hint, dict):
            hint = hint.get("name") or hint.get("@value")
        if not isinstance(hint, str):
            continue
        words = re.findall(r"[a-z0-9-]+", hint.lower())
        for difficulty, vocabulary in _DIFFICULTY_WORDS.items():
            if any(word in vocabulary for word in words):
                return difficulty
    return None


_ISO_DURATION = re.compile(
    r"^P(?!$)(?:(?P<years>\d+(?:[.,]\d+)?)Y)?(?:(?P<months>\d+(?:[.,]\d+)?)M)?(?:(?P<weeks>\d+(?:[.,]\d+)?)W)?"
    r"(?:(?P<days>\d+(?:[.,]\d+)?)D)?(?:T(?=\d)(?:(?P<hours>\d+(?:[.,]\d+)?)H)?(?:(?P<minutes>\d+(?:[.,]\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:[.,]\d+)?)S)?)?$",
    re.IGNORECASE,
)
_UNIT_MINUTES = {
    "years": 525_600,
    "months": 43_800,
    "weeks": 10_080,
    "days": 1_440,
    "hours": 60,
    "minutes": 1,
    "seconds": 1 / 60,
}
_CLOCK = re.compile(r"^(?:(\d{1,4}):)?(\d{1,2}):(\d{1,2})$")


def _bounded_minutes(minutes: float) -> int | None:
    if not math.isfinite(minutes) or minutes <= 0:
        return None
    rounded = max(1, math.ceil(minutes - 1e-9))
    return rounded if rounded <= MAX_MINUTES else None


def duration_minutes_from(value: object, *, bare_number_unit: str = "seconds") -> int | None:
    """Minutes from an ISO 8601 duration (`PT1H30M`, `P2W`), a clock (`1:02:03`, `45:10`), or a bare number in
    `bare_number_unit` (iTunes durations and og `video:duration` are seconds). None when absent, invalid or absurd."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return _bounded_minutes(float(value) / (60 if bare_number_unit == "seconds" else 1))
    text = str(value).strip()
    if not text or len(text) > 40:
        return None
    iso = _ISO_DURATION.match(text)
    if iso:
        total = sum(
            float(amount.replace(",", ".")) * _UNIT_MINUTES[unit] for unit, amount in iso.groupdict().items() if amount
        )
        return _bounded_minutes(total)
    clock = _CLOCK.match(text)
    if clock:
        hours, minutes, seconds = (int(part) if part else 0 for part in clock.groups())
        return _bounded_minutes(hours * 60 + minutes + seconds / 60)
    if re.fullmatch(r"\d{1,9}(\.\d+)?", text):
        return duration_minutes_from(float(text), bare_number_unit=bare_number_unit)
    return None
