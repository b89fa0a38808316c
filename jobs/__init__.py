"""Background jobs (SPEC §8): the timetable and thin job functions over the domain.
One module per job, each a function `(session, now, *, settings, ...) -> dict of
counts` that calls the domain and holds no rules of its own; `runner` runs them once
(`run_all_once`) or on a schedule (`Scheduler`, `start_in_thread`); `lock` keeps a
second scheduler off a SQLite file; `cli` is `python -m jobs`.

- `escalation.escalate_overdue`  — silence past `response_due_at` escalates (§3.6)
- `deadlines.close_expired`      — unanswered review requests, appeal windows (§3.7, §3.11)
- `money.retry_money`            — `dashboard.money.executor` until nothing is due (§6)
- `outbox.drain_outbox`          — `dashboard.notifications.outbox` until nothing is due (§7)
- `housekeeping.forget_expired`  — expired idempotency records, idle sign-in counters

Every job is driven by deadlines stored in the database, so it is safe to run twice,
late, or in several processes at once. Each works in batches: cases are claimed 200 at
a time with one `FOR UPDATE SKIP LOCKED ... LIMIT n` and each batch is applied in one
transaction, every case re-checked under its lock by the lifecycle table; outbox rows
and money movements are leased a batch at a time in one `UPDATE ... RETURNING` over a
`SKIP LOCKED` subquery, and each batch's results are recorded in one transaction;
money carries an idempotency key from before the provider is called. With nothing
due, a run of every job is one statement per job.
"""
