"""`/metrics` callbacks and the CSV export, called as a signed-in user, on SQLite and PostgreSQL.

Managers get figures and numbers that match hand-built cases; every other role (and a
crafted call naming a company) gets the "not for you" state and no data at all.
"""
from __future__ import annotations

import csv
import io

import pytest
from dash.development.base_component import Component

from callbacks import metrics as cb
from data.models import CaseEvent, Company
from dashboard import export_routes
from dashboard.components.format import PROVIDER_LABELS, reason_label
from tests import metrics_cases
from tests.metrics_cases import MARCH, at, make_case

MARCH_ARGS = dict(start="2026-03-01", end="2026-03-31", companies=None, providers=None, reasons=None)
SECRET = "INTERNAL-NOTE-do-not-export"


@pytest.fixture
def build(Session, tmp_path):  # noqa: N803
    return metrics_cases.builder(Session, tmp_path)


@pytest.fixture
def scenario(build):
    w, ids = metrics_cases.scenario(build)
    with build() as (ctx, _):
        ctx.session.add(CaseEvent(case_id=ids["c"], action="note", reporter_type="platform", actor_id=w.reviewer.id,
                                  details=SECRET, viewable_by_customer=False, viewable_by_merchant=False,
                                  created_at=at(10)))
    return w, ids


def walk(node):
    if isinstance(node, (list, tuple)):
        for child in node:
            yield from walk(child)
    elif isinstance(node, Component):
        yield node
        yield from walk(getattr(node, "children", None))


def by_id(tree, component_id: str) -> Component:
    return next(n for n in walk(tree) if getattr(n, "id", None) == component_id)


def text_of(node) -> str:
    if node is None:
        return ""
    if isinstance(node, (str, int, float)):
        return str(node)
    if isinstance(node, (list, tuple)):
        return " ".join(text_of(c) for c in node)
    return text_of(getattr(node, "children", None))


def kpi(out, key: str) -> str:
    return text_of(by_id(out["kpis"], f"metrics-kpi-{key}"))


# ------------------------------------------------------------------------ manager
def test_manager_sees_kpis_matching_the_cases(as_user, scenario):
    w, _ = scenario
    with as_user(w.manager):
        out = cb.metrics_overview(**MARCH_ARGS, bucket="week")
    assert out["alert"] is None and out["body_style"] == {} and out["export_style"] == {}
    assert (kpi(out, "cases"), kpi(out, "open")) == ("7", "3")
    assert kpi(out, "first-response") == "4h"
    assert kpi(out, "resolution") == "2d 0h"  # 1d, 2d, 3d, 5d: the lower middle case
    assert (kpi(out, "escalation"), kpi(out, "appeal"), kpi(out, "customer-wins")) == ("43%", "50%", "50%")
    assert kpi(out, "refunded") == "$50.00" and kpi(out, "credited") == "$20.00"
    assert out["export_href"] == "/metrics/export.csv?start=2026-03-01&end=2026-03-31"


def test_manager_figures_have_the_expected_traces(as_user, scenario):
    w, _ = scenario
    with as_user(w.manager):
        out = cb.metrics_overview(**MARCH_ARGS, bucket="month")
    outcomes = {t.name: list(t.y) for t in out["outcomes"].data}
    assert outcomes == {"Customer won": [2], "Merchant won": [1], "Withdrawn": [1], "Still open": [3]}
    rates = {t.name: list(t.y) for t in out["rates"].data}
    assert rates["Escalation rate"] == [pytest.approx(3 / 7)]
    assert rates["Appeal rate (platform decisions)"] == [pytest.approx(0.5)]
    assert [(t.name, list(t.y)) for t in out["money"].data] == [("Refunded", [50.0]), ("Credited", [20.0])]
    first = out["first_response"]
    assert len(first.data) == 1 and sum(first.data[0].y) == 3
    assert first.layout.shapes[0].x0 == pytest.approx(4.0)  # the median line, in hours
    resolution = {t.name: sum(t.y) for t in out["resolution"].data}
    assert resolution == {"Customer won": 2, "Merchant won": 1, "Withdrawn": 1}


