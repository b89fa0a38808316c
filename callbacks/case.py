"""Case page: render the case for the signed-in user, and make the action form follow
the chosen action. The actions themselves are in `callbacks/case_actions.py`.

Who may see the case is decided by `load_case` with the user from the server session;
the case id in the Store is only a key to look up.
"""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, html

from callbacks._session import acting_user, runtime
from callbacks.case_actions import action_panel_for
from dashboard import sla
from dashboard.cases.available import available_actions
from dashboard.components import case_panels as panels
from dashboard.components import decision_context as decision
from dashboard.components.ids import CaseIds
from dashboard.components.shell import not_found
from dashboard.components.timeline import earlier_button, timeline, timeline_items
from dashboard.enums import Party
from dashboard.errors import DomainError, NotFound
from dashboard.permissions import case_visibility, event_visibility_for, is_staff, load_case, party_of
from data.read import case_view, context


@dash.callback(Output(CaseIds.CONTENT, "children"), Input(CaseIds.ID, "data"), Input(CaseIds.REFRESH, "data"))
def render_case(case_id, _refresh):
    try:
        with acting_user() as (ctx, user):
            return case_page(ctx, user, case_id)
    except NotFound:
        return not_found("case")
    except DomainError as exc:
        return dbc.Alert(exc.message, color="danger")


def _decision_panels(ctx, case) -> list:
    found = context.decision_context(ctx.session, case, now=ctx.now,
                                     customer_cases_at_least=ctx.settings.risk_customer_cases,
                                     rate_ratio=ctx.settings.risk_dispute_rate_ratio)
    return decision.decision_panels(found, amount_minor=case.amount_minor, customer_name=case.customer.name,
                                    customer_id=case.customer_id, company_name=case.company.name,
                                    company_id=case.company_id)


def case_page(ctx, user, case_id):
    case = load_case(ctx, user, str(case_id or ""))
    s, party, staff = ctx.session, party_of(user, case), is_staff(user)
    seen = event_visibility_for(party)
    page = case_view.timeline_page(s, case_id=case.id, visibility=seen)
    actions = available_actions(ctx, case, user)
    company, customer = case.company, case.customer
    others, total_others = case_view.other_cases(s, case_visibility(user), customer_id=case.customer_id,
                                                 exclude_case_id=case.id)
    # A company's volume is its own business: its rate is shown to staff and to its creators.
    rate = case_view.dispute_rate(s, company_id=case.company_id, now=ctx.now) if party != Party.CUSTOMER else None
    side = [
        panels.payment_panel(case.payment),
        panels.parties_panel(customer_name=customer.name,
                             customer_email=customer.email if party != Party.CUSTOMER else None,
                             company_name=company.name, company_email=company.support_email,
                             assignee_name=case.assignee.name if case.assignee else None, show_assignee=staff,
                             customer_href=decision.customer_href(customer.id) if staff else None,
                             company_href=decision.company_href(company.id) if staff else None),
        # Precedent and risk are for staff alone: never read, never built for a party.
        *(_decision_panels(ctx, case) if staff else ()),
        panels.money_panel(case_view.movements(s, case_id=case.id, settled_only=not staff), staff=staff),
        panels.evidence_panel(case_view.case_evidence(s, case_id=case.id, visibility=seen)),
        panels.context_panel(others, total_others, rate=rate, show_company=party != Party.MERCHANT),
    ]
    if staff:
        rows, total_emails = case_view.outbox_for_case(s, case_id=case.id, limit=panels.EMAIL_ROWS)
        side.append(panels.emails_panel(case_view.emails_by_event(rows), total_emails, shown=len(rows)))
    main = [
        panels.card("Timeline", timeline(page.entries, viewer_is_staff=staff, company_name=company.name,
                                       earlier=page.earlier, viewer_party=party.value, viewer_id=user.id),
                    icon="clock-history", id=CaseIds.TIMELINE),
        # What each action will do and why others are missing: callbacks/case_actions.py.
        action_panel_for(ctx, user, case, actions),
    ]
    # The platform's own decide-by is for staff alone: a party sees its own deadlines only.
    target = sla.target(case, ctx.settings) if staff and case.status != "closed" else None
    return html.Div([
        panels.header(case, now=ctx.now, company_name=company.name, has_actions=bool(actions), sla_target=target,
                      sla_state=target.state(ctx.now, ctx.settings.sla_warning_hours) if target else None),
        dbc.Row([dbc.Col(main, lg=8), dbc.Col(side, lg=4)]),
    ], id=CaseIds.VIEW, **{"data-case-id": case.id})


