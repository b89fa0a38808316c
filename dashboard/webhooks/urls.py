"""Which webhook URLs we will call (issue 11): a webhook must not become a way to make
our servers reach inside their own network (SSRF).

- `https` only, except in the embedded default (a SQLite demo on one machine) or with
  `WEBHOOK_ALLOW_PRIVATE=on`, which also allows plain `http`;
- no credentials in the URL, no fragment, at most 2,048 characters;
- every address the host resolves to must be a public one: private, loopback,
  link-local, multicast, unspecified, reserved and shared (CGNAT) addresses are refused
  unless `WEBHOOK_ALLOW_PRIVATE=on`.

The host is resolved when the URL is saved (a clear 422 then) AND before each delivery,
and the delivery connects to the very address checked (`dashboard.webhooks.sender`), so
a name that later resolves to 127.0.0.1 (DNS rebinding) is refused at that moment too.
`resolve` is the one seam to the resolver, so tests can pin what a name resolves to.
"""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

from dashboard.errors import Invalid
from dashboard.settings import Settings

MAX_URL_CHARS = 2048

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UrlRefused(Invalid):
    """422 `invalid_url`, naming the field, with the reason in words."""

    def __init__(self, message: str):
        super().__init__("invalid_url", message, detail={"field": "url"})


@dataclass(frozen=True)
class Target:
    """Where one delivery goes: the URL's parts and the checked addresses to connect to."""

    scheme: str
    host: str
    port: int
    path: str  # with the query string
    addresses: tuple[str, ...]


def _getaddrinfo(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


resolve: Callable[[str, int], list[str]] = _getaddrinfo


def _is_public(ip: IpAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is loopback
    return ip.is_global and not ip.is_multicast


def allows_http(settings: Settings) -> bool:
    return settings.embedded or settings.webhook_allow_private


def parse_url(url: str, settings: Settings) -> tuple[str, str, int, str]:
    """The URL's (scheme, host, port, path) if its shape is acceptable, else UrlRefused."""
    if not isinstance(url, str) or not url.strip():
        raise UrlRefused("'url' is required: the https address we should send the events to.")
    url = url.strip()
    if len(url) > MAX_URL_CHARS:
        raise UrlRefused(f"'url' is longer than {MAX_URL_CHARS} characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UrlRefused("'url' is not a valid URL.")
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise UrlRefused("'url' must start with https://.")
    if scheme == "http" and not allows_http(settings):
        raise UrlRefused("'url' must use https: events carry case details, so they are only sent encrypted.")
    if not parts.hostname:
        raise UrlRefused("'url' has no host name.")
    if parts.username is not None or parts.password is not None:
        raise UrlRefused("'url' must not contain a user name or password; check the signature instead.")
    if parts.fragment:
        raise UrlRefused("'url' must not contain a fragment (#…).")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, parts.hostname.lower(), port or (443 if scheme == "https" else 80), path


def check_url(url: str, settings: Settings) -> Target:
    """The delivery target of `url`, resolved and checked now; UrlRefused with the
    reason otherwise (at save time a 422; at delivery time a failed attempt)."""
    scheme, host, port, path = parse_url(url, settings)
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            addresses = resolve(host, port)
        except (OSError, UnicodeError, ValueError):
            raise UrlRefused(f"The host {host} could not be found (DNS). Check the address and try again.")
        if not addresses:
            raise UrlRefused(f"The host {host} could not be found (DNS). Check the address and try again.")
    if not settings.webhook_allow_private:
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
            if not _is_public(ip):
                raise UrlRefused(f"The host {host} points to {address}, which is a private, loopback, link-local "
                                 "or otherwise non-public address; webhooks can only be sent to the public internet.")
    return Target(scheme, host, port, path, tuple(addresses))