def test_every_output_follows_the_filters(as_user, scenario):
    w, ids = scenario
    args = dict(MARCH_ARGS, providers=["paypal"], companies=[w.company.id])
    with as_user(w.manager):
        out = cb.metrics_overview(**args, bucket="week")
        volume = cb.metrics_volume(**args, bucket="week", stack="provider")
        tables = cb.metrics_breakdowns(**args)
    assert kpi(out, "cases") == "1"  # case c: Acme, PayPal
    assert kpi(out, "refunded") == "$0.00"  # its refund never went through
    assert [(t.name, list(t.y)) for t in volume.data] == [("PayPal", [1])]
    assert sum(sum(t.y) for t in out["outcomes"].data) == 1
    assert "Other Co" not in text_of(tables["company"]) and "Acme Courses" in text_of(tables["company"])
    assert out["export_href"].endswith(f"&company={w.company.id}&provider=paypal")


def test_volume_stacks_by_reason_or_provider(as_user, scenario):
    w, _ = scenario
    with as_user(w.manager):
        by_reason = cb.metrics_volume(**MARCH_ARGS, bucket="month", stack="reason")
        by_provider = cb.metrics_volume(**MARCH_ARGS, bucket="day", stack="provider")
    assert {t.name: sum(t.y) for t in by_reason.data} == {
        reason_label("fraudulent"): 4, reason_label("not_as_described"): 2, reason_label("product_not_received"): 1}
    assert {t.name: sum(t.y) for t in by_provider.data} == {
        PROVIDER_LABELS["stripe"]: 4, PROVIDER_LABELS["paypal"]: 2, PROVIDER_LABELS["crypto"]: 1}
    assert by_provider.layout.barmode == "stack"


def test_breakdowns_show_each_company_provider_and_reason(as_user, scenario):
    w, _ = scenario
    with as_user(w.manager):
        out = cb.metrics_breakdowns(**MARCH_ARGS)
    company_rows = by_id(out["company"], "metrics-table-company").children[1].children
    assert [text_of(r.children[0]) for r in company_rows] == ["Acme Courses", "Other Co"]
    assert [text_of(c) for c in company_rows[1].children] == ["Other Co", "3", "1", "3", "100%", "67%", "50%", "0%"]
    bar = by_id(out["provider"], "metrics-bar-provider").figure
    assert sum(sum(t.x) for t in bar.data) == 7
    assert "Payments" not in text_of(out["reason"])  # no dispute rate for reasons


def test_empty_range_draws_empty_states_not_blank_axes(as_user, scenario):
    w, _ = scenario
    args = dict(MARCH_ARGS, start="2025-01-01", end="2025-01-31")
    with as_user(w.manager):
        out = cb.metrics_overview(**args, bucket="week")
        tables = cb.metrics_breakdowns(**args)
    for name in cb.FIGURES:
        assert out[name].data == () and out[name].layout.annotations, name
    assert kpi(out, "cases") == "0" and kpi(out, "first-response") == "—"
    assert "No cases match" in text_of(tables["company"])


def test_company_search_for_manager(as_user, scenario):
    w, _ = scenario
    with as_user(w.manager):
        assert cb.metrics_company_options("other", None) == [{"label": "Other Co", "value": w.other_company.id}]
        kept = cb.metrics_company_options("other", [w.company.id])
    assert [o["label"] for o in kept] == ["Acme Courses", "Other Co"]


