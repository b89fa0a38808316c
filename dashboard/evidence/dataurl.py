"""Files a browser sends as data URLs (dcc.Upload's `contents`), decoded in one place.

The screens that take files (opening a case, acting on one) hand the upload's
`contents` and `filename` here and get bytes back, or a DomainError a person can act
on. Nothing here trusts the browser: the contents may be any JSON a crafted callback
carries, so every shape that is not a list of `data:<type>;base64,<payload>` strings is
refused as unreadable rather than raising something the screen would show as a 500.

Only the transport is checked here (count, size, base64). What the bytes are is judged
later by the evidence checks (`files.receive_bytes`); the declared type is kept only as
the browser's claim, which those checks compare with the content.
"""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any, Optional, Protocol

from dashboard.errors import Invalid, TooLarge

DATA_PREFIX = "data:"
BASE64_SUFFIX = ";base64"
MAX_DECLARED_TYPE = 255  # a media type is short; a longer claim is not one


class UploadLimits(Protocol):
    """The part of Settings the decoder reads."""

    max_files: int
    max_file_mb: int

    @property
    def max_file_bytes(self) -> int: ...


@dataclass(frozen=True)
class UploadedFile:
    """One decoded upload: the name the person chose, its bytes and the browser's type claim."""

    filename: str
    data: bytes
    declared_type: Optional[str]


def decode_data_url(data_url: Any, filename: str, *, max_bytes: int, max_mb: int) -> tuple[bytes, Optional[str]]:
    """One data URL as (bytes, declared type). Refuses what is not a base64 data URL
    (`file_unreadable`) and anything over `max_bytes` (`file_too_large`), the latter
    before decoding, so an oversized upload costs no memory beyond the string itself."""
    if not isinstance(data_url, str):
        raise _unreadable(filename)
    header, comma, payload = data_url.partition(",")
    if not comma or not header.startswith(DATA_PREFIX) or not header.endswith(BASE64_SUFFIX):
        raise _unreadable(filename)
    # Four base64 characters carry three bytes; padding makes the estimate at most 2 high.
    if len(payload) // 4 * 3 > max_bytes + 2:
        raise _too_large(filename, max_mb)
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:  # ValueError: non-ASCII characters in the payload
        raise _unreadable(filename) from exc
    if len(data) > max_bytes:
        raise _too_large(filename, max_mb)
    declared = header[len(DATA_PREFIX):-len(BASE64_SUFFIX)].split(";", 1)[0].strip()
    if not declared or len(declared) > MAX_DECLARED_TYPE:
        declared = ""
    return data, declared or None


def decode_uploads(contents: Any, filenames: Any, limits: UploadLimits) -> list[UploadedFile]:
    """dcc.Upload's `contents`/`filename` (one string each, or lists of them) as decoded
    files, in order. Too many files is refused before any is decoded."""
    if contents is None or contents == [] or contents == "":
        return []
    if isinstance(contents, str):
        contents, filenames = [contents], [filenames]
    if not isinstance(contents, list):
        raise _unreadable("The upload")
    names = filenames if isinstance(filenames, list) else []
    if len(contents) > limits.max_files:
        raise Invalid("too_many_files", f"At most {limits.max_files} files can be attached at once; "
                                        f"you chose {len(contents)}.")
    out = []
    for i, data_url in enumerate(contents):
        name = names[i] if i < len(names) and isinstance(names[i], str) and names[i] else f"file-{i + 1}"
        data, declared = decode_data_url(data_url, name, max_bytes=limits.max_file_bytes, max_mb=limits.max_file_mb)
        out.append(UploadedFile(name, data, declared))
    return out


def _unreadable(filename: str) -> Invalid:
    return Invalid("file_unreadable", f"{filename} could not be read. Choose it again.")


def _too_large(filename: str, max_mb: int) -> TooLarge:
    return TooLarge("file_too_large", f"{filename} is larger than {max_mb} MB.")
