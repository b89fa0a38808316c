"""Case page actions: the action form's submit, the money confirmation, and one domain
call per action inside one transaction (uploads included, so a refused file changes
nothing). The case is re-loaded with the acting user every time; the id in the form is
only a key, and the domain checks every rule again.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Optional

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, html
from sqlalchemy.orm.exc import StaleDataError

from callbacks._session import acting_user, settle_money
from dashboard.cases import actions
from dashboard.cases.available import available_actions
from dashboard.cases.consequences import Consequences, consequences, remedy_needed, takes_amount
from dashboard.components.case_panels import ACTION_FORMS, confirm_body
from dashboard.components.format import PROVIDER_LABELS, money
from dashboard.components.ids import CaseIds
from dashboard.enums import Action, MovementKind, Outcome
from dashboard.errors import Conflict, DomainError, Invalid, NotFound
from dashboard.evidence.dataurl import decode_uploads
from dashboard.evidence.files import storage_path, upload
from dashboard.money.amounts import to_minor
from dashboard.permissions import load_case
from dashboard.validation import parse

FORM = [
    State(CaseIds.ID, "data"), State(CaseIds.ACT_CHOICE, "value"), State(CaseIds.ACT_MESSAGE, "value"),
    State(CaseIds.ACT_UPLOAD, "contents"), State(CaseIds.ACT_UPLOAD, "filename"),
    State(CaseIds.ACT_PARTY, "value"), State(CaseIds.ACT_REVIEWER, "value"),
    State(CaseIds.DECIDE_OUTCOME, "value"), State(CaseIds.DECIDE_AMOUNT, "value"),
    State(CaseIds.FINAL_DECISION, "value"), State(CaseIds.FINAL_REMEDY, "value"), State(CaseIds.FINAL_AMOUNT, "value"),
    State(CaseIds.REFRESH, "data"),
]
OUTPUTS = [(CaseIds.FEEDBACK, "children"), (CaseIds.TOAST, "is_open"), (CaseIds.TOAST, "children"),
           (CaseIds.REFRESH, "data"), (CaseIds.CONFIRM, "is_open"), (CaseIds.CONFIRM_BODY, "children"),
           (CaseIds.CONFIRM_TITLE, "children")]
NO = dash.no_update

DONE = {
    "accept": "You accepted the case. The refund is on its way to the customer.",
    "deny": "You denied the case. The customer has been told.",
    "request_info": "Your request for information was sent.",
    "reply": "Your reply was sent.",
    "appeal": "Your appeal was filed. The platform will review the case.",
    "withdraw": "You withdrew the case.",
    "add_evidence": "Your files were added to the case.",
    "claim": "The case is now assigned to you.",
    "assign": "The assignment was changed.",
    "note": "Your internal note was added.",
    "decide": "The decision was recorded.",
    "final_decide": "The final decision was recorded.",
}
_AMOUNT = re.compile(r"\d+(\.\d+)?")


@dataclass(frozen=True)
class ActionForm:
    case_id: str
    action: Optional[str]
    message: Optional[str] = None
    contents: Optional[list] = None
    filenames: Optional[list] = None
    party: Optional[str] = None
    reviewer_id: Optional[str] = None
    outcome: Optional[str] = None
    amount: Optional[str] = None
    final_decision: Optional[str] = None
    remedy: Optional[str] = None
    final_amount: Optional[str] = None
    refresh: int = 0


def _outputs(*, feedback=NO, toast: Optional[str] = None, refresh=NO, confirm: Optional[tuple] = None):
    """One tuple for OUTPUTS; the modal closes unless `confirm` = (title, lines) opens it."""
    return (feedback, toast is not None, toast if toast is not None else NO, refresh,
            confirm is not None, confirm_body(confirm[1]) if confirm else NO, confirm[0] if confirm else NO)


def minor_amount(text, currency: str) -> int:
    """'12.50' in major units to exact minor units; anything else is a clear error."""
    value = str(text if text is not None else "").strip()
    if not _AMOUNT.fullmatch(value):
        raise Invalid("invalid_amount", f"Enter the amount in {currency} as a number, like 12.50.")
    try:
        return to_minor(value, currency)
    except ValueError as exc:
        raise Invalid("invalid_amount", f"{value} has more decimals than {currency} allows.") from exc


# ---------------------------------------------------------------------------- uploads
def upload_files(ctx, user, form: ActionForm, stored: list) -> list[str]:
    ids = []
    for chosen in decode_uploads(form.contents, form.filenames, ctx.settings):
        f = upload(ctx, user, filename=chosen.filename, data=chosen.data, declared_type=chosen.declared_type)
        stored.append(storage_path(ctx, f))
        ids.append(f.id)
    return ids


# ---------------------------------------------------------------------------- actions
def body_of(case, form: ActionForm, file_ids: list[str]) -> dict[str, Any]:
    """The form as the action's request body, in the API's field names (`ACTIONS[...].input`
    reads what its action takes and ignores the rest). Amounts are typed in major units
    here and sent in minor units, only where the domain says an amount applies."""
    body: dict[str, Any] = {
        "message": form.message, "reason": form.message, "attachments": [{"id": i} for i in file_ids],
        "party": form.party, "reviewer_id": form.reviewer_id or None,
        "outcome": form.outcome, "decision": form.final_decision,
    }
    final = form.action == Action.FINAL_DECIDE.value
    if final and remedy_needed(case, form.final_decision):
        body["remedy"] = form.remedy
    if takes_amount(case, form.action or "", body):
        body["amount"] = minor_amount(form.final_amount if final else form.amount, case.currency)
    return body


def perform(form: ActionForm):
    """Upload, act and commit as one; then move the money the action recorded and re-render."""
    if not form.action:
        return _outputs(feedback=dbc.Alert("Choose an action first.", color="warning"))
    stored: list = []
    try:
        with acting_user() as (ctx, user):
            try:
                case = load_case(ctx, user, str(form.case_id or ""))
                takes_files = ACTION_FORMS.get(form.action, {}).get("files") is not None
                file_ids = upload_files(ctx, user, form, stored) if takes_files else []
                done = actions.perform(ctx, actor=user, case_id=case.id, name=form.action,
                                       body=body_of(case, form, file_ids))
                settle = done.settle
            except BaseException:
                for path in stored:  # the rows roll back; do not keep their bytes either
                    path.unlink(missing_ok=True)
                raise
    except NotFound:
        return _outputs(feedback=dbc.Alert("Case not found.", color="danger", id=CaseIds.ERROR))
    except (Conflict, StaleDataError) as exc:
        message = exc.message if isinstance(exc, DomainError) else ""
        return _outputs(refresh=(form.refresh or 0) + 1, feedback=dbc.Alert([
            html.Strong("Someone acted on this case first. "), message,
            " The page now shows the case as it is.",
        ], color="warning", id=CaseIds.CONFLICT, dismissable=True))
    except DomainError as exc:
        return _outputs(feedback=dbc.Alert(exc.message, color="danger", id=CaseIds.ERROR, dismissable=True))
    if settle:
        settle_money(form.case_id)
    return _outputs(feedback=None, toast=DONE.get(form.action, "Done."), refresh=(form.refresh or 0) + 1)


# ---------------------------------------------------------------------------- confirmation
TITLES = {"accept": "Accept and refund?", "decide": "Confirm the decision", "final_decide": "Overturn the decision?",
          "withdraw": "Withdraw the case?"}
ENDS_FOR_GOOD = {
    "accept": "The case closes in the customer's favour and cannot be appealed.",
    "decide": "This decision is final: the case has already been appealed once.",
    "withdraw": "Withdrawing closes the case for good. No new case can be opened on this payment.",
}


def confirmation(case, name: str, effects: Consequences) -> Optional[tuple[str, list[str]]]:
    """(title, lines) for what cannot be undone (`Consequences.irreversible`), else None.
    The domain says what happens; this only words it for the person about to click."""
    if not effects.irreversible or name not in TITLES:
        return None
    company, provider = case.company.name, PROVIDER_LABELS.get(case.payment.provider, case.payment.provider)
    full = money(case.amount_minor, case.currency)
    lines: list[str] = []
    for planned in effects.movements:
        shown = money(planned.amount_minor, case.currency)
        if planned.kind == MovementKind.MERCHANT_REFUND:
            lines.append(f"{shown} will be refunded to the customer from the funds of {company}, through {provider}.")
            if planned.amount_minor < case.amount_minor:
                lines.append(f"That is a partial refund of the {full} paid.")
        elif planned.kind == MovementKind.CUSTOMER_CREDIT:
            lines.append(f"{shown} in platform credit will be added to the customer's balance. The platform pays; "
                         f"it costs {company} nothing.")
        else:  # the platform reimburses the merchant for a refund an overturned decision took
            lines.append(f"The customer keeps what they received; the platform will pay {company} back {shown}.")
    if name == Action.FINAL_DECIDE.value:
        if not effects.movements:
            lines.append("The merchant wins. The customer keeps the credit already given; no further money moves.")
        if effects.outcome == Outcome.MERCHANT_WON:
            lines.append("This decision is final.")
    elif effects.final:
        lines.append(ENDS_FOR_GOOD[name])
    return TITLES[name], lines


def ask_first(ctx, user, case, form: ActionForm) -> Optional[tuple[str, list[str]]]:
    """The confirmation to show before `form` runs, or None to run it at once. Only for an
    action this viewer may take now: anything else runs and answers with its own error."""
    spec = actions.ACTIONS.get(form.action or "")
    if spec is None or form.action not in available_actions(ctx, case, user):
        return None
    body = body_of(case, form, [])
    if form.action == Action.FINAL_DECIDE.value and body.get("remedy") is None and "remedy" in body:
        body["remedy"] = "refund"  # the dialog words the form's default remedy; the action insists on one
    args = parse(spec.input, body).arguments()
    return confirmation(case, form.action, consequences(case, form.action, args))


def _form(args) -> ActionForm:
    (case_id, action, message, contents, filenames, party, reviewer_id, outcome, amount, final_decision,
     remedy, final_amount, refresh) = args
    if isinstance(contents, str):
        contents, filenames = [contents], [filenames]
    return ActionForm(case_id, action, message, contents, filenames, party, reviewer_id, outcome, amount,
                      final_decision, remedy, final_amount, refresh or 0)


@dash.callback(*[Output(*o) for o in OUTPUTS], Input(CaseIds.ACT_SUBMIT, "n_clicks"), *FORM,
               prevent_initial_call=True, running=[(Output(CaseIds.ACT_SUBMIT, "disabled"), True, False)])
def submit_action(n_clicks, *args):
    """Act at once, or first ask for a confirmation when money moves or the case ends for good."""
    if not n_clicks:
        raise dash.exceptions.PreventUpdate
    form = _form(args)
    if form.action in TITLES:  # the actions this page has a confirmation dialog for
        try:
            with acting_user() as (ctx, user):
                ask = ask_first(ctx, user, load_case(ctx, user, str(form.case_id or "")), form)
                if ask is not None:
                    return _outputs(feedback=None, confirm=ask)
        except NotFound:
            return _outputs(feedback=dbc.Alert("Case not found.", color="danger", id=CaseIds.ERROR))
        except DomainError as exc:
            return _outputs(feedback=dbc.Alert(exc.message, color="danger", id=CaseIds.ERROR, dismissable=True))
    return perform(form)


@dash.callback(*[Output(*o, allow_duplicate=True) for o in OUTPUTS],
               Input(CaseIds.CONFIRM_OK, "n_clicks"), *FORM, prevent_initial_call=True,
               running=[(Output(CaseIds.CONFIRM_OK, "disabled"), True, False)])
def confirm_action(n_clicks, *args):
    if not n_clicks:
        raise dash.exceptions.PreventUpdate
    return perform(_form(args))


@dash.callback(Output(CaseIds.CONFIRM, "is_open", allow_duplicate=True), Input(CaseIds.CONFIRM_CANCEL, "n_clicks"),
               prevent_initial_call=True)
def cancel_confirmation(n_clicks):
    if not n_clicks:
        raise dash.exceptions.PreventUpdate
    return False
