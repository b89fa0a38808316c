"""Callbacks of `/my-cases` (customers): their cases, their payments with whether a case
can be opened, and the form that opens one.

Lists are limited to the signed-in customer (`case_visibility` / `payment_visibility` of
the user re-read from the database). The payment id of "open a case" comes from the
browser, so the domain re-checks it: `open_case` loads the payment with the user and
answers "not found" for anyone else's.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Optional

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, clientside_callback, dcc, html
from dash.exceptions import PreventUpdate

from callbacks._session import acting_user, settle_money
from data.read import parties
from dashboard.cases.available import available_actions
from dashboard.cases.opening import open_case
from dashboard.components import case_table as ct
from dashboard.components.format import PROVIDER_LABELS, local_time, money, reason_label
from dashboard.components.ids import MyCasesIds as Ids
from dashboard.components.shell import empty_state
from dashboard.eligibility import payment_verdict
from dashboard.enums import Action, Role
from dashboard.errors import DomainError, NotFound
from dashboard.evidence.dataurl import decode_uploads
from dashboard.evidence.files import storage_path, upload
from dashboard.permissions import case_visibility, load_payment, payment_visibility

PAGE_SIZE = 10
HIDDEN = {"display": "none"}
NOT_FOR_YOU = dbc.Alert([html.I(className="bi bi-lock me-2"),
                         "This page is for customers: it lists the payments and cases of the person signed in."],
                        color="secondary", className="mt-2")


def is_customer(user) -> bool:
    return user.role == Role.CUSTOMER


def _error(exc: DomainError) -> dbc.Alert:
    return dbc.Alert([html.I(className="bi bi-exclamation-triangle me-2"), exc.message], color="danger",
                     className="mb-3")


def _pages(total: int) -> int:
    return max(1, math.ceil(total / PAGE_SIZE))


def _offset(page) -> int:
    return (max(1, int(page or 1)) - 1) * PAGE_SIZE


# ---------------------------------------------------------------------------- your cases
def what_is_needed(ctx, case, user):
    actions = available_actions(ctx, case, user)
    if Action.REPLY in actions:
        return ct.deadline(case.response_due_at, ctx.now, prefix="Reply needed by ")
    if Action.APPEAL in actions:
        return ct.deadline(case.appeal_due_at, ctx.now, prefix="You may appeal until ")
    if case.status == "awaiting_merchant":
        return html.Span(["Waiting for the seller, who must answer by ",
                          local_time(case.response_due_at, fmt="%d %b, %H:%M")], className="text-muted")
    if case.status == "under_review":
        return html.Span("The platform is reviewing the case", className="text-muted")
    return html.Span("—", className="text-muted")


@callback(
    Output(Ids.ALERT, "children"),
    Output(Ids.BODY, "style"),
    Output(Ids.CASES, "children"),
    Output(Ids.CASES_PAGER, "max_value"),
    Output(Ids.CASES_PAGER_TEXT, "children"),
    Input(Ids.LOAD, "data"),
    Input(Ids.CASES_PAGER, "active_page"),
)
def load_cases(_load, page):
    """The customer's cases, those waiting on them first, with what is needed from them."""
    try:
        with acting_user() as (ctx, user):
            if not is_customer(user):
                return NOT_FOR_YOU, HIDDEN, None, 1, ""
            offset = _offset(page)
            cases, total = parties.customer_cases_page(ctx.session, case_visibility(user), offset=offset,
                                                       limit=PAGE_SIZE)
            table = ct.case_table(
                ["Case", "Seller", "Amount", "Reason", "Status", "Needed from you", "Outcome"],
                [[ct.case_link(c.id), html.Div([html.Div(c.company.name),
                                                html.Div(c.payment.product_title or "", className="text-muted small")]),
                  money(c.amount_minor, c.currency), reason_label(c.reason), ct.status_badge(c.status, c.escalated),
                  what_is_needed(ctx, c, user), ct.outcome_badge(c.outcome if c.status == "closed" else None)]
                 for c in cases],
                table_id=Ids.CASES_TABLE, row_ids=[c.id for c in cases],
                empty=empty_state("You have no cases.", icon="folder2",
                                  hint="If something went wrong with a purchase, open a case from the payment below."),
            )
            return None, {}, table, _pages(total), ct.pager_text(offset, len(cases), total, "cases")
    except DomainError as exc:
        return _error(exc), HIDDEN, None, 1, ""


