"""The rollups against the cases themselves, on SQLite and PostgreSQL.

Random cases are driven through the domain (every action a party, a reviewer, the
scheduler or the payment system may take, at random moments, money settled through the
sandbox, some actions refused and rolled back); then every metric, for random filters,
is computed again here by a direct scan over the cases, movements and payments — written
independently of `data.rollups.contrib` — and must be equal. Finally a rebuild from the
rows must give exactly the tables the commits maintained.
"""
from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from data.models import Case, MoneyMovement, Payment
from data.read import metrics as m
from data.rollups import company_kpis, rebuild, stage_counts
from data.rollups.models import ROLLUP_TABLES
from dashboard.cases import opening, party, review, system
from dashboard.cases.available import available_actions
from dashboard.context import Ctx
from dashboard.errors import DomainError
from dashboard.money.executor import settle_due
from dashboard.money.gateways import GatewayRegistry
from tests import factories

UTC = dt.timezone.utc
H = dt.timedelta(hours=1)
START = dt.datetime(2026, 1, 20, 9, 0, tzinfo=UTC)
SEED = 20261201
N_CASES = 36


# ------------------------------------------------------------------ the random world
def _act(ctx: Ctx, rng: random.Random, case_id: str, actor, action: str, reviewers) -> None:
    msg = "Because " + rng.choice(["it never came", "see the receipt", "policy", "evidence attached"])
    if action == "accept":
        party.accept(ctx, actor=actor, case_id=case_id)
    elif action == "deny":
        party.deny(ctx, actor=actor, case_id=case_id, message=msg)
    elif action == "request_info" and actor.role == "creator":
        party.merchant_request_info(ctx, actor=actor, case_id=case_id, message=msg)
    elif action == "request_info":
        review.request_info_from(ctx, actor=actor, case_id=case_id, party=rng.choice(["customer", "merchant"]),
                                 message=msg)
    elif action == "reply":
        party.reply(ctx, actor=actor, case_id=case_id, message=msg)
    elif action == "appeal":
        party.appeal(ctx, actor=actor, case_id=case_id, message=msg)
    elif action == "withdraw":
        party.withdraw(ctx, actor=actor, case_id=case_id)
    elif action == "claim":
        review.claim(ctx, actor=actor, case_id=case_id)
    elif action == "assign":
        review.assign(ctx, actor=actor, case_id=case_id, reviewer_id=rng.choice(reviewers).id)
    elif action == "note":
        review.note(ctx, actor=actor, case_id=case_id, message=msg)
    elif action == "decide":
        outcome = rng.choice(["refund", "credit", "merchant_wins"])
        amount = rng.choice([None, 1, 1250, 5000]) if outcome != "merchant_wins" else None
        review.decide(ctx, actor=actor, case_id=case_id, outcome=outcome, reason=msg, amount=amount)
    elif action == "final_decide":
        review.final_decide(ctx, actor=actor, case_id=case_id, decision=rng.choice(["uphold", "overturn"]),
                            reason=msg, remedy=rng.choice([None, "refund", "credit"]),
                            amount=rng.choice([None, 700]))


