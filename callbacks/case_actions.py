"""Case page actions: the action form's submit, the money confirmation, and one domain
call per action inside one transaction (uploads included, so a refused file changes
nothing). The case is re-loaded with the acting user every time; the id in the form is
only a key, and the domain checks every rule again.
"""
from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Optional

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, html
from sqlalchemy.orm.exc import StaleDataError

from callbacks._session import acting_user, settle_money
from dashboard.cases import party as party_actions
from dashboard.cases import review
from dashboard.cases.available import available_actions
from dashboard.components.case_panels import ACTION_FORMS, confirm_body
from dashboard.components.format import PROVIDER_LABELS, money
from dashboard.enums import Outcome, RefundSource
from dashboard.errors import Conflict, DomainError, Invalid, NotFound, TooLarge
from dashboard.evidence.files import storage_path, upload
from dashboard.money.amounts import to_minor
from dashboard.permissions import is_staff, load_case

FORM = [
    State("case-id", "data"), State("case-act-choice", "value"), State("case-act-message", "value"),
    State("case-act-upload", "contents"), State("case-act-upload", "filename"),
    State("case-act-party", "value"), State("case-act-reviewer", "value"),
    State("case-decide-outcome", "value"), State("case-decide-amount", "value"),
    State("case-final-decision", "value"), State("case-final-remedy", "value"), State("case-final-amount", "value"),
    State("case-refresh", "data"),
]
OUTPUTS = ["case-feedback.children", "case-toast.is_open", "case-toast.children", "case-refresh.data",
           "case-confirm.is_open", "case-confirm-body.children", "case-confirm-title.children"]
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
def decode_upload(content: str, filename: str, *, max_bytes: int, max_mb: int) -> tuple[bytes, Optional[str]]:
    header, _, payload = (content or "").partition(",")
    if not header.startswith("data:") or ";base64" not in header:
        raise Invalid("file_unreadable", f"{filename} could not be read. Choose it again.")
    if len(payload) * 3 // 4 > max_bytes + 3:  # refuse before decoding megabytes we will not keep
        raise TooLarge("file_too_large", f"{filename} is larger than {max_mb} MB.")
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Invalid("file_unreadable", f"{filename} could not be read. Choose it again.") from exc
    return data, header[5:].split(";", 1)[0] or None


def upload_files(ctx, user, form: ActionForm, stored: list) -> list[str]:
    contents = list(form.contents or [])
    names = list(form.filenames or [])
    limit = ctx.settings.max_files
    if len(contents) > limit:
        raise Invalid("too_many_files", f"At most {limit} files can be attached at once; you chose {len(contents)}.")
    ids = []
    for i, content in enumerate(contents):
        name = names[i] if i < len(names) else "file"
        data, declared = decode_upload(content, name, max_bytes=ctx.settings.max_file_bytes,
                                       max_mb=ctx.settings.max_file_mb)
        f = upload(ctx, user, filename=name, data=data, declared_type=declared)
        stored.append(storage_path(ctx, f))
        ids.append(f.id)
    return ids


# ---------------------------------------------------------------------------- actions
def _run(ctx, user, case, form: ActionForm, file_ids: list[str]) -> bool:
    """Call the domain for `form.action`; True when money may have been recorded."""
    a, msg = form.action, form.message

    def call(fn, **kw):
        return fn(ctx, actor=user, case_id=case.id, **kw)

    if a == "accept":
        call(party_actions.accept, message=msg, file_ids=file_ids)
        return True
    if a == "deny":
        call(party_actions.deny, message=msg, file_ids=file_ids)
    elif a == "request_info" and is_staff(user):
        call(review.request_info_from, party=form.party, message=msg, file_ids=file_ids)
    elif a == "request_info":
        call(party_actions.merchant_request_info, message=msg, file_ids=file_ids)
    elif a == "reply":
        call(party_actions.reply, message=msg, file_ids=file_ids)
    elif a == "appeal":
        call(party_actions.appeal, message=msg, file_ids=file_ids)
    elif a == "withdraw":
        call(party_actions.withdraw, message=msg)
    elif a == "add_evidence":
        call(party_actions.add_evidence, message=msg, file_ids=file_ids)
    elif a == "claim":
        call(review.claim)
    elif a == "assign":
        call(review.assign, reviewer_id=form.reviewer_id or None)
    elif a == "note":
        call(review.note, message=msg)
    elif a == "decide":
        amount = minor_amount(form.amount, case.currency) if form.outcome in ("refund", "credit") else None
        call(review.decide, outcome=form.outcome, reason=msg, amount=amount)
        return form.outcome in ("refund", "credit")
    elif a == "final_decide":
        needs_remedy = form.final_decision == "overturn" and case.outcome == Outcome.MERCHANT_WON.value
        amount = minor_amount(form.final_amount, case.currency) if needs_remedy else None
        call(review.final_decide, decision=form.final_decision, reason=msg,
             remedy=form.remedy if needs_remedy else None, amount=amount)
        return form.final_decision == "overturn"
    else:
        raise Invalid("unknown_action", "Choose an action first.")
    return False


