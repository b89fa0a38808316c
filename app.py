"""Assembly only: settings, the Flask server, sign-in and its gate, the Dash pages and
callbacks, and — for the embedded default — demo data and the in-process scheduler.

    python app.py          serve (embedded default: SQLite under instance/, demo data)
    gunicorn app:server    production (PostgreSQL via DATABASE_URL, SCHEDULER off)
"""
from __future__ import annotations

import logging

import dash
from dash import Dash, dcc, html

from dashboard import dash_guard
from dashboard.auth import init_auth
from dashboard.components.shell import navbar
from dashboard.context import utcnow
from dashboard.export_routes import register as register_exports
from dashboard.file_routes import register_file_routes
from dashboard.headers import QuietRequestHandler
from dashboard.runtime import Runtime
from dashboard.settings import load_settings
from dashboard.web import create_server

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
log = logging.getLogger("resolution-center")

settings = load_settings()
runtime = Runtime.build(settings, run_migrations=True)
server = create_server(runtime)
init_auth(server)
register_exports(server)
register_file_routes(server)

if settings.demo_data:
    from dashboard.demo import demo_logins_text, seed_demo

    if seed_demo(runtime, utcnow()).get("created"):
        log.info("Demo data created.")
    print(demo_logins_text(), flush=True)

app = Dash(
    __name__,
    server=server,
    use_pages=True,
    pages_folder="pages",
    title="Resolution Center",
    update_title=None,
    suppress_callback_exceptions=True,
    external_stylesheets=["/vendor/bootstrap.min.css", "/vendor/bootstrap-icons.min.css"],
    on_error=dash_guard.callback_failed,  # a callback that still raises: logged, no update, never a 500
)


def serve_layout():
    """Built per page load, so the navbar shows what this user's role may use."""
    from flask_login import current_user

    user = current_user if current_user.is_authenticated else None
    return html.Div([
        dcc.Location(id="url", refresh="callback-nav"),
        navbar(user),
        html.Main(dash.page_container, className="container-fluid px-4 pb-5"),
    ])


app.layout = serve_layout

import callbacks  # noqa: E402,F401  registers every callback

from callbacks._validate import problem as callback_value_problem  # noqa: E402

# After the callbacks: checks each call against them and its values against what the
# properties may hold; hashes Dash's inline scripts for the CSP.
dash_guard.install(app, check_value=callback_value_problem)

if settings.scheduler:
    from jobs.runner import start_in_thread

    start_in_thread(runtime)
    log.info("Scheduler running in-process.")

if __name__ == "__main__":
    log.info("Serving on http://%s:%s", settings.host, settings.port)
    app.run(host=settings.host, port=settings.port, debug=False, request_handler=QuietRequestHandler)
