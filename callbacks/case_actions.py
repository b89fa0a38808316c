"""Case page actions: the action form (what each action will do, why others are missing,
the submit ready only when the required fields are filled), the confirmation of what
cannot be taken back, and one domain call per action inside one transaction (uploads
included, so a refused file changes nothing). The case is re-loaded with the acting
user every time; the id in the form is only a key, and the domain checks every rule
again.

Errors land under the field they are about (the domain's error code says which field);
only what concerns the case as a whole goes to the page's feedback area.
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
from data.read import case_view
from dashboard.cases import actions
from dashboard.cases.available import available_actions, unavailable_reasons
from dashboard.cases.consequences import REMEDIES, Consequences, consequences, remedy_needed, takes_amount
from dashboard.components import case_panels as panels
from dashboard.components.case_panels import ACTION_FORMS, confirm_body
from dashboard.components.format import OUTCOME_LABELS, PROVIDER_LABELS, local_time, money
from dashboard.components.ids import CaseIds
from dashboard.enums import Action, MovementKind, Outcome, Party, Stage
from dashboard.errors import Conflict, DomainError, Invalid, NotFound
from dashboard.evidence.dataurl import decode_uploads
from dashboard.evidence.files import storage_path, upload
from dashboard.lifecycle import MERCHANT_INFO_REQUESTS, Refusal, allowed, merchant_requests_left
from dashboard.money.amounts import to_minor
from dashboard.permissions import is_staff, load_case, party_of
from dashboard.validation import parse

FORM = [
    State(CaseIds.ID, "data"), State(CaseIds.ACT_CHOICE, "value"), State(CaseIds.ACT_MESSAGE, "value"),
    State(CaseIds.ACT_UPLOAD, "contents"), State(CaseIds.ACT_UPLOAD, "filename"),
    State(CaseIds.ACT_PARTY, "value"), State(CaseIds.ACT_REVIEWER, "value"),
    State(CaseIds.DECIDE_OUTCOME, "value"), State(CaseIds.DECIDE_AMOUNT, "value"),
    State(CaseIds.FINAL_DECISION, "value"), State(CaseIds.FINAL_REMEDY, "value"), State(CaseIds.FINAL_AMOUNT, "value"),
    State(CaseIds.REFRESH, "data"),
]
# The fields that show their own error: (key, the input that turns red or None, the error's place).
FIELDS = (
    ("message", CaseIds.ACT_MESSAGE, CaseIds.ACT_MESSAGE_ERROR),
    ("amount", CaseIds.DECIDE_AMOUNT, CaseIds.DECIDE_AMOUNT_ERROR),
    ("final_amount", CaseIds.FINAL_AMOUNT, CaseIds.FINAL_AMOUNT_ERROR),
    ("remedy", None, CaseIds.FINAL_REMEDY_ERROR),
    ("files", None, CaseIds.ACT_UPLOAD_ERROR),
)
FIELD_OUTPUTS = [out for _key, field_id, error_id in FIELDS
                 for out in ([(field_id, "invalid")] if field_id else []) + [(error_id, "children")]]
OUTPUTS = [(CaseIds.FEEDBACK, "children"), (CaseIds.TOAST, "is_open"), (CaseIds.TOAST, "children"),
           (CaseIds.REFRESH, "data"), (CaseIds.CONFIRM, "is_open"), (CaseIds.CONFIRM_BODY, "children"),
           (CaseIds.CONFIRM_TITLE, "children"), *FIELD_OUTPUTS]
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
_NEGATIVE = re.compile(r"-\s*\d+([.,]\d+)?")  # a number below zero: say what is wrong with it, not "a number"


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


def field_of(action: Optional[str], code: str) -> Optional[str]:
    """Which field of the form an error code is about (None: the case as a whole)."""
    if code in ("message_required", "message_too_long", "invalid_message"):
        return "message"
    if code in ("invalid_amount", "amount_exceeds_payment"):
        return "final_amount" if action == Action.FINAL_DECIDE.value else "amount"
    if code in ("remedy_required", "invalid_remedy"):
        return "remedy"
    if code.startswith("file_") or code in ("too_many_files", "files_required", "invalid_attachments"):
        return "files"
    return None


def _field_values(errors: Optional[dict[str, str]]) -> tuple:
    """The FIELD_OUTPUTS: each field's error (red and its words), or cleared."""
    errors = errors or {}
    out: list[Any] = []
    for key, field_id, _error_id in FIELDS:
        if field_id:
            out.append(key in errors)
        out.append(errors.get(key))
    return tuple(out)


