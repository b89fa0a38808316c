"""Background jobs (SPEC §8). One module per job, each a function
`(session, now, *, settings, ...) -> dict of counts` that calls the domain and holds
no rules of its own; `runner` runs them once (`run_all_once`) or on a schedule
(`Scheduler`, `start_in_thread`); `lock` keeps a second scheduler off a SQLite file.

- `escalation.escalate_overdue`  — silence past `response_due_at` escalates (§3.6)
- `deadlines.close_expired`      — unanswered review requests, appeal windows (§3.7, §3.11)
- `money.retry_money`            — pays what is due, retrying failed movements (§6)
- `outbox.drain_outbox`          — sends the email outbox over SMTP or to .eml files (§7)

Every job is driven by deadlines stored in the database, so it is safe to run twice,
late, or in several processes at once: cases are claimed one at a time with
`FOR UPDATE SKIP LOCKED` and re-checked under that lock; outbox rows and money
movements are claimed with `SKIP LOCKED` and a lease; money carries an idempotency
key from before the provider is called.
"""
