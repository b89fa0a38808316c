"""Every Dash component id that a layout and a callback share, one class per page.

A layout names a component with one of these and a callback listens to or writes the
same constant, so a typo is a NameError at import instead of a callback that silently
never fires. `tests/callbacks/test_ids.py` checks that every id a registered callback
uses exists in some layout.

This lives in `dashboard.components` rather than `pages/` because the components build
most of these ids (the case panels, the timeline, the navbar) and must not import the
pages; pages and callbacks both import components already.

The string values are part of the screens' contract: the browser tests, the callback
tests and the security matrix select by them. Change a value only with those.
"""
from __future__ import annotations

from typing import Any


class ShellIds:
    """The frame around every page (app.py and `components.shell`)."""

    URL = "url"
    NAV_USER = "nav-user"
    LOGOUT_FORM = "nav-logout-form"
    LOGOUT = "nav-logout"
    LOGOUT_CSRF = "nav-logout-csrf"
    NAV_TOGGLER = "nav-toggler"  # the menu button at phone width
    NAV_COLLAPSE = "nav-collapse"  # what it opens: the links, the user and Sign out
    SEARCH_FORM = "nav-search-form"  # staff only: a plain GET to /search?q=…
    SEARCH = "nav-search"
    SEARCH_SUBMIT = "nav-search-submit"

    @staticmethod
    def nav_link(href: str) -> str:
        """'/my-cases' -> 'nav-my-cases'."""
        return f"nav-{href.strip('/')}"


class CaseIds:
    """`/cases/<case_id>`: the skeleton (`pages/case.py`), what `callbacks/case.py` renders
    into CONTENT (`components.case_panels`, `components.timeline`), and the action form."""

    # The skeleton
    PAGE = "case-page"
    ID = "case-id"  # Store: the case id from the path (only a key; the callbacks load with the user)
    REFRESH = "case-refresh"  # Store: bumped after an action to re-render
    FEEDBACK = "case-feedback"
    CONTENT = "case-content"
    CONFIRM = "case-confirm"
    CONFIRM_TITLE = "case-confirm-title"
    CONFIRM_BODY = "case-confirm-body"
    CONFIRM_CANCEL = "case-confirm-cancel"
    CONFIRM_OK = "case-confirm-ok"
    TOAST = "case-toast"

    # Feedback the actions put into FEEDBACK
    ERROR = "case-error"
    CONFLICT = "case-conflict"

    # The rendered case
    VIEW = "case-view"
    HEADER = "case-header"
    ID_LABEL = "case-id-label"
    STATUS = "case-status"
    DEADLINE = "case-deadline"
    OUTCOME = "case-outcome"
    JUMP_ACTIONS = "case-jump-actions"
    PAYMENT = "case-payment"
    PARTIES = "case-parties"
    MONEY = "case-money"
    CONTEXT = "case-context"
    OTHER_CASES = "case-other-cases"
    DISPUTE_RATE = "case-dispute-rate"
    EVIDENCE = "case-evidence"
    EMAILS = "case-emails"

    # The timeline
    TIMELINE = "case-timeline"
    TIMELINE_LIST = "case-timeline-list"
    TIMELINE_BEFORE = "case-timeline-before"  # Store: keyset position of the page before
    TIMELINE_EARLIER = "case-timeline-earlier"

    @staticmethod
    def event(event_id: Any) -> str:
        return f"case-event-{event_id}"

    # The action form
    ACTIONS = "case-actions"
    NO_ACTIONS = "case-no-actions"
    ASSIGNED_ELSEWHERE = "case-assigned-elsewhere"
    FORM_META = "case-form-meta"  # Store: per-action form settings for this viewer
    ACT_CHOICE = "case-act-choice"
    ACT_HINT = "case-act-hint"
    ACT_PARTY_GROUP = "case-act-party-group"
    ACT_PARTY = "case-act-party"
    ACT_REVIEWER_GROUP = "case-act-reviewer-group"
    ACT_REVIEWER = "case-act-reviewer"
    DECIDE_GROUP = "case-decide-group"
    DECIDE_OUTCOME = "case-decide-outcome"
    DECIDE_AMOUNT_GROUP = "case-decide-amount-group"
    DECIDE_AMOUNT = "case-decide-amount"
    FINAL_GROUP = "case-final-group"
    FINAL_DECISION = "case-final-decision"
    FINAL_REMEDY_GROUP = "case-final-remedy-group"
    FINAL_REMEDY = "case-final-remedy"
    FINAL_AMOUNT = "case-final-amount"
    FINAL_NEEDS_REMEDY = "case-final-needs-remedy"  # Store
    ACT_MESSAGE_GROUP = "case-act-message-group"
    ACT_MESSAGE_LABEL = "case-act-message-label"
    ACT_MESSAGE = "case-act-message"
    ACT_UPLOAD_GROUP = "case-act-upload-group"
    ACT_UPLOAD = "case-act-upload"
    ACT_FILES = "case-act-files"
    ACT_FILES_CLEAR = "case-act-files-clear"
    ACT_SUBMIT = "case-act-submit"
    ACT_SUBMIT_HELP = "case-act-submit-help"  # what is still missing before the button is ready
    ACT_REASONS = "case-act-reasons"  # why the actions the viewer could expect are not offered
    # Each field's own error, under it
    ACT_MESSAGE_ERROR = "case-act-message-error"
    ACT_UPLOAD_ERROR = "case-act-upload-error"
    DECIDE_AMOUNT_ERROR = "case-decide-amount-error"
    FINAL_REMEDY_ERROR = "case-final-remedy-error"
    FINAL_AMOUNT_ERROR = "case-final-amount-error"
    # Who reads the message of the action last chosen (Store), and the line saying it was cleared
    ACT_AUDIENCE = "case-act-audience"
    ACT_MESSAGE_CLEARED = "case-act-message-cleared"
    # The platform's decide-by (dashboard/sla.py), staff only
    DECIDE_BY = "case-decide-by"