@dash.callback(
    Output(CaseIds.TIMELINE_LIST, "children"), Output(CaseIds.TIMELINE_BEFORE, "data"),
    Output(CaseIds.TIMELINE_EARLIER, "style"),
    Input(CaseIds.TIMELINE_EARLIER, "n_clicks"), State(CaseIds.ID, "data"), State(CaseIds.TIMELINE_BEFORE, "data"),
    prevent_initial_call=True,
)
def show_earlier_events(clicks, case_id, before):
    """The page of events before the oldest one shown, put above it (a keyset page on the
    event sequence). `before` is only a position: the case and what this user may read of
    it are decided again here."""
    if not clicks or not isinstance(before, int) or isinstance(before, bool):
        raise dash.exceptions.PreventUpdate
    try:
        with acting_user() as (ctx, user):
            case = load_case(ctx, user, str(case_id or ""))
            party = party_of(user, case)
            page = case_view.timeline_page(ctx.session, case_id=case.id, visibility=event_visibility_for(party),
                                           before=before)
            items = timeline_items(page.entries, viewer_is_staff=is_staff(user), company_name=case.company.name,
                                   viewer_party=party.value if party else None, viewer_id=user.id)
    except DomainError:
        raise dash.exceptions.PreventUpdate
    patch = dash.Patch()
    for item in reversed(items):
        patch.prepend(item)
    return patch, page.earlier, earlier_button(page.earlier)


@dash.callback(
    Output(CaseIds.ACT_PARTY_GROUP, "style"), Output(CaseIds.ACT_REVIEWER_GROUP, "style"),
    Output(CaseIds.DECIDE_GROUP, "style"), Output(CaseIds.FINAL_GROUP, "style"),
    Output(CaseIds.ACT_MESSAGE_GROUP, "style"), Output(CaseIds.ACT_UPLOAD_GROUP, "style"),
    Output(CaseIds.ACT_MESSAGE_LABEL, "children"), Output(CaseIds.ACT_HINT, "children"),
    Output(CaseIds.ACT_SUBMIT, "children"), Output(CaseIds.ACT_SUBMIT, "color"),
    Input(CaseIds.ACT_CHOICE, "value"), State(CaseIds.FORM_META, "data"),
)
def follow_choice(choice, meta):
    """Show the inputs the chosen action needs (pure presentation: the server checks again)."""
    spec = (meta or {}).get(choice)
    if not spec:
        hidden = [panels.HIDDEN] * 6
        return (*hidden, "Message", "", "Choose an action", "secondary")
    shown = lambda on: panels.SHOWN if on else panels.HIDDEN  # noqa: E731
    groups = set(spec["groups"])
    label = spec["message_label"]
    if spec["message"] == "required":
        label = [label, html.Span(" *", className="text-danger")]
    return (shown("party" in groups), shown("reviewer" in groups), shown("decide" in groups),
            shown("final" in groups), shown(spec["message"] is not None), shown(spec["files"] is not None),
            label, spec.get("hint", ""), [html.I(className=f"bi bi-{spec['icon']} me-1"), spec["label"]],
            spec["color"])


@dash.callback(Output(CaseIds.DECIDE_AMOUNT_GROUP, "style"), Input(CaseIds.DECIDE_OUTCOME, "value"))
def follow_outcome(outcome):
    return panels.SHOWN if outcome in ("refund", "credit") else panels.HIDDEN


@dash.callback(Output(CaseIds.FINAL_REMEDY_GROUP, "style"), Input(CaseIds.FINAL_DECISION, "value"),
               State(CaseIds.FINAL_NEEDS_REMEDY, "data"))
def follow_final_decision(decision, needs_remedy):
    return panels.SHOWN if decision == "overturn" and needs_remedy else panels.HIDDEN


@dash.callback(Output(CaseIds.ACT_FILES, "children"), Input(CaseIds.ACT_UPLOAD, "filename"))
def list_chosen_files(filenames):
    if isinstance(filenames, str):
        filenames = [filenames]
    return panels.selected_files(filenames, max_files=runtime().settings.max_files)


@dash.callback(Output(CaseIds.ACT_UPLOAD, "contents"), Output(CaseIds.ACT_UPLOAD, "filename"),
               Input(CaseIds.ACT_FILES_CLEAR, "n_clicks"), prevent_initial_call=True)
def clear_chosen_files(n_clicks):
    if not n_clicks:
        raise dash.exceptions.PreventUpdate
    return None, None
