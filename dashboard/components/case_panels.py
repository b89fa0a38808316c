"""The case page's panels: header, payment, parties, money, context, evidence, emails,
and the action form (no queries; callbacks hand in what they read)."""
from __future__ import annotations

import datetime as dt
import re
from typing import Iterable, Optional

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.cases.wording import required_message
from dashboard.components.format import (
    OUTCOME_LABELS,
    PROVIDER_LABELS,
    STATUS_COLORS,
    STATUS_LABELS,
    deadline_state,
    duration,
    local_date,
    local_time,
    money,
    reason_label,
)
from dashboard.components.case_table import outcome_badge
from dashboard.components.ids import CannedInsertIds, CaseIds, DecisionIds
from dashboard.components.timeline import attachments, human_size, timeline_frame
from dashboard.money.amounts import to_major

HIDDEN = {"display": "none"}
SHOWN: dict = {}

REFUND_LABELS = {"none": "No refund", "merchant": "Refunded by the merchant", "platform": "Refund covered by the platform"}
DECISION_LABELS = {"refund": "Refund", "credit": "Platform credit", "merchant_wins": "Merchant wins"}
MOVEMENT_LABELS = {
    "merchant_refund": "Refund to the customer (merchant's funds)",
    "customer_credit": "Platform credit to the customer",
    "platform_reimbursement": "Platform reimbursement to the merchant",
}
DEADLINE_COLORS = {"overdue": "danger", "soon": "warning", "ok": "success", "none": "secondary"}
FAILING_AFTER_ATTEMPTS = 5


def card(title: str, body, *, icon: str, id: Optional[str] = None, class_name: str = "mb-3") -> dbc.Card:
    return dbc.Card([
        dbc.CardHeader([html.I(className=f"bi bi-{icon} me-2"), title], className="fw-semibold small"),
        dbc.CardBody(body),
    ], className=f"shadow-sm {class_name}", id=id)


def _facts(rows: Iterable[tuple[str, object]]) -> html.Dl:
    items = []
    for label, value in rows:
        if value is None:
            continue
        items += [html.Dt(label, className="col-5 text-muted fw-normal"), html.Dd(value, className="col-7 mb-1")]
    return html.Dl(items, className="row mb-0 small")


# ----------------------------------------------------------------------------- header
def deadline_badge(due: Optional[dt.datetime], now: dt.datetime, *, prefix: str = "Response due") -> Optional[dbc.Badge]:
    if due is None:
        return None
    state = deadline_state(due, now)
    left = due - now
    text = f"overdue by {duration(-left)}" if state == "overdue" else f"{duration(left)} left"
    return dbc.Badge([html.I(className="bi bi-clock me-1"), f"{prefix} {local_time(due)} · {text}"],
                     color=DEADLINE_COLORS[state], className="me-2 fw-normal", id=CaseIds.DEADLINE,
                     text_color="dark" if state == "soon" else None)


# The platform's decide-by in the queue's colours: amber once within the warning, red once missed.
SLA_COLORS = {"ok": ("light", "dark"), "soon": ("warning", "dark"), "missed": ("danger", None)}


def _coarse(delta: dt.timedelta) -> str:
    """'2d 5h', '14h', '35m' as the queue says it: hours without their minutes."""
    text = duration(delta)
    return text.split(" ")[0] if text.endswith("m") and "h" in text else text


def decide_by_badge(target, state: str, now: dt.datetime) -> dbc.Badge:
    """'Decide by 26 Nov 2026, 12:52 CET (in 14h)' / '… (3h late)' for staff: the platform's
    own target on a case it holds (dashboard/sla.py), in the viewer's zone."""
    left = target.decide_by - now
    relative = f"{_coarse(-left)} late" if left <= dt.timedelta(0) else f"in {_coarse(left)}"
    color, text_color = SLA_COLORS.get(state, SLA_COLORS["ok"])
    return dbc.Badge([html.I(className="bi bi-flag me-1"), f"Decide by {local_time(target.decide_by)} ({relative})"],
                     color=color, text_color=text_color, className="me-2 fw-normal border", id=CaseIds.DECIDE_BY,
                     title=f"Platform target: {target.hours} h from {local_time(target.started_at)}")


