"""Evidence files, uploaded as the published API does (SPEC §5):

1. `POST /files {filename}` → a pending file with `upload_url` and `upload_headers`;
2. `PUT <upload_url>` with the raw bytes. The SDK sends no Authorization header there,
   so the URL itself carries the authority: an unguessable per-file token, valid until
   the bytes are accepted. The bytes are judged by content (`receive_bytes`); a refused
   upload changes nothing and may be retried with other bytes;
3. the file is `ready` and can be attached by id to one action.

Downloads (`/files/{id}/content`) are for whoever may see the case and the event the
file belongs to (its owner before that), answered by `evidence.download.file_response`
(the same headers as the screens' file route).
"""
from __future__ import annotations

import hmac
from typing import Any

from flask import request
from sqlalchemy import select

from data.models import EvidenceFile, User
from dashboard.api.params import json_body
from dashboard.api.schemas.bodies import CreateFile
from dashboard.api.routing import endpoint
from dashboard.api.serializers import file_json
from dashboard.context import Ctx
from dashboard.errors import DomainError, NotFound, TooLarge
from dashboard.evidence.download import file_response
from dashboard.evidence.files import create_pending, load_for_download, read_bytes, receive_bytes
from dashboard.evidence.sniff import GENERIC_DECLARED, normalise_declared
from dashboard.validation import parse


def upload_url(ctx: Ctx, f: EvidenceFile) -> str:
    return f"{ctx.settings.base_url.rstrip('/')}/api/v1/files/{f.id}/upload/{f.upload_token}"


def _too_large(ctx: Ctx, name: str) -> TooLarge:
    return TooLarge("file_too_large", f"{name} is larger than {ctx.settings.max_file_mb} MB.")


@endpoint("/files", methods=("POST",))
def create_file(ctx: Ctx, user: User) -> tuple[dict[str, Any], int]:
    """`filename` (required), `byte_size`, `content_type` (optional, checked against
    the bytes). Multipart uploads are not offered: files are at most MAX_FILE_MB."""
    body = parse(CreateFile, json_body())
    if body.multipart:
        raise DomainError("multipart_not_supported", "Multipart uploads are not supported; PUT the whole file "
                                                     "to upload_url.")
    if body.byte_size is not None and body.byte_size > ctx.settings.max_file_bytes:
        raise _too_large(ctx, body.filename)
    f = create_pending(ctx, user, filename=body.filename, declared_type=body.content_type)
    return file_json(ctx.settings, f, upload_url=upload_url(ctx, f)), 201


@endpoint("/files/<file_id>/upload/<token>", methods=("PUT",), public=True,
          max_body=lambda rt: rt.settings.max_file_bytes)
def upload_file(ctx: Ctx, _user: None, file_id: str, token: str) -> dict[str, Any]:
    f = ctx.session.scalar(select(EvidenceFile).where(EvidenceFile.id == file_id).with_for_update())
    # Compared as bytes: compare_digest refuses a str with non-ASCII characters (`/upload/%C3%A9`).
    if f is None or not f.upload_token or not hmac.compare_digest(f.upload_token.encode(), token.encode()):
        raise NotFound("file")  # a wrong, used or unknown token: nothing to say about the file
    if (request.content_length or 0) > ctx.settings.max_file_bytes:
        raise _too_large(ctx, f.filename)
    declared = normalise_declared(request.content_type)
    receive_bytes(ctx, f, request.get_data(cache=False),
                  declared_type=None if declared in GENERIC_DECLARED else declared)
    return file_json(ctx.settings, f)


@endpoint("/files/<file_id>")
def retrieve_file(ctx: Ctx, user: User, file_id: str) -> dict[str, Any]:
    f = ctx.session.get(EvidenceFile, file_id)
    if f is None or f.owner_id != user.id:
        f = load_for_download(ctx, user, file_id)
    return file_json(ctx.settings, f)


@endpoint("/files/<file_id>/content")
def download_file(ctx: Ctx, user: User, file_id: str):
    f = load_for_download(ctx, user, file_id)
    try:
        data = read_bytes(ctx, f)
    except FileNotFoundError:
        raise NotFound("file")
    return file_response(data, content_type=f.content_type, filename=f.filename)
