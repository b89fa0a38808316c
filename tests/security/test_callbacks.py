"""Crafted callback requests against the real app: a signed-in creator of company A (or
customer A) POSTs to `/_dash-update-component` the exact JSON the Dash renderer would
send, naming company B's case, payment or file. The answer must carry none of B's data
and B's case must be unchanged in the database. Each refusal is paired with the same
call made by someone who may (B's creator, staff), which does answer — so the payloads
are right and the checks can fail."""
from __future__ import annotations

import json

import pytest
from tests.security.checks import assert_no_b_data, cases_on, snapshot
from tests.security.dash_calls import DashCalls, response_props

NOT_FOUND = "does not exist or is not yours to see"
NOTE = "STAFF-ONLY-NOTE-31337"


@pytest.fixture
def calls(live_app, sign_in):
    return lambda who: DashCalls(sign_in(who), live_app.url)


# ------------------------------------------------------------------------ case page
def case_content(calls: DashCalls, case_id: str):
    return calls.call("case-content.children", {"case-id.data": case_id, "case-refresh.data": 0},
                      changed=["case-id.data"])


def test_case_content_of_another_company_or_customer_is_not_found(live_app, world, calls):
    for who in ("creator_a", "customer_a"):
        answer = case_content(calls(who), world.case_b)
        assert answer.status_code == 200
        assert NOT_FOUND in answer.text, who
        assert_no_b_data(answer.text, world, f"{who} reading B's case")
    # The same call by B's own people answers with the case, never the internal note.
    for who in ("creator_b", "customer_b"):
        text = case_content(calls(who), world.case_b).text
        assert world.case_b in text and "BRAVO-SECRET-MESSAGE" in text, who
        assert NOTE not in text, f"the internal note reached {who}"
    assert NOTE in case_content(calls("reviewer"), world.case_b).text


def test_case_content_with_a_malformed_id_is_not_found(live_app, world, calls):
    creator = calls("creator_a")
    for bogus in (None, "", {"$ne": None}, [world.case_b], f"{world.case_b}' OR '1'='1", "reso_" + "x" * 5000):
        answer = case_content(creator, bogus)
        assert answer.status_code == 200, (bogus, answer.status_code)
        assert NOT_FOUND in answer.text
        assert_no_b_data(answer.text, world, f"case id {bogus!r}")


FORM_STATES = ("case-id.data", "case-act-choice.value", "case-act-message.value", "case-act-upload.contents",
               "case-act-upload.filename", "case-act-party.value", "case-act-reviewer.value",
               "case-decide-outcome.value", "case-decide-amount.value", "case-final-decision.value",
               "case-final-remedy.value", "case-final-amount.value", "case-refresh.data")


def act(calls: DashCalls, case_id: str, action: str, *, confirm: bool = False, reviewer_id=None, **extra):
    """The action form's submit (or the money dialog's Confirm) with this form filled in."""
    values = {key: None for key in FORM_STATES}
    values.update({"case-id.data": case_id, "case-act-choice.value": action, "case-act-message.value":
                   "Crafted message", "case-refresh.data": 0, "case-decide-outcome.value": "refund",
                   "case-decide-amount.value": "1.00", "case-final-decision.value": "overturn",
                   "case-final-remedy.value": "refund", "case-final-amount.value": "1.00",
                   "case-act-party.value": "customer", "case-act-reviewer.value": reviewer_id})
    values.update(extra)
    trigger = "case-confirm-ok.n_clicks" if confirm else "case-act-submit.n_clicks"
    values[trigger] = 1
    return calls.call("case-feedback.children", values, changed=[trigger], trigger=trigger)


PARTY_ACTIONS = ("accept", "deny", "request_info", "reply", "appeal", "withdraw", "add_evidence")
STAFF_ACTIONS = ("claim", "assign", "note", "decide", "final_decide")


