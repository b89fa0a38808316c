"""`python -m dashboard jobs [--once] [--as-of]` and `seed-demo`."""
from __future__ import annotations

import email
import json
import signal
import time
from email import policy

from sqlalchemy import select

from data.models import Case
from dashboard.context import Ctx
from dashboard.cases import opening
from dashboard.cli import main
from tests import factories
from tests.factories import T0, days


def test_jobs_once_as_of_escalates_a_due_case(cli):
    runtime = cli.runtime()
    with runtime.Session.begin() as s:
        ctx = Ctx(s, T0, runtime.settings)
        co = factories.company(ctx)
        creator = factories.user(ctx, "creator", company_id=co.id)
        customer = factories.user(ctx, "customer")
        pay = factories.payment(ctx, company=co, customer=customer, paid_at=T0 - days(1))
        case_id = opening.open_case(ctx, actor=customer, payment_id=pay.id, reason="fraudulent",
                                    message="Not me.").case.id

    before = cli("jobs", "--once", "--as-of", (T0 + days(7) - days(1 / 24)).isoformat())
    assert before.returncode == 0, before.stderr
    early = json.loads(before.stdout)
    assert early["escalation"] == {"due": 0, "escalated": 0, "errors": 0}
    assert early["outbox"]["sent"] == 2  # the creator's "case opened" email and the customer's receipt

    as_of = T0 + days(7)
    done = cli("jobs", "--once", "--as-of", as_of.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["as_of"] == as_of.isoformat()
    assert report["escalation"] == {"due": 1, "escalated": 1, "errors": 0}
    assert report["outbox"] == {"claimed": 2, "sent": 2, "retrying": 0, "failed": 0}  # escalated: both sides

    with runtime.Session() as s:
        case = s.scalar(select(Case).where(Case.id == case_id))
        assert (case.status, case.escalated, case.escalated_at) == ("under_review", True, as_of)
    mails = [email.message_from_bytes(p.read_bytes(), policy=policy.default)
             for p in sorted(runtime.settings.mail_dir.glob("*.eml"))]
    assert {m["To"] for m in mails} == {creator.email, customer.email}
    assert all(case_id in m["Subject"] for m in mails)

    again = json.loads(cli("jobs", "--once", "--as-of", as_of.isoformat()).stdout)
    assert again["escalation"]["escalated"] == 0 and again["outbox"]["claimed"] == 0
    runtime.engine.dispose()


def test_jobs_without_once_runs_until_sigterm(cli):
    proc = cli.popen("jobs")
    try:
        started = time.monotonic()
        lines = []
        while time.monotonic() - started < 30:
            line = proc.stderr.readline()
            lines.append(line)
            if "scheduler started" in line or not line:
                break
        assert any("scheduler started" in line for line in lines), "".join(lines)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        assert "stopped" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_seed_demo_is_refused_where_demo_data_is_off(cli_env, monkeypatch, capsys):
    monkeypatch.setenv("DEMO_DATA", "off")
    assert main(["seed-demo"]) == 1
    assert "DEMO_DATA is off" in capsys.readouterr().err


def test_seed_demo_prints_the_logins_and_runs_once(cli_env, monkeypatch, capsys):
    import dashboard.demo

    calls = []

    def fake_seed(runtime, now):
        calls.append(now)
        if len(calls) == 1:
            return {"created": True, "cases": 150, "payments": 230, "users": 49, "companies": 5, "seconds": 1.5}
        return {"created": False}

    monkeypatch.setattr(dashboard.demo, "seed_demo", fake_seed)
    assert main(["seed-demo"]) == 0
    first = capsys.readouterr().out
    assert "Seeded the demo data: 150 cases" in first
    for who in ("customer@demo.test", "creator@demo.test", "reviewer@demo.test", "manager@demo.test"):
        assert who in first
    assert "password 'demo'" in first
    assert main(["seed-demo"]) == 0
    assert "already present" in capsys.readouterr().out