def appeal_window_open(case, now: dt.datetime) -> bool:
    return bool(case.appeal_due_at and not case.final and now < case.appeal_due_at
                and not (case.customer_appealed or case.merchant_appealed))


def header(case, *, now: dt.datetime, company_name: str, has_actions: bool, sla_target=None,
           sla_state: Optional[str] = None) -> html.Div:
    """`sla_target`/`sla_state`: the platform's decide-by and its colour state, handed in
    for staff on a case the platform is deciding (never for a party)."""
    flags = []
    if case.escalated:
        flags.append(dbc.Badge([html.I(className="bi bi-arrow-up-circle me-1"), "Escalated"], color="primary",
                               className="me-1", pill=True))
    if case.customer_appealed:
        flags.append(dbc.Badge("Customer appealed", color="info", className="me-1", pill=True))
    if case.merchant_appealed:
        flags.append(dbc.Badge("Merchant appealed", color="info", className="me-1", pill=True))
    if case.final_review:
        flags.append(dbc.Badge([html.I(className="bi bi-award me-1"), "Final review"], color="dark",
                               className="me-1", pill=True))
    status = dbc.Badge(STATUS_LABELS.get(case.status, case.status), color=STATUS_COLORS.get(case.status, "secondary"),
                       className="me-2 fs-6", id=CaseIds.STATUS)
    lines = [deadline_badge(case.response_due_at, now)]
    if sla_target is not None:
        lines.append(decide_by_badge(sla_target, sla_state or "ok", now))
    if appeal_window_open(case, now):
        lines.append(deadline_badge(case.appeal_due_at, now, prefix="Appeal window open until"))
    outcome = None
    if case.status == "closed":
        bits = [html.Strong(OUTCOME_LABELS.get(case.outcome or "", case.outcome or "Closed"))]
        if case.refund:
            bits.append(f" · {REFUND_LABELS.get(case.refund, case.refund)}")
        if case.refunded_minor:
            bits.append(f" · {money(case.refunded_minor, case.currency)} refunded")
        if case.credited_minor:
            bits.append(f" · {money(case.credited_minor, case.currency)} in credit")
        if case.decision:
            amount = f" of {money(case.decision_amount_minor, case.currency)}" if case.decision_amount_minor else ""
            bits.append(f" · Platform decision: {DECISION_LABELS.get(case.decision, case.decision)}{amount}")
        if case.final_decision:
            bits.append(f" · Final review: {'upheld' if case.final_decision == 'uphold' else 'overturned'}")
        if case.final:
            bits.append(" · final")
        outcome = html.Div(bits, className="mt-2", id=CaseIds.OUTCOME)
    return html.Div([
        html.Div([
            html.Div([
                html.Div([html.Span("Case ", className="text-muted"), html.Code(case.id, id=CaseIds.ID_LABEL)],
                         className="small"),
                html.H2([reason_label(case.reason), html.Span(f" · {money(case.amount_minor, case.currency)}",
                                                              className="text-muted")], className="h4 mb-1"),
                html.Div(f"{company_name} · opened {local_time(case.created_at)}", className="text-muted small"),
            ]),
            html.A([html.I(className="bi bi-lightning-charge me-1"), "Take action"], href="#case-actions",
                   className="btn btn-primary btn-sm", id=CaseIds.JUMP_ACTIONS) if has_actions else None,
        ], className="d-flex justify-content-between align-items-start"),
        html.Div([status, *flags], className="mt-2 d-flex flex-wrap align-items-center"),
        html.Div([x for x in lines if x is not None], className="mt-2"),
        outcome,
    ], className="border-bottom pb-3 mb-3", id=CaseIds.HEADER)


# ----------------------------------------------------------------------------- side panels
def payment_panel(payment) -> dbc.Card:
    return card("Payment", _facts([
        ("Amount", money(payment.amount_minor, payment.currency)),
        ("Product", payment.product_title or "—"),
        ("Provider", PROVIDER_LABELS.get(payment.provider, payment.provider)),
        ("Paid", local_time(payment.paid_at)),
        ("Refunded", money(payment.refunded_minor, payment.currency) if payment.refunded_minor else None),
        ("Payment id", html.Code(payment.id)),
    ]), icon="credit-card", id=CaseIds.PAYMENT)


