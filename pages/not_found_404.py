import dash

from dashboard.components.shell import not_found

dash.register_page(__name__, path="/404", title="Not found · Resolution Center")


def layout(**_kwargs):
    return not_found("page")
