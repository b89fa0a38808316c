"""What a case action did, returned by every action in `opening`, `party` and `review`:
the case as it now is, the money movements it recorded and the emails it queued. The
API and the screens decide from it whether to move money now (`settle`) and word their
answers from it, instead of knowing which actions move money.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

from data.models import Case, MoneyMovement, OutboxEmail
from dashboard.lifecycle import Applied


@dataclass(frozen=True)
class ActionResult:
    case: Case
    movements: tuple[MoneyMovement, ...] = ()
    emails: tuple[OutboxEmail, ...] = ()

    @property
    def final(self) -> bool:
        """The case is closed for good: nothing can change its outcome any more."""
        return bool(self.case.final)

    @property
    def settle(self) -> bool:
        """Money was recorded: move it right after the commit (the scheduler retries)."""
        return bool(self.movements)

    @property
    def case_id(self) -> str:
        return self.case.id


def result(case: Case, *steps: Optional[Applied], movements: Iterable[Optional[MoneyMovement]] = ()) -> ActionResult:
    """The result of an action that applied `steps` and recorded `movements` (None: none)."""
    return ActionResult(
        case=case,
        movements=tuple(m for m in movements if m is not None),
        emails=tuple(email for step in steps if step is not None for email in step.emails),
    )