# ------------------------------------------------------------------------- your payments
def why_not(verdict, row: parties.PaymentRow):
    """The refusal in plain words; a link when the payment already has its case."""
    p = row.payment
    if verdict.code == "case_already_exists" and row.case_id:
        label = "Case closed" if row.case_status == "closed" else "Case already open"
        return dcc.Link([label, html.I(className="bi bi-arrow-right ms-1")], href=f"/cases/{row.case_id}")
    if verdict.code == "payment_method_not_eligible":
        text = f"{PROVIDER_LABELS.get(p.provider, p.provider)} payments can't be disputed"
    elif verdict.code == "payment_refunded":
        text = "Refunded" + (f" on {ct.local_date(p.refunded_at)}" if p.refunded_at else "")
    elif verdict.code == "claim_window_expired" and verdict.closes_at:
        text = f"Window closed on {ct.local_date(verdict.closes_at)}"
    else:
        text = verdict.message or "A case cannot be opened on this payment."
    return html.Span(text, className="text-muted small", title=verdict.message or "")


def payment_action(ctx, user, row: parties.PaymentRow):
    verdict = payment_verdict(ctx, user, row.payment, existing_case_id=row.case_id)
    if verdict.eligible:
        return html.Div([
            dbc.Button([html.I(className="bi bi-flag me-1"), "Open a case"], size="sm", color="primary",
                       outline=True, id=Ids.open_button(row.payment.id)),
            html.Div(f"until {ct.local_date(verdict.closes_at)}", className="text-muted small")
            if verdict.closes_at else None,
        ])
    return why_not(verdict, row)


@callback(
    Output(Ids.PAYMENTS, "children"),
    Output(Ids.PAYMENTS_PAGER, "max_value"),
    Output(Ids.PAYMENTS_PAGER_TEXT, "children"),
    Output(Ids.PAYMENTS_HINT, "children"),
    Input(Ids.LOAD, "data"),
    Input(Ids.PAYMENTS_PAGER, "active_page"),
)
def load_payments(_load, page):
    """The customer's payments, newest first, each with "Open a case" or why not."""
    try:
        with acting_user() as (ctx, user):
            if not is_customer(user):
                return None, 1, "", ""
            offset = _offset(page)
            rows, total = parties.customer_payments_page(ctx.session, payment_visibility(user), offset=offset,
                                                         limit=PAGE_SIZE)
            table = ct.case_table(
                ["Bought", "Seller", "Amount", "Paid with", "Paid", ""],
                [[r.payment.product_title or "—", r.payment.company.name,
                  money(r.payment.amount_minor, r.payment.currency),
                  PROVIDER_LABELS.get(r.payment.provider, r.payment.provider), local_time(r.payment.paid_at),
                  payment_action(ctx, user, r)] for r in rows],
                table_id=Ids.PAYMENTS_TABLE, row_ids=[r.payment.id for r in rows],
                empty=empty_state("No payments yet.", icon="credit-card"),
            )
            hint = (f"Newest first. A case can be opened on a card or PayPal payment within "
                    f"{ctx.settings.claim_window_days} days of paying.")
            return table, _pages(total), ct.pager_text(offset, len(rows), total, "payments"), hint
    except DomainError as exc:
        return _error(exc), 1, "", ""


# ----------------------------------------------------------------------- open-a-case form
def verdict_sentence(ctx, verdict) -> str:
    """Why no case can be opened, in words with the viewer's dates (the verdict's own
    sentence gives the window's end in UTC)."""
    if verdict.code == "claim_window_expired" and verdict.closes_at:
        return (f"Cases can be opened up to {ctx.settings.claim_window_days} days after a payment; the window for "
                f"this one closed on {ct.local_date(verdict.closes_at)}.")
    return verdict.message or "A case cannot be opened on this payment."


