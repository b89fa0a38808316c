"""The case timeline on screen: who did what, when, with what attached (no queries).

Each entry carries the colour and icon of its reporter (customer, merchant, platform,
system) and the icon of its action, so a reader can tell at a glance who acted and
how. Internal notes are marked; they only ever reach this function for staff.

Who acted reads as each audience may know it (`actor_label`): staff and the company's own
creators see the creator's name with the company ("Dana Kim · Northwind Academy"); the
customer sees the company; parties see "Resolution Center team", never which reviewer.
Times, including the deadlines system events state, are in the viewer's zone.
"""
from __future__ import annotations

import re
from typing import Iterable, Optional
from zoneinfo import ZoneInfo

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.components.format import local_time, viewer_zone
from dashboard.components.ids import CaseIds
from dashboard.timeline import PARTY_WORDS, deadline_sentence, localise_times

REPORTERS = {
    # reporter_type: (label, bootstrap colour, icon)
    "customer": ("Customer", "primary", "person"),
    "merchant": ("Merchant", "success", "shop"),
    "platform": ("Platform", "dark", "shield-check"),
    "system": ("System", "secondary", "gear"),
}

ACTIONS = {
    # event action: (what it reads as, icon)
    "created": ("opened the case", "flag"),
    "accepted": ("accepted the case", "check-circle"),
    "denied": ("denied the case", "x-circle"),
    "requested_more_info": ("requested more information", "question-circle"),
    "responded": ("replied", "reply"),
    "appealed": ("appealed", "arrow-repeat"),
    "withdrew": ("withdrew the case", "box-arrow-left"),
    "escalated": ("escalated the case", "arrow-up-circle"),
    "decided": ("decided the case", "hammer"),
    "final_decision": ("made the final decision", "award"),
    "assigned": ("assignment changed", "person-check"),
    "note": ("internal note", "journal-text"),
    "evidence_added": ("added evidence", "paperclip"),
    "no_response": ("a deadline passed", "hourglass-bottom"),
    "appeal_window_closed": ("the appeal window closed", "lock"),
    "refunded_elsewhere": ("refunded outside the Resolution Center", "cash-coin"),
    "refund_issued": ("refund issued", "cash-coin"),
    "credit_issued": ("credit issued", "wallet2"),
    "merchant_reimbursed": ("merchant reimbursed", "bank"),
    "refund_failed": ("a money movement failed", "exclamation-triangle"),
    "refund_retrying": ("a money movement is retrying", "arrow-clockwise"),
    "email_sent": ("email sent", "envelope"),
    "email_failed": ("an email could not be delivered", "envelope-exclamation"),
}

FILE_ICONS = {"application/pdf": "file-earmark-pdf", "text/plain": "file-earmark-text"}


def file_url(file_id: str, *, download: bool = False) -> str:
    return f"/files/{file_id}" + ("?download=1" if download else "")


