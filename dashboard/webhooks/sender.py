"""One HTTP POST of one webhook event, to the address checked just before
(`urls.check_url`), never another one the name resolves to meanwhile (DNS rebinding).

urllib3 connects to the checked IP while TLS still verifies the certificate for the host
name (SNI and hostname check on the name) and `Host` names it; 5 s to connect, 5 s to
answer; redirects are not followed (a 3xx is a failed delivery: the endpoint must answer
itself); no retries here (the outbox schedules them). The answer counts as delivered
only with a 2xx status.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Optional

import certifi
import urllib3

from dashboard.webhooks.urls import Target

TIMEOUT = urllib3.Timeout(connect=5.0, read=5.0)
MAX_ERROR_CHARS = 500
USER_AGENT = "ResolutionCenter-Webhooks/1"


@dataclass(frozen=True)
class Answer:
    ok: bool
    status_code: Optional[int]
    response_ms: int
    error: Optional[str]


def _pool(target: Target, address: str) -> urllib3.HTTPConnectionPool:
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(address, target.port, timeout=TIMEOUT, retries=False, maxsize=1,
                                           server_hostname=target.host, assert_hostname=target.host,
                                           cert_reqs="CERT_REQUIRED", ca_certs=certifi.where())
    return urllib3.HTTPConnectionPool(address, target.port, timeout=TIMEOUT, retries=False, maxsize=1)


def _host_header(target: Target) -> str:
    default = 443 if target.scheme == "https" else 80
    host = f"[{target.host}]" if ":" in target.host else target.host
    return host if target.port == default else f"{host}:{target.port}"


def post(target: Target, body: str, headers: dict[str, str]) -> Answer:
    """POST `body` to `target`; the first address that takes the connection answers."""
    sent = {"Content-Type": "application/json", "User-Agent": USER_AGENT, "Host": _host_header(target), **headers}
    started = time.monotonic()
    error: Optional[str] = None
    for address in target.addresses:
        pool = _pool(target, address)
        try:
            response = pool.urlopen("POST", target.path, body=body.encode("utf-8"), headers=sent, redirect=False,
                                    retries=False, assert_same_host=False, preload_content=False)
            try:
                response.read(64 * 1024)  # a little of the answer (never all of a huge one), then let go
            except urllib3.exceptions.HTTPError:
                pass
            finally:
                response.release_conn()
        except urllib3.exceptions.NewConnectionError as exc:
            error = f"could not connect to {target.host} ({address}): {exc.__class__.__name__}"
            continue
        except urllib3.exceptions.HTTPError as exc:
            return Answer(False, None, _ms(started), f"{exc.__class__.__name__}: {exc}"[:MAX_ERROR_CHARS])
        finally:
            pool.close()
        ms = _ms(started)
        if 200 <= response.status < 300:
            return Answer(True, response.status, ms, None)
        what = "redirected (redirects are not followed)" if 300 <= response.status < 400 else "answered"
        return Answer(False, response.status, ms, f"the endpoint {what} with HTTP {response.status}")
    return Answer(False, None, _ms(started), (error or "no address to connect to")[:MAX_ERROR_CHARS])


def _ms(started: float) -> int:
    return int(round((time.monotonic() - started) * 1000))


Send = Callable[[Target, str, dict[str, str]], Answer]
