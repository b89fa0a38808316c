"""Callbacks of `/replies`: the saved replies a person may use, and the form managers
(the platform's) and creators (their company's) keep them with.

The user is re-read from the database on every call and the scope comes from them, never
from the browser: `?edit=` and the form's fields only say which template and what text,
and `dashboard.canned` looks the template up in the caller's own scope (another
company's id is "not found"). Reviewers read the platform's list; customers get none.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional
from zoneinfo import ZoneInfo

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html

from callbacks._session import acting_user, runtime
from dashboard import canned
from dashboard.components import case_table as ct
from dashboard.components.format import viewer_zone
from dashboard.components.ids import RepliesIds
from dashboard.components.shell import empty_state
from dashboard.errors import DomainError, NotFound
from dashboard.permissions import is_staff
from dashboard.timezones import local_text

NO = dash.no_update
HIDDEN = {"display": "none"}
SHOWN: dict = {}
PREVIEW_CHARS = 140
NOT_YOURS = "Saved replies are kept by the platform's managers and by creators, for their own messages."
# Which field of the form an error code is about (None: the form as a whole).
FIELD_OF = {"name_required": "name", "name_too_long": "name", "duplicate_name": "name",
            "invalid_purpose": "purpose", "body_required": "body", "body_too_long": "body"}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _alert(text, color: str = "danger", icon: str = "exclamation-triangle") -> dbc.Alert:
    """`text`: a string or a list of parts (flattened: Dash cannot render a list in a list)."""
    parts = text if isinstance(text, list) else [text]
    return dbc.Alert([html.I(className=f"bi bi-{icon} me-2"), *parts], color=color, dismissable=True)


def intro(user) -> str:
    if user.role == "manager":
        return ("The platform's saved replies: every reviewer can insert them on a case page "
                "(information requests, internal notes and decision reasons).")
    if is_staff(user):
        return ("The platform's saved replies, kept by the managers. Insert one on a case page with "
                "“Insert reply…” beside the message.")
    return ("Your company's saved replies: every creator of your company can insert them on a case page, "
            "beside the message of a reply, a denial, an acceptance or an information request.")


SAMPLE_DUE_DAYS = 3  # the example deadline: three days from now, at noon where the viewer is
# A company name not ending in "s", so a template's "{company}'s" reads right in the example.
SAMPLE_COMPANY = "Northwind Studio"


def sample_values(now: dt.datetime, zone: ZoneInfo) -> dict[str, str]:
    """The example values a preview fills in: the deadline a few days ahead of now, in the
    viewer's zone and written as a real `{due_date}` is (timezones.local_text)."""
    day = (now.astimezone(zone) + dt.timedelta(days=SAMPLE_DUE_DAYS)).date()
    due = dt.datetime.combine(day, dt.time(12, 0), tzinfo=zone)
    return dict(canned.SAMPLE_VALUES, company=SAMPLE_COMPANY, due_date=local_text(due, zone))


def _example(body: str) -> str:
    return canned.render(body, sample_values(runtime().now(), viewer_zone()))


def _short(text: str) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= PREVIEW_CHARS else one_line[:PREVIEW_CHARS - 1] + "…"


def reply_table(replies, *, editable: bool) -> html.Div:
    headers = ["Name", "Used for", "Preview (example values)", "Updated"] + ([""] if editable else [])
    rows = []
    for r in replies:
        cells = [html.Span(r.name, className="fw-semibold"),
                 canned.PURPOSE_LABELS.get(r.purpose, r.purpose),
                 html.Span(_short(_example(r.body)), className="small"),
                 html.Span(ct.local_date(r.updated_at), className="text-nowrap")]
        if editable:
            cells.append(dcc.Link(["Edit", html.Span(f" {r.name}", className="visually-hidden")],
                                  href=f"/replies?edit={r.id}", className="btn btn-outline-primary btn-sm"))
        rows.append(cells)
    hint = "Write the first one in the form." if editable else "The managers have not saved any yet."
    return ct.case_table(headers, rows, table_id=RepliesIds.TABLE, row_ids=[str(r.id) for r in replies],
                         label="Saved replies", empty=empty_state("No saved replies yet.", icon="chat-square-text",
                                                                  hint=hint))


