"""SPEC §5: evidence files — judged by their bytes, limited in size and number, stored
safely, and downloadable only by someone who may see the case."""
from __future__ import annotations

import dataclasses
import hashlib

import pytest

from dashboard import timeline
from dashboard.cases import party
from dashboard.enums import Party
from dashboard.errors import Invalid, NotFound, TooLarge
from dashboard.evidence import files
from dashboard.evidence.sniff import sniff
from tests.factories import PDF_BYTES, PNG_BYTES
from tests.domain import stages

SAMPLES = {
    "png": ("shot.png", PNG_BYTES, "image/png"),
    "jpeg": ("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9",
             "image/jpeg"),
    "gif": ("anim.gif", b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01;", "image/gif"),
    "webp": ("pic.webp", b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00"
                         b"\x10\x07\x10\x11\x11\x88\x88\xfe\x07", "image/webp"),
    "pdf": ("receipt.pdf", PDF_BYTES, "application/pdf"),
    "mp4": ("clip.mp4", b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2\x00\x00\x00\x08free", "video/mp4"),
    "webm": ("clip.webm", b"\x1aE\xdf\xa3\x9fB\x86\x81\x01B\xf7\x81\x01B\xf2\x81\x04B\xf3\x81\x08"
                          b"B\x82\x84webmB\x87\x81\x04", "video/webm"),
    "quicktime": ("clip.mov", b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  \x00\x00\x00\x08wide", "video/quicktime"),
    "text": ("chat.txt", "Order #1234 — never delivered.\nSupport said wait.\n".encode(), "text/plain"),
}

REFUSED = {
    "html document": ("page.txt", b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"),
    "html element": ("page.txt", b"  <html><script>alert(document.cookie)</script></html>"),
    "html after a byte order mark": ("page.txt", b"\xef\xbb\xbf<!DOCTYPE html><script>alert(1)</script>"),
    "html body fragment": ("page.txt", b"<body onload=alert(1)>hello</body>"),
    "html iframe": ("page.txt", b"<iframe src=https://evil.example></iframe>"),
    "html behind a comment": ("page.txt", b"<!-- hi --><script>alert(1)</script>"),
    "svg": ("logo.txt", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
    "xml-wrapped svg": ("logo.txt", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>'),
    "windows executable": ("setup.txt", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48),
    "linux executable": ("run.txt", b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56),
    "zip archive": ("a.txt", b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 30),
    "matroska that is not webm": ("v.txt", b"\x1aE\xdf\xa3\x9fB\x86\x81\x01B\x82\x88matroska"),
    "binary noise": ("noise.txt", bytes(range(256))),
}


def _upload(story, owner=None, **kw):
    return story.do(files.upload, owner or story.w.customer, **kw)


def _stored_files(story):
    root = story.settings.upload_dir
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --------------------------------------------------------------------------- judged by content
@pytest.mark.parametrize("kind", list(SAMPLES))
def test_an_allowed_type_is_accepted_by_its_content(story, kind):
    filename, data, mime = SAMPLES[kind]
    f = _upload(story, filename=filename, data=data)
    assert (f.status, f.content_type, f.size) == ("ready", mime, len(data))


@pytest.mark.parametrize("kind", list(SAMPLES))
def test_an_allowed_type_is_recognised_whatever_its_name(story, kind):
    _, data, mime = SAMPLES[kind]
    assert sniff(data) == mime
    assert _upload(story, filename="evidence", data=data).content_type == mime


@pytest.mark.parametrize("kind", list(REFUSED))
def test_a_disallowed_type_is_refused(story, kind):
    filename, data = REFUSED[kind]
    err = story.refuse(files.upload, story.w.customer, filename=filename, data=data)
    assert (type(err), err.code) == (Invalid, "file_type_not_allowed")


@pytest.mark.parametrize("kind", ["html document", "svg", "windows executable"])
def test_a_refused_file_stores_nothing(story, kind):
    filename, data = REFUSED[kind]
    with pytest.raises(Invalid):
        _upload(story, filename=filename, data=data)
    assert _stored_files(story) == []
    assert story.count(files.EvidenceFile) == 0


@pytest.mark.parametrize("filename, declared", [("x.pdf", None), ("x.png", "application/pdf"),
                                                ("x.jpg", None), ("x.exe", None), ("x.svg", None),
                                                ("x.png", "text/html")])
def test_a_png_that_claims_to_be_something_else_is_refused(story, filename, declared):
    err = story.refuse(files.upload, story.w.customer, filename=filename, data=PNG_BYTES, declared_type=declared)
    assert (type(err), err.code) == (Invalid, "file_type_mismatch")


@pytest.mark.parametrize("filename, declared", [("x.png", "image/png"), ("x.PNG", None), ("x", None),
                                                ("x.png", "application/octet-stream"), ("x.png", "")])
def test_a_png_whose_name_and_type_agree_or_say_nothing_is_accepted(story, filename, declared):
    assert _upload(story, filename=filename, data=PNG_BYTES, declared_type=declared).content_type == "image/png"


def test_a_common_alias_of_the_real_type_is_accepted(story):
    _, data, _ = SAMPLES["jpeg"]
    assert _upload(story, filename="p.jpeg", data=data, declared_type="image/jpg").content_type == "image/jpeg"


# --------------------------------------------------------------------------- size
def test_a_file_over_the_size_limit_is_too_large(story):
    story.settings = dataclasses.replace(story.settings, max_file_mb=1)
    err = story.refuse(files.upload, story.w.customer, filename="big.txt", data=b"a" * (1024 * 1024 + 1))
    assert (type(err), err.code, err.http_status) == (TooLarge, "file_too_large", 413)


def test_a_file_of_exactly_the_size_limit_is_accepted(story):
    story.settings = dataclasses.replace(story.settings, max_file_mb=1)
    assert _upload(story, filename="big.txt", data=b"a" * (1024 * 1024)).size == 1024 * 1024


def test_an_empty_file_is_refused(story):
    err = story.refuse(files.upload, story.w.customer, filename="empty.txt", data=b"")
    assert (type(err), err.code) == (Invalid, "file_empty")


# --------------------------------------------------------------------------- storage
def test_a_file_is_stored_under_a_random_key_with_its_sha256(story):
    f = _upload(story, filename="../../etc/passwd.png", data=PNG_BYTES)
    path = files.storage_path(story.ctx(None), f)
    assert path.read_bytes() == PNG_BYTES
    assert path.is_relative_to(story.settings.upload_dir)
    assert "passwd" not in str(path) and f.filename == "passwd.png"
    assert f.sha256 == hashlib.sha256(PNG_BYTES).hexdigest()


def test_a_pending_upload_accepts_its_bytes_once(story):
    f = story.do(files.create_pending, story.w.customer, filename="r.pdf")
    assert f.status == "pending" and f.upload_token
    story.run(lambda ctx: files.receive_bytes(ctx, ctx.session.get(files.EvidenceFile, f.id), PDF_BYTES))
    err = story.refuse(lambda ctx: files.receive_bytes(ctx, ctx.session.get(files.EvidenceFile, f.id), PDF_BYTES))
    assert err.code == "file_already_uploaded"


# --------------------------------------------------------------------------- how many
def test_three_files_per_action_at_most(story):
    cid = story.open()
    ids = [story.upload(story.w.creator) for _ in range(4)]
    before = story.snapshot(cid)
    err = story.refuse(party.add_evidence, actor=story.w.creator, case_id=cid, file_ids=ids)
    assert (type(err), err.code) == (Invalid, "too_many_files")
    assert story.snapshot(cid) == before


def test_a_party_may_attach_three_files_to_a_case_over_several_actions(story):
    cid = story.open(file_ids=[story.upload(story.w.customer)])
    story.do(party.add_evidence, actor=story.w.customer, case_id=cid,
             file_ids=[story.upload(story.w.customer), story.upload(story.w.customer)])
    before = story.snapshot(cid)
    err = story.refuse(party.add_evidence, actor=story.w.customer, case_id=cid,
                       file_ids=[story.upload(story.w.customer)])
    assert (type(err), err.code) == (Invalid, "too_many_files")
    assert story.snapshot(cid) == before


def test_each_party_has_its_own_quota(story):
    cid = story.open(file_ids=[story.upload(story.w.customer) for _ in range(3)])
    story.do(party.add_evidence, actor=story.w.creator, case_id=cid,
             file_ids=[story.upload(story.w.creator) for _ in range(3)])
    assert story.count(files.EvidenceFile, case_id=cid) == 6


def test_all_creators_of_a_company_share_the_merchants_quota(story):
    cid = story.open()
    story.do(party.add_evidence, actor=story.w.creator, case_id=cid,
             file_ids=[story.upload(story.w.creator) for _ in range(3)])
    err = story.refuse(party.add_evidence, actor=story.w.creator2, case_id=cid,
                       file_ids=[story.upload(story.w.creator2)])
    assert err.code == "too_many_files"


def test_staff_may_attach_their_own_beyond_the_parties_quota(story):
    cid = stages.under_review(story)
    for _ in range(2):
        story.do(party.add_evidence, actor=story.w.reviewer, case_id=cid,
                 file_ids=[story.upload(story.w.reviewer) for _ in range(3)])
    assert story.count(files.EvidenceFile, case_id=cid, party="platform") == 6


def test_adding_evidence_needs_a_file(story):
    cid = story.open()
    err = story.refuse(party.add_evidence, actor=story.w.customer, case_id=cid, file_ids=[])
    assert (type(err), err.code) == (Invalid, "files_required")


def test_a_file_attaches_to_one_case_only(story):
    fid = story.upload(story.w.customer)
    story.open(file_ids=[fid])
    story.new_payment()
    cid2 = story.open()
    err = story.refuse(party.add_evidence, actor=story.w.customer, case_id=cid2, file_ids=[fid])
    assert err.code == "file_already_attached"


def test_nobody_attaches_someone_elses_file(story):
    cid = story.open()
    fid = story.upload(story.w.creator)
    err = story.refuse(party.add_evidence, actor=story.w.creator2, case_id=cid, file_ids=[fid])
    assert type(err) is NotFound


# --------------------------------------------------------------------------- who may download
def _download(story, viewer, fid):
    return story.run(lambda ctx: files.load_for_download(ctx, viewer, fid))


@pytest.mark.parametrize("viewer", ["customer", "creator", "creator2", "reviewer", "manager"])
def test_everyone_who_may_see_the_case_may_download_its_files(story, viewer):
    fid = story.upload(story.w.customer)
    story.open(file_ids=[fid])
    assert _download(story, getattr(story.w, viewer), fid).id == fid


@pytest.mark.parametrize("viewer", ["other_creator", "other_customer", "integration"])
def test_nobody_else_may_know_a_case_file_exists(story, viewer):
    fid = story.upload(story.w.customer)
    story.open(file_ids=[fid])
    with pytest.raises(NotFound):
        _download(story, getattr(story.w, viewer), fid)


@pytest.mark.parametrize("viewer", ["creator", "reviewer", "other_customer"])
def test_an_unattached_upload_is_its_owners_alone(story, viewer):
    fid = story.upload(story.w.customer)
    assert _download(story, story.w.customer, fid).id == fid
    with pytest.raises(NotFound):
        _download(story, getattr(story.w, viewer), fid)


def test_a_file_still_uploading_cannot_be_downloaded(story):
    f = story.do(files.create_pending, story.w.customer, filename="r.pdf")
    with pytest.raises(NotFound):
        _download(story, story.w.customer, f.id)


@pytest.mark.parametrize("viewer, visible", [("customer", False), ("creator", False), ("reviewer", True)])
def test_a_file_on_a_staff_only_event_is_never_shown_to_a_party(story, viewer, visible):
    """Notes carry no files today; if a staff-only event ever does, parties cannot fetch it."""
    cid = stages.under_review(story)
    fid = story.upload(story.w.reviewer)

    def staff_only_with_file(ctx):
        case = ctx.session.get(files.Case, cid)
        timeline.record(ctx, case, action="note", party=Party.PLATFORM, actor=story.w.reviewer,
                        details="see attached", file_ids=[fid], staff_only=True)

    story.run(staff_only_with_file)
    if visible:
        assert _download(story, getattr(story.w, viewer), fid).id == fid
    else:
        with pytest.raises(NotFound):
            _download(story, getattr(story.w, viewer), fid)


def test_evidence_is_on_both_parties_timelines_with_its_files(story):
    cid = story.open()
    fid = story.upload(story.w.creator)
    story.do(party.add_evidence, actor=story.w.creator, case_id=cid, file_ids=[fid], message="Access log.")
    (event,) = story.events(cid, "evidence_added")
    assert (event.reporter_type, event.viewable_by_customer, event.viewable_by_merchant) == ("merchant", True, True)
    assert _download(story, story.w.customer, fid).event_seq == event.seq