def form_for_payment(payment_id: Optional[str]):
    """What the form shows for this payment: (summary, alert, submit disabled, max chars)."""
    try:
        with acting_user() as (ctx, user):
            if not is_customer(user):
                raise NotFound("payment", code="payment_not_found")
            payment = load_payment(ctx, user, payment_id or "")
            verdict = payment_verdict(ctx, user, payment)
            summary = dbc.Alert([
                html.Div([html.Strong(payment.product_title or "Payment"), f" from {payment.company.name}"]),
                html.Div(f"{money(payment.amount_minor, payment.currency)} · "
                         f"{PROVIDER_LABELS.get(payment.provider, payment.provider)} · paid "
                         f"{local_time(payment.paid_at)}", className="small"),
            ], color="light", className="mb-0 border")
            alert = None if verdict.eligible else dbc.Alert(verdict_sentence(ctx, verdict), color="warning")
            return summary, alert, not verdict.eligible, ctx.settings.max_message_chars
    except DomainError as exc:
        return None, _error(exc), True, 0


@callback(
    Output(Ids.MODAL, "is_open"),
    Output(Ids.PAYMENT, "data"),
    Output(Ids.FORM_PAYMENT, "children"),
    Output(Ids.FORM_ALERT, "children"),
    Output(Ids.OPENABLE, "data"),
    Output(Ids.MESSAGE, "maxLength"),
    Output(Ids.REASON, "value"),
    Output(Ids.MESSAGE, "value"),
    Output(Ids.UPLOAD, "contents"),
    Output(Ids.UPLOAD, "filename"),
    Output(Ids.FORM_FIELDS, "style"),
    Output(Ids.RESULT, "children"),
    Input(Ids.open_button(ALL), "n_clicks"),
    prevent_initial_call=True,
)
def open_form(_clicks):
    """A fresh form for the payment whose button was clicked (buttons appearing on a page
    change fire this too, with no click: ignored)."""
    trigger = dash.ctx.triggered_id
    if not isinstance(trigger, dict) or not any(t.get("value") for t in dash.ctx.triggered):
        raise PreventUpdate
    payment_id = trigger.get("payment")
    summary, alert, disabled, max_chars = form_for_payment(payment_id)
    return True, payment_id, summary, alert, not disabled, max_chars or None, None, "", None, None, {}, None


# The fields that show their own error: (key, the input that turns red or None, the error's place).
FIELDS = (("reason", Ids.REASON, Ids.REASON_ERROR), ("message", Ids.MESSAGE, Ids.MESSAGE_ERROR),
          ("files", None, Ids.UPLOAD_ERROR))
FIELD_OUTPUTS = [out for _key, field_id, error_id in FIELDS
                 for out in ([(field_id, "invalid")] if field_id else []) + [(error_id, "children")]]


def field_of(code: str) -> Optional[str]:
    """Which field of the form an error code is about (None: the payment or the case)."""
    if code == "invalid_reason":
        return "reason"
    if code in ("message_required", "message_too_long", "invalid_message"):
        return "message"
    if code.startswith("file_") or code in ("too_many_files", "invalid_attachments"):
        return "files"
    return None


def field_errors(errors: Optional[dict[str, str]] = None) -> tuple:
    """The FIELD_OUTPUTS: each field's error (red and its words), or cleared."""
    errors = errors or {}
    out: list = []
    for key, field_id, _error_id in FIELDS:
        if field_id:
            out.append(key in errors)
        out.append(errors.get(key))
    return tuple(out)


def still_missing(openable, reason, message) -> Optional[str]:
    """What must be filled in before the case can be sent, in words; None when ready."""
    if not openable:
        return "A case cannot be opened on this payment."
    if not reason:
        return "Choose why you are opening this case."
    if not (message or "").strip():
        return "Describe the problem to the seller."
    return None


@callback(
    Output(Ids.SUBMIT, "disabled"),
    Output(Ids.SUBMIT_HELP, "children"),
    *[Output(*o) for o in FIELD_OUTPUTS],
    Input(Ids.OPENABLE, "data"), Input(Ids.REASON, "value"), Input(Ids.MESSAGE, "value"),
    Input(Ids.UPLOAD, "contents"),
    prevent_initial_call=True,
)
def follow_fields(openable, reason, message, _contents):
    """"Open the case" is ready once a reason is chosen and the problem described (and the
    payment may get a case); a field's error clears when it is edited."""
    missing = still_missing(openable, reason, message)
    try:
        changed = set(dash.ctx.triggered_prop_ids.values())
    except Exception:  # called outside a callback context (tests calling it directly)
        changed = set()
    edited = {Ids.REASON: "reason", Ids.MESSAGE: "message", Ids.UPLOAD: "files"}
    if Ids.OPENABLE in changed or len(changed) > 1:  # a fresh form: no error left from the last one
        cleared = {key for key, _f, _e in FIELDS}
    else:
        cleared = {edited[c] for c in changed if c in edited}
    fields: list = []
    for key, field_id, _error_id in FIELDS:
        n = 2 if field_id else 1
        fields += [False, None][-n:] if key in cleared else [dash.no_update] * n
    return (missing is not None, missing or "", *fields)


