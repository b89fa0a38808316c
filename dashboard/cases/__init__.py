"""Case actions: each is one user (or system) action, taking a `Ctx` and flushing;
the caller owns the transaction. Import the functions from the submodules:

- `opening.open_case`
- `party`: accept, deny, merchant_request_info, reply, withdraw, appeal, add_evidence
- `review`: claim, assign, note, request_info_from, decide, final_decide
- `system`: escalate_overdue, expire_review_request, close_appeal_window, report_refunded
"""
