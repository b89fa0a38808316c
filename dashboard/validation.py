"""Reading a request's input into a typed model, with our error codes (issue 12).

`parse(Model, data)` validates a JSON body (strictly: a number is never a string, `true`
is never an amount) or a query string (as text, `source="query"`) with a pydantic model
and turns the first problem into the `DomainError` the API has always answered:

- a required field absent, or null/blank where text is required: 422 `<name>_required`;
- a body field of the wrong type: 422 `invalid_field` ("'message' must be a string."),
  unless the field declares its own code with an `ErrorCode` marker
  (`Annotated[int | None, ErrorCode("invalid_amount", "...")]`);
- a bad query parameter: 400 `invalid_parameter` with `{"parameter": name}`;
- a validator that knows better raises `reject(message, code=..., status=...)`
  (e.g. a time outside what is stored: 400 `time_out_of_range`).

Value rules (a message's length, a reason's vocabulary, an amount's bounds) stay in the
domain: this only reads shapes. No Flask here; a query is anything with `getlist`
(werkzeug's MultiDict) or a plain mapping.
"""
from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Any, Literal, Optional, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

from dashboard.errors import DomainError, Invalid

M = TypeVar("M", bound=BaseModel)
Source = Literal["body", "query"]

REJECTED = "rc_rejected"  # the pydantic error type `reject` raises


@dataclass(frozen=True)
class ErrorCode:
    """Annotated marker: what a bad value of this field answers with. `{name}` in a
    message is the field's name. `status` None: 422 for a body, 400 for a query."""

    code: str
    message: Optional[str] = None
    status: Optional[int] = None
    required_message: Optional[str] = None  # when absent (default "'{name}' is required.")


def reject(message: str, *, code: Optional[str] = None, status: Optional[int] = None,
           detail_key: Optional[str] = None) -> PydanticCustomError:
    """For a validator to raise: its message wins over the field's; a `code` wins over
    the field's code too (a different rule, e.g. `time_out_of_range`)."""
    return PydanticCustomError(REJECTED, "{message}", {"message": message, "code": code, "status": status,
                                                       "detail_key": detail_key})


def parse(model: type[M], data: Any, *, source: Source = "body") -> M:
    """`data` as `model`, or the DomainError the API answers for the first problem."""
    if source == "query":
        data = query_values(model, data)
    elif data is None:
        data = {}
    try:
        return model.model_validate(data, strict=source == "body")
    except ValidationError as exc:
        raise domain_error(model, exc, source=source) from None


def query_values(model: type[BaseModel], args: Any) -> dict[str, Any]:
    """The model's parameters from a query string: a list field takes every value
    (`status=a&status=b`), a scalar its first; empty values count as absent."""
    values: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        key = field.alias or name
        if _is_list(field.annotation):
            got = args.getlist(key) if hasattr(args, "getlist") else _as_list(args.get(key))
            got = [v for v in got if v != ""]
            if got:
                values[key] = got
        else:
            value = args.get(key)
            if value not in (None, ""):
                values[key] = value
    return values


def domain_error(model: type[BaseModel], exc: ValidationError, *, source: Source) -> DomainError:
    """The one mapping from pydantic's errors to ours (the first error: fields are read
    in the order the model declares them, as the handlers read them before)."""
    err = exc.errors(include_url=False)[0]
    loc = err.get("loc") or ()
    if not loc:  # the body as a whole is not an object
        return DomainError("invalid_json", "The request body must be a JSON object.")
    name = str(loc[0])
    field = model.model_fields.get(name)
    marker = _marker(field)
    detail_key = "parameter" if source == "query" else "field"
    if err["type"] == "missing":
        message = (marker.required_message if marker and marker.required_message else "'{name}' is required.")
        return _error(f"{name}_required", message, name, 422 if source == "body" else 400, detail_key)
    ctx = err.get("ctx") or {}
    rejected = err["type"] == REJECTED
    if rejected and ctx.get("code") == "required":
        return _error(f"{name}_required", ctx["message"], name, 422 if source == "body" else 400, detail_key)
    if rejected and ctx.get("code"):
        return _error(ctx["code"], ctx["message"], name, ctx.get("status") or _status(None, source),
                      ctx.get("detail_key") or detail_key)
    code = marker.code if marker else ("invalid_parameter" if source == "query" else "invalid_field")
    if rejected:
        message = ctx["message"]
    elif marker and marker.message:
        message = marker.message
    else:
        message = "'{name}' is not valid." if source == "query" else "'{name}' must be a string."
    return _error(code, message, name, _status(marker.status if marker else None, source), detail_key)


def required(message: str = "'{name}' is required.") -> PydanticCustomError:
    """For a validator: the value is missing in substance (null, blank) -> `<name>_required`."""
    return reject(message, code="required")


# --------------------------------------------------------------------------- helpers
def _error(code: str, message: str, name: str, status: int, detail_key: str) -> DomainError:
    text = message.replace("{name}", name)
    cls = Invalid if status == 422 else DomainError
    err = cls(code, text, detail={detail_key: name})
    if err.http_status != status:
        err.http_status = status
    return err


def _status(declared: Optional[int], source: Source) -> int:
    return declared or (400 if source == "query" else 422)


def _marker(field: Any) -> Optional[ErrorCode]:
    for item in getattr(field, "metadata", ()) or ():
        if isinstance(item, ErrorCode):
            return item
    return None


def _is_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin is list:
        return True
    if origin is typing.Union or origin is types.UnionType:
        return any(_is_list(a) for a in typing.get_args(annotation))
    if origin is typing.Annotated:
        return _is_list(typing.get_args(annotation)[0])
    return False


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


__all__ = ["ErrorCode", "M", "domain_error", "parse", "query_values", "reject", "required"]