@dash.callback(
    Output(RepliesIds.INTRO, "children"), Output(RepliesIds.LIST, "children"), Output(RepliesIds.FORM, "style"),
    Output(RepliesIds.PURPOSE, "options"),
    Input(RepliesIds.LOAD, "data"),
)
def show_replies(_load):
    """The list this person may use, and the form if they keep replies."""
    try:
        with acting_user() as (ctx, user):
            if canned.readable_scope(user) is None:
                return "", _alert(NOT_YOURS, "secondary", "lock"), HIDDEN, []
            editable = canned.can_edit(user)
            table = reply_table(canned.list_replies(ctx, user), editable=editable)
            options = [{"label": canned.PURPOSE_LABELS[p], "value": p.value} for p in canned.purposes_for(user)]
            return intro(user), table, SHOWN if editable else HIDDEN, options
    except DomainError as exc:
        return "", _alert(exc.message), HIDDEN, []


@dash.callback(
    Output(RepliesIds.NAME, "value"), Output(RepliesIds.PURPOSE, "value"), Output(RepliesIds.BODY, "value"),
    Output(RepliesIds.FORM_TITLE, "children"), Output(RepliesIds.DELETE, "style"),
    Output(RepliesIds.EDIT_ALERT, "children"),
    Input(RepliesIds.EDITING, "data"),
)
def open_reply(editing):
    """The form for the template being edited (`?edit=`), or a blank one for a new reply."""
    try:
        with acting_user() as (ctx, user):
            purposes = canned.purposes_for(user)
            blank = ("", purposes[0].value if purposes else None, "", "New reply", HIDDEN, None)
            if editing is None or not canned.can_edit(user):
                return blank
            try:
                reply = canned.get_reply(ctx, user, editing)
            except NotFound:
                return (*blank[:5], _alert("That saved reply does not exist or is not yours to edit. "
                                           "You can write a new one here.", "warning"))
            return reply.name, reply.purpose, reply.body, f"Edit “{reply.name}”", SHOWN, None
    except DomainError:
        return "", None, "", "New reply", HIDDEN, None


@dash.callback(Output(RepliesIds.PREVIEW, "children"), Input(RepliesIds.BODY, "value"))
def preview_reply(body):
    """How the text reads with example values, and any `{name}` that is no placeholder.
    Pure presentation: no data."""
    text = _text(body)
    if not text.strip():
        return None
    warning = canned.unknown_sentence(canned.unknown_placeholders(text))
    return html.Div([
        html.Div("Reads like (example values):", className="text-muted"),
        html.Div(_example(text), className="border-start border-3 ps-2", style={"whiteSpace": "pre-wrap"}),
        html.Div([html.I(className="bi bi-exclamation-triangle me-1"), warning],
                 className="text-warning-emphasis mt-1") if warning else None,
    ])


def _form_outputs(*, feedback=NO, errors: Optional[dict[str, str]] = None, load=NO, editing=NO):
    errors = errors or {}
    return (feedback, "name" in errors, errors.get("name"), errors.get("purpose"), "body" in errors,
            errors.get("body"), load, editing)


