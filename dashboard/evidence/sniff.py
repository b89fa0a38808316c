"""Judging a file's type from its bytes (SPEC §5), never from its name or declared type."""
from __future__ import annotations

import re
from typing import Optional

ALLOWED_TYPES = {
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    "application/pdf": (".pdf",),
    "video/mp4": (".mp4", ".m4v"),
    "video/webm": (".webm",),
    "video/quicktime": (".mov", ".qt"),
    "text/plain": (".txt", ".text", ".log", ".csv", ".md"),
}
# Text a browser would take for markup: the HTML signatures of the WHATWG MIME Sniffing
# standard (§7.1), plus SVG and XML. Markup served back is a stored-XSS vector even as "text".
_MARKUP = re.compile(
    r"<(?:!doctype\s+html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p|svg)[\s/>]"
    r"|<!--|<\?xml",
    re.IGNORECASE,
)
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
# Declared types that say nothing about the content.
GENERIC_DECLARED = frozenset({"", "application/octet-stream", "binary/octet-stream"})
_DECLARED_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "video/x-m4v": "video/mp4",
                     "application/x-pdf": "application/pdf"}


def sniff(data: bytes) -> Optional[str]:
    """The allowed MIME type these bytes really are, or None."""
    head = data[:64]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        return "video/quicktime" if brand == b"qt  " else "video/mp4"
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free") :
        return "video/quicktime"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm" if b"webm" in data[:4096] else None
    return "text/plain" if _is_plain_text(data) else None


def _is_plain_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    sample = text[:8192]
    if not sample:
        return True
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > len(sample) * 0.01:
        return False
    return _MARKUP.match(sample.lstrip("\ufeff \t\r\n\f")) is None


def normalise_declared(content_type: Optional[str]) -> str:
    value = (content_type or "").split(";")[0].strip().lower()
    return _DECLARED_ALIASES.get(value, value)


def type_from_name(filename: str) -> Optional[str]:
    lowered = filename.lower()
    for mime, extensions in ALLOWED_TYPES.items():
        if lowered.endswith(extensions):
            return mime
    return None


def lies_about_type(actual: str, *, filename: str, declared: Optional[str]) -> Optional[str]:
    """Why the name or declared type contradicts the content, or None when they agree."""
    declared_type = normalise_declared(declared)
    if declared_type not in GENERIC_DECLARED and declared_type != actual:
        return f"it was declared as {declared_type} but its content is {actual}"
    named = type_from_name(filename)
    if "." in filename and named is None and actual != "text/plain":
        return f"its name ends in {filename.rsplit('.', 1)[-1]!r} but its content is {actual}"
    if named is not None and named != actual and not (actual == "text/plain" and named == "text/plain"):
        return f"its name says {named} but its content is {actual}"
    return None
