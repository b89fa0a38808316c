"""`/deliveries` — staff only: the emails the scheduler sends (pending, sent, failed,
with attempts and the last error) and the money movements that have not gone through.
Filled by `callbacks/deliveries.py`, which checks the role on every call; nothing here
reads the database."""
import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.components.ids import DeliveriesIds, WebhookIds
from dashboard.components.shell import page_header

dash.register_page(__name__, path="/deliveries", title="Deliveries · Resolution Center")

STATUS_FILTER = [("Failed", "failed"), ("Pending", "pending"), ("Sent", "sent"), ("All", "all")]
# All first: a failing endpoint's deliveries are "pending" (retrying) for days before any is "failed".
WEBHOOK_FILTER = [("All", "all"), ("Failed", "failed"), ("Pending or retrying", "pending"), ("Delivered", "delivered")]


def layout(**_kwargs):
    refresh = dbc.Button([html.I(className="bi bi-arrow-clockwise me-1"), "Refresh"], id=DeliveriesIds.REFRESH,
                         color="secondary", outline=True, size="sm", n_clicks=0)
    return html.Div([
        page_header("Deliveries", "Emails and money movements the scheduler is working through.", right=refresh),
        html.Div(id=DeliveriesIds.ALERT),
        html.Div(id=DeliveriesIds.ACTION_ALERT),
        dcc.Store(id=DeliveriesIds.CHANGED),
        html.Div(id=DeliveriesIds.BODY, children=[
            dbc.Card([
                dbc.CardHeader([
                    html.Div([html.I(className="bi bi-envelope me-2"), html.Span("Emails", className="fw-semibold")]),
                    dbc.RadioItems(id=DeliveriesIds.STATUS, value="failed", inline=True, className="small mt-1",
                                   options=[{"label": label, "value": value} for label, value in STATUS_FILTER]),
                ], className="bg-white"),
                dbc.CardBody(dcc.Loading(html.Div(id=DeliveriesIds.EMAILS), type="dot"), className="p-0"),
                dbc.CardFooter(html.Div([
                    html.Span(id=DeliveriesIds.PAGER_TEXT, className="text-muted small"),
                    dbc.Pagination(id=DeliveriesIds.PAGER, max_value=1, active_page=1, size="sm",
                                   fully_expanded=False, first_last=True, previous_next=True, className="mb-0"),
                ], className="d-flex justify-content-between align-items-center"), className="bg-white"),
            ], className="shadow-sm mb-3"),
            dbc.Card([
                dbc.CardHeader([html.I(className="bi bi-cash-coin me-2"),
                                html.Span("Money not moved yet", className="fw-semibold"),
                                dbc.Badge("", id=DeliveriesIds.MONEY_COUNT, color="secondary", pill=True,
                                          className="ms-2"),
                                html.Div("Pending, retrying and failed refunds and reimbursements. Failed ones need "
                                         "staff: the scheduler no longer retries them.", className="text-muted small")],
                               className="bg-white"),
                dbc.CardBody(dcc.Loading(html.Div(id=DeliveriesIds.MONEY), type="dot"), className="p-0"),
            ], className="shadow-sm mb-3"),
            dbc.Card([
                dbc.CardHeader([
                    html.Div([html.I(className="bi bi-broadcast me-2"), html.Span("Webhooks", className="fw-semibold"),
                              html.Div("Every registered webhook, and its deliveries: a failed one can be sent "
                                       "again, with the same webhook-id.", className="text-muted small")]),
                    dbc.RadioItems(id=WebhookIds.STAFF_STATUS, value="all", inline=True, className="small mt-1",
                                   options=[{"label": label, "value": value} for label, value in WEBHOOK_FILTER]),
                ], className="bg-white"),
                dbc.CardBody([
                    dcc.Loading(html.Div(id=WebhookIds.STAFF_EVENTS), type="dot"),
                    html.Details([html.Summary("Registered webhooks", className="small fw-semibold mt-2"),
                                  html.Div(id=WebhookIds.STAFF_LIST)], open=False),
                ], className="p-2"),
            ], className="shadow-sm"),
        ]),
    ])