def perform(form: ActionForm):
    """Upload, act and commit as one; then move money and re-render the page."""
    if not form.action:
        return _outputs(feedback=dbc.Alert("Choose an action first.", color="warning"))
    stored: list = []
    try:
        with acting_user() as (ctx, user):
            try:
                case = load_case(ctx, user, str(form.case_id or ""))
                takes_files = ACTION_FORMS.get(form.action, {}).get("files") is not None
                file_ids = upload_files(ctx, user, form, stored) if takes_files else []
                moved = _run(ctx, user, case, form, file_ids)
            except BaseException:
                for path in stored:  # the rows roll back; do not keep their bytes either
                    path.unlink(missing_ok=True)
                raise
    except NotFound:
        return _outputs(feedback=dbc.Alert("Case not found.", color="danger", id="case-error"))
    except (Conflict, StaleDataError) as exc:
        message = exc.message if isinstance(exc, DomainError) else ""
        return _outputs(refresh=(form.refresh or 0) + 1, feedback=dbc.Alert([
            html.Strong("Someone acted on this case first. "), message,
            " The page now shows the case as it is.",
        ], color="warning", id="case-conflict", dismissable=True))
    except DomainError as exc:
        return _outputs(feedback=dbc.Alert(exc.message, color="danger", id="case-error", dismissable=True))
    if moved:
        settle_money(form.case_id)
    return _outputs(feedback=None, toast=DONE.get(form.action, "Done."), refresh=(form.refresh or 0) + 1)


# ---------------------------------------------------------------------------- confirmation
def confirmation(case, form: ActionForm) -> Optional[tuple[str, list[str]]]:
    """(title, lines) for actions that move money or end the case for good, else None."""
    company, provider = case.company.name, PROVIDER_LABELS.get(case.payment.provider, case.payment.provider)
    full = money(case.amount_minor, case.currency)

    def remedy_lines(kind: str, amount: int) -> list[str]:
        shown = money(amount, case.currency)
        if kind == "refund":
            partial = [f"That is a partial refund of the {full} paid."] if amount < case.amount_minor else []
            return [f"{shown} will be refunded to the customer from the funds of {company}, through {provider}.",
                    *partial]
        return [f"{shown} in platform credit will be added to the customer's balance. The platform pays; "
                f"it costs {company} nothing."]

    a = form.action
    if a == "accept":
        return ("Accept and refund?", [f"{full} will be refunded to the customer from the funds of {company}, "
                                       f"through {provider}.",
                                       "The case closes in the customer's favour and cannot be appealed."])
    if a == "decide" and form.outcome in ("refund", "credit"):
        final = ["This decision is final: the case has already been appealed once."] \
            if case.customer_appealed or case.merchant_appealed else []
        return ("Confirm the decision", remedy_lines(form.outcome, minor_amount(form.amount, case.currency)) + final)
    if a == "final_decide" and form.final_decision == "overturn":
        if case.outcome == Outcome.MERCHANT_WON.value:
            return ("Overturn the decision?", remedy_lines(form.remedy or "refund",
                                                           minor_amount(form.final_amount, case.currency)))
        if case.refund == RefundSource.MERCHANT.value:
            paid = money(case.decision_amount_minor or case.amount_minor, case.currency)
            return ("Overturn the decision?", [f"The customer keeps what they received; the platform will pay "
                                               f"{company} back {paid}.", "This decision is final."])
        return ("Overturn the decision?", ["The merchant wins. The customer keeps the credit already given; "
                                           "no further money moves.", "This decision is final."])
    if a == "withdraw":
        return ("Withdraw the case?", ["Withdrawing closes the case for good. No new case can be opened on this "
                                       "payment."])
    return None


def _form(args) -> ActionForm:
    (case_id, action, message, contents, filenames, party, reviewer_id, outcome, amount, final_decision,
     remedy, final_amount, refresh) = args
    if isinstance(contents, str):
        contents, filenames = [contents], [filenames]
    return ActionForm(case_id, action, message, contents, filenames, party, reviewer_id, outcome, amount,
                      final_decision, remedy, final_amount, refresh or 0)


@dash.callback(*[Output(*o.split(".")) for o in OUTPUTS], Input("case-act-submit", "n_clicks"), *FORM,
               prevent_initial_call=True, running=[(Output("case-act-submit", "disabled"), True, False)])
def submit_action(n_clicks, *args):
    """Act at once, or first ask for a confirmation when money moves or the case ends for good."""
    if not n_clicks:
        raise dash.exceptions.PreventUpdate
    form = _form(args)
    if form.action in ("accept", "decide", "final_decide", "withdraw"):
        try:
            with acting_user() as (ctx, user):
                case = load_case(ctx, user, str(form.case_id or ""))
                if form.action in available_actions(ctx, case, user):
                    ask = confirmation(case, form)
                    if ask is not None:
                        return _outputs(feedback=None, confirm=ask)
        except NotFound:
            return _outputs(feedback=dbc.Alert("Case not found.", color="danger", id="case-error"))
        except DomainError as exc:
            return _outputs(feedback=dbc.Alert(exc.message, color="danger", id="case-error", dismissable=True))
    return perform(form)


@dash.callback(*[Output(*o.split("."), allow_duplicate=True) for o in OUTPUTS],
               Input("case-confirm-ok", "n_clicks"), *FORM, prevent_initial_call=True,
               running=[(Output("case-confirm-ok", "disabled"), True, False)])
def confirm_action(n_clicks, *args):
    if not n_clicks:
        raise dash.exceptions.PreventUpdate
    return perform(_form(args))


@dash.callback(Output("case-confirm", "is_open", allow_duplicate=True), Input("case-confirm-cancel", "n_clicks"),
               prevent_initial_call=True)
def cancel_confirmation(n_clicks):
    if not n_clicks:
        raise dash.exceptions.PreventUpdate
    return False
