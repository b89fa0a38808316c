"""The frame around every page: navbar with what this role may use, and page headers."""
from __future__ import annotations

from typing import Optional

import dash_bootstrap_components as dbc
import flask
from dash import dcc, html

from dashboard.components import palette
from dashboard.components.ids import NotificationIds, ShellIds
from dashboard.enums import Role

NAV_BY_ROLE = {
    Role.CUSTOMER: [("My payments & cases", "/my-cases")],
    Role.CREATOR: [("Company cases", "/company"), ("Replies", "/replies")],
    Role.REVIEWER: [("Queue", "/queue"), ("Deliveries", "/deliveries")],
    Role.MANAGER: [("Queue", "/queue"), ("Metrics", "/metrics"), ("Deliveries", "/deliveries"), ("Audit", "/audit"),
                   ("Replies", "/replies"), ("Team", "/team")],
}
STAFF_ROLES = (Role.REVIEWER, Role.MANAGER)  # who gets the search field
ROLE_LABELS = {Role.CUSTOMER: "Customer", Role.CREATOR: "Creator", Role.REVIEWER: "Reviewer", Role.MANAGER: "Manager"}
# Where the navbar stops folding its links behind the menu button: staff have up to six
# links, the search, the bell, their name and Sign out, which fit one line from 1200 px
# (Bootstrap's xl); a party's one or two links fit from 768 px (md).
STAFF_EXPAND = "xl"
PARTY_EXPAND = "md"
SEARCH_HINT = "Search cases by case or payment id, customer email or name, company name, or amount"


def app_shell(user) -> html.Div:
    """The layout around every page: the location bar the callbacks navigate with, the
    navbar for this user (None when signed out), and Dash's page container."""
    import dash

    return html.Div([
        dcc.Location(id=ShellIds.URL, refresh="callback-nav"),
        navbar(user),
        html.Main(dash.page_container, className="container-fluid px-4 pb-5"),
    ])


def navbar(user) -> dbc.Navbar:
    """`user` is the signed-in user (anything with .role and .name), or None.

    Below Bootstrap's xl breakpoint (1200 px) for staff, md (768 px) for the parties, the
    links, the user and Sign out fold behind a menu button (Bootstrap's navbar-toggler and
    .collapse markup; assets/rc.js opens it in the browser, no server call), so the bar is
    one line at every width."""
    links = []
    bp = STAFF_EXPAND if user is not None and Role(user.role) in STAFF_ROLES else PARTY_EXPAND
    if user is not None:
        links = [dbc.NavItem(dbc.NavLink(label, href=href, active="partial", id=ShellIds.nav_link(href)))
                 for label, href in NAV_BY_ROLE.get(Role(user.role), [])]
    right = []
    if user is not None:
        right = [
            # A long name is cut with an ellipsis (the whole of it in the tooltip), so the bar stays one line.
            html.Span([html.I(className="bi bi-person-circle me-1", **{"aria-hidden": "true"}),
                       html.Span(user.name, className="text-truncate", title=f"{user.name} ({ROLE_LABELS.get(Role(user.role), user.role)})", style={"maxWidth": "9rem"}),
                       # The role badge makes way at 1200-1399 px, where the staff bar is tightest
                       # (it shows in the folded menu and from 1400 px).
                       dbc.Badge(ROLE_LABELS.get(Role(user.role), user.role), color="light", text_color="dark",
                                 className=f"ms-2 d-{bp}-none d-xxl-inline-block" if bp == STAFF_EXPAND else "ms-2")],
                      className="navbar-text text-white d-inline-flex align-items-center text-nowrap me-1",
                      id=ShellIds.NAV_USER),
            sign_out_form(),
        ]
    brand = dbc.NavbarBrand([html.I(className="bi bi-shield-check me-2", **{"aria-hidden": "true"}),
                             "Resolution Center"], href="/")
    if user is None:
        body = [brand]
    else:
        body = [
            brand,
            bell() if Role(user.role) in STAFF_ROLES else None,
            html.Button(html.Span(className="navbar-toggler-icon"), type="button", className="navbar-toggler",
                        id=ShellIds.NAV_TOGGLER, **{"aria-controls": ShellIds.NAV_COLLAPSE, "aria-expanded": "false",
                                                    "aria-label": "Menu"}),
            html.Div([
                dbc.Nav(links, navbar=True, className="me-auto"),
                search_form(bp) if Role(user.role) in STAFF_ROLES else None,
                html.Div(right, className=f"d-flex align-items-center flex-wrap flex-{bp}-nowrap gap-2 py-2 py-{bp}-0"),
            ], id=ShellIds.NAV_COLLAPSE, className="collapse navbar-collapse"),
        ]
    return dbc.Navbar(
        dbc.Container(body, fluid=True),
        color=palette.NAVBAR_BG, dark=True, expand=bp, className="mb-3 rc-navbar",
    )


BELL_POLL_MS = 60_000  # how often the bell asks for the unread count (and on every page load)


