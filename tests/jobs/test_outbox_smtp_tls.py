"""SMTP_URL with credentials over STARTTLS (smtp://) and implicit TLS (smtps://),
against real aiosmtpd servers with a certificate made for the test and trusted
through SSL_CERT_FILE, as an operator would trust a private CA."""
from __future__ import annotations

import dataclasses
import shutil
import ssl
import subprocess

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import select

from data.models import OutboxEmail
from dashboard.notifications import outbox
from tests.factories import T0
from tests.jobs._procs import free_port

USER, PASSWORD = "mailer", "s3cret p@ss"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    if not shutil.which("openssl"):
        pytest.skip("the openssl command is needed to make a test certificate")
    base = tmp_path_factory.mktemp("tls")
    cert, key = base / "cert.pem", base / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


class Mailbox:
    def __init__(self):
        self.envelopes, self.logins = [], []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
        self.envelopes.append((envelope, session.ssl is not None))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == \
            (USER.encode(), PASSWORD.encode())
        self.logins.append((auth_data.login.decode(), ok))
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself


@pytest.fixture
def tls_server(certificate, monkeypatch):
    """start(implicit: bool) -> (mailbox, port): STARTTLS required, or TLS from the first byte."""
    cert, key = certificate
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # ssl.create_default_context() trusts it
    controllers = []

    def start(*, implicit: bool):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        box, port = Mailbox(), free_port()
        common = dict(hostname="127.0.0.1", port=port, authenticator=box.authenticate, auth_required=True,
                      server_hostname="127.0.0.1")
        if implicit:  # aiosmtpd only counts STARTTLS as TLS for AUTH; here every byte is TLS
            ctl = Controller(box, ssl_context=context, auth_require_tls=False, **common)
        else:
            ctl = Controller(box, tls_context=context, require_starttls=True, **common)
        ctl.start()
        controllers.append(ctl)
        return box, port

    yield start
    for ctl in controllers:
        ctl.stop()


def deliver(runtime, smtp_url):
    settings = dataclasses.replace(runtime.settings, smtp_url=smtp_url)
    with runtime.Session() as s:
        return outbox.deliver_outbox(s, T0, settings=settings)


def statuses(runtime):
    with runtime.Session() as s:
        return [(r.status, r.last_error) for r in s.scalars(select(OutboxEmail).order_by(OutboxEmail.id))]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("scheme", ["smtp", "smtps"])
def test_credentials_over_tls(runtime, act, tls_server, scheme):
    act.open(T0)  # three emails: the company's two creators and the customer's receipt
    box, port = tls_server(implicit=scheme == "smtps")
    counts = deliver(runtime, f"{scheme}://{USER}:s3cret%20p%40ss@127.0.0.1:{port}")
    assert counts["sent"] == counts["claimed"] == 3, statuses(runtime)
    assert box.logins == [(USER, True)]  # one connection for the batch, logged in once
    assert len(box.envelopes) == 3
    if scheme == "smtp":  # upgraded with STARTTLS (an smtps server speaks nothing but TLS)
        assert all(upgraded for _, upgraded in box.envelopes)


def test_wrong_credentials_are_retried_not_dropped(runtime, act, tls_server):
    act.open(T0)
    box, port = tls_server(implicit=False)
    counts = deliver(runtime, f"smtp://{USER}:wrong@127.0.0.1:{port}")
    assert counts == {"claimed": 3, "sent": 0, "retrying": 3, "failed": 0}
    assert all(status == "pending" and "unavailable" in error for status, error in statuses(runtime))
    assert box.envelopes == []
