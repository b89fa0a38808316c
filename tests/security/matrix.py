"""The authorisation matrix (issue 8, SPEC §1 and §11): for every route, page and Dash
callback the app registers, what each role gets.

    allowed  the caller gets the answer and the object's data (2xx; for an action on a
             case: past every permission check — done, or 409 when the case's state
             forbids it right now, which is the same answer its rightful owner gets)
    refused  401/403/404, a redirect to /login, or the callback's "not for you" / empty
             answer; none of the object's data in it, nothing changed
    own      allowed on the caller's own object (creator: their company's case, file,
             rows; customer: their own case, payment, file), refused on another
             company's / customer's one (404 or nothing), checked both ways

Roles: anonymous (no session, no token), customer, creator, reviewer, manager,
integration (API tokens only: it cannot sign in to the screens, so every screen,
callback and session route is refused to it).

Keys: `METHOD /rule` for Flask rules (as `server.url_map` spells them), `page /path` for
`dash.page_registry`, `callback module.function` for server callbacks and
`clientside <output>` for browser-only callbacks. tests/security/test_matrix.py fails
for a registered route/page/callback without an entry here, and for an entry that no
longer exists.
"""
from __future__ import annotations

ROLES = ("anonymous", "customer", "creator", "reviewer", "manager", "integration")
A, R, O = "allowed", "refused", "own"


def row(anonymous=R, customer=R, creator=R, reviewer=R, manager=R, integration=R) -> dict[str, str]:
    return {"anonymous": anonymous, "customer": customer, "creator": creator, "reviewer": reviewer,
            "manager": manager, "integration": integration}


EVERYONE = row(A, A, A, A, A, A)
NOBODY = row()
SIGNED_IN = row(R, A, A, A, A, R)          # screens: any signed-in person (integration cannot sign in)
PARTIES_OWN_STAFF = row(R, O, O, A, A, R)  # an object of a case: its parties, and the platform
STAFF = row(R, R, R, A, A, R)
MANAGER = row(R, R, R, R, A, R)
INTEGRATION = row(integration=A)
CUSTOMER_OWN = row(customer=O)
CREATOR_OWN = row(creator=O)

