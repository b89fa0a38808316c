"""`/companies/<company_id>` — staff's view of one company: its support address, its
dispute rate against the platform median, how its cases end, appeals and overturns, its
open cases by status, cases per month, and its cases and payments a page at a time. The
skeleton only: `callbacks/staff_views.py` fills it for staff and answers anyone else, or
an unknown id, with the not-found state. (The creators' own page is `/company`.)"""
import dash
from dash import dcc, html

from dashboard.components.auto_refund_form import auto_refund_card
from dashboard.components.ids import StaffViewIds as V
from pages.customer import HIDDEN, paged_card

dash.register_page(__name__, path_template="/companies/<company_id>", title="Company · Resolution Center")


def layout(company_id=None, **_kwargs):
    return html.Div([
        html.H1("Company", className="h4 mb-3"),
        dcc.Store(id=V.COMPANY_ID, data=company_id if isinstance(company_id, str) else None),
        dcc.Loading(html.Div(id=V.COMPANY_SUMMARY), type="dot"),
        html.Div(id=V.COMPANY_BODY, style=HIDDEN, children=[
            paged_card("Cases", "folder2-open", body_id=V.COMPANY_CASES, store_id=V.COMPANY_CASES_PAGE,
                       next_id=V.COMPANY_CASES_NEXT, first_id=V.COMPANY_CASES_FIRST, hint="Newest first."),
            paged_card("Payments", "credit-card", body_id=V.COMPANY_PAYMENTS, store_id=V.COMPANY_PAYMENTS_PAGE,
                       next_id=V.COMPANY_PAYMENTS_NEXT, first_id=V.COMPANY_PAYMENTS_FIRST,
                       hint="Newest first, with the case opened on each."),
            # Staff change or lock this company's thresholds here (its creators do on /company).
            auto_refund_card(company_id if isinstance(company_id, str) else None),
        ]),
    ])