def parties_panel(*, customer_name: str, customer_email: Optional[str], company_name: str,
                  company_email: Optional[str], assignee_name: Optional[str], show_assignee: bool,
                  customer_href: Optional[str] = None, company_href: Optional[str] = None) -> dbc.Card:
    # Staff get the names as links to their views of the customer and of the company.
    customer = dcc.Link(customer_name, href=customer_href, id=DecisionIds.CUSTOMER_LINK) if customer_href else customer_name
    company = dcc.Link(company_name, href=company_href, id=DecisionIds.COMPANY_LINK) if company_href else company_name
    rows = [
        ("Customer", html.Div([customer, html.Div(customer_email, className="text-muted")
                               if customer_email else None])),
        ("Company", html.Div([company, html.Div(company_email, className="text-muted")
                              if company_email else None])),
    ]
    if show_assignee:
        rows.append(("Assignee", assignee_name or html.Span("Unassigned", className="text-muted")))
    return card("Parties", _facts(rows), icon="people", id=CaseIds.PARTIES)


def _movement_status(m, *, staff: bool) -> dbc.Badge:
    if m.status == "succeeded":
        return dbc.Badge("Completed", color="success")
    if m.status == "failed":
        return dbc.Badge("Failed — needs staff", color="danger")
    if staff and m.attempts >= FAILING_AFTER_ATTEMPTS:
        return dbc.Badge("Failing — retrying", color="danger")
    return dbc.Badge("Pending", color="warning", text_color="dark")


def money_panel(rows, *, staff: bool) -> dbc.Card:
    if not rows:
        body = html.Div("No money has moved on this case.", className="text-muted small")
    else:
        items = []
        for m in rows:
            detail = []
            if staff:
                detail.append(f"{m.attempts} attempt{'s' if m.attempts != 1 else ''}")
                if m.status == "pending" and m.next_attempt_at:
                    detail.append(f"next {local_time(m.next_attempt_at)}")
                if m.provider_reference:
                    detail.append(f"ref {m.provider_reference}")
            when = m.completed_at or m.created_at
            items.append(html.Li([
                html.Div([html.Span(MOVEMENT_LABELS.get(m.kind, m.kind)), _movement_status(m, staff=staff)],
                         className="d-flex justify-content-between gap-2"),
                html.Div([html.Strong(money(m.amount_minor, m.currency)), f" · {local_time(when)}"], className="small"),
                html.Div(" · ".join(detail), className="text-muted small") if detail else None,
                html.Div(m.last_error, className="text-danger small") if staff and m.last_error else None,
            ], className="mb-2"))
        body = html.Ul(items, className="list-unstyled mb-0 small")
    return card("Money", body, icon="cash-coin", id=CaseIds.MONEY)


def context_panel(others, total_others: int, *, rate, show_company: bool) -> dbc.Card:
    if others:
        items = [html.Li([
            html.Div([dcc.Link(html.Code(o.id), href=f"/cases/{o.id}"), " ",
                      # A closed case shows its outcome in the outcome colours every screen uses.
                      outcome_badge(o.outcome) if o.status == "closed" and o.outcome else
                      dbc.Badge(STATUS_LABELS.get(o.status, o.status),
                                color=STATUS_COLORS.get(o.status, "secondary"), className="ms-2")]),
            html.Div(" · ".join(x for x in (reason_label(o.reason), money(o.amount_minor, o.currency),
                                            o.company_name if show_company else None,
                                            local_date(o.created_at)) if x),
                     className="text-muted"),
        ], className="mb-2") for o in others]
        more = total_others - len(others)
        if more > 0:
            items.append(html.Li(f"and {more} more", className="text-muted"))
        other_block = html.Ul(items, className="list-unstyled mb-0", id=CaseIds.OTHER_CASES)
    else:
        other_block = html.Div("No other cases you can see.", className="text-muted", id=CaseIds.OTHER_CASES)
    blocks = [html.Div("The customer's other cases", className="fw-semibold mb-1"), other_block]
    if rate is not None:
        pct = rate.percent
        blocks += [
            html.Div("Company dispute rate", className="fw-semibold mt-3 mb-1"),
            html.Div([
                html.Strong(f"{pct}%" if pct is not None else "—", className="fs-5 me-2"),
                html.Span(f"{rate.cases} case{'s' if rate.cases != 1 else ''} / {rate.payments} "
                          f"payment{'s' if rate.payments != 1 else ''} in the last {rate.days} days",
                          className="text-muted"),
            ], id=CaseIds.DISPUTE_RATE),
        ]
    return card("Context", html.Div(blocks, className="small"), icon="graph-up", id=CaseIds.CONTEXT)