MATRIX: dict[str, dict[str, str]] = {
    # ------------------------------------------------------------------ JSON API (§11)
    "GET /api/v1": NOBODY,                                   # unknown API path: 404 (401 without a token)
    "GET /api/v1/<path:_path>": NOBODY,
    "GET /api/v1/openapi.json": EVERYONE,
    "GET /api/v1/resolution_center_cases": PARTIES_OWN_STAFF,
    "POST /api/v1/resolution_center_cases": CUSTOMER_OWN,    # on their own payment only
    "GET /api/v1/resolution_center_cases/summary": PARTIES_OWN_STAFF,  # counts only what they may see
    "GET /api/v1/resolution_center_cases/<case_id>": PARTIES_OWN_STAFF,
    "GET /api/v1/resolution_center_cases/<case_id>/events": PARTIES_OWN_STAFF,
    "POST /api/v1/resolution_center_cases/<case_id>/accept": CREATOR_OWN,
    "POST /api/v1/resolution_center_cases/<case_id>/deny": CREATOR_OWN,
    "POST /api/v1/resolution_center_cases/<case_id>/request_info": row(creator=O, reviewer=A, manager=A),
    "POST /api/v1/resolution_center_cases/<case_id>/reply": row(customer=O, creator=O),
    "POST /api/v1/resolution_center_cases/<case_id>/appeal": row(customer=O, creator=O),
    "POST /api/v1/resolution_center_cases/<case_id>/withdraw": CUSTOMER_OWN,
    # staff attach evidence too (lifecycle: ADD_EVIDENCE for the platform party in open stages)
    "POST /api/v1/resolution_center_cases/<case_id>/evidence": row(customer=O, creator=O, reviewer=A, manager=A),
    "POST /api/v1/resolution_center_cases/<case_id>/claim": STAFF,
    "POST /api/v1/resolution_center_cases/<case_id>/assign": MANAGER,  # to another reviewer: managers only
    "POST /api/v1/resolution_center_cases/<case_id>/notes": STAFF,
    "POST /api/v1/resolution_center_cases/<case_id>/decision": STAFF,
    "POST /api/v1/resolution_center_cases/<case_id>/final_decision": STAFF,
    "POST /api/v1/files": row(R, A, A, A, A, R),
    "PUT /api/v1/files/<file_id>/upload/<token>": row(R, O, O, O, O, R),  # the secret URL is the credential
    "GET /api/v1/files/<file_id>": PARTIES_OWN_STAFF,
    "GET /api/v1/files/<file_id>/content": PARTIES_OWN_STAFF,
    "GET /api/v1/payments": CUSTOMER_OWN,
    "GET /api/v1/metrics": MANAGER,
    "POST /api/v1/companies": INTEGRATION,
    "GET /api/v1/companies/<company_id>": row(creator=O, reviewer=A, manager=A, integration=A),
    "POST /api/v1/companies/<company_id>/payment_controls": row(creator=O, reviewer=A, manager=A),
    "POST /api/v1/users": INTEGRATION,
    "POST /api/v1/payments": INTEGRATION,
    "POST /api/v1/payments/<payment_id>/refunded": INTEGRATION,
    # Webhooks (issue 11): a creator's own company's; the platform (staff, integration) every one.
    "POST /api/v1/webhooks": row(creator=O, reviewer=A, manager=A, integration=A),
    "GET /api/v1/webhooks": row(creator=O, reviewer=A, manager=A, integration=A),
    "GET /api/v1/webhooks/<webhook_id>": row(creator=O, reviewer=A, manager=A, integration=A),
    "PATCH /api/v1/webhooks/<webhook_id>": row(creator=O, reviewer=A, manager=A, integration=A),
    "DELETE /api/v1/webhooks/<webhook_id>": row(creator=O, reviewer=A, manager=A, integration=A),
    # ------------------------------------------------------- session routes and files
    "GET /healthz": EVERYONE,
    "GET /login": EVERYONE,
    "POST /login": row(R, A, A, A, A, R),                    # anonymous: a wrong password; integration: no screens
    "GET /logout": row(R, A, A, A, A, R),                    # the sign-out form (nobody signed in: to /login)
    "POST /logout": EVERYONE,                                # signs the caller out (anonymous: nothing to do)
    "GET /files/<file_id>": PARTIES_OWN_STAFF,
    "GET /metrics/export.csv": MANAGER,
    "GET /audit/export.csv": MANAGER,
    "GET /vendor/<name>": EVERYONE,                          # Bootstrap's CSS, before sign-in too
    "GET /vendor/fonts/<path:name>": EVERYONE,
    "GET /assets/<path:filename>": NOBODY,                   # no assets folder: 404 (302 anonymously)
    # ------------------------------------------------------------ Dash's own routes
    "GET /": SIGNED_IN,
    "GET /<path:path>": NOBODY,                              # a path that is no page: the 404 page
    "GET /_dash-layout": SIGNED_IN,
    "GET /_dash-dependencies": SIGNED_IN,
    "POST /_dash-update-component": SIGNED_IN,               # what each callback answers: entries below
    "GET /_dash-component-suites/<string:package_name>/<path:fingerprinted_path>": SIGNED_IN,
    "GET /_favicon.ico": SIGNED_IN,
    "GET /_reload-hash": SIGNED_IN,
    # ----------------------------------------- pages: skeletons; their data is the callbacks'
    "page /": SIGNED_IN,
    "page /queue": SIGNED_IN,
    "page /cases/<case_id>": SIGNED_IN,
    "page /company": SIGNED_IN,
    "page /my-cases": SIGNED_IN,
    "page /metrics": SIGNED_IN,
    "page /deliveries": SIGNED_IN,
    "page /audit": SIGNED_IN,
    "page /search": SIGNED_IN,
    "page /customers/<customer_id>": SIGNED_IN,               # staff views: the data is the callbacks'
    "page /companies/<company_id>": SIGNED_IN,
    "page /team": SIGNED_IN,
    "page /replies": SIGNED_IN,
    "page /notifications": SIGNED_IN,                        # staff notifications: the data is the callbacks'
    "page /404": NOBODY,                                     # answers 404 to everyone
    # ------------------------------------------------------------------ callbacks
    "callback callbacks.case.render_case": PARTIES_OWN_STAFF,
    "callback callbacks.case.show_earlier_events": PARTIES_OWN_STAFF,
    "callback callbacks.case.follow_choice": SIGNED_IN,      # form shape from the chosen action: no data
    "callback callbacks.case.follow_outcome": SIGNED_IN,
    "callback callbacks.case.follow_final_decision": SIGNED_IN,
    "callback callbacks.case.list_chosen_files": SIGNED_IN,
    "callback callbacks.case.clear_chosen_files": SIGNED_IN,
    "callback callbacks.case_actions.submit_action": PARTIES_OWN_STAFF,   # a party's or staff's own action
    "callback callbacks.case_actions.confirm_action": PARTIES_OWN_STAFF,
    "callback callbacks.case_actions.cancel_confirmation": SIGNED_IN,
    "callback callbacks.case_actions.follow_fields": SIGNED_IN,  # submit ready or not from the fields: no data
    "callback callbacks.case_actions.clear_for_new_audience": SIGNED_IN,  # empties the box's own text: no data
    "callback callbacks.company.load_worklists": CREATOR_OWN,
    "callback callbacks.company.load_kpis": CREATOR_OWN,
    "callback callbacks.company.grid_rows": CREATOR_OWN,
    "callback callbacks.deliveries.load_deliveries": STAFF,
    "callback callbacks.deliveries.retry_delivery": STAFF,
    "callback callbacks.metrics.metrics_overview": MANAGER,
    "callback callbacks.metrics.metrics_volume": MANAGER,
    "callback callbacks.metrics.metrics_breakdowns": MANAGER,
    "callback callbacks.metrics.metrics_company_options": MANAGER,
    "callback callbacks.metrics_sla.metrics_sla": MANAGER,
    "callback callbacks.metrics_sla.metrics_forecast": MANAGER,
    "callback callbacks.my_cases.load_cases": CUSTOMER_OWN,
    "callback callbacks.my_cases.load_payments": CUSTOMER_OWN,
    "callback callbacks.my_cases.open_form": CUSTOMER_OWN,
    "callback callbacks.my_cases.close_form": SIGNED_IN,
    "callback callbacks.my_cases.follow_fields": SIGNED_IN,      # submit ready or not from the fields: no data
    "callback callbacks.my_cases.submit_case": CUSTOMER_OWN,
    "callback callbacks.company_webhooks.load_webhooks": CREATOR_OWN,
    "callback callbacks.company_webhooks.create_webhook": row(creator=A),   # always for the creator's own company
    "callback callbacks.company_webhooks.toggle_webhook": row(creator=O, reviewer=A, manager=A),
    "callback callbacks.company_webhooks.send_test": row(creator=O, reviewer=A, manager=A),
    "callback callbacks.company_webhooks.ask_delete": row(creator=O, reviewer=A, manager=A),
    "callback callbacks.company_webhooks.confirm_delete": row(creator=O, reviewer=A, manager=A),
    "callback callbacks.deliveries.load_webhook_deliveries": STAFF,
    "callback callbacks.auto_refund.load_thresholds": row(creator=O, reviewer=A, manager=A),
    "callback callbacks.auto_refund.save_thresholds": row(creator=O, reviewer=A, manager=A),
    "callback callbacks.queue.show_queue": STAFF,
    "callback callbacks.queue.refresh_counts": STAFF,
    "callback callbacks.queue.load_rows": STAFF,
    "callback callbacks.queue_bulk.assign_menu": MANAGER,
    "callback callbacks.queue_bulk.claim_selected": STAFF,
    "callback callbacks.queue_bulk.assign_selected": MANAGER,
    "callback callbacks.queue_bulk.note_selected": STAFF,    # one internal note on each selected case
    "callback callbacks.queue.open_case": SIGNED_IN,         # a grid click -> /cases/<id>: navigation only
    "callback callbacks.queue.tab_hint": SIGNED_IN,
    "callback callbacks.queue.keep_url": SIGNED_IN,          # the grid's view -> the URL: echoes what it is sent
    "callback callbacks.queue.follow_url": SIGNED_IN,        # the URL's view -> the grid: cleaned, no data
    "callback callbacks.saved_views.list_views": STAFF,      # a person's own saved views only
    "callback callbacks.saved_views.open_view": STAFF,
    "callback callbacks.saved_views.open_dialog": STAFF,
    "callback callbacks.saved_views.submit_view": STAFF,
    "callback callbacks.saved_views.delete_view": STAFF,
    "callback callbacks.audit.load_audit": MANAGER,
    "callback callbacks.team.load_team": MANAGER,           # who is on duty, everyone's open cases
    "callback callbacks.team.team_chart": MANAGER,
    "callback callbacks.team.save_duty": MANAGER,           # put someone on or off duty, set a capacity
    "callback callbacks.search.search_cases": STAFF,         # any case, open or closed: staff only
    # Staff notifications: each person's own; another's notification id is refused (404)
    "callback callbacks.notifications.refresh_bell": STAFF,
    "callback callbacks.notifications.open_from_bell": STAFF,
    "callback callbacks.notifications.mark_all_from_bell": STAFF,
    "callback callbacks.notifications.show_page": STAFF,
    "callback callbacks.notifications.turn_page": SIGNED_IN,  # hands back the cursor it was sent: no data
    "callback callbacks.notifications.open_from_page": STAFF,
    "callback callbacks.notifications.mark_all_on_page": STAFF,
    "callback callbacks.notifications.save_mode": STAFF,
    "callback callbacks.search.turn_page": SIGNED_IN,        # hands back the cursor it was sent: no data
    "callback callbacks.staff_views.load_customer": STAFF,   # any customer, across companies: staff only
    "callback callbacks.staff_views.load_company": STAFF,
    "callback callbacks.staff_views.customer_cases_page": STAFF,
    "callback callbacks.staff_views.customer_payments_page": STAFF,
    "callback callbacks.staff_views.company_cases_page": STAFF,
    "callback callbacks.staff_views.company_payments_page": STAFF,
    # Saved replies: the platform's for staff (managers change them), a company's for its creators only.
    "callback callbacks.replies.show_replies": row(creator=O, reviewer=A, manager=A),
    "callback callbacks.replies.open_reply": row(creator=O, manager=A),   # into the form: their keepers only
    "callback callbacks.replies.preview_reply": SIGNED_IN,   # the typed text with example values: no data
    "callback callbacks.replies.save_reply": row(creator=O, manager=A),
    "callback callbacks.replies.ask_delete": row(creator=O, manager=A),
    "callback callbacks.replies.delete_reply": row(creator=O, manager=A),
    "callback callbacks.replies.keep_reply": SIGNED_IN,      # closes the dialog: no data
    "callback callbacks.canned_insert.offer_replies": row(creator=O, reviewer=A, manager=A),  # on a case they see
    "callback callbacks.canned_insert.insert_reply": row(creator=O, reviewer=A, manager=A),
    # browser-only: the server has no handler; posting one answers no data to anyone
    "clientside my-cases-counter.children": NOBODY,
    "clientside my-cases-files.children": NOBODY,
    "clientside queue-grid-sync.data": NOBODY,
    "clientside ..queue-claim.disabled...queue-assign.disabled...queue-note-open.disabled...queue-selected.children"
    "...queue-note-title.children..": NOBODY,                # what the selection allows, in the browser
    "clientside queue-note-dialog.is_open": NOBODY,          # the note dialog opens and closes in the browser
    "clientside ..queue-grid.columnDefs...queue-grid.dashGridOptions..": NOBODY,      # phone cards
    "clientside queue-applied.data": NOBODY,                 # a view's sort and filters onto the grid
    "clientside ..company-grid.columnDefs...company-grid.dashGridOptions..": NOBODY,  # phone cards
}