@callback(Output(Ids.MODAL, "is_open", allow_duplicate=True), Input(Ids.CANCEL, "n_clicks"),
          prevent_initial_call=True)
def close_form(_clicks):
    return False


clientside_callback(
    """function(value, limit) {
        const n = (value || '').length;
        return limit ? `${n} / ${limit} characters` : `${n} characters`;
    }""",
    Output(Ids.COUNTER, "children"),
    Input(Ids.MESSAGE, "value"),
    Input(Ids.MESSAGE, "maxLength"),
)

clientside_callback(
    """function(names) {
        if (!names || !names.length) { return 'Optional. Choose up to 3 files at once: images, PDF, video or text.'; }
        return `${names.length} file${names.length > 1 ? 's' : ''} chosen: ${names.join(', ')}`;
    }""",
    Output(Ids.FILES, "children"),
    Input(Ids.UPLOAD, "filename"),
)


@callback(
    Output(Ids.FORM_ALERT, "children", allow_duplicate=True),
    Output(Ids.RESULT, "children", allow_duplicate=True),
    Output(Ids.FORM_FIELDS, "style", allow_duplicate=True),
    Output(Ids.SUBMIT, "disabled", allow_duplicate=True),
    Output(Ids.LOAD, "data"),
    *[Output(*o, allow_duplicate=True) for o in FIELD_OUTPUTS],
    Input(Ids.SUBMIT, "n_clicks"),
    State(Ids.PAYMENT, "data"),
    State(Ids.REASON, "value"),
    State(Ids.MESSAGE, "value"),
    State(Ids.UPLOAD, "contents"),
    State(Ids.UPLOAD, "filename"),
    State(Ids.LOAD, "data"),
    prevent_initial_call=True,
)
def submit_case(n_clicks, payment_id, reason, message, contents, filenames, load):
    """Upload the files and open the case in one transaction: a refused file or a refused
    case leaves nothing behind (rows roll back; stored bytes are removed)."""
    if not n_clicks:
        raise PreventUpdate
    stored: list[Path] = []
    try:
        with acting_user() as (ctx, user):
            if not is_customer(user):
                raise NotFound("payment", code="payment_not_found")
            file_ids = []
            for chosen in decode_uploads(contents, filenames, ctx.settings):
                f = upload(ctx, user, filename=chosen.filename, data=chosen.data,
                           declared_type=chosen.declared_type)
                stored.append(storage_path(ctx, f))
                file_ids.append(f.id)
            opened = open_case(ctx, actor=user, payment_id=payment_id or "", reason=reason, message=message,
                               file_ids=file_ids)
            case_id, refunded = opened.case.id, bool(opened.movements)
            amount = money(opened.case.amount_minor, opened.case.currency)
    except Exception as exc:
        for path in stored:
            path.unlink(missing_ok=True)
        if isinstance(exc, DomainError):
            field = field_of(exc.code)
            if field is not None:  # said under the field it is about
                return None, None, {}, False, dash.no_update, *field_errors({field: exc.message})
            return _error(exc), None, {}, False, dash.no_update, *field_errors()
        raise
    if refunded:  # under the seller's auto-refund threshold: accepted as it opened
        settle_money(case_id)
        title, said = "Refunded", (f"The seller refunds claims like this one automatically: {amount} is on its way "
                                   "back to your payment method, and the case is closed. You will get an email too.")
    else:
        title, said = "Your case is open", ("The seller has been emailed and must answer before the deadline; "
                                            "you will be emailed when they do.")
    done = dbc.Alert([
        html.H5([html.I(className="bi bi-check-circle me-2"), title], className="alert-heading"),
        html.P(said),
        dcc.Link(["Go to case ", html.Span(case_id, className="font-monospace")], href=f"/cases/{case_id}",
                 className="btn btn-success btn-sm", id=Ids.NEW_CASE_LINK),
    ], color="success")
    return None, done, HIDDEN, True, (load or 0) + 1, *field_errors()