class QueueIds:
    """`/queue` (`pages/queue.py`, `callbacks/queue.py`)."""

    LOAD = "queue-load"
    REFRESH = "queue-refresh"  # Store: bumped after a claim or an assignment
    GRID_SYNC = "queue-grid-sync"
    GRID_CURSORS = "queue-grid-cursors"
    INTERVAL = "queue-interval"
    GATE = "queue-gate"
    BODY = "queue-body"
    REFRESHED_AT = "queue-refreshed-at"
    REFRESH_BUTTON = "queue-refresh-button"
    TABS = "queue-tabs"
    TAB_HINT = "queue-tab-hint"
    ASSIGNED = "queue-assigned"
    SELECTED = "queue-selected"
    CLAIM = "queue-claim"
    ASSIGN_CONTROLS = "queue-assign-controls"
    ASSIGN_REVIEWER = "queue-assign-reviewer"
    ASSIGN = "queue-assign"
    FEEDBACK = "queue-feedback"
    GRID = "queue-grid"
    # The view in the URL (callbacks/queue.py): the page's own Location (refresh=False, so
    # a change is a history entry, not a new page), what it holds, and a view to apply.
    URL = "queue-url"
    VIEW_STATE = "queue-view-state"
    APPLY = "queue-apply"
    APPLIED = "queue-applied"  # the clientside step's (unused) output
    # Saved views (callbacks/saved_views.py).
    VIEWS = "queue-views"
    VIEW_SAVE = "queue-view-save"
    VIEW_RENAME = "queue-view-rename"
    VIEW_DELETE = "queue-view-delete"
    VIEW_DIALOG = "queue-view-dialog"
    VIEW_DIALOG_TITLE = "queue-view-dialog-title"
    VIEW_MODE = "queue-view-mode"
    VIEW_NAME = "queue-view-name"
    VIEW_NAME_ERROR = "queue-view-name-error"
    VIEW_SUBMIT = "queue-view-submit"
    VIEW_CANCEL = "queue-view-cancel"
    VIEW_FEEDBACK = "queue-view-feedback"
    # Bulk actions on the selection (components/queue_toolbar.py, callbacks/queue_bulk.py).
    NOTE_OPEN = "queue-note-open"
    NOTE_DIALOG = "queue-note-dialog"
    NOTE_TITLE = "queue-note-title"
    NOTE_TEXT = "queue-note-text"
    NOTE_ERROR = "queue-note-error"
    NOTE_SUBMIT = "queue-note-submit"
    NOTE_CANCEL = "queue-note-cancel"

    @staticmethod
    def tab(tab: str) -> str:
        return f"queue-tab-{tab}"