# ---------------------------------------------------------------- everyone else
@pytest.mark.parametrize("role", ["reviewer", "creator", "other_creator", "customer", "integration"])
def test_other_roles_get_nothing(as_user, scenario, role):
    w, _ = scenario
    user = getattr(w, role)
    # A crafted call naming the caller's own (or another) company changes nothing.
    args = dict(MARCH_ARGS, companies=[w.company.id, w.other_company.id], providers=["stripe"])
    with as_user(user):
        out = cb.metrics_overview(**args, bucket="week")
        volume = cb.metrics_volume(**args, bucket="week", stack="reason")
        tables = cb.metrics_breakdowns(**args)
        options = cb.metrics_company_options("", [w.company.id])
    assert out["alert"] is cb.FORBIDDEN and out["body_style"] == {"display": "none"}
    assert out["kpis"] is None and out["export_href"] == "" and out["export_style"] == {"display": "none"}
    assert all(out[name] == cb.NO_FIGURE for name in cb.FIGURES)
    assert volume == cb.NO_FIGURE
    assert tables == {"company": None, "provider": None, "reason": None}
    assert options == []


def test_signed_out_caller_gets_an_alert_and_no_data(as_user, scenario):
    with as_user(None):
        out = cb.metrics_overview(**MARCH_ARGS, bucket="week")
        assert cb.metrics_volume(**MARCH_ARGS, bucket="week", stack="reason") == cb.NO_FIGURE
    assert "Sign in again" in text_of(out["alert"])
    assert out["kpis"] is None and out["body_style"] == {"display": "none"}


def test_deactivated_manager_gets_nothing(as_user, scenario, Session):  # noqa: N803
    w, _ = scenario
    with Session.begin() as s:
        s.get(type(w.manager), w.manager.id).is_active = False
    with as_user(w.manager):
        out = cb.metrics_overview(**MARCH_ARGS, bucket="week")
    assert out["kpis"] is None and out["money"] == cb.NO_FIGURE


# ------------------------------------------------------------------------ CSV export
@pytest.fixture
def client(flask_app):
    export_routes.register(flask_app)
    return flask_app.test_client()


def sign_in(client, user) -> None:
    with client.session_transaction() as sess:
        sess["_user_id"] = user.id
        sess["_fresh"] = True
        sess["epoch"] = user.session_epoch or 0


def read_csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_manager_exports_the_filtered_cases(client, scenario):
    w, ids = scenario
    sign_in(client, w.manager)
    response = client.get("/metrics/export.csv?start=2026-03-01&end=2026-03-31&provider=paypal")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.get_data(as_text=True).splitlines()[0] == ",".join(export_routes.HEADER)
    rows = read_csv(response)
    assert [r["id"] for r in rows] == [ids["c"], ids["d"]]
    c = rows[0]
    assert (c["created_at"], c["company"], c["customer_email"], c["provider"], c["reason"]) == (
        "2026-03-09T12:00:00Z", "Acme Courses", w.customer.email, "paypal", "not_as_described")
    assert (c["status"], c["outcome"], c["amount"], c["currency"], c["escalated"], c["appealed"]) == (
        "closed", "merchant_won", "50.00", "USD", "true", "true")
    assert c["closed_at"] == "2026-03-14T12:00:00Z" and c["refund"] == "none"
    everything = client.get("/metrics/export.csv?start=2026-03-01&end=2026-03-31").get_data(as_text=True)
    assert SECRET not in everything and "It never arrived" not in everything
    assert len(read_csv(client.get("/metrics/export.csv?start=2026-03-01&end=2026-03-31"))) == 7


def test_export_streams_in_pages_and_defuses_formulas(Session, scenario):  # noqa: N803
    from sqlalchemy import true

    w, ids = scenario
    with Session.begin() as s:
        s.get(Company, w.other_company.id).name = "=HYPERLINK(\"http://evil\")"
    chunks = list(export_routes.stream_csv(Session, true(), MARCH, page_size=3))
    assert len(chunks) == 1 + 3  # header, then pages of 3, 3 and 1
    rows = list(csv.DictReader(io.StringIO("".join(chunks))))
    assert [r["id"] for r in rows] == [ids[x] for x in "abcdefg"]
    assert rows[3]["company"] == "'=HYPERLINK(\"http://evil\")"


@pytest.mark.parametrize("role", ["reviewer", "creator", "customer"])
def test_export_refuses_everyone_but_managers(client, scenario, role):
    w, _ = scenario
    sign_in(client, getattr(w, role))
    response = client.get("/metrics/export.csv?start=2026-03-01&end=2026-03-31")
    assert response.status_code == 403
    assert w.customer.email not in response.get_data(as_text=True)