def _outputs(*, feedback=NO, toast: Optional[str] = None, refresh=NO, confirm: Optional[tuple] = None,
             errors: Optional[dict[str, str]] = None):
    """One tuple for OUTPUTS; the modal closes unless `confirm` = (title, lines) opens it;
    `errors` {field: words} go under their fields (the others are cleared)."""
    return (feedback, toast is not None, toast if toast is not None else NO, refresh,
            confirm is not None, confirm_body(confirm[1]) if confirm else NO, confirm[0] if confirm else NO,
            *_field_values(errors))


def _refused(action: Optional[str], exc: DomainError):
    """A refusal under its field, or in the feedback area when it is about the case."""
    field = field_of(action, exc.code)
    if field is not None:
        return _outputs(feedback=None, errors={field: exc.message})
    return _outputs(feedback=dbc.Alert(exc.message, color="danger", id=CaseIds.ERROR, dismissable=True))


def minor_amount(text, currency: str) -> int:
    """'12.50' in major units to exact minor units; anything else is a clear error."""
    value = str(text if text is not None else "").strip()
    if _NEGATIVE.fullmatch(value):
        raise Invalid("invalid_amount", f"The amount must be more than zero. Enter it in {currency}, like 12.50.")
    if not _AMOUNT.fullmatch(value):
        raise Invalid("invalid_amount", f"Enter the amount in {currency} as a number, like 12.50.")
    try:
        return to_minor(value, currency)
    except ValueError as exc:
        raise Invalid("invalid_amount", f"{value} has more decimals than {currency} allows. "
                                        f"Round it to the cent.") from exc


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


def _acted_first(form: ActionForm, exc: Exception):
    """The case changed under the person: say so and show it as it now is."""
    message = exc.message if isinstance(exc, DomainError) else ""
    return _outputs(refresh=(form.refresh or 0) + 1, feedback=dbc.Alert([
        html.Strong("Someone acted on this case first. "), message,
        " The page now shows the case as it is.",
    ], color="warning", id=CaseIds.CONFLICT, dismissable=True))


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
        return _acted_first(form, exc)
    except DomainError as exc:
        return _refused(form.action, exc)
    if settle:
        settle_money(form.case_id)
    return _outputs(feedback=None, toast=DONE.get(form.action, "Done."), refresh=(form.refresh or 0) + 1)


# ---------------------------------------------------------------------------- what each action will do
def _appeal_target(ctx, case, user) -> Optional[Stage]:
    """Where this viewer's appeal would take the case (the table's row), if they may appeal."""
    party = party_of(user, case)
    t = allowed(ctx, case, Action.APPEAL, party, user) if party else None
    return t.target if t else None


def _after_appeal(target: Optional[Stage]) -> str:
    if target == Stage.FINAL_REVIEW:
        return "A different reviewer looks at the case again; that final decision cannot be appealed."
    return "The platform reviews the case and decides; that decision is final."


def action_notes(ctx, case, user, name: str) -> list[str]:
    """What `name` will do that a person should know before choosing it: whether its result
    is final or can be appealed (and until when), that an appeal is the case's only one,
    how many requests are left. All of it read from `consequences()` and the table."""
    days = ctx.settings.appeal_days
    party = party_of(user, case)
    if name == Action.REQUEST_INFO.value:
        reply_days = ctx.settings.response_days
        if party == Party.MERCHANT:
            left = merchant_requests_left(case)
            return [f"You have {left} of {MERCHANT_INFO_REQUESTS} requests for information left on this case.",
                    f"The customer has {reply_days} days to reply."]
        return [f"The party you ask has {reply_days} days to answer."]
    if name == Action.APPEAL.value:
        lines = ["This is the case's only appeal: after it, neither side can appeal again.",
                 _after_appeal(_appeal_target(ctx, case, user))]
        if case.appeal_due_at:
            lines.append(f"You can appeal until {local_time(case.appeal_due_at)}.")
        return lines
    if name == Action.DECIDE.value:
        # Final or appealable is the same whatever the outcome chosen.
        effects = consequences(case, name, {"outcome": "merchant_wins"})
        if effects.final:
            return ["Your decision is final: the case has already used its one appeal."]
        return [f"Either side can appeal your decision within {days} days; a case has one appeal."]
    if name == Action.FINAL_DECIDE.value:
        if consequences(case, name, {"decision": "uphold"}).final:
            return ["The final decision closes the case for good: it cannot be appealed."]
        return []
    if name == Action.REPLY.value and case.response_due_at:
        return [f"Reply by {local_time(case.response_due_at)}."]
    effects = consequences(case, name, {})
    lines = [f"{money(planned.amount_minor, case.currency)} is refunded to the customer from your company's funds."
             for planned in effects.movements if planned.kind == MovementKind.MERCHANT_REFUND]
    if effects.final:
        lines.append("This is final: the case closes for good and cannot be appealed.")
    elif effects.appealable:
        lines.append(f"The customer can appeal to the platform within {days} days; the platform's decision on "
                     f"that appeal is final.")
    return lines


