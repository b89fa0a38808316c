"""`/company` — the creators' page: what needs their response first, the decisions they
may still appeal, all their company's cases, and their own numbers. Filled by
`callbacks/company.py`; nothing here reads the database."""
import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.components.auto_refund_form import auto_refund_card
from dashboard.components.ids import CompanyIds
from dashboard.components.webhooks_panel import webhooks_card
from dashboard.components.shell import page_header

dash.register_page(__name__, path="/company", title="Company cases · Resolution Center")

GRID_PAGE_SIZE = 20

TEXT_FILTER = {"filter": "agTextColumnFilter",
               "filterParams": {"filterOptions": ["contains", "equals", "startsWith"], "maxNumConditions": 1,
                                "buttons": ["reset"], "debounceMs": 400}}

# At 1280 px the grid is about 1190 px wide: the minimum widths add up to less, so every
# column shows whole (the rest is shared out by flex) and Amount keeps room for "€1,234.56".
COLUMN_DEFS = [
    {"field": "case", "headerName": "Case", "cellRenderer": "markdown", "minWidth": 180, **TEXT_FILTER},
    {"field": "customer", "headerName": "Customer", "minWidth": 140, "tooltipField": "customer", **TEXT_FILTER},
    {"field": "amount", "headerName": "Amount", "type": "rightAligned", "minWidth": 100, "maxWidth": 130,
     "filter": False},
    {"field": "reason", "headerName": "Reason", "minWidth": 130, "tooltipField": "reason", **TEXT_FILTER},
    {"field": "status", "headerName": "Status", "minWidth": 140, "tooltipField": "status", **TEXT_FILTER},
    {"field": "outcome", "headerName": "Outcome", "minWidth": 110, **TEXT_FILTER},
    {"field": "deadline", "headerName": "Deadline", "minWidth": 170, "filter": False,
     "cellClassRules": {
         "text-danger fw-semibold": "params.data && params.data.deadline_state === 'overdue'",
         "text-warning-emphasis fw-semibold": "params.data && params.data.deadline_state === 'soon'",
     }},
    {"field": "updated", "headerName": "Updated", "minWidth": 160, "filter": False, "sort": "desc"},
]


def _card(title, icon, body_id, *, count_id=None, hint=None, max_height=None):
    header = [html.I(className=f"bi bi-{icon} me-2"), html.Span(title, className="fw-semibold")]
    if count_id:
        header.append(dbc.Badge("", id=count_id, color="secondary", pill=True, className="ms-2"))
    if hint:
        header.append(html.Div(hint, className="text-muted small fw-normal"))
    return dbc.Card([
        dbc.CardHeader(header, className="bg-white"),
        dbc.CardBody(dcc.Loading(html.Div(id=body_id), type="dot"), className="p-0",
                     style={"maxHeight": max_height, "overflowY": "auto"} if max_height else None),
    ], className="shadow-sm mb-3")


def layout(**_kwargs):
    return html.Div([
        dcc.Store(id=CompanyIds.LOAD, data=0),
        # Where each block of the grid ended (keyset cursors): the next page is a seek.
        dcc.Store(id=CompanyIds.GRID_CURSORS),
        page_header("Company cases", None, right=html.Div(id=CompanyIds.SUBTITLE, className="text-muted")),
        html.Div(id=CompanyIds.ALERT),
        html.Div(id=CompanyIds.BODY, children=[
            dcc.Loading(html.Div(id=CompanyIds.KPIS, className="mb-3"), type="dot"),
            _card("Needs your response", "reply", CompanyIds.NEEDS, count_id=CompanyIds.NEEDS_COUNT,
                  hint="Most urgent first. Answer before the deadline, or the platform steps in.", max_height="440px"),
            _card("Appeal window open", "arrow-repeat", CompanyIds.APPEALS, count_id=CompanyIds.APPEALS_COUNT,
                  hint="Platform decisions you may still appeal, once, before the window closes.",
                  max_height="300px"),
            dbc.Card([
                dbc.CardHeader([html.I(className="bi bi-list-ul me-2"), html.Span("All cases", className="fw-semibold"),
                                html.Div("Sort by any column; filter with the menu in a column's header.",
                                         className="text-muted small")],
                               className="bg-white"),
                dbc.CardBody(dag.AgGrid(
                    id=CompanyIds.GRID,
                    columnDefs=COLUMN_DEFS,
                    defaultColDef={"sortable": True, "resizable": True, "filter": False, "flex": 1},
                    rowModelType="infinite",
                    dashGridOptions={
                        "pagination": True, "paginationPageSize": GRID_PAGE_SIZE,
                        "paginationPageSizeSelector": False, "cacheBlockSize": GRID_PAGE_SIZE,
                        "maxBlocksInCache": 5, "infiniteInitialRowCount": 1, "rowBuffer": 0,
                        "suppressCellFocus": True,
                    },
                    style={"width": "100%", "height": "560px"},
                ), className="p-2"),
            ], className="shadow-sm mb-3"),
            auto_refund_card(),
            webhooks_card(),
        ]),
    ])
