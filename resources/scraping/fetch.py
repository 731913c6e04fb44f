"""A polite, bounded HTTP fetcher for the scraper (httpx).

Every request: the URL passes the SSRF guard and the connection goes to the address the guard validated (the Host
header and TLS SNI keep the name, so certificates are still checked against it); robots.txt of the origin allows
the path for our user agent; the host has not been hit within the per-host delay (or robots.txt's Crawl-delay);
connect and read timeouts plus a total deadline; a body cap counted while streaming; redirects followed by hand,
each hop validated again, at most `SCRAPER_MAX_REDIRECTS`. Proxies from the environment are ignored, since a proxy
would defeat the address pinning.
"""

import logging
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import quote, urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx
from django.conf import settings

from resources.scraping import guard

logger = logging.getLogger(__name__)

ROBOTS_AGENT = "PathwiseBot"
ROBOTS_MAX_BYTES = 512 * 1024
MAX_CRAWL_DELAY = 10.0
REDIRECT_CODES = {301, 302, 303, 307, 308}


class FetchError(Exception):
    """A fetch that did not produce a usable response; the message goes to the job's errors."""


class BodyTooLarge(FetchError):
    pass


class RobotsDisallowed(FetchError):
    pass


class TooManyRedirects(FetchError):
    pass


class HTTPStatusError(FetchError):
    def __init__(self, url: str, status: int) -> None:
        super().__init__(f"HTTP {status} from {url}")
        self.status = status


@dataclass
class Response:
    url: str  # the final URL, after redirects
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def text(self) -> str:
        charset = "utf-8"
        for part in self.content_type.split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                charset = value.strip("\"' ")
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")


class Fetcher:
    """One per scrape job (not thread-safe across jobs; it keeps the job's robots.txt and host timing)."""

    def __init__(self) -> None:
        self.user_agent = settings.SCRAPER_USER_AGENT
        self.max_body = settings.SCRAPER_MAX_BODY_BYTES
        self.max_redirects = settings.SCRAPER_MAX_REDIRECTS
        self.total_timeout = settings.SCRAPER_TOTAL_TIMEOUT
        self.host_delay = settings.SCRAPER_HOST_DELAY_SECONDS
        self._robots: dict[str, RobotFileParser | None] = {}
        self._last_hit: dict[str, float] = {}
        self._lock = threading.Lock()
        timeout = httpx.Timeout(
            connect=settings.SCRAPER_CONNECT_TIMEOUT,
            read=settings.SCRAPER_READ_TIMEOUT,
            write=settings.SCRAPER_READ_TIMEOUT,
            pool=settings.SCRAPER_CONNECT_TIMEOUT,
        )
        self.client = httpx.Client(
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
            limits=httpx.Limits(max_connections=4, max_keepalive_connections=2),
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- public ---------------------------------------------------------------------------------------------------

    def get(self, url: str, *, accept: str = "*/*") -> Response:
        """GET `url` under every rule above; raises guard.UnsafeURL, FetchError or httpx.HTTPError."""
        return self._get(url, accept=accept, check_robots=True, max_body=self.max_body)

    # --- internals ------------------------------------------------------------------------------------------------

    def _get(self, url: str, *, accept: str, check_robots: bool, max_body: int) -> Response:
        deadline = time.monotonic() + self.total_timeout
        current = url
        for _hop in range(self.max_redirects + 1):
            target = guard.validate(current)
            if check_robots:
                self._check_robots(target)
            self._wait_for_host(target)
            response = self._request_once(target, accept=accept, deadline=deadline, max_body=max_body)
            if response.status in REDIRECT_CODES and "location" in response.headers:
                current = urljoin(current, response.headers["location"].strip())
                continue
            if response.status >= 400:
                raise HTTPStatusError(current, response.status)
            return response
        raise TooManyRedirects(f"more than {self.max_redirects} redirects from {url}")

    def _request_once(self, target: guard.Target, *, accept: str, deadline: float, max_body: int) -> Response:
        parts = urlsplit(target.url)
        # Percent-encode what a sitemap or redirect may carry raw (spaces, non-ASCII); keep existing escapes.
        path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
        query = quote(parts.query, safe="/%:@!$&'()*+,;=-._~?")
        pinned = httpx.URL(
            scheme=target.scheme,
            host=target.ip,
            port=target.port,
            raw_path=(path + (f"?{query}" if query else "")).encode("ascii"),
        )
        host_header = target.origin.split("://", 1)[1]
        headers = {"Host": host_header, "User-Agent": self.user_agent, "Accept": accept, "Accept-Encoding": "identity"}
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        logger.debug("scraper GET %s via %s", target.url, target.ip)
        with self.client.stream("GET", pinned, headers=headers, extensions=extensions) as resp:
            declared = resp.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_body:
                raise BodyTooLarge(f"{target.url}: body of {declared} bytes is over the {max_body}-byte cap")
            body = bytearray()
            if resp.status_code not in REDIRECT_CODES and resp.status_code < 400:
                for chunk in resp.iter_bytes():
                    body.extend(chunk)
                    if len(body) > max_body:
                        raise BodyTooLarge(f"{target.url}: body is over the {max_body}-byte cap")
                    if time.monotonic() > deadline:
                        raise FetchError(f"{target.url}: took longer than {self.total_timeout:g} s")
            return Response(
                url=target.url,
                status=resp.status_code,
                content_type=resp.headers.get("content-type", ""),
                body=bytes(body),
                headers={k.lower(): v for k, v in resp.headers.items()},
            )

    def _wait_for_host(self, target: guard.Target) -> None:
        delay = self.host_delay
        robots = self._robots.get(target.origin)
        if robots is not None:
            crawl_delay = robots.crawl_delay(ROBOTS_AGENT)
            if crawl_delay:
                delay = max(delay, min(float(crawl_delay), MAX_CRAWL_DELAY))
        with self._lock:
            last = self._last_hit.get(target.host)
            now = time.monotonic()
            wait = 0.0 if last is None else last + delay - now
            self._last_hit[target.host] = now + max(wait, 0.0)
        if wait > 0:
            time.sleep(wait)

    def _robots_for(self, target: guard.Target) -> RobotFileParser | None:
        """The origin's robots.txt (None = everything allowed). RFC 9309: unreachable (5xx, network error) means
        disallow everything; a 4xx other than 401/403 means no rules."""
        if target.origin in self._robots:
            return self._robots[target.origin]
        parser = RobotFileParser()
        try:
            response = self._get(
                f"{target.origin}/robots.txt", accept="text/plain", check_robots=False, max_body=ROBOTS_MAX_BYTES
            )
            parser.parse(response.text().splitlines())
            result: RobotFileParser | None = parser
        except HTTPStatusError as exc:
            if exc.status in (401, 403) or exc.status >= 500:
                parser.disallow_all = True
                result = parser
            else:
                result = None
        except (FetchError, guard.UnsafeURL, httpx.HTTPError) as exc:
            logger.info("robots.txt of %s unavailable (%s): treating the site as disallowed", target.origin, exc)
            parser.disallow_all = True
            result = parser
        self._robots[target.origin] = result
        return result

    def _check_robots(self, target: guard.Target) -> None:
        robots = self._robots_for(target)
        if robots is not None and not robots.can_fetch(ROBOTS_AGENT, target.url):
            raise RobotsDisallowed(f"robots.txt of {target.origin} disallows {target.url}")