def evidence_panel(entries) -> dbc.Card:
    by_party: dict[str, list] = {}
    for e in entries:
        for f in e.files:
            by_party.setdefault(f.party or e.reporter_type, []).append(f)
    if not by_party:
        body = html.Div("No files have been attached.", className="text-muted small")
    else:
        names = {"customer": "From the customer", "merchant": "From the merchant", "platform": "From the platform"}
        body = html.Div([html.Div([html.Div(names.get(p, p), className="fw-semibold small"),
                                   attachments(files, thumb_height=72)], className="mb-2")
                         for p, files in by_party.items()])
    return card("Evidence", body, icon="paperclip", id=CaseIds.EVIDENCE)


EMAIL_ROWS = 200  # emails read for the panel (newest first): a long case's last few dozen events
# The event an email is about, as the panel's row names it (by the email's template).
EMAIL_EVENTS = {
    "created": "Case opened", "accepted": "Merchant accepted", "denied": "Merchant refused",
    "requested_more_info": "Information requested", "responded": "Reply received",
    "withdrew": "Customer withdrew", "escalated": "Escalated to the platform", "decided": "Platform decided",
    "appealed": "Appealed", "final_decision": "Final decision", "no_response": "Deadline passed",
    "appeal_window_closed": "Appeal window closed", "refunded_elsewhere": "Refunded elsewhere",
}
EMAIL_STATUS = {"sent": ("sent", "Sent", "success"), "pending": ("waiting to send", "Waiting", "warning"),
                "failed": ("failed", "Failed", "danger")}
RECIPIENT_WORDS = {"customer": ("customer", "customers"), "creator": ("creator", "creators"),
                   "reviewer": ("reviewer", "reviewers"), "manager": ("manager", "managers")}


def _email_event(group) -> str:
    kind = re.split(r"[:.]", group.template or "", maxsplit=1)[0]
    return EMAIL_EVENTS.get(kind) or re.sub(r"^\[[^\]]*\] ", "", group.subject or "") or "Email"


def _status_word(status: str) -> str:
    return EMAIL_STATUS.get(status, (status.replace("_", " "),))[0]


def email_recipients_summary(emails) -> str:
    """'customer (sent), 2 creators (1 sent, 1 failed)': who an event's emails went to, by role."""
    by_role: dict[str, list[str]] = {}
    for e in emails:
        by_role.setdefault(e.recipient_role or "", []).append(e.status)
    parts = []
    for role, statuses in by_role.items():
        one, many = RECIPIENT_WORDS.get(role, ("other address", "other addresses"))
        who = one if len(statuses) == 1 else f"{len(statuses)} {many}"
        counts: dict[str, int] = {}
        for st in statuses:
            counts[st] = counts.get(st, 0) + 1
        if len(counts) == 1:
            how = _status_word(statuses[0])
        else:
            how = ", ".join(f"{n} {_status_word(st)}" for st, n in counts.items())
        parts.append(f"{who} ({how})")
    return ", ".join(parts)


def _email_badge(status: str) -> dbc.Badge:
    _word, label, colour = EMAIL_STATUS.get(status, (status, status.replace("_", " ").capitalize(), "secondary"))
    return dbc.Badge(label, color=colour, text_color="dark" if colour == "warning" else None)


