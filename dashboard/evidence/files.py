"""Evidence files (SPEC §5): upload, checks, storage, attachment and download."""
from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path
from typing import Iterable, Optional

from sqlalchemy import func, select

from data.models import Case, EvidenceFile, User
from dashboard.context import Ctx
from dashboard.enums import Party
from dashboard.errors import Invalid, NotFound, TooLarge
from dashboard.evidence.sniff import ALLOWED_TYPES, lies_about_type, sniff
from dashboard.permissions import case_visibility, is_staff

MAX_FILENAME = 200


def _clean_filename(filename: Optional[str]) -> str:
    name = os.path.basename((filename or "").replace("\\", "/")).strip()
    name = "".join(ch for ch in name if ch.isprintable())[:MAX_FILENAME]
    return name or "file"


def storage_path(ctx: Ctx, f: EvidenceFile) -> Path:
    return Path(ctx.settings.upload_dir) / f.storage_key[:2] / f.storage_key


def create_pending(ctx: Ctx, owner: User, *, filename: Optional[str], declared_type: Optional[str] = None) -> EvidenceFile:
    """A file record waiting for its bytes (the published two-step upload)."""
    f = EvidenceFile(owner_id=owner.id, status="pending", filename=_clean_filename(filename),
                     declared_content_type=declared_type, upload_token=secrets.token_urlsafe(24),
                     created_at=ctx.now)
    ctx.session.add(f)
    ctx.session.flush()
    return f


def receive_bytes(ctx: Ctx, f: EvidenceFile, data: bytes, *, declared_type: Optional[str] = None) -> EvidenceFile:
    """Check the bytes and store them. A refused file raises and stores nothing."""
    if f.status == "ready":
        raise Invalid("file_already_uploaded", "This file has already been uploaded.")
    if len(data) > ctx.settings.max_file_bytes:
        raise TooLarge("file_too_large", f"{f.filename} is larger than {ctx.settings.max_file_mb} MB.")
    if not data:
        raise Invalid("file_empty", f"{f.filename} is empty.")
    actual = sniff(data)
    if actual is None:
        raise Invalid("file_type_not_allowed",
                      f"{f.filename} is not an allowed file type. Allowed: PNG, JPEG, GIF, WebP, PDF, MP4, "
                      f"WebM, QuickTime and plain text.")
    lie = lies_about_type(actual, filename=f.filename, declared=declared_type or f.declared_content_type)
    if lie:
        raise Invalid("file_type_mismatch", f"{f.filename} was refused: {lie}.")
    path = storage_path(ctx, f)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    f.content_type = actual
    f.size = len(data)
    f.sha256 = hashlib.sha256(data).hexdigest()
    f.status = "ready"
    f.upload_token = None
    ctx.session.flush()
    return f


def upload(ctx: Ctx, owner: User, *, filename: str, data: bytes, declared_type: Optional[str] = None) -> EvidenceFile:
    """One-step upload, used by the dashboard."""
    f = create_pending(ctx, owner, filename=filename, declared_type=declared_type)
    return receive_bytes(ctx, f, data, declared_type=declared_type)


def check_attachable(ctx: Ctx, case: Optional[Case], actor: User, party: Party, file_ids: Iterable[str]) -> list[str]:
    """Validate files for one action; returns the ids. Raises before anything changes."""
    ids = list(dict.fromkeys(file_ids))
    limit = ctx.settings.max_files
    if len(ids) > limit:
        raise Invalid("too_many_files", f"At most {limit} files can be attached at once.")
    if not ids:
        return ids
    files = {f.id: f for f in ctx.session.scalars(select(EvidenceFile).where(EvidenceFile.id.in_(ids)))}
    for file_id in ids:
        f = files.get(file_id)
        if f is None or f.owner_id != actor.id:
            raise NotFound("file")
        if f.status != "ready":
            raise Invalid("file_not_ready", f"{f.filename} has not finished uploading.")
        if f.case_id is not None:
            raise Invalid("file_already_attached", f"{f.filename} is already attached to a case.")
    if case is not None and party != Party.PLATFORM:
        already = ctx.session.scalar(
            select(func.count()).select_from(EvidenceFile)
            .where(EvidenceFile.case_id == case.id, EvidenceFile.party == party.value)
        ) or 0
        if already + len(ids) > limit:
            raise Invalid("too_many_files",
                          f"Each side may attach at most {limit} files to a case; "
                          f"{already} {'is' if already == 1 else 'are'} attached already.")
    return ids


def load_for_download(ctx: Ctx, viewer: User, file_id: str) -> EvidenceFile:
    """The file if `viewer` may see it: its owner before it is attached, afterwards
    whoever may see the case and the event it belongs to."""
    f = ctx.session.get(EvidenceFile, file_id)
    if f is None or f.status != "ready":
        raise NotFound("file")
    if f.case_id is None:
        if f.owner_id != viewer.id:
            raise NotFound("file")
        return f
    visible = ctx.session.scalar(select(Case.id).where(Case.id == f.case_id, case_visibility(viewer)))
    if visible is None:
        raise NotFound("file")
    if not is_staff(viewer) and f.event is not None:
        from dashboard.permissions import party_of

        case = ctx.session.get(Case, f.case_id)
        party = party_of(viewer, case)
        allowed = f.event.viewable_by_customer if party == Party.CUSTOMER else f.event.viewable_by_merchant
        if not allowed:
            raise NotFound("file")
    return f


def read_bytes(ctx: Ctx, f: EvidenceFile) -> bytes:
    return storage_path(ctx, f).read_bytes()


__all__ = ["ALLOWED_TYPES", "create_pending", "receive_bytes", "upload", "check_attachable",
           "load_for_download", "read_bytes", "storage_path"]