# The same-reviewer rule refuses both Claim (its `same_reviewer` code) and Final review (a
# state refusal worded its own way): one sentence for both, so the list says it once.
FIRST_DECIDER = "You made the first decision on this case, so its final review goes to another reviewer."


def missing_lines(reasons: dict[Action, Refusal], *, party: Optional[Party],
                  assigned_elsewhere: bool, first_decider: bool = False) -> list[tuple[str, str]]:
    """(action label, sentence in the viewer's time zone) for each action the viewer could
    expect but cannot take now. The assignment is said once, in its own note, when shown;
    `first_decider` (the viewer made the first decision of a case in final review): the
    same-reviewer rule is said once, for every action it refuses."""
    meta = panels.form_meta([a.value for a in reasons], party=party.value if party else "")
    out = []
    for action, why in reasons.items():
        if assigned_elsewhere and why.code == "assigned_to_another_reviewer":
            continue
        same_reviewer = why.code == "same_reviewer" or (first_decider and action == Action.FINAL_DECIDE)
        out.append((meta[action.value]["label"], FIRST_DECIDER if same_reviewer else why.said(local_time)))
    return out


def action_panel_for(ctx, user, case, offered: list[str]):
    """The case page's action panel for this viewer: the actions offered, what each will
    do, and why the others they could expect are missing."""
    party = party_of(user, case)
    staff = is_staff(user)
    elsewhere = (case.assignee.name if staff and case.status != "closed" and case.assignee
                 and case.assignee_id != user.id else None)
    settings = ctx.settings
    return panels.action_panel(
        offered, party=party.value, amount_minor=case.amount_minor, currency=case.currency,
        max_files=settings.max_files, max_file_mb=settings.max_file_mb,
        staff_options=case_view.staff_choices(ctx.session) if Action.ASSIGN.value in offered else [],
        assignee_id=case.assignee_id, overturn_needs_remedy=remedy_needed(case, "overturn"),
        assigned_elsewhere=elsewhere,
        notes={name: action_notes(ctx, case, user, name) for name in offered},
        missing=missing_lines(unavailable_reasons(ctx, case, user), party=party, assigned_elsewhere=bool(elsewhere),
                              first_decider=bool(staff and case.final_review and case.decided_by_id == user.id)),
    )


# ---------------------------------------------------------------------------- confirmation
TITLES = {"accept": "Accept and refund?", "deny": "Deny the case?", "appeal": "Use the case's only appeal?",
          "withdraw": "Withdraw the case?", "decide": "Confirm the decision"}
FINAL_TITLES = {"uphold": "Uphold the decision?", "overturn": "Overturn the decision?"}


def _outcome_line(case, outcome: Optional[Outcome]) -> Optional[str]:
    if outcome == Outcome.MERCHANT_WON:
        return f"The case closes in favour of {case.company.name}; the customer gets no refund from it."
    if outcome == Outcome.WITHDRAWN:
        return "The case closes as withdrawn; no new case can be opened on this payment."
    return None


