"""The SSRF guard: which URLs the scraper may fetch, and the one address it connects to for each.

A URL is fetched only when its scheme is http or https, it carries no credentials, and every address its host
resolves to is globally routable. Resolution goes through getaddrinfo, which also decodes the numeric spellings of
an address (`2130706433`, `0x7f.1`, `0177.0.0.1`, `127.1`), so those are judged by the address they mean. IPv6
addresses that embed an IPv4 one (mapped, 6to4, NAT64, Teredo) are judged by the embedded address too. The caller
connects to the validated address (`Target.ip`), never resolving the name again, so a DNS answer that changes
between check and connect (DNS rebinding) cannot redirect it.

`settings.SCRAPER_ALLOWED_ADDRESSES` ("ip:port" pairs) exempts exact pairs from the routability rule: empty in
deployments; the tests list their single loopback test server.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

MAX_URL_LENGTH = 2000
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


class UnsafeURL(Exception):
    """The URL may not be fetched; the message says why (it is recorded in the job's errors)."""


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str  # as written in the URL (IDNA-encoded), for the Host header and TLS SNI
    port: int
    ip: str  # the validated address to connect to

    @property
    def origin(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}" + ("" if self.port == default else f":{self.port}")


@dataclass(frozen=True)
class ParsedURL:
    scheme: str
    host: str
    port: int


def parse_url(url: str) -> ParsedURL:
    """Check the URL's syntax: http(s), a host, no credentials, a valid port. No network access."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise UnsafeURL("URL missing or longer than 2000 characters")
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F or 0xD800 <= ord(ch) <= 0xDFFF for ch in url):
        raise UnsafeURL("URL contains whitespace or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(f"malformed URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeURL(f"scheme {scheme or '(none)'!r} is not allowed; only http and https")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise UnsafeURL("URLs with credentials are not allowed")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeURL("URL has no host")
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host.lower()
    except UnicodeError:
        raise UnsafeURL("host name is not valid") from None
    if port == 0:
        raise UnsafeURL("port 0 is not allowed")
    return ParsedURL(scheme=scheme, host=host, port=port or (443 if scheme == "https" else 80))


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip.sixtofour:
        return ip.sixtofour
    if ip.teredo:
        return ip.teredo[1]
    if any(ip in net for net in _NAT64):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if int(ip) >> 32 == 0 and int(ip) > 1:  # deprecated IPv4-compatible ::a.b.c.d
        return ipaddress.IPv4Address(int(ip))
    return None


def is_public_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Globally routable unicast only: not loopback, private, link-local, CGNAT (100.64/10), reserved, multicast,
    unspecified, documentation or benchmarking ranges, nor an IPv6 address embedding one of those."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = embedded_ipv4(ip)
        if embedded is not None and not is_public_address(embedded):
            return False
    return ip.is_global and not (ip.is_multicast or ip.is_unspecified or ip.is_reserved or ip.is_loopback)


def _allowed_exception(ip: str, port: int) -> bool:
    allowed = getattr(settings, "SCRAPER_ALLOWED_ADDRESSES", ())
    return f"{ip}:{port}" in allowed or f"[{ip}]:{port}" in allowed


def resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise UnsafeURL(f"cannot resolve {host!r}: {exc}") from None
    return list(dict.fromkeys(str(info[4][0]).split("%", 1)[0] for info in infos))


def validate(url: str) -> Target:
    """Parse and resolve `url`; every address must be public (or an allowed test pair). Returns the pinned target."""
    parsed = parse_url(url)
    addresses = resolve(parsed.host, parsed.port)
    if not addresses:
        raise UnsafeURL(f"{parsed.host!r} resolves to no address")
    for address in addresses:
        ip = ipaddress.ip_address(address)
        if not is_public_address(ip) and not _allowed_exception(str(ip), parsed.port):
            raise UnsafeURL(f"{parsed.host!r} resolves to {ip}, which is not a public address")
    return Target(url=url, scheme=parsed.scheme, host=parsed.host, port=parsed.port, ip=addresses[0])


def check_literal(url: str) -> None:
    """Request-time check without DNS: the syntax, and a host that is an address literal in any spelling
    (`127.0.0.1`, `2130706433`, `0x7f.1`, `[::ffff:10.0.0.1]`) must be public. Names are resolved at fetch time."""
    parsed = parse_url(url)
    try:
        packed = socket.inet_aton(parsed.host)  # accepts the decimal, hex, octal and short forms getaddrinfo accepts
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.IPv4Address(packed)
    except OSError:
        try:
            ip = ipaddress.ip_address(parsed.host)
        except ValueError:
            return
    if not is_public_address(ip) and not _allowed_exception(str(ip), parsed.port):
        raise UnsafeURL(f"{ip} is not a public address")
