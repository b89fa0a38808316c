"""`/customers/<customer_id>` — staff's view of one customer: who they are, their win rate
and open cases, their cases at every company and their payments, each a page at a time.
The skeleton only: `callbacks/staff_views.py` fills it for staff, and answers anyone else,
or an id that is no customer's, with the not-found state. Nothing here reads the database;
the id from the path only goes into a Store."""
import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.components.ids import StaffViewIds as V

dash.register_page(__name__, path_template="/customers/<customer_id>", title="Customer · Resolution Center")

HIDDEN = {"display": "none"}


def paged_card(title: str, icon: str, *, body_id: str, store_id: str, next_id: str, first_id: str,
               hint: str | None = None) -> dbc.Card:
    """A card with one server-paged list (newest first) and its First page / Next page buttons."""
    return dbc.Card([
        dbc.CardHeader([html.I(className=f"bi bi-{icon} me-2", **{"aria-hidden": "true"}),
                        html.Span(title, className="fw-semibold"),
                        html.Div(hint, className="text-muted small") if hint else None], className="bg-white"),
        dbc.CardBody([
            dcc.Store(id=store_id, data=None),
            dcc.Loading(html.Div(id=body_id), type="dot"),
            html.Div([
                dbc.Button("First page", id=first_id, color="secondary", outline=True, size="sm", n_clicks=0,
                           style=HIDDEN),
                dbc.Button(["Next page", html.I(className="bi bi-chevron-right ms-1", **{"aria-hidden": "true"})],
                           id=next_id, color="primary", outline=True, size="sm", n_clicks=0, style=HIDDEN),
            ], className="d-flex flex-wrap gap-2 justify-content-end mt-2"),
        ], className="p-2"),
    ], className="shadow-sm mb-3")


def layout(customer_id=None, **_kwargs):
    return html.Div([
        html.H1("Customer", className="h4 mb-3"),
        dcc.Store(id=V.CUSTOMER_ID, data=customer_id if isinstance(customer_id, str) else None),
        dcc.Loading(html.Div(id=V.CUSTOMER_SUMMARY), type="dot"),
        html.Div(id=V.CUSTOMER_BODY, style=HIDDEN, children=[
            paged_card("Cases at every company", "folder2-open", body_id=V.CUSTOMER_CASES,
                       store_id=V.CUSTOMER_CASES_PAGE, next_id=V.CUSTOMER_CASES_NEXT, first_id=V.CUSTOMER_CASES_FIRST,
                       hint="Newest first."),
            paged_card("Payments", "credit-card", body_id=V.CUSTOMER_PAYMENTS, store_id=V.CUSTOMER_PAYMENTS_PAGE,
                       next_id=V.CUSTOMER_PAYMENTS_NEXT, first_id=V.CUSTOMER_PAYMENTS_FIRST,
                       hint="Newest first, with the case opened on each."),
        ]),
    ])