class CompanyIds:
    """`/company` (`pages/company.py`, `callbacks/company.py`)."""

    LOAD = "company-load"
    GRID_CURSORS = "company-grid-cursors"
    SUBTITLE = "company-subtitle"
    ALERT = "company-alert"
    BODY = "company-body"
    KPIS = "company-kpis"
    NEEDS = "company-needs"
    NEEDS_COUNT = "company-needs-count"
    NEEDS_TABLE = "company-needs-table"
    APPEALS = "company-appeals"
    APPEALS_COUNT = "company-appeals-count"
    APPEALS_TABLE = "company-appeals-table"
    GRID = "company-grid"
    OUTCOME_DONUT = "company-outcome-donut"
    KPI_MEDIAN = "company-kpi-median"
    KPI_RATE = "company-kpi-rate"
    KPI_ESCALATED = "company-kpi-escalated"
    KPI_REFUNDED = "company-kpi-refunded"


class MyCasesIds:
    """`/my-cases` (`pages/my_cases.py`, `callbacks/my_cases.py`)."""

    LOAD = "my-cases-load"
    PAYMENT = "my-cases-payment"  # Store: the payment the form is open for (only a key)
    FORM_TITLE = "my-cases-form-title"  # the open-a-case dialog's title (names the dialog)
    ALERT = "my-cases-alert"
    BODY = "my-cases-body"
    CASES = "my-cases-cases"
    CASES_PAGER = "my-cases-cases-pager"
    CASES_PAGER_TEXT = "my-cases-cases-pager-text"
    CASES_TABLE = "my-cases-cases-table"
    PAYMENTS = "my-cases-payments"
    PAYMENTS_PAGER = "my-cases-payments-pager"
    PAYMENTS_PAGER_TEXT = "my-cases-payments-pager-text"
    PAYMENTS_HINT = "my-cases-payments-hint"
    PAYMENTS_TABLE = "my-cases-payments-table"
    # The open-a-case form
    MODAL = "my-cases-modal"
    FORM_PAYMENT = "my-cases-form-payment"
    FORM_ALERT = "my-cases-form-alert"
    FORM_FIELDS = "my-cases-form-fields"
    REASON = "my-cases-reason"
    MESSAGE = "my-cases-message"
    COUNTER = "my-cases-counter"
    UPLOAD = "my-cases-upload"
    FILES = "my-cases-files"
    RESULT = "my-cases-result"
    CANCEL = "my-cases-cancel"
    SUBMIT = "my-cases-submit"
    NEW_CASE_LINK = "my-cases-new-case-link"
    OPENABLE = "my-cases-openable"  # Store: whether the payment the form is for may get a case
    SUBMIT_HELP = "my-cases-submit-help"  # what is still missing before the form can be sent
    # Each field's own error, under it
    REASON_ERROR = "my-cases-reason-error"
    MESSAGE_ERROR = "my-cases-message-error"
    UPLOAD_ERROR = "my-cases-upload-error"

    OPEN = "my-cases-open"  # type of the per-payment "Open a case" buttons

    @staticmethod
    def pager_text(pager_id: str) -> str:
        """The text beside a pager: 'my-cases-cases-pager' -> 'my-cases-cases-pager-text'."""
        return f"{pager_id}-text"

    @staticmethod
    def open_button(payment: Any) -> dict:
        """The "Open a case" button of one payment; `payment=dash.ALL` to match them all."""
        return {"type": MyCasesIds.OPEN, "payment": payment}


class DeliveriesIds:
    """`/deliveries` (`pages/deliveries.py`, `callbacks/deliveries.py`)."""

    REFRESH = "deliveries-refresh"
    ALERT = "deliveries-alert"
    ACTION_ALERT = "deliveries-action-alert"
    CHANGED = "deliveries-changed"  # Store: bumped after a retry
    BODY = "deliveries-body"
    STATUS = "deliveries-status"
    EMAILS = "deliveries-emails"
    EMAIL_TABLE = "deliveries-email-table"
    PAGER = "deliveries-pager"
    PAGER_TEXT = "deliveries-pager-text"
    MONEY = "deliveries-money"
    MONEY_COUNT = "deliveries-money-count"
    MONEY_TABLE = "deliveries-money-table"

    RETRY = "deliveries-retry"  # type of the per-row Retry buttons

    @staticmethod
    def retry_button(kind: Any, row_id: Any) -> dict:
        """The Retry button of one failed email or movement; `dash.ALL` to match them all."""
        return {"type": DeliveriesIds.RETRY, "kind": kind, "id": row_id}


