"""Every API failure: `{"error": {"code", "message", ...}}`."""
from __future__ import annotations

from typing import Optional

from pydantic import ConfigDict

from dashboard.api.schemas.cases import ResolutionCenterCase
from dashboard.api.schemas.common import Answer


class ErrorBody(Answer):
    """`code` is stable and machine-readable; a detail names what was wrong (`field`,
    `parameter`, ...); a 409 on a case carries the case as it is now."""

    model_config = ConfigDict(extra="allow")

    code: str
    message: str
    field: Optional[str] = None
    parameter: Optional[str] = None
    case: Optional[ResolutionCenterCase] = None


class Error(Answer):
    error: ErrorBody