def drive(Session, tmp_path) -> dict:  # noqa: N803
    """Open N_CASES cases on random payments and walk each through random allowed actions."""
    rng = random.Random(SEED)
    settings = factories.test_settings(tmp_path)
    gateways = GatewayRegistry.sandbox(Session, failures=0, latency=0)
    with Session.begin() as s:
        ctx = Ctx(s, START, settings)
        w = factories.world(ctx)
        third = factories.company(ctx, "Third Studio")
        creators = {w.company.id: w.creator, w.other_company.id: w.other_creator,
                    third.id: factories.user(ctx, "creator", company_id=third.id)}
        customers = [w.customer, w.other_customer] + [factories.user(ctx, "customer") for _ in range(3)]
        companies = [w.company, w.other_company, third]
        staff = [w.reviewer, w.reviewer2, w.manager]
        plan = []
        for i in range(N_CASES + 12):  # some payments are never disputed (the dispute rate's denominator)
            opened = START + dt.timedelta(days=rng.uniform(0, 95))
            paid = opened - dt.timedelta(days=rng.uniform(0, 20))
            p = factories.payment(ctx, company=rng.choice(companies), customer=rng.choice(customers),
                                  provider=rng.choice(["stripe", "stripe", "paypal"]),
                                  amount_minor=rng.choice([999, 5000, 12900]),
                                  currency=rng.choice(["USD", "USD", "EUR"]), paid_at=paid)
            if i < N_CASES:
                plan.append((p.id, p.customer_id, p.company_id, opened))
    by_id = {u.id: u for u in customers}
    for payment_id, customer_id, company_id, opened in plan:
        now = opened
        with Session.begin() as s:
            case = opening.open_case(Ctx(s, now, settings), actor=by_id[customer_id], payment_id=payment_id,
                                     reason=rng.choice(m.REASONS), message="Please help").case
            case_id = case.id
        actors = [by_id[customer_id], creators[company_id], *staff]
        for _ in range(rng.randint(0, 9)):
            now += dt.timedelta(hours=rng.choice([0.5, 3, 20, 70, 170, 400]))
            with Session.begin() as s:
                ctx = Ctx(s, now, settings)
                # The scheduler and the payment system take their turn too.
                for sweep in (system.escalate_overdue, system.expire_review_request, system.close_appeal_window):
                    sweep(ctx, case_id)
                if rng.random() < 0.04:
                    system.report_refunded(ctx, payment=s.get(Payment, payment_id))
            with Session() as s:
                c = s.get(Case, case_id)
                choices = [(a, act) for a in actors for act in available_actions(Ctx(s, now, settings), c, a)
                           if act != "add_evidence"]
            if not choices:
                continue
            actor, action = rng.choice(choices)
            try:
                with Session.begin() as s:
                    _act(Ctx(s, now, settings), rng, case_id, actor, action, [w.reviewer, w.reviewer2])
            except DomainError:
                pass  # refused (a remedy missing, an amount too high): rolled back, nothing counted
            with Session() as s:
                settle_due(s, gateways, now, settings=settings, case_id=case_id)
    return {"companies": [c.id for c in companies], "settings": settings}


# ------------------------------------------------------------ the direct scan, by hand
def scan(Session):  # noqa: N803
    with Session() as s:
        cases = [dict(r._mapping) for r in s.execute(select(Case, Payment.provider).join(Payment)
                                                       .with_only_columns(*Case.__table__.c, Payment.provider))]
        moves = s.execute(select(MoneyMovement.case_id, MoneyMovement.kind, MoneyMovement.currency,
                                 MoneyMovement.amount_minor).where(MoneyMovement.status == "succeeded")).all()
        payments = s.execute(select(Payment.paid_at, Payment.company_id, Payment.provider)).all()
    return cases, moves, payments


# The zones a manager may read the metrics in: whole-hour offsets both sides of UTC with
# their summer time (changing inside the data's months), a half-hour one (days start at the
# UTC hour before local midnight) and one past +12 in its summer.
ZONES = ("UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Pacific/Auckland")


def local_day_start(d: dt.date, zone: str) -> dt.datetime:
    """Where the metrics' day `d` starts in `zone`: local midnight, back to its UTC hour."""
    at = dt.datetime.combine(d, dt.time(), ZoneInfo(zone)).astimezone(UTC)
    return at.replace(minute=0, second=0, microsecond=0)


def day_in(at: dt.datetime, zone: str) -> dt.date:
    """The metrics' day (in `zone`) a moment falls in."""
    d = at.astimezone(ZoneInfo(zone)).date()
    return d + dt.timedelta(days=1) if at >= local_day_start(d + dt.timedelta(days=1), zone) else d


def day(at: dt.datetime, f: m.MetricsFilter = m.MetricsFilter(dt.date.min, dt.date.min)) -> dt.date:
    return day_in(at, f.zone)


def chosen(c: dict, f: m.MetricsFilter) -> bool:
    return (f.start <= day(c["created_at"], f) <= f.end and (not f.company_ids or c["company_id"] in f.company_ids)
            and (not f.providers or c["provider"] in f.providers) and (not f.reasons or c["reason"] in f.reasons))


