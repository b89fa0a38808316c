"""Email notifications (SPEC §7): who is told what, and getting it to them.

    emails      the recipients of a case event and the outbox rows written for them in
                the caller's transaction (`queue_for_event`); one letter per recipient
    happenings  what happened, in one sentence, per event kind and side of the case
    facts       the case for one reader: their zone, the money, the next step and its
                deadline, the right to appeal or finality (from the lifecycle table)
    letter      one email's parts and their text and HTML layout
    outbox      delivering those rows: lease a batch, send it, record the results, back off
    mail        the MIME message and the two transports (.eml files in MAIL_DIR, or SMTP)

The scheduler's outbox job (`jobs.outbox.drain_outbox`) only calls `outbox.deliver_outbox`
until nothing is due. The rendering names stay importable from here, as callers wrote
`from dashboard import notifications; notifications.queue_for_event(...)`.
"""
from dashboard.notifications.emails import company_creators, letter_for, queue_for_event, recipients_for, render

__all__ = ["company_creators", "letter_for", "queue_for_event", "recipients_for", "render"]