def human_size(size: Optional[int]) -> str:
    if not size:
        return ""
    for unit in ("B", "KB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return ""


def thumbnail(f, *, thumb_height: int = 96) -> html.Figure:
    """One image that opens full size, its filename under it: wrapped to the thumbnail's
    width (long names break anywhere), never cut off."""
    width = f"{min(200, thumb_height * 2)}px"
    return html.Figure([
        html.A(html.Img(src=file_url(f.id), alt=f.filename, title=f.filename, className="rounded border d-block",
                        style={"height": f"{thumb_height}px", "maxWidth": width, "objectFit": "cover"}),
               href=file_url(f.id), target="_blank", rel="noopener", className="d-inline-block"),
        html.Figcaption(f.filename, className="small text-muted text-break mt-1 case-file-name",
                        style={"maxWidth": width, "overflowWrap": "anywhere"}),
    ], className="me-2 mb-2 case-file-thumb", style={"maxWidth": width})


def attachments(files: Iterable, *, thumb_height: int = 96) -> Optional[html.Div]:
    """Images as thumbnails (with their filenames) that open full size; everything else as
    a download link."""
    files = list(files)
    if not files:
        return None
    images = [f for f in files if f.is_image]
    others = [f for f in files if not f.is_image]
    children = []
    if images:
        children.append(html.Div([thumbnail(f, thumb_height=thumb_height) for f in images],
                                 className="d-flex flex-wrap align-items-start"))
    for f in others:
        icon = FILE_ICONS.get(f.content_type or "", "file-earmark-play" if (f.content_type or "").startswith("video/")
                              else "file-earmark")
        children.append(html.Div(html.A([
            html.I(className=f"bi bi-{icon} me-1"), f.filename,
            html.Span(f" · {human_size(f.size)}", className="text-muted small") if f.size else None,
            html.I(className="bi bi-download ms-2 small"),
        ], href=file_url(f.id, download=True), className="case-file-link text-break",
            style={"overflowWrap": "anywhere"}), className="mb-1"))
    return html.Div(children, className="mt-2")


def _viewer_party(viewer_party: Optional[str], viewer_is_staff: bool) -> str:
    # A caller that does not say which party is reading gets the customer's (narrowest)
    # view unless the reader is staff.
    if viewer_is_staff:
        return "platform"
    return viewer_party if viewer_party in ("customer", "merchant") else "customer"


def actor_label(entry, *, viewer_is_staff: bool, company_name: str, viewer_party: Optional[str] = None,
                viewer_id: Optional[str] = None) -> str:
    """Names as each audience should read them: parties see 'Resolution Center team', not
    which reviewer acted; the customer sees the company rather than its staff; the company's
    creators and staff see which creator acted, with the company. The reader's own entries
    say so ("(you)")."""
    kind, party = entry.reporter_type, _viewer_party(viewer_party, viewer_is_staff)
    name = entry.actor_name
    if name and viewer_id and getattr(entry, "actor_id", None) == viewer_id:
        name = f"{name} (you)"
    if kind == "system":
        return "Resolution Center"
    if kind == "platform":
        return name if party == "platform" and name else "Resolution Center team"
    if kind == "merchant":
        return f"{name} · {company_name}" if party in ("platform", "merchant") and name else company_name
    return name or "Customer"


def _party_names(party: str, company_name: str) -> dict[str, str]:
    """How a system event's sentence names the parties for this reader."""
    names = dict(PARTY_WORDS, merchant=company_name or PARTY_WORDS["merchant"])
    if party in ("customer", "merchant"):
        names[party] = "you"
    return names


def entry_text(entry, *, viewer_party: str, company_name: str, zone: ZoneInfo) -> Optional[str]:
    """What an entry says. A system event that states a deadline is worded again from its
    data, its time in the reader's zone; one written before that data was kept has its
    '… UTC' times restated in the zone."""
    if entry.reporter_type != "system" or not entry.details:
        return entry.details
    at = lambda when: local_time(when, zone=zone)  # noqa: E731
    return (deadline_sentence(entry.action, entry.data, at=at, names=_party_names(viewer_party, company_name))
            or localise_times(entry.details, at))


def _entry(entry, *, viewer_is_staff: bool, company_name: str, viewer_party: Optional[str] = None,
           viewer_id: Optional[str] = None, zone: Optional[ZoneInfo] = None) -> html.Li:
    zone = zone or viewer_zone()
    party = _viewer_party(viewer_party, viewer_is_staff)
    label, colour, reporter_icon = REPORTERS.get(entry.reporter_type, (entry.reporter_type, "secondary", "circle"))
    what, action_icon = ACTIONS.get(entry.action, (entry.action.replace("_", " "), "dot"))
    badges = [dbc.Badge(label, color=colour, className="me-1")]
    if entry.staff_only:
        badges.append(dbc.Badge([html.I(className="bi bi-eye-slash me-1"), "Internal · staff only"],
                                color="warning", text_color="dark", className="case-internal-badge"))
    details = entry_text(entry, viewer_party=party, company_name=company_name, zone=zone)
    body = [
        html.Div([
            html.Div([
                html.Strong(actor_label(entry, viewer_is_staff=viewer_is_staff, company_name=company_name,
                                        viewer_party=party, viewer_id=viewer_id),
                            className="me-2 case-event-actor"),
                html.Span([html.I(className=f"bi bi-{action_icon} me-1"), what], className="text-body-secondary me-2"),
                *badges,
            ], className="d-flex flex-wrap align-items-center"),
            # On a narrow screen the time wraps below who acted instead of being pushed off it.
            html.Small(local_time(entry.created_at, zone=zone), className="text-muted text-nowrap ms-auto ps-2"),
        ], className="d-flex flex-wrap justify-content-between align-items-start"),
        html.Div(details, className="mt-1 case-event-text text-break",
                 style={"whiteSpace": "pre-wrap", "overflowWrap": "anywhere"}) if details else None,
        attachments(entry.files),
    ]
    card_class = "flex-grow-1 border rounded px-3 py-2 "
    style = {}
    if entry.action == "note":
        card_class += "bg-warning-subtle border-warning-subtle"
    else:
        style = {"borderLeft": f"4px solid var(--bs-{colour})"}
    return html.Li([
        html.Div(html.I(className=f"bi bi-{reporter_icon}"),
                 className=f"rounded-circle text-bg-{colour} d-flex align-items-center justify-content-center "
                           f"flex-shrink-0 me-3",
                 style={"width": "2rem", "height": "2rem"}, title=label),
        html.Div(body, className=card_class, style={**style, "minWidth": 0}),
    ], className=f"d-flex mb-3 case-event case-event-{entry.reporter_type} case-action-{entry.action}"
                 + (" case-event-internal" if entry.staff_only else ""),
       id=CaseIds.event(entry.id))


def _emails(run: list, *, zone: Optional[ZoneInfo] = None) -> html.Li:
    """Delivered emails are bookkeeping: one quiet line per batch (failures get a full entry)."""
    first = run[0]
    recipients = [(e.data or {}).get("recipient") for e in run]
    what = re.sub(r"\[reso_[A-Za-z0-9]+\] ", "", (first.details or "Email").split(" sent to ", 1)[0])
    return html.Li([
        html.Div(html.I(className="bi bi-envelope"), className="text-muted text-center flex-shrink-0 me-3",
                 style={"width": "2rem"}),
        html.Div([
            html.Span([f"{what} sent to ", ", ".join(r for r in recipients if r) or f"{len(run)} recipients"],
                      className="me-2 text-break", style={"overflowWrap": "anywhere"}),
            html.Small(local_time(first.created_at, zone=zone), className="text-nowrap ms-auto"),
        ], className="small text-muted d-flex flex-wrap justify-content-between flex-grow-1", style={"minWidth": 0}),
    ], className="d-flex mb-2 case-event case-event-system case-action-email_sent case-event-internal",
       id=CaseIds.event(first.id))


def timeline_items(entries, *, viewer_is_staff: bool, company_name: str, viewer_party: Optional[str] = None,
                   viewer_id: Optional[str] = None, zone: Optional[ZoneInfo] = None) -> list:
    """The list items of `entries` (oldest first); a run of delivered emails is one line.
    `viewer_party` (customer | merchant | platform) and `viewer_id` say who reads; `zone`
    the zone times read in (the viewer's, `format.viewer_zone`, unless given)."""
    zone = zone or viewer_zone()
    items, run = [], []
    for e in list(entries) + [None]:
        if e is not None and e.action == "email_sent" and (
                not run or (run[0].data or {}).get("template") == (e.data or {}).get("template")):
            run.append(e)
            continue
        if run:
            items.append(_emails(run, zone=zone))
            run = []
        if e is not None and e.action == "email_sent":
            run.append(e)
        elif e is not None:
            items.append(_entry(e, viewer_is_staff=viewer_is_staff, company_name=company_name,
                                viewer_party=viewer_party, viewer_id=viewer_id, zone=zone))
    return items


def earlier_button(earlier: Optional[int]) -> dict:
    """Style of the "Show earlier events" button: shown while there are earlier events."""
    return {} if earlier is not None else {"display": "none"}


def timeline(entries, *, viewer_is_staff: bool, company_name: str, earlier: Optional[int] = None,
             viewer_party: Optional[str] = None, viewer_id: Optional[str] = None,
             zone: Optional[ZoneInfo] = None) -> html.Div:
    """Oldest first, as the case unfolded. Long timelines show their newest page;
    `earlier` (the keyset position of the page before) feeds "Show earlier events"."""
    if not entries:
        return html.Div("Nothing has happened on this case yet.", className="text-muted")
    return timeline_frame(timeline_items(entries, viewer_is_staff=viewer_is_staff, company_name=company_name,
                                         viewer_party=viewer_party, viewer_id=viewer_id, zone=zone),
                          earlier=earlier)


def timeline_frame(items: list, *, earlier: Optional[int] = None) -> html.Div:
    """The list of `items` under its "Show earlier events" button, with the position the
    button asks from (what `callbacks.case.show_earlier_events` reads and writes)."""
    return html.Div([
        dcc.Store(id=CaseIds.TIMELINE_BEFORE, data=earlier),
        dbc.Button([html.I(className="bi bi-chevron-up me-1"), "Show earlier events"], id=CaseIds.TIMELINE_EARLIER,
                   color="link", size="sm", className="px-0 mb-2", style=earlier_button(earlier)),
        html.Ol(items, className="list-unstyled mb-0", id=CaseIds.TIMELINE_LIST),
    ])
