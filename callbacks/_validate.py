"""What each component property may carry when the browser sends it to a callback.

Dash's renderer only ever sends what our components hold — a click count, a page
number, AG Grid's row request, an upload's data URLs — but anyone signed in can post
anything to `/_dash-update-component`. `VALUE_CHECKS` says, per property name (and per
`id.property` where one component's value has its own shape), what is acceptable;
`dashboard.dash_guard` applies it to every input and state of every call before the
callback runs and refuses the call with 400 naming the property otherwise. So a
callback is handed nothing of the wrong type or size, and each one keeps only the
checks that are about meaning (a case the user may not see, a date range too long).

A property not listed here gets `any_json` (its depth is already bounded). When a new
callback reads a property with a shape of its own (a Store, a grid), add it here.

`day(value)` and `page_number(value)` are also for callbacks to read a value with.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Optional

from dashboard.limits import day_in_range

Check = Callable[[Any], bool]

MAX_TEXT = 20_000  # a message box (the domain's own limit, 5,000, gives the clear message)
MAX_SHORT = 200  # an id, a choice, a search box
MAX_LIST = 200
MAX_CLICKS = 2**31
MAX_PAGE = 1_000_000
MAX_GRID_BLOCK = 1_000
MAX_GRID_ROW = 10_000_000
SORTS = ("asc", "desc")


def _int(v: Any, lo: int, hi: int) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi


def _text(v: Any, limit: int) -> bool:
    return isinstance(v, str) and len(v) <= limit


def optional(check: Check) -> Check:
    return lambda v: v is None or check(v)


def scalar(v: Any) -> bool:
    """None, a bool, a finite number of sane size, or text."""
    if v is None or isinstance(v, bool):
        return True
    if isinstance(v, int):
        return -(2**53) <= v <= 2**53
    if isinstance(v, float):
        return math.isfinite(v) and abs(v) <= 2**53
    return _text(v, MAX_TEXT)


def scalar_or_list(v: Any) -> bool:
    """A form control's `value`: a scalar, or (a multi-select, a checklist) a list of them."""
    if isinstance(v, list):
        return len(v) <= MAX_LIST and all(scalar(i) for i in v)
    return scalar(v)


def any_json(_v: Any) -> bool:
    return True  # depth and size are bounded for the whole body already


clicks = optional(lambda v: _int(v, 0, MAX_CLICKS))
page = optional(lambda v: _int(v, 1, MAX_PAGE))
short_text = optional(lambda v: _text(v, MAX_SHORT))
long_text = optional(lambda v: _text(v, MAX_TEXT))
short_texts = optional(lambda v: isinstance(v, list) and len(v) <= MAX_LIST and all(_text(i, MAX_SHORT) for i in v))
flag = optional(lambda v: isinstance(v, bool))
a_dict = optional(lambda v: isinstance(v, dict))
query_string = optional(lambda v: _text(v, 2048) and (v == "" or v.startswith("?")))


def date_text(v: Any) -> bool:
    """A DatePickerRange date: YYYY-MM-DD (or an ISO time) between 1900 and 9998."""
    return v is None or (_text(v, 40) and day_in_range(v) is not None)


def data_urls(v: Any) -> bool:
    """dcc.Upload `contents`: a data URL, or a list of them (multiple=True)."""
    items = v if isinstance(v, list) else [v]
    return v is None or (len(items) <= MAX_LIST and all(isinstance(i, str) and i.startswith("data:") for i in items))


def filenames(v: Any) -> bool:
    items = v if isinstance(v, list) else [v]
    return v is None or (len(items) <= MAX_LIST and all(_text(i, 1000) for i in items))


def _sort_item(item: Any) -> bool:
    return isinstance(item, dict) and _text(item.get("colId"), MAX_SHORT) and item.get("sort") in SORTS


def _filter_model(v: Any) -> bool:
    return v is None or (isinstance(v, dict) and len(v) <= 50 and all(
        _text(k, MAX_SHORT) and isinstance(f, dict) for k, f in v.items()))


def grid_request(v: Any) -> bool:
    """AG Grid's infinite row model `getRowsRequest`."""
    if v is None:
        return True
    if not isinstance(v, dict):
        return False
    start, end = v.get("startRow", 0), v.get("endRow", 0)
    if not (_int(start, 0, MAX_GRID_ROW) and _int(end, 0, MAX_GRID_ROW) and 0 <= end - start <= MAX_GRID_BLOCK):
        return False
    sort = v.get("sortModel")
    if sort is not None and not (isinstance(sort, list) and len(sort) <= 10 and all(_sort_item(s) for s in sort)):
        return False
    return _filter_model(v.get("filterModel"))


def grid_rows(v: Any) -> bool:
    return v is None or (isinstance(v, list) and len(v) <= MAX_GRID_BLOCK and all(isinstance(r, dict) for r in v))


BY_PROPERTY: dict[str, Check] = {
    "n_clicks": clicks, "n_intervals": clicks, "active_page": page,
    "getRowsRequest": grid_request, "selectedRows": grid_rows, "cellClicked": a_dict,
    "contents": data_urls, "filename": filenames,
    "start_date": date_text, "end_date": date_text,
    "active_tab": short_text, "search_value": short_text, "maxLength": optional(lambda v: _int(v, 0, 10**6)),
    "pathname": lambda v: _text(v, 2048) and v.startswith("/"), "search": query_string,
    "value": scalar_or_list, "data": any_json,
}
BY_ID: dict[str, Check] = {
    # stores (ids such as case-id.data are left to the callbacks: any value is "not found")
    "case-final-needs-remedy.data": flag, "case-form-meta.data": a_dict,
    "queue-grid-cursors.data": a_dict, "company-grid-cursors.data": a_dict,
    "case-refresh.data": scalar, "queue-refresh.data": scalar, "queue-load.data": scalar,
    "company-load.data": scalar, "my-cases-load.data": scalar, "deliveries-changed.data": scalar,
    # form controls whose value is one line / a list of ids
    "case-act-message.value": long_text, "my-cases-message.value": long_text,
    "metrics-companies.value": short_texts, "metrics-providers.value": short_texts,
    "metrics-reasons.value": short_texts,
}


def check_for(component_id: Any, prop: str) -> Check:
    key = f"{component_id}.{prop}" if isinstance(component_id, str) else None
    return BY_ID.get(key) or BY_PROPERTY.get(prop, any_json)


def problem(component_id: Any, prop: str, value: Any) -> Optional[str]:
    """None if `value` is acceptable for this property, else what to tell the caller."""
    if check_for(component_id, prop)(value):
        return None
    name = component_id if isinstance(component_id, str) else component_id.get("type", "component")
    return f"{name}.{prop} does not hold a value of the expected kind."


# ------------------------------------------------------------- for callbacks to use
def day(value: Any) -> Optional[str]:
    """`value` as YYYY-MM-DD if it is a date between 1900 and 9998, else None (the
    callback's default)."""
    d = day_in_range(value)
    return d.isoformat() if d is not None else None


def page_number(value: Any) -> int:
    """A pager's `active_page` as a page number from 1 (anything else: the first page)."""
    return value if _int(value, 1, MAX_PAGE) else 1