def test_case_actions_naming_another_company_case_change_nothing(live_app, world, calls):
    before = snapshot(live_app, world.case_b)
    png = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4DwABAQEABRjYTgAAAABJRU5ErkJggg=="
    for who in ("creator_a", "customer_a"):
        c = calls(who)
        for action in PARTY_ACTIONS + STAFF_ACTIONS:
            for confirm in (False, True):
                answer = act(c, world.case_b, action, confirm=confirm, reviewer_id=world.reviewer, **{
                    "case-act-upload.contents": [png], "case-act-upload.filename": ["x.png"]})
                assert answer.status_code == 200, (who, action, answer.text[:300])
                assert "Case not found." in answer.text, (who, action, confirm, answer.text[:300])
                assert_no_b_data(answer.text, world, f"{who} {action} on B's case")
    assert snapshot(live_app, world.case_b) == before

    # The same payload on A's own case does reach the domain: accepting asks to confirm the
    # refund (its rehearsal rolled back: nothing moves yet), a denial without a message is
    # refused for that reason, under the message field, from the submit and from the dialog.
    own_before = snapshot(live_app, world.case_a)
    ask = response_props(act(calls("creator_a"), world.case_a, "accept"))
    assert ask["case-confirm"]["is_open"] is True
    assert "Accept and refund?" in json.dumps(ask)
    for confirm in (False, True):
        refused = act(calls("creator_a"), world.case_a, "deny", confirm=confirm, **{"case-act-message.value": ""})
        props = response_props(refused)
        assert "Case not found." not in refused.text, confirm
        assert props["case-act-message"]["invalid"] is True and props["case-act-message-error"]["children"], props
        assert props["case-confirm"]["is_open"] is False
    assert snapshot(live_app, world.case_a) == own_before


def test_staff_actions_by_a_party_on_its_own_case_are_refused(live_app, world, calls):
    before = snapshot(live_app, world.case_a)
    for who in ("creator_a", "customer_a"):
        c = calls(who)
        for action in STAFF_ACTIONS:
            for confirm in (False, True):
                answer = act(c, world.case_a, action, confirm=confirm, reviewer_id=world.reviewer)
                assert answer.status_code == 200, (who, action, answer.text[:300])
                assert "case-error" in answer.text, (who, action, answer.text[:300])
                assert "Done" not in answer.text
    assert snapshot(live_app, world.case_a) == before


def _escalated_case_of_d(live_app, world) -> str:
    """A case of a third company's (D: its own creator and customer, so the other tests'
    counts of A's and B's cases hold) that its merchant left unanswered: the platform
    decides it now."""
    import datetime as dt

    from dashboard import accounts
    from dashboard.cases import system
    from dashboard.cases.opening import open_case
    from dashboard.context import Ctx, utcnow
    from tests import factories
    from tests.security.conftest import PASSWORD

    rt = live_app.runtime()
    with rt.Session.begin() as s:
        ctx = Ctx(s, utcnow(), rt.settings)
        co = accounts.create_company(ctx, name="Delta Decor", support_email="help@delta.test")
        creator = accounts.create_user(ctx, email="dora@delta.test", name="Dora Delta", role="creator",
                                       company_id=co.id, password=PASSWORD)
        customer = accounts.create_user(ctx, email="dan@delta-buyer.test", name="Dan Buyer", role="customer",
                                        password=PASSWORD)
        world.emails.update(creator_d=creator.email, customer_d=customer.email)
        pay = factories.payment(ctx, company=co, customer=customer, amount_minor=4242,
                                paid_at=ctx.now - dt.timedelta(days=1), product="Delta lamp")
        case_id = open_case(ctx, actor=customer, payment_id=pay.id, reason="fraudulent", message="Not me.").case.id
    with rt.Session.begin() as s:
        system.escalate_overdue(Ctx(s, utcnow() + dt.timedelta(days=8), rt.settings), case_id)
    return case_id


def audit_rows(live_app, case_id: str) -> int:
    from sqlalchemy import func, select

    from data.models import AuditEvent

    with live_app.runtime().Session() as s:
        return s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id == case_id))


def test_a_decision_is_confirmed_only_to_staff_and_its_rehearsal_leaves_no_trace(live_app, world, calls):
    """A decisive action is run once and rolled back before its confirmation is shown: that
    rehearsal must be refused to whoever may not act (no dialog, nothing changed) and leave
    nothing behind for whoever may (no event, no audit row), until the dialog's OK."""
    case_id = _escalated_case_of_d(live_app, world)
    before, audited = snapshot(live_app, case_id), audit_rows(live_app, case_id)
    decide = {"case-decide-outcome.value": "merchant_wins", "case-decide-amount.value": None}
    for who in ("creator_d", "customer_d", "creator_a", "customer_a"):  # its parties, then strangers
        for confirm in (False, True):
            answer = act(calls(who), case_id, "decide", confirm=confirm, **decide)
            props = response_props(answer)
            assert props["case-confirm"]["is_open"] is False, (who, confirm)
            assert "case-error" in answer.text and "Done" not in answer.text, (who, confirm, answer.text[:300])
            if who.endswith("_a"):
                assert "Case not found." in answer.text and "Delta" not in answer.text, (who, answer.text[:300])
    assert snapshot(live_app, case_id) == before and audit_rows(live_app, case_id) == audited

    reviewer = calls("reviewer")
    ask = response_props(act(reviewer, case_id, "decide", **decide))
    assert ask["case-confirm"]["is_open"] is True and ask["case-confirm-title"]["children"] == "Confirm the decision"
    assert snapshot(live_app, case_id) == before and audit_rows(live_app, case_id) == audited
    act(reviewer, case_id, "decide", confirm=True, **decide)
    after = snapshot(live_app, case_id)
    assert after["outcome"] != before["outcome"] and after["CaseEvent"] > before["CaseEvent"]
    assert audit_rows(live_app, case_id) == audited + 1


