"""The screens' component ids live in `dashboard/components/ids.py` (one class per page):
the case panels, the timeline and the navbar build ids there and must not import
`pages`. Import them from there; this name only points the way (and re-exports them)."""
from dashboard.components.ids import (  # noqa: F401
    AuditIds,
    CaseIds,
    CompanyIds,
    DeliveriesIds,
    MetricsIds,
    MyCasesIds,
    QueueIds,
    ShellIds,
)
