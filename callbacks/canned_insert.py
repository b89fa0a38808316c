"""Case page: "Insert reply…" beside the action form's message (issue 10, Deliver 7).

When the person chooses an action, the menu offers the saved replies they may use for
it (staff: the platform's; a creator: their company's; a customer: none, and the menu
stays hidden). Choosing one puts its text, filled in for this case as this person reads
it, into the message — replacing an empty message, appended to one already written — so
it can still be edited before sending.

Nothing from the browser is trusted: the case is loaded as the signed-in user, the
template is looked up in the one scope that user may read, and it must be of the purpose
the chosen action takes. A crafted template id of another company is "not found".
"""
from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, State, html

from callbacks._session import acting_user
from dashboard import canned
from dashboard.components.format import viewer_zone
from dashboard.components.ids import CannedInsertIds, CaseIds
from dashboard.errors import DomainError, NotFound
from dashboard.permissions import load_case

HIDDEN = {"display": "none"}
SHOWN: dict = {}
NOT_THERE = "That saved reply is not available on this case any more. Choose another one."


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _where_to_add(user, purpose) -> Any:
    """For someone who keeps replies and has none for this action: where to add them."""
    if purpose is None or not canned.can_edit(user):
        return ""
    label = canned.PURPOSE_LABELS[purpose].lower()
    return html.Span([f"No saved replies for {label}s yet. ",
                      html.A("Add one on Replies", href="/replies"), "."], className="text-muted")


@dash.callback(
    Output(CannedInsertIds.PICK, "options"), Output(CannedInsertIds.PICK, "value"),
    Output(CannedInsertIds.GROUP, "style"), Output(CannedInsertIds.FEEDBACK, "children"),
    Input(CaseIds.ACT_CHOICE, "value"), State(CaseIds.ID, "data"),
    prevent_initial_call=True,
)
def offer_replies(choice, case_id):
    """The saved replies this viewer may use for the chosen action, by name."""
    try:
        with acting_user() as (ctx, user):
            case = load_case(ctx, user, _text(case_id))
            purpose = canned.usable_for(user, case, _text(choice))
            replies = canned.list_replies(ctx, user, purpose=purpose.value) if purpose else []
            if not replies:
                return [], "", HIDDEN, _where_to_add(user, purpose)
            options = [{"label": r.name, "value": str(r.id)} for r in replies]
    except DomainError:
        return [], "", HIDDEN, ""
    return options, "", SHOWN, ""


def combined(message: str, text: str) -> str:
    """The reply replaces an empty message and is appended, a blank line after it, to one
    already written."""
    if not message.strip():
        return text
    return message.rstrip() + "\n\n" + text


@dash.callback(
    Output(CaseIds.ACT_MESSAGE, "value", allow_duplicate=True),
    Output(CannedInsertIds.PICK, "value", allow_duplicate=True),
    Output(CannedInsertIds.FEEDBACK, "children", allow_duplicate=True),
    Input(CannedInsertIds.PICK, "value"),
    State(CaseIds.ID, "data"), State(CaseIds.ACT_CHOICE, "value"), State(CaseIds.ACT_MESSAGE, "value"),
    prevent_initial_call=True,
)
def insert_reply(reply_id, case_id, choice, message):
    """Put the chosen reply, rendered for this case and this viewer, into the message; the
    menu goes back to its placeholder, "Insert reply…", so the same reply can be chosen again."""
    if not reply_id:
        raise dash.exceptions.PreventUpdate
    try:
        with acting_user() as (ctx, user):
            text = canned.render_for_case(ctx, user, reply_id, _text(case_id), action=_text(choice),
                                          zone=viewer_zone())
            limit = ctx.settings.max_message_chars
    except NotFound:
        return dash.no_update, "", html.Span(NOT_THERE, className="text-danger")
    except DomainError as exc:
        return dash.no_update, "", html.Span(exc.message, className="text-danger")
    result = combined(_text(message), text)
    if len(result) > limit:
        return dash.no_update, "", html.Span(
            f"With this reply the message would be {len(result):,} characters; it can hold {limit:,}. "
            f"Shorten what is written, or clear it and insert the reply alone.", className="text-danger")
    return result, "", ""