def test_a_callback_post_that_is_not_json_does_nothing(live_app, world, sign_in):
    """A cross-site form can post text/plain with the victim's cookie: Dash must not act on it."""
    http = sign_in("creator_b")
    c = DashCalls(http, live_app.url)
    before = snapshot(live_app, world.case_b)
    values = {key: None for key in FORM_STATES}
    values.update({"case-id.data": world.case_b, "case-act-choice.value": "request_info",
                   "case-act-message.value": "forged", "case-refresh.data": 0, "case-act-submit.n_clicks": 1})
    body = c.payload(c.dependency("case-feedback.children", "case-act-submit.n_clicks"), values,
                     ["case-act-submit.n_clicks"])
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        answer = http.post(live_app.url + "/_dash-update-component", data=json.dumps(body),
                           headers={"Content-Type": content_type})
        assert answer.status_code >= 400, (content_type, answer.status_code)
    assert snapshot(live_app, world.case_b) == before


# ---------------------------------------------------------------------------- queue
def grid_request(start=0, end=50, filter_model=None) -> dict:
    return {"startRow": start, "endRow": end, "sortModel": [], "filterModel": filter_model or {}, "api": {}}


def queue_rows(c: DashCalls, tab: str, filter_model=None):
    return c.call("queue-grid.getRowsResponse", {"queue-grid.getRowsRequest": grid_request(filter_model=filter_model),
                                                 "queue-tabs.active_tab": tab, "queue-assigned.value": "anyone"},
                  changed=["queue-grid.getRowsRequest"])


def test_the_queue_answers_parties_with_nothing(live_app, world, calls):
    by_id = {"id": {"filterType": "text", "type": "contains", "filter": world.case_b}}
    for who in ("creator_a", "customer_a", "creator_b"):
        c = calls(who)
        for tab in ("escalated", "appealed", "open", "mine"):
            for flt in (None, by_id):
                answer = queue_rows(c, tab, flt)
                assert response_props(answer)["queue-grid"]["getRowsResponse"] == {"rowData": [], "rowCount": 0}
        gate = c.call("queue-gate.children", {"queue-load.data": True}, changed=["queue-load.data"])
        assert NOT_FOUND in gate.text and "Max Manager" not in gate.text
        counts = response_props(c.call("queue-tab-open.label", {"queue-refresh.data": 0}))
        assert counts["queue-tab-open"]["label"] == "Open", counts
        if who != "creator_b":
            assert_no_b_data(gate.text + json.dumps(counts), world, who)
    # A reviewer gets B's case from the same call.
    rows = response_props(queue_rows(calls("reviewer"), "open", by_id))["queue-grid"]["getRowsResponse"]
    assert [r["id"] for r in rows["rowData"]] == [world.case_b]


def test_claim_and_assign_from_the_queue_are_staff_and_manager_only(live_app, world, calls):
    before = snapshot(live_app, world.case_b)
    selected = [{"id": world.case_b}]
    for who in ("creator_a", "customer_a", "creator_b", "customer_b"):
        c = calls(who)
        claim = c.call("queue-feedback.children", {"queue-claim.n_clicks": 1, "queue-grid.selectedRows": selected,
                                                   "queue-refresh.data": 0},
                       changed=["queue-claim.n_clicks"], trigger="queue-claim.n_clicks")
        assert "Only the platform" in claim.text, (who, claim.text[:300])
        assign = c.call("queue-feedback.children", {"queue-assign.n_clicks": 1, "queue-grid.selectedRows": selected,
                                                    "queue-assign-reviewer.value": world.reviewer,
                                                    "queue-refresh.data": 0},
                        changed=["queue-assign.n_clicks"], trigger="queue-assign.n_clicks")
        assert "Only managers" in assign.text, (who, assign.text[:300])
    # A reviewer may claim, but not assign to someone else.
    assign = calls("reviewer").call("queue-feedback.children", {
        "queue-assign.n_clicks": 1, "queue-grid.selectedRows": selected, "queue-assign-reviewer.value": world.manager,
        "queue-refresh.data": 0}, changed=["queue-assign.n_clicks"], trigger="queue-assign.n_clicks")
    assert "Only managers" in assign.text
    assert snapshot(live_app, world.case_b) == before


