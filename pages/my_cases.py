"""`/my-cases` — the customer's page: their cases (and what is needed from them), their
payments with "Open a case" where the rules allow it (the reason where they do not), and
the form that opens one. Filled by `callbacks/my_cases.py`; nothing here reads the
database."""
import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.components.ids import MyCasesIds
from dashboard.components.shell import page_header
from dashboard.enums import REASON_LABELS

dash.register_page(__name__, path="/my-cases", title="My payments & cases · Resolution Center")


def _section(title, icon, body_id, pager_id, hint=None):
    return dbc.Card([
        dbc.CardHeader([html.I(className=f"bi bi-{icon} me-2"), html.Span(title, className="fw-semibold"),
                        html.Div(hint, className="text-muted small") if hint is not None else None], className="bg-white"),
        dbc.CardBody(dcc.Loading(html.Div(id=body_id), type="dot"), className="p-0"),
        dbc.CardFooter(html.Div([
            html.Span(id=MyCasesIds.pager_text(pager_id), className="text-muted small"),
            dbc.Pagination(id=pager_id, max_value=1, active_page=1, size="sm", fully_expanded=False,
                           first_last=True, previous_next=True, className="mb-0"),
        ], className="d-flex justify-content-between align-items-center"), className="bg-white"),
    ], className="shadow-sm mb-3")


def _field_error(error_id: str) -> dbc.FormFeedback:
    # d-block: shown whenever it has words (the callbacks fill it and mark the field invalid).
    return dbc.FormFeedback(id=error_id, className="d-block")


def _open_case_form():
    return dbc.Modal([
        dbc.ModalHeader(dbc.ModalTitle([html.I(className="bi bi-flag me-2"), "Open a case"],
                                       id=MyCasesIds.FORM_TITLE)),
        dbc.ModalBody([
            html.Div(id=MyCasesIds.FORM_PAYMENT, className="mb-3"),
            html.Div(id=MyCasesIds.FORM_ALERT),
            html.Div(id=MyCasesIds.FORM_FIELDS, children=[
                dbc.Label(["What went wrong?", html.Span(" *", className="text-danger")], html_for=MyCasesIds.REASON),
                dbc.Select(id=MyCasesIds.REASON, placeholder="Choose a reason",
                           options=[{"label": label, "value": reason.value} for reason, label in REASON_LABELS.items()]),
                _field_error(MyCasesIds.REASON_ERROR),
                dbc.Label(["Message to the seller", html.Span(" *", className="text-danger")],
                          html_for=MyCasesIds.MESSAGE, className="mt-3"),
                dbc.Textarea(id=MyCasesIds.MESSAGE, rows=5, value="",
                             placeholder="Describe the problem and what you would like to happen."),
                _field_error(MyCasesIds.MESSAGE_ERROR),
                html.Div(id=MyCasesIds.COUNTER, className="form-text text-end mb-3"),
                dbc.Label("Evidence (optional)"),
                dcc.Upload(id=MyCasesIds.UPLOAD, multiple=True, children=html.Div([
                    html.I(className="bi bi-paperclip me-1"), "Drop files here or ",
                    html.A("choose files", className="link-primary"),
                ]), className="border border-2 border-dashed rounded p-3 text-center text-muted",
                    style={"borderStyle": "dashed", "cursor": "pointer"}),
                html.Div(id=MyCasesIds.FILES, className="form-text"),
                _field_error(MyCasesIds.UPLOAD_ERROR),
            ]),
            html.Div(id=MyCasesIds.RESULT),
        ]),
        dbc.ModalFooter([
            # Why "Open the case" is not ready yet (a disabled button alone says nothing).
            html.Div(id=MyCasesIds.SUBMIT_HELP, className="small text-muted me-auto"),
            dbc.Button("Close", id=MyCasesIds.CANCEL, color="secondary", outline=True),
            dbc.Button([html.I(className="bi bi-send me-1"), "Open the case"], id=MyCasesIds.SUBMIT, color="primary",
                       disabled=True),
        ]),
    ], id=MyCasesIds.MODAL, is_open=False, size="lg", backdrop="static", labelledby=MyCasesIds.FORM_TITLE)


def layout(**_kwargs):
    return html.Div([
        dcc.Store(id=MyCasesIds.LOAD, data=0),
        dcc.Store(id=MyCasesIds.PAYMENT),
        dcc.Store(id=MyCasesIds.OPENABLE, data=False),
        page_header("My payments & cases", "Something wrong with a purchase? Open a case on its payment and "
                                           "the seller is asked to answer."),
        html.Div(id=MyCasesIds.ALERT),
        html.Div(id=MyCasesIds.BODY, children=[
            _section("Your cases", "folder2-open", MyCasesIds.CASES, MyCasesIds.CASES_PAGER,
                     hint="Cases waiting on you are listed first."),
            _section("Your payments", "credit-card", MyCasesIds.PAYMENTS, MyCasesIds.PAYMENTS_PAGER,
                     hint=html.Span(id=MyCasesIds.PAYMENTS_HINT)),
        ]),
        _open_case_form(),
    ])
