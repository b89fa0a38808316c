"""`GET /files/<file_id>`: evidence files for the signed-in screens (SPEC §5).

The JSON API serves files to bearer tokens; the screens use the session cookie, so
they get this route. Who may download is `evidence.files.load_for_download` with the
user re-read from the database: whoever may see the case and the event the file
belongs to (its owner before it is attached). Anything else is a plain 404.

Answered by `evidence.download.file_response`, the same headers as the API's download;
only images are shown inline (thumbnails), everything else downloads (`?download=1`
makes an image download too).

Register from app.py: `register_file_routes(server)`.
"""
from __future__ import annotations

import flask
from flask_login import current_user

from data.models import User
from dashboard.context import Ctx
from dashboard.errors import NotFound
from dashboard.evidence.download import file_response
from dashboard.evidence.files import load_for_download, read_bytes


def _not_found():
    response = flask.make_response("Not found.", 404)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.mimetype = "text/plain"
    return response


def download_file(file_id: str):
    if not current_user or not current_user.is_authenticated:
        return _not_found()
    runtime = flask.current_app.extensions["rc"]
    with runtime.Session() as session:
        user = session.get(User, current_user.get_id())
        if user is None or not user.is_active:
            return _not_found()
        ctx = Ctx(session, runtime.now(), runtime.settings)
        try:
            f = load_for_download(ctx, user, file_id)
            data = read_bytes(ctx, f)
        except (NotFound, FileNotFoundError):
            return _not_found()
        content_type, filename = f.content_type, f.filename
    return file_response(data, content_type=content_type, filename=filename,
                         force_download=flask.request.args.get("download") == "1")


def register_file_routes(server: flask.Flask) -> None:
    server.add_url_rule("/files/<file_id>", endpoint="evidence_file", view_func=download_file, methods=["GET"])