def _email_group(group) -> html.Li:
    """One row per event, expandable to its recipients; open when one of them failed."""
    n = len(group.emails)
    worst = "failed" if "failed" in group.statuses else "pending" if "pending" in group.statuses else "sent"
    summary = html.Summary([
        html.Span(f"{_email_event(group)} · {n} email{'s' if n != 1 else ''}: ", className="fw-semibold"),
        email_recipients_summary(group.emails),
        html.Span(f" · {local_time(group.created_at, fmt='%d %b, %H:%M')}", className="text-muted"),
        html.Span([" ", _email_badge(worst)]) if worst != "sent" else None,
    ], className="case-email-summary")
    recipients = html.Ul([html.Li([
        html.Div([
            html.Span(e.recipient, className="text-break me-2"),
            _email_badge(e.status),
        ], className="d-flex justify-content-between align-items-start"),
        html.Div(" · ".join(x for x in (
            local_time(e.sent_at or e.created_at, fmt="%d %b, %H:%M"),
            f"{e.attempts} attempt{'s' if e.attempts != 1 else ''}" if e.attempts > 1 or e.status != "sent" else None,
        ) if x), className="text-muted"),
        html.Div(e.last_error, className="text-danger text-break") if e.last_error else None,
    ], className="mb-1") for e in group.emails], className="list-unstyled ms-3 mt-1 mb-0")
    return html.Li(html.Details([summary, recipients], open=worst == "failed"),
                   className="mb-2 case-email-group")


def emails_panel(groups, total: int, *, shown: Optional[int] = None) -> dbc.Card:
    """The case's emails, one row per event they were about (`data.read.case_view.
    emails_by_event`), newest first; `total` emails in all, `shown` of them read."""
    groups = list(groups)
    if not groups:
        body = html.Div("No emails for this case.", className="text-muted small")
    else:
        shown = shown if shown is not None else sum(len(g.emails) for g in groups)
        body = html.Div([
            html.Ul([_email_group(g) for g in groups], className="list-unstyled mb-0 small"),
            html.Div(f"Showing the newest {shown} of {total} emails.", className="text-muted small")
            if total > shown else None,
        ])
    return card("Emails (staff only)", body, icon="envelope", id=CaseIds.EMAILS)


# ----------------------------------------------------------------------------- action form
# How each available action reads and which inputs it needs. `message`: optional | None
# (required where `cases.wording.required_message` says words are); `files`: required |
# optional | None; `groups`: extra inputs.
ACTION_FORMS = {
    "claim": dict(label="Claim", icon="person-check", color="primary", message=None, files=None, groups=(),
                  hint="Take this case: it will be assigned to you."),
    "assign": dict(label="Assign", icon="people", color="primary", message=None, files=None, groups=("reviewer",),
                   hint="Hand the case to a reviewer, or back to the queue."),
    "accept": dict(label="Accept & refund", icon="check-circle", color="success", message="optional",
                   files="optional", groups=(),
                   hint="Accepting closes the case in the customer's favour."),
    "deny": dict(label="Deny", icon="x-circle", color="danger", message="optional", files="optional", groups=(),
                 hint="Explain to the customer why you are denying the case."),
    "request_info": dict(label="Request information", icon="question-circle", color="primary",
                         message="optional", files="optional", groups=(),
                         hint="Ask the customer for what you need to decide."),
    "reply": dict(label="Reply", icon="reply", color="primary", message="optional", files="optional", groups=(),
                  hint="Your reply hands the case back to whoever asked."),
    "appeal": dict(label="Appeal", icon="arrow-repeat", color="warning", message="optional", files="optional",
                   groups=(), hint="Say what was wrong with the outcome."),
    "withdraw": dict(label="Withdraw the case", icon="box-arrow-left", color="secondary", message="optional",
                     files=None, groups=(), hint="Withdraw if the problem is solved or you no longer want a refund."),
    "add_evidence": dict(label="Add evidence", icon="paperclip", color="secondary", message="optional",
                         files="required", groups=(), hint="Attach files to the case without changing its state."),
    "note": dict(label="Internal note", icon="journal-text", color="warning", message="optional", files=None,
                 groups=(), hint="Only staff see notes. They are never emailed."),
    "decide": dict(label="Decide", icon="hammer", color="danger", message="optional", files=None,
                   groups=("decide",), hint="Both parties read your reason."),
    "final_decide": dict(label="Final review", icon="award", color="danger", message="optional", files=None,
                         groups=("final",), hint="Look at the case again and uphold or overturn the decision. "
                                                 "Both parties read your reason."),
}
MESSAGE_LABELS = {"deny": "Why are you denying the case?", "note": "Note (staff only)",
                  "decide": "Reason for the decision", "final_decide": "Reason for the final decision",
                  "appeal": "Why are you appealing?", "request_info": "What information is needed?"}
