"""dashboard.saved_views: the queue's view state (URL and stored form) and each person's
named views."""
from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from dashboard import saved_views as sv
from dashboard.context import Ctx
from dashboard.errors import Forbidden, Invalid, NotFound
from data.models import SavedView
from tests.factories import T0

STATE = {"tab": "closed", "assigned": "me", "sort": [["amount", "desc"], ["created", "asc"]],
         "filters": {"company": {"type": "contains", "filter": "Acme"},
                     "status": {"type": "equals", "filter": "closed"}}}


# ------------------------------------------------------------------------ the state
def test_the_url_form_round_trips():
    query = sv.to_query(STATE)
    assert query == "?tab=closed&assigned=me&sort=amount%3Adesc%2Ccreated%3Aasc&f.company=Acme&f.status=equals%3Aclosed"
    assert sv.from_search(query) == STATE
    assert sv.from_params({k: v[0] for k, v in parse_qs(query[1:]).items()}) == STATE


def test_the_default_view_is_the_bare_path():
    assert sv.to_query({}) == "" and sv.from_search("") == sv.DEFAULT_STATE


def test_a_contains_text_that_looks_like_a_kind_is_spelt_out():
    state = {**sv.DEFAULT_STATE, "filters": {"company": {"type": "contains", "filter": "equals:x"}}}
    assert sv.from_search(sv.to_query(state)) == state


@pytest.mark.parametrize("search", [
    "?tab=nope&assigned=everyone&sort=password:desc,amount:sideways&f.secret=1&f.company=",
    "?tab[]=1&sort=%00&f.company=contains:" + "x" * 500,
    "?%ff%fe=1&tab=closed%00",
    "garbage", None, 12, "?" + "a=" * 3000,
])
def test_junk_is_dropped_never_raised(search):
    assert sv.from_search(search) == sv.DEFAULT_STATE


def test_known_parts_survive_beside_junk():
    state = sv.from_search("?tab=all&sort=amount:desc,amount:asc,nope:asc&f.company=startsWith:Ac&f.x=y")
    assert state == {"tab": "all", "assigned": "anyone", "sort": [["amount", "desc"]],
                     "filters": {"company": {"type": "startsWith", "filter": "Ac"}}}


def test_the_grids_models_translate_both_ways():
    state = sv.from_grid("open", "unassigned", [{"colId": "deadline", "sort": "asc"}, {"colId": "x", "sort": "asc"}],
                         {"customer": {"filterType": "text", "type": "notContains", "filter": "bob"},
                          "amount": {"filterType": "number", "type": "equals", "filter": 5}})
    assert state == {"tab": "open", "assigned": "unassigned", "sort": [["deadline", "asc"]],
                     "filters": {"customer": {"type": "notContains", "filter": "bob"}}}
    assert sv.grid_filter_model(state) == {"customer": {"filterType": "text", "type": "notContains", "filter": "bob"}}
    assert sv.from_grid(None, None, "junk", ["junk"]) == sv.DEFAULT_STATE


# ------------------------------------------------------------------------ the views
@pytest.fixture
def ctx(Session, settings):  # noqa: N803
    with Session.begin() as s:
        yield Ctx(s, T0, settings)


def test_save_list_open_rename_overwrite_delete(ctx, w):
    view, created = sv.save_view(ctx, w.reviewer, "  High-value   PayPal ", {**STATE, "junk": 1})
    assert created and view.name == "High-value PayPal" and view.state == STATE
    assert [v.name for v in sv.list_views(ctx, w.reviewer)] == ["High-value PayPal"]
    assert sv.get_view(ctx, w.reviewer, str(view.id)) is view
    again, created = sv.save_view(ctx, w.reviewer, "high-value paypal", sv.DEFAULT_STATE)
    assert not created and again.id == view.id and again.state == sv.DEFAULT_STATE
    sv.overwrite_view(ctx, w.reviewer, view.id, STATE)
    assert sv.rename_view(ctx, w.reviewer, view.id, "Closed, mine").name == "Closed, mine"
    assert sv.get_view(ctx, w.reviewer, view.id).state == STATE
    assert sv.delete_view(ctx, w.reviewer, view.id) == "Closed, mine"
    assert sv.list_views(ctx, w.reviewer) == []


@pytest.mark.parametrize("name", ["", "   ", "\x00\x07", None, 5, "x" * 81])
def test_a_bad_name_is_refused_and_nothing_saved(ctx, w, name):
    with pytest.raises(Invalid) as err:
        sv.save_view(ctx, w.reviewer, name, STATE)
    assert err.value.code == "invalid_view_name"
    assert sv.list_views(ctx, w.reviewer) == []


def test_eighty_characters_is_fine():
    assert sv.clean_name("x" * 80) == "x" * 80


def test_thirty_views_each_then_no_more_but_saving_over_one_still_works(ctx, w):
    for i in range(sv.MAX_VIEWS):
        sv.save_view(ctx, w.reviewer, f"View {i:02d}", STATE)
    with pytest.raises(Invalid) as err:
        sv.save_view(ctx, w.reviewer, "One too many", STATE)
    assert err.value.code == "too_many_views" and "30" in err.value.message
    assert sv.save_view(ctx, w.reviewer, "View 07", sv.DEFAULT_STATE)[1] is False
    assert sv.save_view(ctx, w.reviewer2, "Someone else's first", STATE)[1] is True  # per person
    assert len(sv.list_views(ctx, w.reviewer)) == sv.MAX_VIEWS


def test_another_persons_view_is_not_found(ctx, w):
    view, _ = sv.save_view(ctx, w.reviewer, "Mine", STATE)
    for act in (lambda: sv.get_view(ctx, w.reviewer2, view.id),
                lambda: sv.rename_view(ctx, w.reviewer2, view.id, "Stolen"),
                lambda: sv.overwrite_view(ctx, w.reviewer2, view.id, sv.DEFAULT_STATE),
                lambda: sv.delete_view(ctx, w.reviewer2, view.id),
                lambda: sv.get_view(ctx, w.reviewer, view.id + 1000),
                lambda: sv.get_view(ctx, w.reviewer, "1 OR 1=1"),
                lambda: sv.get_view(ctx, w.reviewer, True),
                lambda: sv.get_view(ctx, w.reviewer, 10**30),
                lambda: sv.get_view(ctx, w.reviewer, "9" * 11),
                lambda: sv.get_view(ctx, w.reviewer, {"$ne": None})):
        with pytest.raises(NotFound):
            act()
    fresh = ctx.session.get(SavedView, view.id)
    assert fresh.name == "Mine" and fresh.state == STATE and sv.list_views(ctx, w.reviewer2) == []


def test_renaming_onto_another_view_is_refused(ctx, w):
    a, _ = sv.save_view(ctx, w.reviewer, "A", STATE)
    sv.save_view(ctx, w.reviewer, "B", STATE)
    with pytest.raises(Invalid) as err:
        sv.rename_view(ctx, w.reviewer, a.id, "b")
    assert err.value.code == "view_name_taken" and sv.get_view(ctx, w.reviewer, a.id).name == "A"
    assert sv.rename_view(ctx, w.reviewer, a.id, "a").name == "a"  # its own name, other capitals


@pytest.mark.parametrize("who", ["customer", "creator", "integration"])
def test_parties_have_no_saved_views(ctx, w, who):
    with pytest.raises(Forbidden):
        sv.save_view(ctx, getattr(w, who), "Mine", STATE)
    with pytest.raises(Forbidden):
        sv.list_views(ctx, getattr(w, who))
