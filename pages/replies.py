"""`/replies` — saved replies (issue 10, Deliver 7): managers keep the platform's, which
reviewers insert on the case page (reviewers may read them here); creators keep their own
company's. `?edit=<id>` opens one in the form (only a key: `callbacks/replies.py` looks
it up in the scope the signed-in user may read). Nothing here reads the database."""
import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard import canned
from dashboard.components.ids import RepliesIds
from dashboard.components.shell import page_header

dash.register_page(__name__, path="/replies", title="Saved replies · Resolution Center")


def cheat_sheet() -> html.Div:
    """What can be typed in braces, and what each becomes."""
    return html.Div([
        html.Div("Placeholders", className="fw-semibold small mb-1"),
        html.Dl([item for name, what in canned.PLACEHOLDERS.items()
                 for item in (html.Dt(html.Code(f"{{{name}}}", className="text-body"), className="col-sm-4"),
                              html.Dd(what, className="col-sm-8 mb-1"))], className="row small mb-1"),
        html.Div("They are filled in for the case when you insert the reply there, and you can still edit the "
                 "text before sending. Any other text in braces stays exactly as typed.",
                 className="text-muted small"),
    ], className="border rounded p-2 bg-light mb-3", id="replies-cheat-sheet")


def _error(error_id: str) -> dbc.FormFeedback:
    return dbc.FormFeedback(id=error_id, className="d-block")


def form() -> dbc.Card:
    return dbc.Card([
        dbc.CardHeader(html.Span("New reply", id=RepliesIds.FORM_TITLE), className="fw-semibold small"),
        dbc.CardBody([
            html.Div(id=RepliesIds.EDIT_ALERT),
            dbc.Label("Name", html_for=RepliesIds.NAME, className="small fw-semibold"),
            dbc.Input(id=RepliesIds.NAME, maxLength=canned.NAME_MAX, type="text", value=""),
            _error(RepliesIds.NAME_ERROR),
            dbc.Label("Used for", html_for=RepliesIds.PURPOSE, className="small fw-semibold mt-2"),
            dbc.Select(id=RepliesIds.PURPOSE, options=[], value=None),
            _error(RepliesIds.PURPOSE_ERROR),
            dbc.Label("Text", html_for=RepliesIds.BODY, className="small fw-semibold mt-2"),
            dbc.Textarea(id=RepliesIds.BODY, rows=6, value="", maxLength=20_000),
            _error(RepliesIds.BODY_ERROR),
            html.Div(id=RepliesIds.PREVIEW, className="small mt-2"),
            cheat_sheet(),
            html.Div([
                dbc.Button([html.I(className="bi bi-save me-1"), "Save"], id=RepliesIds.SAVE, color="primary",
                           n_clicks=0),
                dbc.Button([html.I(className="bi bi-trash me-1"), "Delete"], id=RepliesIds.DELETE, color="danger",
                           outline=True, n_clicks=0, style={"display": "none"}),
                dcc.Link("New reply", href="/replies", className="btn btn-link btn-sm"),
            ], className="d-flex flex-wrap gap-2"),
        ]),
    ], className="shadow-sm mb-3", id=RepliesIds.FORM, style={"display": "none"})


def confirm_delete() -> dbc.Modal:
    return dbc.Modal([
        dbc.ModalHeader(dbc.ModalTitle("Delete this saved reply?")),
        dbc.ModalBody(id=RepliesIds.CONFIRM_DELETE_BODY),
        dbc.ModalFooter([
            dbc.Button("Keep it", id=RepliesIds.CONFIRM_DELETE_CANCEL, color="secondary", n_clicks=0),
            dbc.Button("Delete", id=RepliesIds.CONFIRM_DELETE_OK, color="danger", n_clicks=0),
        ]),
    ], id=RepliesIds.CONFIRM_DELETE, is_open=False)


def layout(edit=None, **_kwargs):
    editing = edit if isinstance(edit, str) and edit.isdigit() and len(edit) < 10 else None
    return html.Div([
        page_header("Saved replies", "Text with placeholders, to insert into a message on a case page."),
        dcc.Store(id=RepliesIds.EDITING, data=editing),
        dcc.Store(id=RepliesIds.LOAD, data=0),
        html.Div(id=RepliesIds.FEEDBACK),
        html.Div(id=RepliesIds.INTRO, className="text-muted small mb-2"),
        dbc.Row([
            dbc.Col(dcc.Loading(html.Div(id=RepliesIds.LIST), type="dot"), lg=7),
            dbc.Col(form(), lg=5),
        ]),
        confirm_delete(),
    ])