@dash.callback(
    Output(RepliesIds.FEEDBACK, "children"), Output(RepliesIds.NAME, "invalid"),
    Output(RepliesIds.NAME_ERROR, "children"), Output(RepliesIds.PURPOSE_ERROR, "children"),
    Output(RepliesIds.BODY, "invalid"), Output(RepliesIds.BODY_ERROR, "children"),
    Output(RepliesIds.LOAD, "data"), Output(RepliesIds.EDITING, "data"),
    Input(RepliesIds.SAVE, "n_clicks"),
    State(RepliesIds.EDITING, "data"), State(RepliesIds.NAME, "value"), State(RepliesIds.PURPOSE, "value"),
    State(RepliesIds.BODY, "value"), State(RepliesIds.LOAD, "data"),
    prevent_initial_call=True, running=[(Output(RepliesIds.SAVE, "disabled"), True, False)],
)
def save_reply(n_clicks, editing, name, purpose, body, load):
    """Create the reply, or save the one being edited; errors go under their fields."""
    if not n_clicks:
        raise dash.exceptions.PreventUpdate
    try:
        with acting_user() as (ctx, user):
            if editing is None:
                saved = canned.create_reply(ctx, user, name=name, purpose=purpose, body=body)
            else:
                saved = canned.update_reply(ctx, user, editing, name=name, purpose=purpose, body=body)
            name_saved, saved_id, warning = saved.reply.name, saved.reply.id, saved.warning
    except NotFound:
        return _form_outputs(feedback=_alert("That saved reply does not exist or is not yours to edit; nothing "
                                             "was saved. Open “New reply” to write it again."))
    except DomainError as exc:
        field = FIELD_OF.get(exc.code)
        if field:
            return _form_outputs(feedback=None, errors={field: exc.message})
        return _form_outputs(feedback=_alert(exc.message))
    done = f"Saved “{name_saved}”. It is in the list and in “Insert reply…” on case pages."
    feedback = _alert([done, html.Br(), warning], "warning") if warning else _alert(done, "success", "check-circle")
    return _form_outputs(feedback=feedback, load=(load or 0) + 1 if isinstance(load, int) else 1, editing=saved_id)


@dash.callback(
    Output(RepliesIds.CONFIRM_DELETE, "is_open"), Output(RepliesIds.CONFIRM_DELETE_BODY, "children"),
    Input(RepliesIds.DELETE, "n_clicks"), State(RepliesIds.EDITING, "data"),
    prevent_initial_call=True,
)
def ask_delete(n_clicks, editing):
    if not n_clicks:
        raise dash.exceptions.PreventUpdate
    try:
        with acting_user() as (ctx, user):
            canned.editable_scope(user)
            reply = canned.get_reply(ctx, user, editing)
            return True, (f"“{reply.name}” leaves the list and “Insert reply…” for everyone who uses it. "
                          f"Messages already sent with it are not changed. This cannot be undone.")
    except DomainError:
        return False, None


@dash.callback(
    Output(RepliesIds.FEEDBACK, "children", allow_duplicate=True),
    Output(RepliesIds.LOAD, "data", allow_duplicate=True),
    Output(RepliesIds.EDITING, "data", allow_duplicate=True),
    Output(RepliesIds.CONFIRM_DELETE, "is_open", allow_duplicate=True),
    Input(RepliesIds.CONFIRM_DELETE_OK, "n_clicks"), State(RepliesIds.EDITING, "data"),
    State(RepliesIds.LOAD, "data"),
    prevent_initial_call=True,
)
def delete_reply(n_clicks, editing, load):
    if not n_clicks:
        raise dash.exceptions.PreventUpdate
    try:
        with acting_user() as (ctx, user):
            name = canned.delete_reply(ctx, user, editing)
    except NotFound:
        return _alert("That saved reply does not exist or is not yours to delete; nothing changed."), NO, NO, False
    except DomainError as exc:
        return _alert(exc.message), NO, NO, False
    bumped = (load or 0) + 1 if isinstance(load, int) else 1
    return _alert(f"Deleted “{name}”.", "success", "check-circle"), bumped, None, False


@dash.callback(Output(RepliesIds.CONFIRM_DELETE, "is_open", allow_duplicate=True),
               Input(RepliesIds.CONFIRM_DELETE_CANCEL, "n_clicks"), prevent_initial_call=True)
def keep_reply(n_clicks):
    if not n_clicks:
        raise dash.exceptions.PreventUpdate
    return False