def expected_counts(cases: list[dict]) -> m.Counts:
    def n(pred):
        return sum(1 for c in cases if pred(c))

    appealed = lambda c: c["customer_appealed"] or c["merchant_appealed"]  # noqa: E731
    closed = lambda c: c["status"] == "closed"  # noqa: E731
    return m.Counts(
        cases=len(cases), open=n(lambda c: not closed(c)),
        responded=n(lambda c: c["first_merchant_response_at"] is not None),
        escalated=n(lambda c: c["escalated"]),
        decisions=n(lambda c: c["decision"] is not None and (c["final_review"] or not appealed(c))),
        decisions_appealed=n(lambda c: c["final_review"]),
        denials_appealed=n(lambda c: appealed(c) and not c["final_review"]),
        closed=n(closed), customer_won=n(lambda c: closed(c) and c["outcome"] == "customer_won"),
        merchant_won=n(lambda c: closed(c) and c["outcome"] == "merchant_won"),
        withdrawn=n(lambda c: closed(c) and c["outcome"] == "withdrawn"),
    )


def lower_median_hour_s(values: list[float]):
    if not values:
        return None
    ordered = sorted(values)
    return float((ordered[(len(ordered) + 1) // 2 - 1] // 3600) * 3600)


def first_response_s(c):
    return max(0.0, (c["first_merchant_response_at"] - c["created_at"]).total_seconds())


def resolution_s(c):
    return max(0.0, (c["closed_at"] - c["created_at"]).total_seconds())


def bucket(d: dt.date, unit: str) -> str:
    if unit == "week":
        d = d - dt.timedelta(days=d.weekday())
    elif unit == "month":
        d = d.replace(day=1)
    return d.isoformat()


def random_filter(rng: random.Random, companies: list[str], zone: str = "UTC") -> m.MetricsFilter:
    start = dt.date(2026, 1, 10) + dt.timedelta(days=rng.randrange(0, 90))
    end = start + dt.timedelta(days=rng.choice([0, 3, 17, 31, 45, 120]))
    return m.MetricsFilter(
        start, end,
        company_ids=tuple(rng.sample(companies, rng.choice([0, 0, 1, 2]))),
        providers=tuple(rng.sample(["stripe", "paypal", "crypto"], rng.choice([0, 0, 1, 2]))),
        reasons=tuple(rng.sample(list(m.REASONS), rng.choice([0, 0, 1, 3]))), zone=zone)


def check_filter(s, f: m.MetricsFilter, cases, moves, payments) -> None:
    sel = [c for c in cases if chosen(c, f)]
    ids = {c["id"]: c for c in sel}
    want = expected_counts(sel)
    k = m.kpis(s, f)
    assert k.counts == want, f
    responded = [first_response_s(c) for c in sel if c["first_merchant_response_at"] is not None]
    resolved = [resolution_s(c) for c in sel if c["status"] == "closed" and c["closed_at"] is not None]
    assert k.median_first_response_s == lower_median_hour_s(responded), f
    assert k.median_resolution_s == lower_median_hour_s(resolved), f
    money = defaultdict(Counter)
    for case_id, kind, currency, amount in moves:
        if case_id in ids and kind in ("merchant_refund", "customer_credit"):
            money[kind][currency] += amount
    assert k.refunded == {c: v for c, v in money["merchant_refund"].items() if v}, f
    assert k.credited == {c: v for c, v in money["customer_credit"].items() if v}, f

    for unit in m.BUCKETS:
        series = defaultdict(list)
        for c in sel:
            series[bucket(day(c["created_at"], f), unit)].append(c)
        assert m.outcome_series(s, f, bucket=unit) == [(b, expected_counts(series[b])) for b in sorted(series)]
        for by in ("reason", "provider"):
            vol = Counter((bucket(day(c["created_at"], f), unit), c[by]) for c in sel)
            assert m.volume_series(s, f, bucket=unit, by=by) == [(b, key, n) for (b, key), n in sorted(vol.items())]
        ms = Counter()
        for case_id, kind, currency, amount in moves:
            if case_id in ids and kind in ("merchant_refund", "customer_credit"):
                ms[(bucket(day(ids[case_id]["created_at"], f), unit), kind, currency)] += amount
        assert m.money_series(s, f, bucket=unit) == [(*key, v) for key, v in sorted(ms.items()) if v]
    o = m.overview(s, f, bucket="week")
    assert o.kpis == k

    fr = Counter(min(int(first_response_s(c) // (12 * 3600)), 14) for c in sel
                 if c["first_merchant_response_at"] is not None)
    assert m.first_response_histogram(s, f).counts == [(b, "all", n) for b, n in sorted(fr.items())]
    res = Counter((min(int(resolution_s(c) // 86400), 30), c["outcome"] or "unknown") for c in sel
                  if c["status"] == "closed" and c["closed_at"] is not None)
    assert m.resolution_histogram(s, f).counts == [(b, g, n) for (b, g), n in sorted(res.items())]

    for by, key in (("company", "company_id"), ("provider", "provider"), ("reason", "reason")):
        groups = defaultdict(list)
        for c in sel:
            groups[c[key]].append(c)
        order = sorted(groups, key=lambda g: (-len(groups[g]), g))[:20]
        paid = Counter(p[1] if by == "company" else p[2] for p in payments
                       if f.start <= day(p[0], f) <= f.end and (not f.company_ids or p[1] in f.company_ids)
                       and (not f.providers or p[2] in f.providers))
        got = m.breakdown(s, f, by=by)
        assert [(r.key, r.counts) for r in got] == [(g, expected_counts(groups[g])) for g in order], (by, f)
        if by != "reason":
            assert [r.payments for r in got] == [paid[g] for g in order], (by, f)


def test_rollups_equal_a_direct_scan_and_a_rebuild(Session, tmp_path):  # noqa: N803
    """One random world (driving it is the slow part), three checks."""
    world = drive(Session, tmp_path)
    every_metric_equals_a_direct_scan_for_random_filters(Session, world)
    queue_counts_and_company_kpis_equal_the_cases(Session, world)
    a_rebuild_gives_exactly_what_the_commits_maintained(Session)


def every_metric_equals_a_direct_scan_for_random_filters(Session, world):  # noqa: N803
    cases, moves, payments = scan(Session)
    statuses = Counter(c["status"] for c in cases)
    # The walk must have reached every kind of state, or the comparison proves little.
    assert statuses["closed"] >= 8 and len(statuses) >= 3, statuses
    assert sum(1 for c in cases if c["final_review"]) >= 1 and moves
    rng = random.Random(SEED + 1)
    with Session() as s:
        for zone in ZONES:
            everything = m.MetricsFilter(dt.date(2025, 12, 1), dt.date(2026, 12, 31), zone=zone)
            check_filter(s, everything, cases, moves, payments)
        for i in range(30):
            check_filter(s, random_filter(rng, world["companies"], ZONES[i % len(ZONES)]), cases, moves, payments)
        # Every bucket boundary of a long range by day, in each zone (the summer-time changes included).
        for zone in ZONES:
            check_filter(s, m.MetricsFilter(dt.date(2026, 1, 19), dt.date(2026, 4, 30), zone=zone),
                         cases, moves, payments)


def queue_counts_and_company_kpis_equal_the_cases(Session, world):  # noqa: N803
    cases, _, _ = scan(Session)
    want = Counter((c["stage"], c["assignee_id"]) for c in cases if c["status"] != "closed")
    with Session() as s:
        assert stage_counts(s) == dict(want)
        window = dt.timedelta(days=7)
        for now in (START + dt.timedelta(days=30), START + dt.timedelta(days=200)):
            for company_id in world["companies"]:
                mine = [c for c in cases if c["company_id"] == company_id]
                k = company_kpis(s, company_id, now=now, response_window=window)
                answered = [first_response_s(c) for c in mine if c["first_merchant_response_at"] is not None]
                unanswered = [c for c in mine if c["first_merchant_response_at"] is None
                              and c["created_at"] <= now - window and c["outcome"] != "withdrawn"]
                assert (k.total, k.open, k.responded) == (
                    len(mine), sum(c["status"] != "closed" for c in mine), len(answered))
                assert k.responded_in_window == sum(1 for v in answered if v < window.total_seconds())
                assert k.response_window_cases == len(answered) + len(unanswered)
                assert k.escalated == sum(1 for c in mine if c["escalated"] or c["escalated_at"] is not None)
                median = lower_median_hour_s(answered)
                assert k.median_first_response == (None if median is None else dt.timedelta(seconds=median))
                refunded = Counter()
                for c in mine:
                    refunded[c["currency"]] += c["refunded_minor"]
                assert k.refunded == {cur: v for cur, v in sorted(refunded.items()) if v}


def a_rebuild_gives_exactly_what_the_commits_maintained(Session):  # noqa: N803
    def tables():
        with Session() as s:
            return {model.__tablename__: sorted(tuple(r) for r in s.execute(select(model.__table__)).all()
                                                if any(v for v in tuple(r)[len(model.KEY):]))
                    for model in ROLLUP_TABLES}

    maintained = tables()
    assert maintained["rollup_cases"] and maintained["rollup_first_response"]
    engine = Session.kw["bind"]
    written = rebuild(engine)
    assert written["rollup_cases"] > 0
    assert tables() == maintained


def test_a_rolled_back_change_and_a_rolled_back_savepoint_leave_no_trace(Session, tmp_path):  # noqa: N803
    settings = factories.test_settings(tmp_path)
    with Session.begin() as s:
        w = factories.world(Ctx(s, START, settings))
    before = None
    with Session() as s:
        before = m.counts(s, m.MetricsFilter(START.date(), START.date()))
    with pytest.raises(RuntimeError):
        with Session.begin() as s:
            opening.open_case(Ctx(s, START, settings), actor=w.customer, payment_id=w.payment.id,
                              reason="fraudulent", message="Not me")
            raise RuntimeError("the request failed after the case was written")
    with Session.begin() as s:
        ctx = Ctx(s, START, settings)
        try:
            with s.begin_nested():
                opening.open_case(ctx, actor=w.customer, payment_id=w.payment.id, reason="fraudulent",
                                  message="Not me")
                raise RuntimeError("undo this part only")
        except RuntimeError:
            pass
        other = factories.payment(ctx, company=w.company, customer=w.customer, paid_at=START - H)
        opening.open_case(ctx, actor=w.customer, payment_id=other.id, reason="fraudulent", message="This one")
    with Session() as s:
        after = m.counts(s, m.MetricsFilter(START.date(), START.date()))
        assert (before.cases, after.cases, after.open) == (0, 1, 1)
        assert stage_counts(s) == {("awaiting_merchant", None): 1}


@pytest.fixture(params=["sqlite", "postgresql"])
def scratch_url(request, tmp_path):
    """A database of its own, migrated by the test itself (the shared one is at head)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    from tests import _dbs

    admin = _dbs.pg_admin_url()
    reason = _dbs.pg_unreachable_reason(admin) if admin else "TEST_DATABASE_URL is not set"
    if reason:
        if _dbs.in_ci():
            pytest.fail(f"CI=true: PostgreSQL needed: {reason}")
        pytest.skip(f"PostgreSQL leg disabled: {reason}")
    url = _dbs.create_pg_database(admin)
    try:
        yield url
    finally:
        _dbs.drop_pg_database(admin, url)


def test_the_migration_backfills_the_rollups_of_an_existing_database(scratch_url):
    """A database that had cases before the rollups existed gets them counted on upgrade."""
    from alembic import command
    from sqlalchemy import insert

    from data.db import alembic_config, make_engine
    from data.models import Company, User

    before_rollups = "e6b78e22ee5d"  # the revision the rollups migration (acc0fc5b9cc3) follows
    command.upgrade(alembic_config(scratch_url), before_rollups)
    engine = make_engine(scratch_url)
    opened = dt.datetime(2026, 2, 3, 4, 5, tzinfo=UTC)
    try:
        with engine.begin() as conn:  # rows as an older release wrote them: no session, no hooks
            conn.execute(insert(Company.__table__), [{"id": "biz_old", "name": "Old Co", "created_at": opened}])
            conn.execute(insert(User.__table__), [{"id": "user_old", "email": "o@x.test", "name": "O",
                                                  "role": "customer", "is_active": True, "created_at": opened}])
            for i, (status, outcome, provider) in enumerate([("awaiting_merchant", None, "stripe"),
                                                            ("closed", "merchant_won", "paypal")]):
                conn.execute(insert(Payment.__table__), [{
                    "id": f"pay_old{i}", "company_id": "biz_old", "customer_id": "user_old", "provider": provider,
                    "amount_minor": 1000, "currency": "USD", "paid_at": opened - H, "refunded_minor": 0,
                    "refunded_externally": False, "created_at": opened}])
                conn.execute(insert(Case.__table__), [{
                    "id": f"reso_old{i}", "payment_id": f"pay_old{i}", "company_id": "biz_old",
                    "customer_id": "user_old", "reason": "fraudulent", "message": "m", "amount_minor": 1000,
                    "currency": "USD", "stage": status, "status": status, "escalated": False, "final_review": False,
                    "customer_appealed": False, "merchant_appealed": False, "outcome": outcome, "final": False,
                    "merchant_info_requests": 0, "refunded_minor": 0, "credited_minor": 0, "created_at": opened,
                    "updated_at": opened, "first_merchant_response_at": opened + 5 * H,
                    "closed_at": opened + 30 * H if status == "closed" else None, "version": 1}])
        command.upgrade(alembic_config(scratch_url), "head")
        from sqlalchemy.orm import Session as OrmSession

        with OrmSession(engine) as s:
            k = m.kpis(s, m.MetricsFilter(opened.date(), opened.date()))
            assert (k.counts.cases, k.counts.open, k.counts.merchant_won, k.counts.responded) == (2, 1, 1, 2)
            assert (k.median_first_response_s, k.median_resolution_s) == (5 * 3600, 30 * 3600)
            assert stage_counts(s) == {("awaiting_merchant", None): 1}
            assert [r.payments for r in m.breakdown(s, m.MetricsFilter(opened.date(), opened.date()),
                                                    by="provider")] == [1, 1]
            # The hour rows were backfilled too: Kolkata's 3 February is UTC 18:00 on the 2nd to
            # 18:00 on the 3rd, read from hour rows only (no whole UTC day inside it).
            kolkata = m.MetricsFilter(opened.date(), opened.date(), zone="Asia/Kolkata")
            assert all(a.grain == "h" for a in m.total_arms(kolkata))
            k = m.kpis(s, kolkata)
            assert (k.counts.cases, k.counts.merchant_won, k.median_first_response_s) == (2, 1, 5 * 3600)
            assert [r.payments for r in m.breakdown(s, kolkata, by="provider")] == [1, 1]
    finally:
        engine.dispose()


def test_the_hour_grain_migration_goes_down_and_up_again(scratch_url):
    """b7e4a1c9d2f0 down: the rollups as they were (no hour column, no hour rows), rebuilt;
    up again: hour rows back."""
    from alembic import command
    from sqlalchemy import inspect, text

    from data.db import alembic_config, make_engine, make_session_factory

    command.upgrade(alembic_config(scratch_url), "head")
    engine = make_engine(scratch_url)
    try:
        with make_session_factory(engine).begin() as s:
            ctx = Ctx(s, START, factories.test_settings(None))
            w = factories.world(ctx)
            p = factories.payment(ctx, company=w.company, customer=w.customer, paid_at=START - H)
            opening.open_case(ctx, actor=w.customer, payment_id=p.id, reason="fraudulent", message="Please help")

        def grains():
            with engine.connect() as conn:
                has_hour = any(c["name"] == "hour" for c in inspect(conn).get_columns("rollup_cases"))
                return has_hour, dict(conn.execute(text("SELECT grain, sum(cases) FROM rollup_cases "
                                                        "WHERE company_id = '' AND provider = '*' GROUP BY grain")).all())

        assert grains() == (True, {"h": 1, "d": 1, "m": 1})
        command.downgrade(alembic_config(scratch_url), "b7e4a1c9d2f0-1")
        assert grains() == (False, {"d": 1, "m": 1})
        command.upgrade(alembic_config(scratch_url), "head")
        assert grains() == (True, {"h": 1, "d": 1, "m": 1})
    finally:
        engine.dispose()
