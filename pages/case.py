"""`/cases/<case_id>`: one case — timeline, evidence, payment and parties, context, and
the actions this user may take now. The skeleton only; `callbacks/case.py` fills it
for the signed-in user (who may see the case is decided there, never here)."""
import re

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.components.ids import CaseIds

_CASE_ID = re.compile(r"reso_[A-Za-z0-9]{1,40}")


def _title(case_id=None, **_kwargs):
    # Only a well-formed id reaches the <title>: the path is whatever the browser sent.
    shown = case_id if isinstance(case_id, str) and _CASE_ID.fullmatch(case_id) else None
    return f"Case {shown} · Resolution Center" if shown else "Case · Resolution Center"


dash.register_page(__name__, path_template="/cases/<case_id>", title=_title)


def layout(case_id=None, **_kwargs):
    shown = case_id if isinstance(case_id, str) and _CASE_ID.fullmatch(case_id) else None
    return html.Div([
        # The page's one h1, for screen readers and the outline; the case header below shows
        # the same case by its reason and amount.
        html.H1(f"Case {shown}" if shown else "Case", className="visually-hidden"),
        dcc.Store(id=CaseIds.ID, data=case_id),
        dcc.Store(id=CaseIds.REFRESH, data=0),
        # Fixed under the navbar: an error is seen wherever the person was when they clicked.
        html.Div(id=CaseIds.FEEDBACK, className="shadow-sm", style={"position": "fixed", "top": "4.5rem", "left": "50%", "zIndex": 1070,
                                            "transform": "translateX(-50%)", "width": "min(92vw, 44rem)"}),
        dcc.Loading(html.Div(id=CaseIds.CONTENT, style={"minHeight": "40vh"}), type="default", delay_show=300,
                    target_components={CaseIds.CONTENT: "children"}),
        dbc.Modal([
            dbc.ModalHeader(dbc.ModalTitle("Please confirm", id=CaseIds.CONFIRM_TITLE)),
            dbc.ModalBody(id=CaseIds.CONFIRM_BODY),
            dbc.ModalFooter([
                dbc.Button("Cancel", id=CaseIds.CONFIRM_CANCEL, color="secondary", outline=True),
                dbc.Button("Confirm", id=CaseIds.CONFIRM_OK, color="danger"),
            ]),
        ], id=CaseIds.CONFIRM, is_open=False, centered=True, backdrop="static", labelledby=CaseIds.CONFIRM_TITLE),
        dbc.Toast(id=CaseIds.TOAST, header="Done", icon="success", is_open=False, dismissable=True, duration=5000,
                  style={"position": "fixed", "top": "4.5rem", "right": "1.5rem", "zIndex": 1080, "minWidth": "18rem"}),
    ], id=CaseIds.PAGE)