class MetricsIds:
    """`/metrics` (`pages/metrics.py`, `callbacks/metrics.py`, `components.charts`)."""

    EXPORT = "metrics-export"
    ALERT = "metrics-alert"
    BODY = "metrics-body"
    DATES = "metrics-dates"
    COMPANIES = "metrics-companies"
    PROVIDERS = "metrics-providers"
    REASONS = "metrics-reasons"
    BUCKET = "metrics-bucket"
    KPIS = "metrics-kpis"
    VOLUME = "metrics-volume"
    STACK = "metrics-stack"
    OUTCOMES = "metrics-outcomes"
    FIRST_RESPONSE = "metrics-first-response"
    RESOLUTION = "metrics-resolution"
    RATES = "metrics-rates"
    MONEY = "metrics-money"
    TABS = "metrics-tabs"
    BY_COMPANY = "metrics-by-company"
    BY_PROVIDER = "metrics-by-provider"
    BY_REASON = "metrics-by-reason"
    # The SLA section and the staffing forecast (callbacks/metrics_sla.py).
    SLA_NOTE = "metrics-sla-note"
    SLA_OPEN = "metrics-sla-open"
    SLA_KPIS = "metrics-sla-kpis"
    SLA_WEEKLY = "metrics-sla-weekly"
    SLA_REVIEWERS = "metrics-sla-reviewers"
    SLA_REVIEWERS_TABLE = "metrics-sla-reviewers-table"
    FORECAST = "metrics-forecast"
    FORECAST_NOTE = "metrics-forecast-note"
    FORECAST_LOAD = "metrics-forecast-load"  # a Store: its initial value loads the forecast once

    @staticmethod
    def kpi(key: str) -> str:
        return f"metrics-kpi-{key}"

    @staticmethod
    def breakdown_bar(what: str) -> str:
        return f"metrics-bar-{what}"

    @staticmethod
    def breakdown_table(what: str) -> str:
        return f"metrics-table-{what}"


class AuditIds:
    """`/audit` (`pages/audit.py`, `callbacks/audit.py`)."""

    EXPORT = "audit-export"
    ALERT = "audit-alert"
    BODY = "audit-body"
    KINDS = "audit-kinds"
    DATES = "audit-dates"
    TABLE = "audit-table"
    EVENTS_TABLE = "audit-events-table"
    PAGER = "audit-pager"
    PAGER_TEXT = "audit-pager-text"


class SearchIds:
    """`/search` (staff): the query from the URL, the page shown and the one after it."""

    QUERY = "search-query"  # Store: `q` from the URL (only a key; the callback searches as the user)
    AFTER = "search-after"  # Store: the cursor of the page shown (None: the first page)
    NEXT_CURSOR = "search-next-cursor"  # Store: the cursor of the page after it
    ALERT = "search-alert"
    RESULTS = "search-results"
    TABLE = "search-table"
    NEXT = "search-next"
    FIRST = "search-first"


class RepliesIds:
    """`/replies` (`pages/replies.py`, `callbacks/replies.py`): saved replies — the list,
    and the form managers and creators edit them in."""

    EDITING = "replies-editing"  # Store: the template being edited (from ?edit=; only a key) or None
    LOAD = "replies-load"  # Store: bumped after a save or a delete to re-read the list
    INTRO = "replies-intro"
    LIST = "replies-list"
    TABLE = "replies-table"
    FORM = "replies-form"  # the form's card (hidden for reviewers, who only read)
    FORM_TITLE = "replies-form-title"
    EDIT_ALERT = "replies-edit-alert"
    NAME = "replies-name"
    NAME_ERROR = "replies-name-error"
    PURPOSE = "replies-purpose"
    PURPOSE_ERROR = "replies-purpose-error"
    BODY = "replies-body"
    BODY_ERROR = "replies-body-error"
    PREVIEW = "replies-preview"
    SAVE = "replies-save"
    DELETE = "replies-delete"
    FEEDBACK = "replies-feedback"
    CONFIRM_DELETE = "replies-confirm-delete"
    CONFIRM_DELETE_BODY = "replies-confirm-delete-body"
    CONFIRM_DELETE_OK = "replies-confirm-delete-ok"
    CONFIRM_DELETE_CANCEL = "replies-confirm-delete-cancel"