def test_export_sends_anonymous_visitors_to_sign_in(client, scenario):
    response = client.get("/metrics/export.csv")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_export_with_no_matching_cases_is_just_the_header(client, scenario, build):
    w, _ = scenario
    with build() as (ctx, _):
        make_case(ctx, company=w.company, customer=w.customer, created_at=at(5, month=1))
    sign_in(client, w.manager)
    response = client.get("/metrics/export.csv?start=2025-01-01&end=2025-01-31")
    assert response.get_data(as_text=True) == ",".join(export_routes.HEADER) + "\r\n"


# ---------------------------------------------------------------------- time zones
# 'apr' opened at 00:00 UTC on 1 April: still 31 March in New York. 'feb' at 12:00 UTC on
# 28 February: already 1 March in Auckland (UTC+13 in its summer).
@pytest.mark.parametrize("zone, extra", [("UTC", None), ("Europe/Paris", None), ("America/New_York", "apr"),
                                         ("Pacific/Auckland", "feb")])
def test_the_days_are_the_viewers(as_user, scenario, zone, extra):
    w, ids = scenario
    with as_user(w.manager, tz=zone):
        out = cb.metrics_overview(**MARCH_ARGS, bucket="month")
        volume = cb.metrics_volume(**MARCH_ARGS, bucket="day", stack="reason")
    assert kpi(out, "cases") == ("8" if extra else "7")
    assert sum(sum(t.y) for t in volume.data) == (8 if extra else 7)
    assert out["export_href"] == "/metrics/export.csv?start=2026-03-01&end=2026-03-31"
    # Each chart over time names the zone its days were cut in, not "UTC" whatever it was.
    for fig in (volume, out["outcomes"], out["rates"]):
        assert fig.layout.xaxis.title.text.endswith(f"the case was opened ({zone})"), fig.layout.xaxis.title.text


def test_a_saved_zone_wins_over_the_browsers(as_user, scenario, Session):  # noqa: N803
    w, _ = scenario
    with Session.begin() as s:
        s.get(type(w.manager), w.manager.id).time_zone = "Pacific/Auckland"
    with as_user(w.manager, tz="America/New_York"):
        out = cb.metrics_overview(**MARCH_ARGS, bucket="week")
    assert kpi(out, "cases") == "8"  # 'feb' (1 March in Auckland), not 'apr' (31 March in New York)


def test_the_export_counts_the_same_days(client, scenario):
    w, ids = scenario
    sign_in(client, w.manager)
    client.set_cookie("tz", "America/New_York")
    rows = read_csv(client.get("/metrics/export.csv?start=2026-03-01&end=2026-03-31"))
    assert len(rows) == 8 and rows[-1]["id"] == ids["apr"]
    assert rows[-1]["created_at"] == "2026-04-01T00:00:00Z"  # the file's times stay UTC


# ------------------------------------------------------------- SLAs and forecast
# callbacks/metrics_sla.py: decisions taken in March (by decision date), the queue as of AS_OF.
from callbacks import metrics_sla as sla_cb  # noqa: E402
from tests.conftest import AS_OF  # noqa: E402
from tests.metrics_cases import H  # noqa: E402


