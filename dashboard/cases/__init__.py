"""Case actions: each is one user (or system) action, taking a `Ctx` and flushing;
the caller owns the transaction. Import the functions from the submodules:

- `actions`: the one action table (`ACTIONS`: name -> API route, domain function,
  input model) and `perform(ctx, actor=, case_id=, name=, body=)`, which the API routes
  and the case page both call
- `opening.open_case`
- `party`: accept, deny, merchant_request_info, reply, withdraw, appeal, add_evidence
- `review`: claim, assign, note, request_info_from, decide, final_decide
- `system`: escalate_overdue, expire_review_request, close_appeal_window, report_refunded
- `available`: available_actions and unavailable_reasons, read from the transition table
  (a reason is a `lifecycle.Refusal`: code, sentence, and the moment as data, which
  `Refusal.said` words in a viewer's time zone)
- `consequences`: what an action would do before it runs (money, finality, whether it
  can be appealed, whether it uses the case's one appeal)
- `wording.required_message`: which actions must say something, and what
- `result.ActionResult`: what an opening, party or review action did (case, movements,
  emails; final, settle)

Who may do what, and when, is `dashboard.lifecycle.TRANSITIONS` with its guards; the
functions here check it (`check`) and carry out the change (`apply`).
"""