GROUPS = ("party", "reviewer", "decide", "final")
PARTIES = ("customer", "merchant", "platform")


def form_meta(actions: list[str], *, party: str, notes: Optional[dict[str, list[str]]] = None) -> dict:
    """Per-action form settings for this viewer (sent to the browser; holds no secrets).
    `notes`: per action, what it will do that the person should know first (final or not,
    the case's one appeal, requests left), read by the callbacks from the domain and put
    after the action's hint."""
    meta = {}
    for a in actions:
        spec = dict(ACTION_FORMS.get(a, dict(label=a.replace("_", " ").capitalize(), icon="dot", color="primary",
                                              message="optional", files=None, groups=(), hint="")))
        spec["groups"] = list(spec["groups"])
        if a == "request_info" and party == "platform":
            spec.update(groups=["party"],
                        hint="Ask either party; the case stays with the platform.")
        if a == "reply" and party == "merchant":
            spec.update(label="Reply to the platform", hint="Your reply goes back to the reviewer who asked.")
        if spec["message"] is not None and required_message(a, party if party in PARTIES else None):
            spec["message"] = "required"  # the domain refuses it without words
        if notes and notes.get(a):
            spec["hint"] = " ".join([spec["hint"], *notes[a]]) if spec.get("hint") else " ".join(notes[a])
        spec["message_label"] = MESSAGE_LABELS.get(a, "Message") + (" (optional)" if spec["message"] == "optional" else "")
        meta[a] = spec
    return meta


def _group(group_id: str, children) -> html.Div:
    return html.Div(children, id=group_id, style=HIDDEN, className="mb-3")


def missing_actions(reasons: list[tuple[str, str]]) -> Optional[html.Div]:
    """Why actions the person could expect are not offered: (action label, sentence) pairs,
    one line per sentence (actions refused for the same reason share it)."""
    if not reasons:
        return None
    by_sentence: dict[str, list[str]] = {}
    for label, sentence in reasons:
        by_sentence.setdefault(sentence, []).append(label)
    items = [html.Li([html.Span(", ".join(labels) + ": ", className="fw-semibold"), sentence])
             for sentence, labels in by_sentence.items()]
    return html.Div([
        html.Div([html.I(className="bi bi-info-circle me-1"), "Not available now"], className="fw-semibold"),
        html.Ul(items, className="mb-0 ps-3"),
    ], className="small text-muted mb-2", id=CaseIds.ACT_REASONS)


def _field_error(error_id: str) -> dbc.FormFeedback:
    # d-block: shown whenever it has words, whatever input it sits under (radios, uploads).
    return dbc.FormFeedback(id=error_id, className="d-block")


def insert_reply_menu() -> html.Div:
    """"Insert reply…": the saved replies this viewer may use for the chosen action
    (`callbacks/canned_insert.py` fills the options per action and inserts the chosen one,
    rendered for this case on the server). Hidden until there is something to offer."""
    return html.Div([
        dbc.Label("Insert a saved reply into the message", html_for=CannedInsertIds.PICK, class_name="visually-hidden"),
        dbc.Select(id=CannedInsertIds.PICK, value="", size="sm", options=[], placeholder="Insert reply…"),
    ], id=CannedInsertIds.GROUP, style=HIDDEN)