def bell() -> html.Div:
    """Staff: a bell with the unread count, outside the phone menu so the count shows on a
    phone too. Clicking it opens the latest ten (filled by callbacks/notifications.py, which
    checks who is asking); each opens its case and is marked read."""
    nid = NotificationIds
    return html.Div([
        # Its name is "Notifications" and then the badge's "3 unread notifications" (no
        # aria-label, which would hide the count from screen readers).
        html.Button([html.I(className="bi bi-bell", **{"aria-hidden": "true"}),
                     html.Span("Notifications", className="visually-hidden"),
                     html.Span("", id=nid.bell("badge"), className="badge rounded-pill bg-danger ms-1 rc-bell-badge",
                               style={"display": "none"})],
                    type="button", id=nid.BELL_BUTTON, className="btn btn-outline-light btn-sm",
                    **{"aria-haspopup": "true"}),
        dbc.Popover([
            dbc.PopoverHeader("Notifications"),
            dbc.PopoverBody([
                html.Div(id=nid.bell("list"), className="rc-bell-list"),
                html.Div([
                    dbc.Button("Mark all read", id=nid.bell("mark_all"), color="link", size="sm", n_clicks=0,
                               className="px-0"),
                    dcc.Link("All notifications", href="/notifications", className="small"),
                ], className="d-flex justify-content-between align-items-center border-top pt-2 mt-2"),
            ]),
        ], target=nid.BELL_BUTTON, id=nid.bell("popover"), trigger="legacy", placement="bottom-end",
            className="rc-bell-popover"),
        dcc.Interval(id=nid.bell("poll"), interval=BELL_POLL_MS, n_intervals=0),
        dcc.Store(id=nid.bell("reload"), data=0),
    ], className=f"ms-auto me-2 order-{STAFF_EXPAND}-last ms-{STAFF_EXPAND}-2")  # the bell is staff-only


def search_form(bp: str = STAFF_EXPAND) -> html.Form:
    """Staff search: a plain GET to /search?q=… (the page reads `q`; Back and a shared
    link work). The placeholder is short enough to show whole in the narrow field; the
    label (screen readers) and the tooltip say what it finds."""
    return html.Form([
        html.Label(SEARCH_HINT, htmlFor=ShellIds.SEARCH, className="visually-hidden"),
        dcc.Input(type="search", name="q", id=ShellIds.SEARCH, placeholder="Search cases\u2026",
                  className="form-control form-control-sm", maxLength=200, autoComplete="off", debounce=True,
                  # size: Dash 4 draws an inner <input> as wide as its size (20 characters by
                  # default, 190 px), which ran under the search button past the 10rem box.
                  size="12", style={"width": "10rem", "maxWidth": "100%", "overflow": "hidden"}),
        html.Button(html.I(className="bi bi-search", **{"aria-hidden": "true"}), type="submit",
                    id=ShellIds.SEARCH_SUBMIT, className="btn btn-light btn-sm flex-shrink-0", **{"aria-label": "Search"}),
    ], method="get", action="/search", role="search", id=ShellIds.SEARCH_FORM, title=SEARCH_HINT,
        className=f"d-flex flex-nowrap flex-shrink-0 gap-1 my-2 my-{bp}-0 me-{bp}-2 rc-nav-search")


def sign_out_form() -> html.Form:
    """Signing out is a POST carrying this session's CSRF token: a link (GET) could be
    fired by any page the user visits."""
    from dashboard.auth import csrf_token

    token = csrf_token() if flask.has_request_context() else ""
    return html.Form([
        dcc.Input(type="hidden", name="csrf_token", value=token, id=ShellIds.LOGOUT_CSRF),
        html.Button([html.I(className="bi bi-box-arrow-right me-1"), "Sign out"], type="submit", id=ShellIds.LOGOUT,
                    className="btn btn-outline-light btn-sm"),
    ], method="post", action="/logout", className="d-inline m-0", id=ShellIds.LOGOUT_FORM)


def page_header(title: str, subtitle: Optional[str] = None, *, right=None) -> html.Div:
    return html.Div([
        # The page's one h1 (styled as a small heading: the navbar already names the app).
        html.Div([html.H1(title, className="h4 mb-0"),
                  html.Div(subtitle, className="text-muted small") if subtitle else None]),
        html.Div(right) if right is not None else None,
    ], className="d-flex justify-content-between align-items-end flex-wrap gap-2 mb-3")


def empty_state(message: str, *, icon: str = "inbox", hint: Optional[str] = None) -> html.Div:
    return html.Div([
        html.I(className=f"bi bi-{icon} fs-1 text-muted"),
        html.Div(message, className="mt-2"),
        html.Div(hint, className="text-muted small") if hint else None,
    ], className="text-center py-5 text-secondary")


def not_found(what: str = "page") -> html.Div:
    return empty_state(f"This {what} does not exist or is not yours to see.", icon="question-circle",
                       hint="Check the link, or go back to your home page.")
