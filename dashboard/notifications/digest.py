"""The daily digest for staff who chose it (`users.notify_mode = 'digest'`): one email a
day, at about 08:00 in the person's own time zone, listing what arrived for them since
and is still unread and unemailed; those notifications are then marked `emailed_at`.

Exactly once per person and local day, however many schedulers run: each person's row is
locked (`FOR UPDATE SKIP LOCKED` on PostgreSQL: another scheduler skips them, and after
it commits sees `digest_sent_at` moved on), the due moment is re-checked under the lock,
and the email's dedupe key is "digest:<user id>:<local date>" (a unique key, written with
ON CONFLICT DO NOTHING), so a second writer for the same day writes nothing. SQLite runs
one scheduler (jobs.lock). One short transaction per person.

Nothing pending, no email: a day with nothing for you sends nothing.
"""
from __future__ import annotations

import datetime as dt
import html
from typing import Optional

from sqlalchemy import and_, exists, func, or_, select, update

from data.models import OutboxEmail, StaffNotification, User
from dashboard.context import Ctx
from dashboard.enums import STAFF_ROLES
from dashboard.notifications.letter import SIGNATURE
from dashboard.notifications.staff import insert_new, case_link
from dashboard.timezones import local_text, zone_named

SEND_AT = dt.time(8, 0)  # local time of day the digest is due
LISTED = 20  # notifications written out in one digest; the rest are counted, all on /notifications
BATCH = 100  # people looked at per run
# A digest was sent less than this long ago: not due again yet, whatever the zone (a local
# day is 23 to 25 hours). Lets the probe and the claim skip people in one indexed clause.
MIN_GAP = dt.timedelta(hours=20)


def _pending():
    return and_(StaffNotification.user_id == User.id, StaffNotification.read_at.is_(None),
                StaffNotification.emailed_at.is_(None))


def maybe_due(now: dt.datetime):
    """A SQL condition on users: chose the digest, active staff, something unread and
    unemailed waits, and no digest in the last MIN_GAP. Whether 08:00 has come where
    they are is checked in Python (`due_moment`)."""
    return and_(User.notify_mode == "digest", User.is_active.is_(True),
                User.role.in_([r.value for r in STAFF_ROLES]),
                or_(User.digest_sent_at.is_(None), User.digest_sent_at <= now - MIN_GAP),
                exists(select(StaffNotification.id).where(_pending())))


def due_moment(now: dt.datetime, time_zone: Optional[str]) -> tuple[dt.datetime, dt.date]:
    """Today's 08:00 where the person is (in UTC), and that local date."""
    zone = zone_named(time_zone)
    local = now.astimezone(zone)
    at = dt.datetime.combine(local.date(), SEND_AT, tzinfo=zone).astimezone(dt.timezone.utc)
    return at, local.date()


def is_due(now: dt.datetime, user: User) -> Optional[tuple[dt.date, dt.datetime]]:
    """(local date, its 08:00 in UTC) of the digest due now for `user`, or None (before
    08:00 there, or today's went already)."""
    at, day = due_moment(now, user.time_zone)
    if now < at:
        return None
    if user.digest_sent_at is not None and user.digest_sent_at >= at:
        return None
    return day, at


def _render(ctx: Ctx, user: User, notes: list[StaffNotification], total: int) -> tuple[str, str, str]:
    zone = zone_named(user.time_zone)
    many = "notification" if total == 1 else "notifications"
    subject = f"Resolution Center · your daily digest: {total} unread {many}"
    summary = (f"Since your last digest, {total} {many} arrived for you and {'is' if total == 1 else 'are'} "
               f"still unread. Each says what to do next and by when.")
    items = [(f"{n.title} ({local_text(n.created_at, zone)}). {n.body}", case_link(ctx, n.case_id)) for n in notes]
    more = total - len(notes)
    rest = f"And {more} more." if more > 0 else None
    all_link = case_link(ctx, None)
    text = "\n\n".join([f"Hello {user.name},", summary, *(f"- {line}\n  {link}" for line, link in items),
                        *([rest] if rest else []), f"See them all: {all_link}",
                        "You get this once a day because you chose the daily digest; change it on the "
                        "notifications page.", SIGNATURE])
    lis = "".join(f'<li data-part="item">{html.escape(line)} <a href="{html.escape(link)}">View the case</a></li>'
                  for line, link in items)
    body = [f"<p>Hello {html.escape(user.name)},</p>", f'<p data-part="happened">{html.escape(summary)}</p>',
            f"<ul>{lis}</ul>", f'<p data-part="more">{html.escape(rest)}</p>' if rest else "",
            f'<p data-part="next"><a href="{html.escape(all_link)}">See them all</a> ({html.escape(all_link)})</p>',
            '<p style="color:#666">You get this once a day because you chose the daily digest; change it on the '
            'notifications page.</p>', f'<p style="color:#666">{html.escape(SIGNATURE)}</p>']
    return subject, text, f'<html lang="en"><body style="font-family: sans-serif">{"".join(body)}</body></html>'


def send_for(ctx: Ctx, user_id: str) -> bool:
    """Write `user_id`'s digest if it is due (their row locked first). True if written."""
    session = ctx.session
    user = session.scalars(select(User).where(User.id == user_id, maybe_due(ctx.now))
                           .with_for_update(skip_locked=True)
                           # what the last holder of the lock committed, not an older copy in this session
                           .execution_options(populate_existing=True)).one_or_none()
    if user is None:
        return False  # another scheduler holds it, or it is no longer due
    due = is_due(ctx.now, user)
    if due is None:
        return False
    day, at = due
    # Today's digest is what had arrived by 08:00; what comes later waits for tomorrow's (a
    # scheduler that was down at 08:00 sends it late, never a second one the same day).
    pending = (StaffNotification.user_id == user.id, StaffNotification.read_at.is_(None),
               StaffNotification.emailed_at.is_(None), StaffNotification.created_at <= at)
    total = session.scalar(select(func.count()).select_from(StaffNotification).where(*pending))
    if not total:
        return False
    notes = list(session.scalars(select(StaffNotification).where(*pending)
                                 .order_by(StaffNotification.created_at.desc(), StaffNotification.id.desc())
                                 .limit(LISTED)))
    subject, text, page = _render(ctx, user, notes, total)
    insert_new(ctx, OutboxEmail.__table__, [{
        "case_id": None, "dedupe_key": f"digest:{user.id}:{day.isoformat()}", "template": "staff_digest",
        "recipient": user.email, "subject": subject, "body_text": text, "body_html": page, "status": "pending",
        "attempts": 0, "next_attempt_at": ctx.now, "created_at": ctx.now}])
    session.execute(update(StaffNotification).where(*pending).values(emailed_at=ctx.now)
                    .execution_options(synchronize_session=False))
    user.digest_sent_at = ctx.now
    session.flush()
    return True


def candidates(ctx: Ctx, *, limit: int = BATCH, after: Optional[str] = None) -> list[str]:
    stmt = select(User.id).where(maybe_due(ctx.now)).order_by(User.id).limit(limit)
    if after is not None:
        stmt = stmt.where(User.id > after)
    return list(ctx.session.scalars(stmt))
