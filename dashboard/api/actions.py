"""Acting on a case: the published party actions and our staff extensions (SPEC §11).

One route per entry of the action table (`dashboard.cases.actions.ACTIONS`):
`POST /resolution_center_cases/<case_id>/<route>` reads the JSON body, and `perform`
validates it with the action's input model and runs the domain function, which locks
the case row, checks the transition table and answers 403 (this role can never do
that) or 409 (not now). When the action recorded money movements they are moved right
after the commit (`CaseResult.settle`, from the action's result).
"""
from __future__ import annotations

from data.models import User
from dashboard.api.params import json_body
from dashboard.api.routing import CaseResult, endpoint
from dashboard.cases.actions import ACTIONS, ActionSpec, perform
from dashboard.context import Ctx

CASE = "/resolution_center_cases/<case_id>"
POST = ("POST",)


def _route(spec: ActionSpec) -> None:
    name = spec.name.value

    def act(ctx: Ctx, user: User, case_id: str) -> CaseResult:
        done = perform(ctx, actor=user, case_id=case_id, name=name, body=json_body())
        return CaseResult(case_id, settle=done.settle)

    act.__name__ = act.__qualname__ = f"case_{spec.route}"
    act.__doc__ = spec.input.__doc__
    endpoint(f"{CASE}/{spec.route}", methods=POST)(act)


for _spec in ACTIONS.values():
    _route(_spec)