# -------------------------------------------------------------------------- metrics
METRIC_FILTERS = ("metrics-dates.start_date", "metrics-dates.end_date", "metrics-companies.value",
                  "metrics-providers.value", "metrics-reasons.value", "metrics-bucket.value", "metrics-stack.value")


def metrics_call(c: DashCalls, output: str, companies=None):
    import datetime as dt

    today = dt.date.today()
    values = {"metrics-dates.start_date": (today - dt.timedelta(days=30)).isoformat(),
              "metrics-dates.end_date": (today + dt.timedelta(days=1)).isoformat(), "metrics-companies.value": companies,
              "metrics-providers.value": None, "metrics-reasons.value": None, "metrics-bucket.value": "week",
              "metrics-stack.value": "reason"}
    return c.call(output, values, changed=["metrics-dates.start_date"])


def test_metrics_answer_only_managers(live_app, world, calls):
    outputs = ("metrics-kpis.children", "metrics-volume.figure", "metrics-by-company.children")
    for who in ("creator_a", "customer_a", "reviewer"):
        c = calls(who)
        for output in outputs:
            for companies in (None, [world.company_b]):
                answer = metrics_call(c, output, companies)
                assert answer.status_code == 200
                assert_no_b_data(answer.text, world, f"{who} {output}")
                assert "Alpha Apparel" not in answer.text
        overview = response_props(metrics_call(c, "metrics-kpis.children"))
        assert overview["metrics-kpis"]["children"] is None and "managers" in json.dumps(overview["metrics-alert"])
        options = c.call("metrics-companies.options", {"metrics-companies.search_value": "Bra",
                                                       "metrics-companies.value": [world.company_b]},
                         changed=["metrics-companies.search_value"])
        assert response_props(options)["metrics-companies"]["options"] == []
    # The manager's same calls carry B's company.
    manager = calls("manager")
    assert "Bravo Books" in metrics_call(manager, "metrics-by-company.children").text
    options = manager.call("metrics-companies.options", {"metrics-companies.search_value": "Bra"},
                           changed=["metrics-companies.search_value"])
    assert world.company_b in options.text


# -------------------------------------------------------------------------- company
def company_rows(c: DashCalls, filter_model=None):
    return c.call("company-grid.getRowsResponse", {"company-grid.getRowsRequest": grid_request(0, 20, filter_model)},
                  changed=["company-grid.getRowsRequest"])


def test_company_page_shows_only_the_creators_company(live_app, world, calls):
    by_b = {"case": {"filterType": "text", "type": "contains", "filter": world.case_b}}
    creator = calls("creator_a")
    rows = response_props(company_rows(creator))["company-grid"]["getRowsResponse"]
    assert [r["id"] for r in rows["rowData"]] == [world.case_a]
    assert response_props(company_rows(creator, by_b))["company-grid"]["getRowsResponse"]["rowCount"] == 0
    lists = creator.call("company-needs.children", {"company-load.data": 0}, changed=["company-load.data"])
    kpis = creator.call("company-kpis.children", {"company-load.data": 0}, changed=["company-load.data"])
    assert world.case_a in lists.text
    for answer in (company_rows(creator), company_rows(creator, by_b), lists, kpis):
        assert_no_b_data(answer.text, world, "creator A on /company")
    # Customers and staff get nothing from the creators' callbacks.
    for who in ("customer_a", "reviewer"):
        c = calls(who)
        assert response_props(company_rows(c))["company-grid"]["getRowsResponse"] == {"rowData": [], "rowCount": 0}
        assert world.case_a not in c.call("company-needs.children", {"company-load.data": 0}).text
    # B's creator sees B's case from the same call.
    rows = response_props(company_rows(calls("creator_b")))["company-grid"]["getRowsResponse"]
    assert [r["id"] for r in rows["rowData"]] == [world.case_b]


