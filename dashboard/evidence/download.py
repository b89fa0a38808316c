"""The one way an evidence file goes back to a browser (SPEC §5): the JSON API's
`/api/v1/files/<id>/content` and the screens' `/files/<id>` both answer with this.

An uploaded file is someone else's bytes served from our origin, so the answer makes
sure a browser can never run it as part of our site:

- the type is the one judged from the bytes at upload (`files.receive_bytes`), and
  `X-Content-Type-Options: nosniff` stops the browser guessing another;
- only the image types are shown inline (thumbnails, a click to enlarge); everything
  else, PDF and text included, is an attachment;
- the body runs under `default-src 'none'; sandbox`: no script, no form, no plugin,
  its own opaque origin. An inline image may load itself (`img-src 'self'`), which a
  browser needs to draw an image opened on its own;
- `Content-Disposition` carries a name with no path and no control characters;
- `Cache-Control: private, no-store`: evidence is personal, no cache keeps a copy.
"""
from __future__ import annotations

import io
import os

import flask

from dashboard.evidence.sniff import IMAGE_TYPES

FALLBACK_TYPE = "application/octet-stream"
ATTACHMENT_POLICY = "default-src 'none'; sandbox"
INLINE_IMAGE_POLICY = "default-src 'none'; img-src 'self'; sandbox"


def download_name(filename: str | None) -> str:
    """The name a browser saves the file under: the last path part, printable
    characters only (a stored name already is; this holds for any row)."""
    name = os.path.basename((filename or "").replace("\\", "/"))
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name or "file"


def file_response(data: bytes, *, content_type: str | None, filename: str | None,
                  force_download: bool = False) -> flask.Response:
    """Answer with the file's bytes and the headers above. `force_download` makes even
    an image an attachment (the screens' "download" link)."""
    mimetype = content_type or FALLBACK_TYPE
    inline = mimetype in IMAGE_TYPES and not force_download
    response = flask.send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=not inline,
                               download_name=download_name(filename), max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = INLINE_IMAGE_POLICY if inline else ATTACHMENT_POLICY
    response.headers["Cache-Control"] = "private, no-store"
    return response
