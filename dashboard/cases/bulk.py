"""Staff actions on several cases at once (the queue's selection; an API could reuse it):
claim, assign, add one internal note to each.

Each case keeps its own rules: every case goes through the same domain function a
single click uses (`review.claim` / `assign` / `note`), in its OWN transaction, so a case
that is refused (claimed by someone else meanwhile, closed, its final review offered to
its first decider) rolls back alone and the others go through. Nothing is skipped
silently: the answer is one `CaseOutcome` per requested case, in the order asked.

The caller still owns how a transaction is opened — `begin()` is a context manager
yielding `(ctx, actor)` that commits on a clean exit and rolls back on an exception (the
screens pass `callbacks._session.acting_user`, which also re-reads the acting user each
time, so a person deactivated half-way stops the batch) — but not where one ends: here,
after each case. A batch is capped at `MAX_CASES` (the queue's visible selection).
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Callable, ContextManager, Iterable, Optional

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from data.models import CaseEvent, User
from dashboard.cases import review
from dashboard.context import Ctx
from dashboard.enums import Action, Party
from dashboard.errors import DomainError, Invalid
from dashboard.lifecycle import check
from dashboard.permissions import load_case

log = logging.getLogger("dashboard.cases.bulk")

MAX_CASES = 100
Begin = Callable[[], ContextManager[tuple[Ctx, User]]]

# Refusals about the request or the person, not the case: every later case would be
# refused the same way, so the batch stops there and the rest are reported not tried.
STOPS_THE_BATCH = frozenset({
    "unauthenticated", "staff_only", "managers_only", "invalid_reviewer",
    "message_required", "message_too_long", "invalid_message",
})


class Result(StrEnum):
    DONE = "done"
    UNCHANGED = "unchanged"    # already so (claimed by you, assigned to that reviewer): nothing written
    REFUSED = "refused"
    NOT_TRIED = "not_tried"    # after a refusal that stops the batch


@dataclass(frozen=True)
class CaseOutcome:
    case_id: str
    result: Result
    code: Optional[str] = None      # the refusal's stable code (the API's `error.code`)
    reason: Optional[str] = None    # the domain's sentence, for a person
    # When the case is someone else's: who has it, and since when (the moment as data,
    # so a screen words it in the viewer's zone).
    holder: Optional[str] = None
    holder_since: Optional[dt.datetime] = None

    @property
    def done(self) -> bool:
        return self.result == Result.DONE


def selection(case_ids: Iterable[object]) -> list[str]:
    """The case ids to act on, each once, in the order given; Invalid when there are
    none, when one is not text, or when there are more than MAX_CASES."""
    values = list(case_ids or ())
    if any(not isinstance(value, str) or not value for value in values):
        raise Invalid("invalid_selection", "The selection could not be read. Select the cases again.")
    ids = list(dict.fromkeys(values))
    if not ids:
        raise Invalid("nothing_selected", "Select at least one case.")
    if len(ids) > MAX_CASES:
        raise Invalid("too_many_cases", f"You selected {len(ids)} cases; at most {MAX_CASES} can be changed at "
                                        f"once. Unselect {len(ids) - MAX_CASES} and try again.")
    return ids


# ------------------------------------------------------------------------ the actions
def claim_each(begin: Begin, case_ids: Iterable[object]) -> list[CaseOutcome]:
    """Claim every case for the acting reviewer or manager."""

    def claim(ctx: Ctx, actor: User, case_id: str) -> CaseOutcome:
        # Locked first (the claim re-reads under the same lock) to tell "already yours" apart.
        held = load_case(ctx, actor, case_id, lock=True).assignee_id
        review.claim(ctx, actor=actor, case_id=case_id)
        return CaseOutcome(case_id, Result.UNCHANGED if held == actor.id else Result.DONE)

    return _each(begin, case_ids, claim)


def assign_each(begin: Begin, case_ids: Iterable[object], *, reviewer_id: Optional[str]) -> list[CaseOutcome]:
    """A manager hands every case to `reviewer_id` (None: back to the queue, unassigned).
    The domain refuses per case what that reviewer may not take (the final review of a
    case they decided)."""

    def assign(ctx: Ctx, actor: User, case_id: str) -> CaseOutcome:
        case = load_case(ctx, actor, case_id, lock=True)
        if case.assignee_id == reviewer_id:
            # Already in those hands: no second "assigned" event on the timeline, but only
            # once the same checks as a real assignment passed (managers, an open case).
            check(ctx, case, Action.ASSIGN, Party.PLATFORM, actor)
            return CaseOutcome(case_id, Result.UNCHANGED)
        review.assign(ctx, actor=actor, case_id=case_id, reviewer_id=reviewer_id)
        return CaseOutcome(case_id, Result.DONE)

    return _each(begin, case_ids, assign)


def note_each(begin: Begin, case_ids: Iterable[object], *, message: Optional[str]) -> list[CaseOutcome]:
    """The same internal note (staff only, never shown to a party) on every case."""

    def note(ctx: Ctx, actor: User, case_id: str) -> CaseOutcome:
        review.note(ctx, actor=actor, case_id=case_id, message=message)
        return CaseOutcome(case_id, Result.DONE)

    return _each(begin, case_ids, note)


def by_result(outcomes: Iterable[CaseOutcome]) -> dict[Result, list[CaseOutcome]]:
    grouped: dict[Result, list[CaseOutcome]] = {r: [] for r in Result}
    for o in outcomes:
        grouped[o.result].append(o)
    return grouped


# ------------------------------------------------------------------------ one by one
def _each(begin: Begin, case_ids: Iterable[object],
          act: Callable[[Ctx, User, str], CaseOutcome]) -> list[CaseOutcome]:
    ids = selection(case_ids)
    outcomes: list[CaseOutcome] = []
    for i, case_id in enumerate(ids):
        outcome = _one(begin, case_id, act)
        outcomes.append(outcome)
        if outcome.result == Result.REFUSED and outcome.code in STOPS_THE_BATCH:
            outcomes += [CaseOutcome(rest, Result.NOT_TRIED, outcome.code, outcome.reason) for rest in ids[i + 1:]]
            break
    return outcomes


def _one(begin: Begin, case_id: str, act: Callable[[Ctx, User, str], CaseOutcome]) -> CaseOutcome:
    try:
        with begin() as (ctx, actor):
            return act(ctx, actor, case_id)  # a clean exit commits this case alone
    except DomainError as exc:  # rolled back: this case is as it was
        return _refused(begin, case_id, exc)
    except (StaleDataError, OperationalError):
        # Another write to the same row won (optimistic version check), or the database
        # gave up waiting for its lock. Earlier cases are committed, so report, not raise.
        log.warning("bulk action on case %s lost a race with another write; rolled back", case_id, exc_info=True)
        return CaseOutcome(case_id, Result.REFUSED, "changed_meanwhile",
                           "The case was being changed by someone else at the same moment, so nothing was done to "
                           "it. Try it again.")


def _refused(begin: Begin, case_id: str, exc: DomainError) -> CaseOutcome:
    holder = since = None
    assignee_id = exc.detail.get("assignee_id")
    if exc.code == "assigned_to_another_reviewer" and isinstance(assignee_id, str):
        holder, since = _held_by(begin, case_id, assignee_id)
    return CaseOutcome(case_id, Result.REFUSED, exc.code, exc.message, holder=holder, holder_since=since)


def _held_by(begin: Begin, case_id: str, assignee_id: str) -> tuple[Optional[str], Optional[dt.datetime]]:
    """Who holds the case and since when: the newest "assigned" event, if it gave the case
    to them (they may instead hold it by asking a party, or by deciding it). Read only for
    staff: the refusal naming an assignee is only given to staff."""
    try:
        with begin() as (ctx, _actor):
            name = ctx.session.scalar(select(User.name).where(User.id == assignee_id))
            last = ctx.session.execute(  # ix_case_events_case_seq, newest first, this case's events only
                select(CaseEvent.created_at, CaseEvent.data)
                .where(CaseEvent.case_id == case_id, CaseEvent.action == "assigned")
                .order_by(CaseEvent.seq.desc()).limit(1)).first()
    except DomainError:
        return None, None
    since = last.created_at if last is not None and (last.data or {}).get("assignee_id") == assignee_id else None
    return name, since