@pytest.fixture
def sla_world(build):
    """d1 decided 24h after escalating (within 48h) by the reviewer, d2 50h after (missed) by
    reviewer2 with a first action after 2h, its appeal decided finally after 10h by the reviewer;
    now, one case under review 50h (past target) and one in final review 65h (due in 7h)."""
    with build() as (ctx, w):
        d1 = make_case(ctx, company=w.company, customer=w.customer, created_at=at(2), status="closed",
                       outcome="customer_won", escalated=True, decision="refund")
        d1.escalated_at, d1.decided_at, d1.decided_by_id = at(3), at(4), w.reviewer.id
        d2 = make_case(ctx, company=w.company, customer=w.customer, created_at=at(9), status="closed",
                       outcome="merchant_won", escalated=True, decision="merchant_wins", final_review=True)
        d2.escalated_at, d2.first_platform_action_at, d2.decided_at, d2.decided_by_id = (
            at(10), at(10) + 2 * H, at(10) + 50 * H, w.reviewer2.id)
        d2.appealed_at, d2.final_decided_at, d2.final_decided_by_id = at(14), at(14) + 10 * H, w.reviewer.id
        late = make_case(ctx, company=w.company, customer=w.customer, created_at=AS_OF - 60 * H,
                         status="under_review", escalated=True)
        late.escalated_at = AS_OF - 50 * H
        near = make_case(ctx, company=w.other_company, customer=w.other_customer, created_at=AS_OF - 90 * H,
                         status="under_review", escalated=True, final_review=True)
        near.stage, near.escalated_at, near.appealed_at = "final_review", AS_OF - 89 * H, AS_OF - 65 * H
        waiting = make_case(ctx, company=w.company, customer=w.customer, created_at=AS_OF - 6 * 24 * H)
        waiting.response_due_at = AS_OF + 24 * H
    return w


def test_manager_sees_the_sla_section(as_user, sla_world):
    w = sla_world
    with as_user(w.manager):
        out = sla_cb.metrics_sla(**MARCH_ARGS)
    kpis = out["kpis"]
    assert text_of(by_id(kpis, "metrics-kpi-sla-within")) == "50%"
    assert text_of(by_id(kpis, "metrics-kpi-sla-final-within")) == "100%"
    assert text_of(by_id(kpis, "metrics-kpi-sla-decision")) == "1d 0h"  # 24h and 50h: the lower middle
    assert text_of(by_id(kpis, "metrics-kpi-sla-first-action")) == "2h 0m"
    assert text_of(by_id(kpis, "metrics-kpi-sla-final")) == "10h 0m"
    assert "1 of 2 decisions within 48 h" in text_of(kpis)
    assert text_of(by_id(out["open"], "metrics-kpi-sla-open-review")) == "1 past the 48 h target · 0 due within 12 h"
    assert text_of(by_id(out["open"], "metrics-kpi-sla-open-final")) == "none past the target · 1 due within 12 h"
    hrefs = [n.href for n in walk(out["open"]) if getattr(n, "href", None)]
    assert hrefs == ["/queue?tab=escalated", "/queue?tab=appealed"]
    traces = {t.name: list(t.y) for t in out["weekly"].data}
    assert traces["Decisions"] == [1, 1] and traces["Final decisions"] == [0, 1]
    assert traces["Within target"] == [1.0, pytest.approx(0.5)]
    table = text_of(out["reviewers"])
    assert f"{w.reviewer.name} 2 1 100% (2) 10h 0m" in table  # the final (10h) and d1 (24h): the lower middle
    assert f"{w.reviewer2.name} 1 0 0% (0) 2d 2h" in table
    assert "from 1 Mar 2026 to 31 Mar 2026 (days in UTC)" in out["note"]


def test_sla_section_follows_the_filters(as_user, sla_world):
    w = sla_world
    with as_user(w.manager):
        other = sla_cb.metrics_sla(**dict(MARCH_ARGS, companies=[w.other_company.id]))
        long = sla_cb.metrics_sla(**dict(MARCH_ARGS, start="2025-01-01"))
    assert "No platform decisions were taken in these dates." in text_of(other["reviewers"])
    assert text_of(by_id(other["kpis"], "metrics-kpi-sla-within")) == "—"
    # Other Co's case in final review is the only one left in the queue's counts.
    assert text_of(by_id(other["open"], "metrics-kpi-sla-open-review")) == "none past the target · 0 due within 12 h"
    assert text_of(by_id(other["open"], "metrics-kpi-sla-open-final")) == "none past the target · 1 due within 12 h"
    assert "longer than 92 days" in long["note"] and "from 30 Dec 2025 to 31 Mar 2026" in long["note"]