def confirmation(ctx, user, case, name: str, effects: Consequences,
                 decision: Optional[str] = None) -> Optional[tuple[str, list[str]]]:
    """(title, lines) for an action that settles something (`Consequences.decisive`: money,
    an outcome, the one appeal), else None. The domain says what happens; this only words
    it for the person about to click."""
    if not effects.decisive:
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
        if decision == "uphold":
            label = OUTCOME_LABELS.get(case.outcome or "", "the outcome")
            lines.append(f"The decision stands: {label.lower()}. No money moves.")
        elif not effects.movements:
            lines.append("The merchant wins. The customer keeps the credit already given; no further money moves.")
    elif name == Action.APPEAL.value:
        lines += [line for line in action_notes(ctx, user=user, case=case, name=name)
                  if not line.startswith("You can appeal until")]
    elif not effects.movements and (line := _outcome_line(case, effects.outcome)):
        lines.append(line)
    if effects.final and name != Action.APPEAL.value:
        lines.append("This is final: nothing can change the outcome afterwards.")
    elif effects.appealable:
        lines += action_notes(ctx, case, user, name)
    title = FINAL_TITLES.get(decision or "", "Confirm the final decision") if name == Action.FINAL_DECIDE.value \
        else TITLES.get(name, "Please confirm")
    return title, lines


class _Rehearsed(Exception):
    """Raised to roll back the rehearsal of an action once the domain accepted it."""


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
    return confirmation(ctx, user, case, form.action, consequences(case, form.action, args),
                        decision=form.final_decision)


def rehearse(form: ActionForm) -> Optional[tuple[str, list[str]]]:
    """The confirmation for `form`, asked only once the domain would accept the action:
    it is run in a transaction that is then rolled back (no files: those are checked when
    it runs for real), so a missing reason or a bad amount shows under its field first.
    Raises the domain's refusal."""
    ask: Optional[tuple[str, list[str]]] = None
    try:
        with acting_user() as (ctx, user):
            case = load_case(ctx, user, str(form.case_id or ""))
            ask = ask_first(ctx, user, case, form)
            if ask is None:
                return None
            actions.perform(ctx, actor=user, case_id=case.id, name=form.action, body=body_of(case, form, []))
            raise _Rehearsed()
    except _Rehearsed:
        return ask


def _form(args) -> ActionForm:
    (case_id, action, message, contents, filenames, party, reviewer_id, outcome, amount, final_decision,
     remedy, final_amount, refresh) = args
    if isinstance(contents, str):
        contents, filenames = [contents], [filenames]
    return ActionForm(case_id, action, message, contents, filenames, party, reviewer_id, outcome, amount,
                      final_decision, remedy, final_amount, refresh or 0)


CONFIRMED = {a.value for a in (Action.ACCEPT, Action.DENY, Action.APPEAL, Action.WITHDRAW, Action.DECIDE,
                               Action.FINAL_DECIDE)}  # the actions whose consequences may need a confirmation


@dash.callback(*[Output(*o) for o in OUTPUTS], Input(CaseIds.ACT_SUBMIT, "n_clicks"), *FORM,
               prevent_initial_call=True, running=[(Output(CaseIds.ACT_SUBMIT, "disabled"), True, False)])
def submit_action(n_clicks, *args):
    """Act at once, or first ask for a confirmation when the action settles something."""
    if not n_clicks:
        raise dash.exceptions.PreventUpdate
    form = _form(args)
    if form.action in CONFIRMED:
        try:
            ask = rehearse(form)
        except NotFound:
            return _outputs(feedback=dbc.Alert("Case not found.", color="danger", id=CaseIds.ERROR))
        except (Conflict, StaleDataError) as exc:
            return _acted_first(form, exc)
        except DomainError as exc:
            return _refused(form.action, exc)
        if ask is not None:
            return _outputs(feedback=None, confirm=ask)
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


# ---------------------------------------------------------------------------- the submit, ready or not
def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def still_missing(choice: Optional[str], meta: Optional[dict], *, message=None, contents=None, outcome=None,
                  amount=None, decision=None, remedy=None, final_amount=None,
                  needs_remedy: bool = False) -> Optional[str]:
    """What must still be filled in before the chosen action can be sent, in words, or
    None when the form is ready. Only presence: the domain judges the values."""
    spec = (meta or {}).get(choice or "")
    if not spec:
        return "Choose an action above."
    label = spec.get("message_label") or "the message"
    if Action.DECIDE.value == choice:
        if _blank(outcome):
            return "Choose an outcome."
        if outcome in REMEDIES and _blank(amount):
            return "Enter the amount."
    if Action.FINAL_DECIDE.value == choice:
        if _blank(decision):
            return "Choose whether to uphold or overturn the decision."
        if decision == "overturn" and needs_remedy and (_blank(remedy) or _blank(final_amount)):
            return "Choose the remedy and enter its amount."
    if spec.get("files") == "required" and not contents:
        return "Choose at least one file."
    if spec.get("message") == "required" and _blank(message):
        return f"Fill in “{label}” to continue."
    return None