# ------------------------------------------------------------------------ my cases
def open_form(c: DashCalls, payment_id: str):
    """The 'Open a case' button of a payment: a pattern-matching (ALL) input."""
    dep = c.dependency("my-cases-modal.is_open", '{"payment":["ALL"],"type":"my-cases-open"}.n_clicks')
    button = {"payment": payment_id, "type": "my-cases-open"}
    changed = json.dumps(button, sort_keys=True, separators=(",", ":")) + ".n_clicks"
    body = c.payload(dep, {}, [changed])
    body["inputs"] = [[{"id": button, "property": "n_clicks", "value": 1}]]
    return c.call("my-cases-modal.is_open", {}, body=body, trigger=dep["inputs"][0]["id"] + ".n_clicks")


def submit_case(c: DashCalls, payment_id: str):
    return c.call("my-cases-result.children", {
        "my-cases-submit.n_clicks": 1, "my-cases-payment.data": payment_id, "my-cases-reason.value": "fraudulent",
        "my-cases-message.value": "Crafted case", "my-cases-upload.contents": None, "my-cases-upload.filename": None,
        "my-cases-load.data": 0}, changed=["my-cases-submit.n_clicks"], trigger="my-cases-submit.n_clicks")


def test_a_customer_cannot_use_another_customers_payment(live_app, world, calls):
    for who in ("customer_a", "creator_a", "creator_b"):
        c = calls(who)
        for payment in (world.payment_b_free, world.payment_b):
            form = open_form(c, payment)
            assert form.status_code == 200
            props = response_props(form)
            assert props["my-cases-openable"]["data"] is False  # the submit stays disabled
            assert props["my-cases-form-payment"]["children"] is None
            if who != "creator_b":
                assert_no_b_data(json.dumps({k: v for k, v in props.items() if k != "my-cases-payment"}), world, who)
            refused = submit_case(c, payment)
            assert "not found" in refused.text.lower(), (who, refused.text[:300])
            assert "Your case is open" not in refused.text
            if who != "creator_b":
                assert_no_b_data(refused.text, world, who)
    assert cases_on(live_app, world.payment_b_free) == 0
    assert cases_on(live_app, world.payment_b) == 1
    # B's customer sees the payment in the same form; A's customer opens a case on their own.
    own = response_props(open_form(calls("customer_b"), world.payment_b_free))
    assert own["my-cases-openable"]["data"] is True and "Bravo Books" in json.dumps(own["my-cases-form-payment"])
    done = submit_case(calls("customer_a"), world.payment_a_free)
    assert "Your case is open" in done.text
    assert cases_on(live_app, world.payment_a_free) == 1


def test_the_customers_lists_are_their_own(live_app, world, calls):
    c = calls("customer_a")
    cases = c.call("my-cases-cases.children", {"my-cases-load.data": 0, "my-cases-cases-pager.active_page": 1})
    payments = c.call("my-cases-payments.children", {"my-cases-load.data": 0, "my-cases-payments-pager.active_page": 1})
    assert world.case_a in cases.text and world.payment_a in payments.text
    for answer in (cases, payments):
        assert_no_b_data(answer.text, world, "customer A's lists")
    # A page number far past the end is still only their own (nothing).
    far = c.call("my-cases-payments.children", {"my-cases-load.data": 0, "my-cases-payments-pager.active_page": 10**6})
    assert_no_b_data(far.text, world, "page 10**6")


# ---------------------------------------------------------------- files and export
def test_files_and_export_follow_the_case(live_app, world, sign_in):
    url = f"{live_app.url}/files/{world.file_b}"
    for who in ("creator_a", "customer_a"):
        answer = sign_in(who).get(url)
        assert answer.status_code == 404 and not answer.content.startswith(b"\x89PNG"), who
    for who in ("creator_b", "customer_b", "reviewer"):
        answer = sign_in(who).get(url)
        assert answer.status_code == 200 and answer.content.startswith(b"\x89PNG"), who
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
    for who in ("creator_a", "customer_a", "reviewer"):
        assert sign_in(who).get(live_app.url + "/metrics/export.csv").status_code == 403, who
    export = sign_in("manager").get(live_app.url + "/metrics/export.csv")
    assert export.status_code == 200 and world.case_b in export.text
    assert NOTE not in export.text and "BRAVO-SECRET-MESSAGE" not in export.text