class CannedInsertIds:
    """The case page's "Insert reply…" beside the action form's message
    (`components.case_panels.action_panel`, `callbacks/canned_insert.py`)."""

    GROUP = "case-insert-reply-group"
    PICK = "case-insert-reply"
    FEEDBACK = "case-insert-reply-feedback"


class AutoRefundIds:
    """The auto-refund thresholds card (`components/auto_refund_form.py`,
    `callbacks/auto_refund.py`): on `/company` for its creators, on a staff company view."""

    COMPANY = "auto-refund-company"  # Store: the company shown (None on /company: the creator's own)
    CARD = "auto-refund-card"
    PAYPAL = "auto-refund-paypal"
    LOCKED = "auto-refund-locked"
    LOCK_ROW = "auto-refund-lock-row"
    STATE = "auto-refund-state"
    SAVE = "auto-refund-save"
    FEEDBACK = "auto-refund-feedback"


class NotificationIds:
    """Staff notifications: the navbar's bell (`components.shell.bell`) and `/notifications`
    (`pages/notifications.py`, `callbacks/notifications.py`).

    The bell's parts that callbacks use are pattern ids ({"rc-bell": part, "bell": "nav"}):
    the bell is only in a staff navbar, and the browser's id check (components.validation)
    is built from a signed-out frame; Dash does not require pattern ids to be in it."""

    BELL_BUTTON = "nav-bell"  # a plain id: the Popover's target, in no callback
    # The page
    ALERT = "notifications-alert"
    LIST = "notifications-list"
    AFTER = "notifications-after"  # Store: the cursor of the page shown (None: the first)
    NEXT_CURSOR = "notifications-next-cursor"  # Store: the cursor of the page after it
    NEXT = "notifications-next"
    FIRST = "notifications-first"
    MARK_ALL = "notifications-mark-all"
    RELOAD = "notifications-reload"  # Store: bumped after marking, to re-read the page
    MODE = "notifications-mode"
    MODE_SAVE = "notifications-mode-save"
    MODE_FEEDBACK = "notifications-mode-feedback"

    @staticmethod
    def bell(part: str, which: object = "nav") -> dict:
        """part: poll (Interval), badge, list, mark_all, reload (Store), popover. The
        callbacks pass the wildcard ALL as `which`."""
        return {"rc-bell": part, "bell": which}

    @staticmethod
    def bell_item(notification_id: int) -> dict:
        return {"rc-bell-item": "open", "id": notification_id}

    @staticmethod
    def page_item(notification_id: int) -> dict:
        return {"rc-notification": "open", "id": notification_id}


class WebhookIds:
    """The webhooks card (`components/webhooks_panel.py`, `callbacks/company_webhooks.py`)
    on `/company`, and the webhooks card of `/deliveries` (`callbacks/deliveries.py`)."""

    LOAD = "webhooks-load"  # Store: bumped after every change, to redraw the list
    LIST = "webhooks-list"
    URL = "webhooks-url"
    URL_ERROR = "webhooks-url-error"
    EVENTS = "webhooks-events"
    CREATE = "webhooks-create"
    SECRET = "webhooks-secret"  # the one-time secret, right after creating
    FEEDBACK = "webhooks-feedback"
    CONFIRM = "webhooks-confirm-delete"
    CONFIRM_BODY = "webhooks-confirm-delete-body"
    CONFIRM_OK = "webhooks-confirm-delete-ok"
    CONFIRM_CANCEL = "webhooks-confirm-delete-cancel"
    DELETING = "webhooks-deleting"  # Store: the webhook the dialog is about
    STAFF_LIST = "deliveries-webhooks"
    STAFF_EVENTS = "deliveries-webhook-events"
    STAFF_STATUS = "deliveries-webhook-status"

    TOGGLE, TEST, DELETE = "webhooks-toggle", "webhooks-test", "webhooks-delete"

    @staticmethod
    def row(kind: str, hook_id: Any) -> dict:
        """A per-webhook control (`kind` one of TOGGLE, TEST, DELETE); `dash.ALL` to match them all."""
        return {"type": kind, "id": hook_id}


