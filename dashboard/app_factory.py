"""`create_app(settings)`: the whole web application, built and nothing else.

The Flask server with the JSON API and health check (`dashboard.web.create_server`),
sign-in and the login gate in front of every Dash route, the export and file routes,
the Dash pages and every callback, then the guard that checks each Dash call against
them. Building it touches no database, writes no row and starts no thread: migrating,
seeding the demo (`prepare_database`) and the in-process scheduler are the caller's
decisions: `python app.py` makes them for the embedded default; under gunicorn,
gunicorn.conf.py prepares the database once in the master (`on_starting`) and starts
the scheduler in each worker where SCHEDULER is on (`post_worker_init`).

Call it once per process: Dash keeps its pages and `@callback` registrations in
module-level registries, so a second app in the same process would share them.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Optional

import dash
from dash import Dash, dcc, html

from dashboard import dash_guard
from dashboard.auth import init_auth
from dashboard.components import validation
from dashboard.components.shell import navbar
from dashboard.export_routes import register as register_exports
from dashboard.file_routes import register_file_routes
from dashboard.runtime import Runtime
from dashboard.settings import Settings, load_settings
from dashboard.web import create_server

log = logging.getLogger("resolution-center")

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT / "pages"


def prepare_database(runtime: Runtime, *, print_logins: bool = True) -> Optional[str]:
    """Once per start, before serving (never at import, never in `create_app`): bring the
    schema up to date and, where DEMO_DATA is on, seed the demo on first run. `python
    app.py` calls it; so does gunicorn.conf.py's `on_starting`, in the master.

    Returns the demo logins (None without demo data), printed here unless `print_logins`
    is off: app.py prints them itself, last, once the server listens."""
    runtime.migrate()
    if not runtime.settings.demo_data:
        return None
    from dashboard.context import utcnow
    from dashboard.demo import demo_logins_text, seed_demo

    if seed_demo(runtime, utcnow()).get("created"):
        log.info("demo data created")
    logins = demo_logins_text()
    if print_logins:
        print(logins, flush=True)
    return logins


# Dash's page frame with the document's language (screen readers pick their voice from it)
# and without Dash's Internet Explorer warning (an inline script the CSP would have to allow).
INDEX_STRING = """<!DOCTYPE html>
<html lang="en">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
    </head>
    <body>
        {%app_entry%}
        <footer>
            {%config%}
            {%scripts%}
            {%renderer%}
        </footer>
    </body>
</html>"""


def serve_layout():
    """Built per page load, so the navbar shows what this user's role may use."""
    from flask_login import current_user

    user = current_user if current_user.is_authenticated else None
    return html.Div([
        dcc.Location(id="url", refresh="callback-nav"),
        navbar(user),
        html.Main(dash.page_container, className="container-fluid px-4 pb-5"),
    ])


def create_app(settings: Optional[Settings] = None, *, runtime: Optional[Runtime] = None,
               name: str = "app") -> Dash:
    """The Dash app on its Flask server (`create_app(...).server` is what gunicorn serves).

    `runtime` defaults to one built from `settings` (itself from the environment) without
    migrating; `name` is the module Dash names the app after and finds `pages/` beside
    (app.py passes its own `__name__`)."""
    if runtime is None:
        runtime = Runtime.build(settings or load_settings())  # an engine, not yet a connection
    elif settings is not None and settings is not runtime.settings:
        raise ValueError("pass settings or a runtime built from them, not both")
    server = create_server(runtime)
    init_auth(server)
    register_exports(server)
    register_file_routes(server)

    app = Dash(
        name,
        server=server,
        use_pages=True,
        pages_folder=str(PAGES),
        title="Resolution Center",
        update_title=None,
        suppress_callback_exceptions=True,  # on the server only: the browser checks (components.validation)
        external_stylesheets=["/vendor/bootstrap.min.css", "/vendor/bootstrap-icons.min.css"],
        # assets/app.css (contrast, phone layout) and assets/rc.js (navbar menu), whatever `name` is.
        assets_folder=str(ROOT / "assets"),
        index_string=INDEX_STRING,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
        on_error=dash_guard.callback_failed,  # a callback that still raises: logged, no update, never a 500
    )
    app.layout = serve_layout

    import callbacks  # noqa: F401  registers every callback (one module per page)
    from callbacks._validate import problem as callback_value_problem

    # After the callbacks: checks each call against them and its values against what the
    # properties may hold; hashes Dash's inline scripts for the CSP.
    dash_guard.install(app, check_value=callback_value_problem)
    validation.install(app)  # Dash's own id check in the browser, against every screen's full layout
    return app
