"""The data-URL decoder the screens' uploads go through: bytes back, or an error a person
can act on, for any input a browser (or a crafted callback) can send."""
from __future__ import annotations

import base64
from dataclasses import dataclass

import pytest

from dashboard.errors import DomainError, Invalid, TooLarge
from dashboard.evidence.dataurl import UploadedFile, decode_data_url, decode_uploads
from tests.factories import PNG_BYTES


@dataclass(frozen=True)
class Limits:
    max_files: int = 3
    max_file_mb: int = 1

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_mb * 1024 * 1024


MIB = 1024 * 1024


def url(data: bytes, declared: str = "image/png") -> str:
    return f"data:{declared};base64," + base64.b64encode(data).decode()


def test_a_data_url_decodes_to_its_bytes_and_declared_type():
    assert decode_data_url(url(PNG_BYTES), "a.png", max_bytes=MIB, max_mb=1) == (PNG_BYTES, "image/png")
    assert decode_data_url("data:;base64," + base64.b64encode(b"hi").decode(), "a.txt", max_bytes=MIB,
                           max_mb=1) == (b"hi", None)
    assert decode_data_url(url(b"hi", "text/plain;charset=utf-8"), "a.txt", max_bytes=MIB,
                           max_mb=1) == (b"hi", "text/plain")


def test_one_upload_or_several_in_order_with_names():
    assert decode_uploads(url(PNG_BYTES), "a.png", Limits()) == [UploadedFile("a.png", PNG_BYTES, "image/png")]
    got = decode_uploads([url(b"one", "text/plain"), url(b"two", "")], ["1.txt", None], Limits())
    assert got == [UploadedFile("1.txt", b"one", "text/plain"), UploadedFile("file-2", b"two", None)]
    assert decode_uploads(None, None, Limits()) == [] and decode_uploads([], [], Limits()) == []


def test_the_size_limit_is_exact_and_checked_before_decoding():
    exactly = b"x" * MIB
    assert decode_data_url(url(exactly), "big.txt", max_bytes=MIB, max_mb=1)[0] == exactly
    for size in (MIB + 1, MIB + 2, MIB + 3, 5 * MIB):
        with pytest.raises(TooLarge) as err:
            decode_data_url(url(b"x" * size), "big.txt", max_bytes=MIB, max_mb=1)
        assert (err.value.code, err.value.message) == ("file_too_large", "big.txt is larger than 1 MB.")
    # Not base64 at all, but far too long: refused for its size without decoding.
    with pytest.raises(TooLarge):
        decode_data_url("data:image/png;base64," + "@" * (4 * MIB), "big.png", max_bytes=MIB, max_mb=1)


def test_too_many_files_is_refused_before_any_is_read():
    with pytest.raises(Invalid) as err:
        decode_uploads(["not a data url"] * 4, ["a", "b", "c", "d"], Limits())
    assert err.value.code == "too_many_files"
    assert err.value.message == "At most 3 files can be attached at once; you chose 4."


@pytest.mark.parametrize("contents", [
    "data:image/png;base64,@@@",  # not base64
    "data:image/png;base64,iVBORw0",  # truncated (bad padding)
    "data:image/png;base64,aGk=\n",  # whitespace
    "data:image/png;base64,aGvDqQ==é",  # non-ASCII
    "data:image/png," + base64.b64encode(b"hi").decode(),  # not base64-encoded
    "data:image/png;base64",  # no payload separator
    "image/png;base64,aGk=",  # not a data URL
    "",
    "data:image/png;base64;charset=x,aGk=",  # base64 is not the last parameter
])
def test_what_is_not_a_base64_data_url_cannot_be_read(contents):
    with pytest.raises(Invalid) as err:
        decode_uploads([contents], ["proof.png"], Limits())
    assert (err.value.code, err.value.message) == ("file_unreadable", "proof.png could not be read. Choose it again.")
    assert err.value.http_status == 422


@pytest.mark.parametrize("contents, filenames", [
    (42, "a.png"), ({"a": 1}, ["a.png"]), ([None], ["a.png"]), ([["nested"]], ["a.png"]), ([7], [7]),
    ([url(b"hi")], {"x": 1}), ([url(b"hi")], 42), (True, None), ([{"data": "data:;base64,aGk="}], None),
])
def test_any_json_a_callback_can_carry_is_a_domain_error_or_a_file(contents, filenames):
    """Never a TypeError or AttributeError (which the screen would show as a 500)."""
    try:
        got = decode_uploads(contents, filenames, Limits())
    except DomainError as exc:
        assert exc.code in {"file_unreadable", "too_many_files"} and exc.message
    else:
        assert all(isinstance(f, UploadedFile) and f.filename for f in got)


def test_an_overlong_declared_type_is_not_kept():
    data, declared = decode_data_url(url(b"hi", "x" * 300), "a.txt", max_bytes=MIB, max_mb=1)
    assert (data, declared) == (b"hi", None)