__all__ = ["ShellIds", "CaseIds", "QueueIds", "CompanyIds", "MyCasesIds", "DeliveriesIds", "MetricsIds", "AuditIds",
           "SearchIds", "RepliesIds", "CannedInsertIds", "AutoRefundIds", "NotificationIds"]


class DecisionIds:
    """The staff case page's decision context (`components.decision_context`): precedent and
    risk, rendered into the case page by `callbacks/case.py` for staff only."""

    PRECEDENT = "case-precedent"
    OUTCOMES = "case-precedent-outcomes"
    OVERTURNS = "case-precedent-overturns"
    SIMILAR = "case-similar"
    RISK = "case-risk"
    RISK_FLAG = "case-risk-flag"
    RISK_CUSTOMER = "case-risk-customer"
    RISK_COMPANY = "case-risk-company"
    CUSTOMER_LINK = "case-customer-link"  # the customer's name in the parties panel: their staff view
    COMPANY_LINK = "case-company-link"


class StaffViewIds:
    """`/customers/<id>` and `/companies/<id>` (`pages/customer.py`, `pages/company_view.py`,
    `callbacks/staff_views.py`): staff views of one customer and one company. Each paged list
    has a Store with the cursor of the page shown and of the next one, and Next / First buttons."""

    CUSTOMER_ID = "customer-view-id"  # Store: the id from the path (only a key; the callbacks read as the user)
    CUSTOMER_BODY = "customer-view-body"
    CUSTOMER_SUMMARY = "customer-view-summary"
    CUSTOMER_CASES = "customer-view-cases"
    CUSTOMER_CASES_TABLE = "customer-view-cases-table"
    CUSTOMER_CASES_PAGE = "customer-view-cases-page"  # Store: {"at": cursor shown, "next": cursor after}
    CUSTOMER_CASES_NEXT = "customer-view-cases-next"
    CUSTOMER_CASES_FIRST = "customer-view-cases-first"
    CUSTOMER_PAYMENTS = "customer-view-payments"
    CUSTOMER_PAYMENTS_TABLE = "customer-view-payments-table"
    CUSTOMER_PAYMENTS_PAGE = "customer-view-payments-page"
    CUSTOMER_PAYMENTS_NEXT = "customer-view-payments-next"
    CUSTOMER_PAYMENTS_FIRST = "customer-view-payments-first"

    COMPANY_ID = "company-view-id"
    COMPANY_BODY = "company-view-body"
    COMPANY_SUMMARY = "company-view-summary"
    COMPANY_OUTCOMES = "company-view-outcomes"
    COMPANY_SPARKLINE = "company-view-sparkline"
    COMPANY_CASES = "company-view-cases"
    COMPANY_CASES_TABLE = "company-view-cases-table"
    COMPANY_CASES_PAGE = "company-view-cases-page"
    COMPANY_CASES_NEXT = "company-view-cases-next"
    COMPANY_CASES_FIRST = "company-view-cases-first"
    COMPANY_PAYMENTS = "company-view-payments"
    COMPANY_PAYMENTS_TABLE = "company-view-payments-table"
    COMPANY_PAYMENTS_PAGE = "company-view-payments-page"
    COMPANY_PAYMENTS_NEXT = "company-view-payments-next"
    COMPANY_PAYMENTS_FIRST = "company-view-payments-first"


__all__ += ["DecisionIds", "StaffViewIds"]


class TeamIds:
    """`/team` (managers; `pages/team.py`, `callbacks/team.py`): each reviewer's and manager's
    on-duty switch and capacity, their open cases, and the chart of open cases vs capacity."""

    LOAD = "team-load"  # Store: the page asks for its rows once
    SAVED = "team-saved"  # Store: bumped after a save, so the chart reads the new figures
    ALERT = "team-alert"
    BODY = "team-body"
    FEEDBACK = "team-feedback"  # the confirmation line after a save
    LIST = "team-list"
    CHART = "team-chart"
    DUTY = "team-duty"  # pattern {"type": DUTY, "user": <user id>}: the on-duty switch
    CAPACITY = "team-capacity"  # pattern {"type": CAPACITY, "user": <user id>}: the capacity box

    @staticmethod
    def duty(user_id) -> dict:
        return {"type": TeamIds.DUTY, "user": user_id}

    @staticmethod
    def capacity(user_id) -> dict:
        return {"type": TeamIds.CAPACITY, "user": user_id}


__all__ += ["TeamIds"]