def action_panel(actions: list[str], *, party: str, amount_minor: int, currency: str, max_files: int,
                 max_file_mb: int, staff_options: list[tuple[str, str, str]], assignee_id: Optional[str],
                 overturn_needs_remedy: bool, assigned_elsewhere: Optional[str] = None,
                 notes: Optional[dict[str, list[str]]] = None,
                 missing: Optional[list[tuple[str, str]]] = None) -> dbc.Card:
    """Exactly the actions this viewer may take now, as one form whose inputs follow the choice.
    `assigned_elsewhere`: the other reviewer's name, to say why deciding is not offered;
    `notes`: what each action will do (see `form_meta`); `missing`: why the actions the
    person could expect are not there ((label, sentence), from the lifecycle's guards)."""
    note = html.Div([html.I(className="bi bi-info-circle me-1"),
                     f"Assigned to {assigned_elsewhere}: only they can ask the parties or decide. "
                     f"A manager can reassign it."],
                    className="small text-muted mb-2", id=CaseIds.ASSIGNED_ELSEWHERE) if assigned_elsewhere else None
    why_not = missing_actions(missing or [])
    if not actions:
        return card("Actions", [note, why_not, html.Div("There is nothing for you to do on this case right now.",
                                                        className="text-muted small", id=CaseIds.NO_ACTIONS)],
                    icon="lightning-charge", id=CaseIds.ACTIONS)
    meta = form_meta(actions, party=party, notes=notes)
    full = str(to_major(amount_minor, currency))
    options = [{"label": html.Span([html.I(className=f"bi bi-{meta[a]['icon']} me-1"), meta[a]["label"]]), "value": a}
               for a in actions]
    body = [
        note,
        why_not,
        dcc.Store(id=CaseIds.FORM_META, data=meta),
        html.Div("What would you like to do?", className="small text-muted mb-1"),
        dbc.RadioItems(id=CaseIds.ACT_CHOICE, options=options, value=None, className="d-flex flex-wrap gap-2 mb-2",
                       inputClassName="btn-check", labelClassName="btn btn-outline-primary btn-sm",
                       labelCheckedClassName="active"),
        html.Div(id=CaseIds.ACT_HINT, className="small text-muted mb-3"),
        _group(CaseIds.ACT_PARTY_GROUP, [
            dbc.Label("Ask whom?", className="small fw-semibold"),
            dbc.RadioItems(id=CaseIds.ACT_PARTY, options=[{"label": "The customer", "value": "customer"},
                                                         {"label": "The merchant", "value": "merchant"}],
                           value="customer", inline=True),
        ]),
        _group(CaseIds.ACT_REVIEWER_GROUP, [
            dbc.Label("Assign to", className="small fw-semibold", html_for=CaseIds.ACT_REVIEWER),
            dbc.Select(id=CaseIds.ACT_REVIEWER, value=assignee_id or "",
                       options=[{"label": "— Unassigned (back to the queue) —", "value": ""}]
                       + [{"label": f"{name} ({role})", "value": uid} for uid, name, role in staff_options]),
        ]),
        _group(CaseIds.DECIDE_GROUP, [
            dbc.Label("Outcome", className="small fw-semibold"),
            dbc.RadioItems(id=CaseIds.DECIDE_OUTCOME, value="refund", className="mb-2", options=[
                {"label": "Refund the customer (from the merchant's funds)", "value": "refund"},
                {"label": "Credit the customer (platform credit, no cost to the merchant)", "value": "credit"},
                {"label": "Merchant wins (no refund)", "value": "merchant_wins"},
            ]),
            html.Div([
                dbc.Label(f"Amount ({currency})", className="small fw-semibold", html_for=CaseIds.DECIDE_AMOUNT),
                dbc.InputGroup([dbc.InputGroupText(currency), dbc.Input(id=CaseIds.DECIDE_AMOUNT, value=full,
                                                                        type="text", inputmode="decimal")],
                               size="sm", style={"maxWidth": "16rem"}),
                _field_error(CaseIds.DECIDE_AMOUNT_ERROR),
                dbc.FormText(f"The full amount is {money(amount_minor, currency)}; lower it for a partial refund."),
            ], id=CaseIds.DECIDE_AMOUNT_GROUP),
        ]),
        _group(CaseIds.FINAL_GROUP, [
            dbc.Label("Final decision", className="small fw-semibold"),
            dbc.RadioItems(id=CaseIds.FINAL_DECISION, value="uphold", className="mb-2", options=[
                {"label": "Uphold the decision", "value": "uphold"},
                {"label": "Overturn the decision", "value": "overturn"},
            ]),
            html.Div([
                dbc.Label("Remedy for the customer", className="small fw-semibold"),
                dbc.RadioItems(id=CaseIds.FINAL_REMEDY, value="refund", inline=True, options=[
                    {"label": "Refund", "value": "refund"}, {"label": "Credit", "value": "credit"}]),
                _field_error(CaseIds.FINAL_REMEDY_ERROR),
                dbc.Label(f"Amount ({currency})", className="small fw-semibold mt-1", html_for=CaseIds.FINAL_AMOUNT),
                dbc.InputGroup([dbc.InputGroupText(currency), dbc.Input(id=CaseIds.FINAL_AMOUNT, value=full,
                                                                        type="text", inputmode="decimal")],
                               size="sm", style={"maxWidth": "16rem"}),
                _field_error(CaseIds.FINAL_AMOUNT_ERROR),
            ], id=CaseIds.FINAL_REMEDY_GROUP, style=HIDDEN),
            dcc.Store(id=CaseIds.FINAL_NEEDS_REMEDY, data=overturn_needs_remedy),
        ]),
        _group(CaseIds.ACT_MESSAGE_GROUP, [
            html.Div([
                dbc.Label("Message", id=CaseIds.ACT_MESSAGE_LABEL, className="small fw-semibold mb-0",
                          html_for=CaseIds.ACT_MESSAGE),
                insert_reply_menu(),
            ], className="d-flex flex-wrap justify-content-between align-items-end gap-2 mb-1"),
            html.Div(id=CannedInsertIds.FEEDBACK, className="small"),
            dbc.Textarea(id=CaseIds.ACT_MESSAGE, rows=4, maxLength=5000),
            _field_error(CaseIds.ACT_MESSAGE_ERROR),
            # Said when switching between a staff-only note and a message the parties read
            # cleared the box (callbacks/case_actions.py `clear_for_new_audience`).
            html.Div(id=CaseIds.ACT_MESSAGE_CLEARED, className="small text-muted mt-1", role="status"),
            dcc.Store(id=CaseIds.ACT_AUDIENCE, data=None),
        ]),
        _group(CaseIds.ACT_UPLOAD_GROUP, [
            dbc.Label("Files", className="small fw-semibold"),
            dcc.Upload(id=CaseIds.ACT_UPLOAD, multiple=True, children=html.Div([
                html.I(className="bi bi-cloud-arrow-up me-2"), "Drop files here or ", html.A("choose files"),
            ]), className="border border-2 rounded text-center py-3 text-muted small",
                style={"borderStyle": "dashed", "cursor": "pointer"}),
            dbc.FormText(f"Up to {max_files} files, {max_file_mb} MB each: PNG, JPEG, GIF, WebP, PDF, MP4, WebM, "
                         f"QuickTime or plain text."),
            html.Div(id=CaseIds.ACT_FILES, className="small mt-1"),
            _field_error(CaseIds.ACT_UPLOAD_ERROR),
        ]),
        dbc.Button("Choose an action", id=CaseIds.ACT_SUBMIT, color="primary", disabled=True),
        # Why the button is not ready yet (a disabled button alone says nothing).
        html.Div("Choose an action above.", id=CaseIds.ACT_SUBMIT_HELP, className="small text-muted mt-1"),
    ]
    return card("Actions", body, icon="lightning-charge", id=CaseIds.ACTIONS)