@dash.callback(
    Output(CaseIds.ACT_SUBMIT, "disabled"), Output(CaseIds.ACT_SUBMIT_HELP, "children"),
    *[Output(*o, allow_duplicate=True) for o in FIELD_OUTPUTS],
    Input(CaseIds.ACT_CHOICE, "value"), Input(CaseIds.ACT_MESSAGE, "value"), Input(CaseIds.ACT_UPLOAD, "contents"),
    Input(CaseIds.DECIDE_OUTCOME, "value"), Input(CaseIds.DECIDE_AMOUNT, "value"),
    Input(CaseIds.FINAL_DECISION, "value"), Input(CaseIds.FINAL_REMEDY, "value"), Input(CaseIds.FINAL_AMOUNT, "value"),
    State(CaseIds.FORM_META, "data"), State(CaseIds.FINAL_NEEDS_REMEDY, "data"),
    prevent_initial_call=True,
)
def follow_fields(choice, message, contents, outcome, amount, decision, remedy, final_amount, meta, needs_remedy):
    """The submit is ready once the chosen action's required fields are filled (and says
    what is missing until then); a field's error clears as soon as it is edited."""
    missing = still_missing(choice, meta, message=message, contents=contents, outcome=outcome, amount=amount,
                            decision=decision, remedy=remedy, final_amount=final_amount,
                            needs_remedy=bool(needs_remedy))
    edited = {CaseIds.ACT_MESSAGE: "message", CaseIds.ACT_UPLOAD: "files", CaseIds.DECIDE_AMOUNT: "amount",
              CaseIds.FINAL_AMOUNT: "final_amount", CaseIds.FINAL_REMEDY: "remedy"}
    try:
        trigger = dash.ctx.triggered_id
    except Exception:  # called outside a request's callback context (tests calling it directly)
        trigger = None
    cleared = {edited[trigger]} if trigger in edited else ({k for k, _f, _e in FIELDS} if trigger == CaseIds.ACT_CHOICE
                                                            else set())
    fields: list[Any] = []
    for key, field_id, _error_id in FIELDS:
        n = 2 if field_id else 1
        fields += [False, None][-n:] if key in cleared else [NO] * n
    return (missing is not None, missing or "", *fields)


# ---------------------------------------------------------------------------- who reads the message
# All actions share one message box. An internal note is for staff alone; every other
# action's message (a request, a decision's reason, a reply) is read by the parties. Text
# written for one audience must never be sent to the other by a change of mind, so the
# box is emptied when the chosen action crosses that line (simplest, predictable), and
# the line under the box says so.
STAFF_ONLY = frozenset({Action.NOTE.value})
STAFF, PARTIES = "staff", "parties"
CLEARED = {
    STAFF: "The note you were writing was cleared: notes are never shown to the parties.",
    PARTIES: "The message you were writing was cleared: it was meant for the parties, and a note is for staff only.",
}


def audience_of(action: Optional[str]) -> Optional[str]:
    """Who reads what is written for `action`: staff, the parties, or None (no action)."""
    if not action:
        return None
    return STAFF if action in STAFF_ONLY else PARTIES


@dash.callback(
    Output(CaseIds.ACT_MESSAGE, "value", allow_duplicate=True), Output(CaseIds.ACT_MESSAGE_CLEARED, "children"),
    Output(CaseIds.ACT_AUDIENCE, "data"),
    Input(CaseIds.ACT_CHOICE, "value"), State(CaseIds.ACT_MESSAGE, "value"), State(CaseIds.ACT_AUDIENCE, "data"),
    prevent_initial_call=True,
)
def clear_for_new_audience(choice, message, last):
    """Empty the message when the chosen action is read by someone else than the one before
    (a note and a party's message); `last` is the audience of the action chosen before,
    kept in the page. Only the box's own text: nothing is read or written on the server."""
    now = audience_of(choice if isinstance(choice, str) else None)
    if now is None:
        raise dash.exceptions.PreventUpdate
    if last not in CLEARED or last == now or _blank(message):
        return NO, "", now
    return "", CLEARED[last], now