def test_sla_weeks_are_the_viewers(as_user, sla_world):
    w = sla_world
    with as_user(w.manager, tz="Pacific/Auckland"):
        out = sla_cb.metrics_sla(**MARCH_ARGS)
    # d1 at 4 Mar 12:00 UTC is 5 Mar in Auckland; d2 12 Mar 14:00 UTC is 13 Mar 03:00 there: weeks of 2 and 9 Mar.
    assert [str(x)[:10] for x in out["weekly"].data[0].x] == ["2026-03-02", "2026-03-09"]
    assert "(days in Pacific/Auckland)" in out["note"]
    assert out["weekly"].layout.xaxis.title.text == "Week of the decision (from Monday, Pacific/Auckland)"


def test_manager_sees_the_forecast(as_user, sla_world):
    w = sla_world
    with as_user(w.manager):
        out = sla_cb.metrics_forecast(True)
    names = [t.name for t in out["figure"].data]
    assert names == ["Escalated (first deadline that day)", "Expected escalations", "Expected final reviews"]
    expected = out["figure"].data[1]
    assert [c[0] for c in expected.customdata][:2] == [0, 1]  # the waiting case is due tomorrow
    assert "the 1 open case whose answer is due in the next 14 days" in out["note"]
    assert "no recent case has reached its deadline" in out["note"]
    # March's decisions are months before AS_OF: no one's day to measure by, no reviewers line.
    assert "nobody decided a case in the last 28 days" in out["note"]


def test_forecast_with_a_rate_and_a_reviewers_day(as_user, sla_world, build):
    w = sla_world
    with build() as (ctx, _):
        # Opened 10 days ago (first deadline 3 days ago): one escalated, one accepted, one still waiting -> 50%.
        make_case(ctx, company=w.company, customer=w.customer, created_at=AS_OF - 240 * H, status="closed",
                  outcome="customer_won", escalated=True)
        make_case(ctx, company=w.company, customer=w.customer, created_at=AS_OF - 240 * H, status="closed",
                  outcome="customer_won")
        make_case(ctx, company=w.company, customer=w.customer, created_at=AS_OF - 240 * H)
        recent = make_case(ctx, company=w.company, customer=w.customer, created_at=AS_OF - 100 * H,
                           status="closed", outcome="customer_won", escalated=True, decision="refund")
        recent.escalated_at, recent.decided_at, recent.decided_by_id = AS_OF - 90 * H, AS_OF - 72 * H, w.reviewer.id
    with as_user(w.manager):
        out = sla_cb.metrics_forecast(True)
    fig = {t.name: list(t.y) for t in out["figure"].data}
    assert fig["Expected escalations"][:2] == [0, 0.5]
    # One decision by one reviewer in 28 days: 1/28 a day; half a case tomorrow takes 14 of them.
    assert fig["Reviewers needed"][:3] == [0, 14, 0]
    assert "cases opened 8 to 63 days ago that went to the platform once no longer waiting on a party (50%: 1 of 2)" \
        in out["note"]
    assert "(50%: 1 of 2)" in out["note"] and "0.04 cases per reviewer per day (1 decision by 1 reviewer in the last 28 days)" in out["note"]


@pytest.mark.parametrize("role", ["reviewer", "creator", "customer", "integration"])
def test_sla_and_forecast_refuse_everyone_but_managers(as_user, sla_world, role):
    w = sla_world
    with as_user(getattr(w, role)):
        out = sla_cb.metrics_sla(**dict(MARCH_ARGS, companies=[w.company.id]))
        forecast = sla_cb.metrics_forecast(True)
    assert out == sla_cb.NOTHING
    assert forecast == {"figure": cb.NO_FIGURE, "note": None}


def test_sla_and_forecast_for_a_signed_out_caller_are_empty(as_user, sla_world):
    with as_user(None):
        assert sla_cb.metrics_sla(**MARCH_ARGS) == sla_cb.NOTHING
        assert sla_cb.metrics_forecast(True) == {"figure": cb.NO_FIGURE, "note": None}