def selected_files(filenames: Optional[list[str]], *, max_files: int) -> html.Div:
    if not filenames:
        return html.Div()
    items = [html.Div([html.I(className="bi bi-file-earmark me-1"), name]) for name in filenames]
    if len(filenames) > max_files:
        items.append(html.Div(f"That is {len(filenames)} files; at most {max_files} can be attached at once.",
                              className="text-danger"))
    items.append(dbc.Button([html.I(className="bi bi-x-circle me-1"), "Remove files"], id=CaseIds.ACT_FILES_CLEAR,
                            color="link", size="sm", className="p-0 mt-1"))
    return html.Div(items)


def confirm_body(lines: list[str]) -> html.Div:
    return html.Div([html.P(line, className="mb-2") for line in lines])


def rendered_by_callbacks() -> list:
    """One of each part `callbacks/case.py` renders into the page that carries ids other
    callbacks use: the action form with every action and input, the timeline's frame and
    the chosen-files list. For Dash's validation layout (`components.validation`); made up
    values, no case."""
    return [
        action_panel(list(ACTION_FORMS), party="platform", amount_minor=100, currency="USD", max_files=1,
                     max_file_mb=1, staff_options=[], assignee_id=None, overturn_needs_remedy=True),
        timeline_frame([]),
        selected_files(["file"], max_files=1),
    ]


__all__ = ["header", "payment_panel", "parties_panel", "money_panel", "context_panel", "evidence_panel",
           "emails_panel", "action_panel", "form_meta", "missing_actions", "selected_files", "confirm_body",
           "human_size"]
