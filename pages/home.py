"""`/`: signed-in users are sent to their role's home by the server before Dash runs
(see dashboard.auth); this page is what shows if that ever does not happen."""
import dash
from dash import html

dash.register_page(__name__, path="/", title="Resolution Center")


def layout(**_kwargs):
    return html.Div([html.P("Choose where to go from the menu above.", className="text-muted")])
