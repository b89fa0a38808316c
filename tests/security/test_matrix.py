"""The authorisation matrix (issue 8): every route, page and callback the app registers,
called as every role, against tests/security/matrix.py.

The inventory comes from the app itself (`python -m tests.security.registry_dump`
imports app.py as production does), so a new route or callback without a matrix entry
fails `test_every_registered_entry_is_in_the_matrix`, naming it. Each entry then has a
probe here that calls it for real — API with bearer tokens, screens with a signed-in
session, callbacks through `/_dash-update-component` with the renderer's envelope —
against one live app (SQLite, one per module) and one seeded world: companies A and B,
their creators, customers A and B with a case each, a file on each case, a reviewer, a
manager, an integration user. The acting creator and customer are A's; "own" is A's
object and "other" is B's. Staff act on B's. Actions get a fresh case of their own, so
an allowed action cannot disturb the next check, and a refused one must leave it as it was.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from dataclasses import dataclass, field
from typing import Callable, Optional

import pytest
import requests

from tests.browser.live_app import PYTHON, ROOT, start_app
from tests.security.checks import snapshot
from tests.security.conftest import PASSWORD, csrf_token
from tests.security.matrix import MATRIX, ROLES

PNG = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4DwABAQEABRjYTgAAAABJRU5ErkJggg=="
NOT_FOUND = "does not exist or is not yours to see"


# --------------------------------------------------------------------------- the app
@pytest.fixture(scope="module")
def live_app(tmp_path_factory):
    base = tmp_path_factory.mktemp("matrix-live")
    app = start_app(f"sqlite:///{base / 'matrix.db'}", base)
    try:
        yield app
    finally:
        app.stop()


@pytest.fixture(scope="module")
def registry(live_app) -> dict:
    done = subprocess.run([PYTHON, "-m", "tests.security.registry_dump"], cwd=ROOT, env=live_app.env,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.split("@@REGISTRY@@", 1)[1])


def registered_keys(registry: dict) -> set[str]:
    return set(registry["rules"]) | {f"page {p}" for p in registry["pages"]} | set(registry["callbacks"])


# ------------------------------------------------------------------------- the world
@dataclass
class Side:
    """One company's world: its creator, its customer, a case with a file, a free payment."""
    company: str
    company_name: str
    creator: str
    customer: str
    case: str
    payment: str
    payment_free: str
    file: str
    markers: list[str]


@dataclass
class World:
    a: Side
    b: Side
    reviewer: str
    manager: str
    integration: str
    emails: dict
    tokens: dict
    sessions: dict = field(default_factory=dict)


def _seed(live_app) -> World:
    from dashboard import accounts
    from dashboard.cases import review
    from dashboard.cases.opening import open_case
    from dashboard.context import Ctx, utcnow
    from dashboard.evidence.files import upload
    from data.models import OutboxEmail
    from tests import factories

    with live_app.runtime().Session.begin() as s:
        ctx = Ctx(s, utcnow(), live_app.runtime().settings)
        people = {}

        def person(key, role, email, name, company=None, password=PASSWORD):
            people[key] = accounts.create_user(ctx, email=email, name=name, role=role, password=password,
                                               company_id=company.id if company else None)
            return people[key]

        sides = {}
        for tag, cname, product, secret in (("a", "Alpha Apparel", "Alpha hoodie", "ALPHA-OWN-MESSAGE"),
                                            ("b", "Bravo Books", "Bravo first edition", "BRAVO-OTHER-MESSAGE")):
            co = accounts.create_company(ctx, name=cname, support_email=f"help@{tag}.test")
            creator = person(f"creator_{tag}", "creator", f"creator@{tag}-co.test", f"Creator {tag.upper()}", co)
            customer = person(f"customer_{tag}", "customer", f"buyer@{tag}-buyer.test", f"Buyer {tag.upper()}zz")
            yesterday = ctx.now - dt.timedelta(days=1)
            pay = factories.payment(ctx, company=co, customer=customer, amount_minor=1234, paid_at=yesterday,
                                    product=product)
            free = factories.payment(ctx, company=co, customer=customer, amount_minor=999, paid_at=yesterday,
                                     product=product + " (2)")
            png = upload(ctx, customer, filename=f"{tag}.png", data=factories.PNG_BYTES, declared_type="image/png")
            case = open_case(ctx, actor=customer, payment_id=pay.id, reason="not_as_described",
                             message=f"{secret}: it is a photocopy.", file_ids=[png.id]).case
            sides[tag] = Side(co.id, cname, creator.id, customer.id, case.id, pay.id, free.id, png.id,
                              [case.id, pay.id, secret, f"Buyer {tag.upper()}zz", product])
        reviewer = person("reviewer", "reviewer", "rey@platform.test", "Rey Reviewer")
        manager = person("manager", "manager", "max@platform.test", "Max Manager")
        integration = person("integration", "integration", "sync@integration.test", "Sync Bot", password=None)
        review.note(ctx, actor=reviewer, case_id=sides["b"].case, message="STAFF-ONLY-NOTE")
        s.flush()
        for mail in s.query(OutboxEmail).all():  # failed deliveries for staff to retry
            mail.status = "failed"
        tokens = {key: accounts.issue_token(ctx, u) for key, u in people.items()}
        emails = {key: u.email for key, u in people.items()}
        return World(sides["a"], sides["b"], reviewer.id, manager.id, integration.id, emails, tokens)


@pytest.fixture(scope="module")
def world(live_app) -> World:
    w = _seed(live_app)
    yield w
    for http in w.sessions.values():
        if isinstance(http, requests.Session):
            http.close()


# Which seeded person acts for a role, and whose objects are "own" / "other".
ACTOR = {"customer": "customer_a", "creator": "creator_a", "reviewer": "reviewer", "manager": "manager",
         "integration": "integration", "anonymous": None}


def target_side(world: World, role: str, target: str) -> Side:
    if target == "own" or (target == "default" and role in ("customer", "creator")):
        return world.a
    return world.b


def _login(live_app, world: World, who: Optional[str], *, password: str = PASSWORD) -> requests.Session:
    http = requests.Session()
    if who is None:
        return http
    form = http.get(live_app.url + "/login")
    http.post(live_app.url + "/login", allow_redirects=False, data={
        "csrf_token": csrf_token(form.text), "email": world.emails[who], "password": password, "next": "",
        "tz": "UTC"})
    return http


def session_for(live_app, world: World, role: str) -> requests.Session:
    """A signed-in session for the role (integration: whatever its sign-in attempt left)."""
    if role not in world.sessions:
        world.sessions[role] = _login(live_app, world, ACTOR[role])
    return world.sessions[role]


# -------------------------------------------------------------------- fresh objects
def fresh_case(live_app, side: Side, *, escalate: bool = False) -> str:
    from data.models import Company, User
    from dashboard.cases.opening import open_case
    from dashboard.context import Ctx, utcnow
    from tests import factories

    with live_app.runtime().Session.begin() as s:
        ctx = Ctx(s, utcnow(), live_app.runtime().settings)
        customer = s.get(User, side.customer)
        pay = factories.payment(ctx, company=s.get(Company, side.company), customer=customer, amount_minor=2000,
                                paid_at=ctx.now - dt.timedelta(days=1), product="Fresh item")
        return open_case(ctx, actor=customer, payment_id=pay.id, reason="product_not_received",
                         message="Fresh case for the matrix.").case.id


def fresh_payment(live_app, side: Side) -> str:
    from data.models import Company, User
    from dashboard.context import Ctx, utcnow
    from tests import factories

    with live_app.runtime().Session.begin() as s:
        ctx = Ctx(s, utcnow(), live_app.runtime().settings)
        return factories.payment(ctx, company=s.get(Company, side.company), customer=s.get(User, side.customer),
                                 amount_minor=3000, paid_at=ctx.now - dt.timedelta(days=1), product="Fresh pay").id


def ids_of(live_app, model_name: str, **where) -> list[str]:
    """Every id of cases/payments matching `where` (lists page newest first, and fresh
    objects made by earlier checks push the seeded ones off the first page)."""
    from sqlalchemy import select

    import data.models as models

    model = getattr(models, model_name)
    with live_app.runtime().Session() as s:
        stmt = select(model.id)
        for k, v in where.items():
            stmt = stmt.where(getattr(model, k) == v)
        return list(s.scalars(stmt))


def case_count(live_app, **where) -> int:
    from sqlalchemy import func, select

    from data.models import Case

    with live_app.runtime().Session() as s:
        stmt = select(func.count()).select_from(Case)
        for k, v in where.items():
            stmt = stmt.where(getattr(Case, k) == v)
        return s.scalar(stmt)


# ----------------------------------------------------------------------- the answers
@dataclass
class Answer:
    granted: bool      # the caller got what the entry serves
    text: str          # everything sent back (checked for the target's data when refused)
    detail: str


@dataclass
class Probe:
    live_app: object
    world: World
    registry: dict
    role: str
    target: str  # "own" | "other" | "default"

    @property
    def side(self) -> Side:
        return target_side(self.world, self.role, self.target)

    @property
    def url(self) -> str:
        return self.live_app.url

    def http(self) -> requests.Session:
        return session_for(self.live_app, self.world, self.role)

    def token_headers(self) -> dict:
        who = ACTOR[self.role]
        return {"Authorization": f"Bearer {self.world.tokens[who]}"} if who else {}

    def api(self, method: str, path: str, **kw) -> requests.Response:
        return requests.request(method, self.url + "/api/v1" + path, headers=self.token_headers(), timeout=30, **kw)

    # ---- callbacks
    def deps(self) -> list[dict]:
        if "_deps" not in self.world.sessions:
            self.world.sessions["_deps"] = session_for(self.live_app, self.world, "manager").get(
                self.url + "/_dash-dependencies").json()
        return self.world.sessions["_deps"]

    def callback(self, key: str, values: dict, trigger: Optional[str] = None) -> requests.Response:
        """POST the renderer's envelope for the callback `key` (matrix key)."""
        output = self.registry["callbacks"][key]
        dep = next(d for d in self.deps() if d["output"] == output)

        def slot(spec):
            name = f"{spec['id']}.{spec['property']}"
            if spec["id"].startswith("{"):
                return values.get(name, [])
            item = {"id": spec["id"], "property": spec["property"]}
            if name in values:
                item["value"] = values[name]
            return item

        def out(spec):
            spec = spec.split("@", 1)[0]
            ident, prop = spec.rsplit(".", 1)
            return {"id": ident, "property": prop}

        outputs = [out(o) for o in output[2:-2].split("...")] if output.startswith("..") else out(output)
        first = dep["inputs"][0]
        changed = [trigger or f"{first['id']}.{first['property']}"]
        body = {"output": output, "outputs": outputs, "inputs": [slot(i) for i in dep["inputs"]],
                "changedPropIds": changed, "parsedChangedPropsIds": changed}
        if dep["state"]:
            body["state"] = [slot(s) for s in dep["state"]]
        return self.http().post(self.url + "/_dash-update-component", json=body, timeout=60)


def _text(answer: requests.Response) -> str:
    return answer.text if answer.content else ""


def _has_any(text: str, markers) -> bool:
    return any(m in text for m in markers)


def status_answer(answer: requests.Response, *, ok=(200,), data: Optional[list[str]] = None) -> Answer:
    """Granted: an `ok` status (and, when `data` is given, one of those strings in the body)."""
    granted = answer.status_code in ok and (data is None or _has_any(answer.text, data))
    return Answer(granted, _text(answer), f"{answer.request.method} {answer.request.url} -> {answer.status_code}")


def callback_answer(answer: requests.Response, data: list[str]) -> Answer:
    """Granted: a 200 carrying the object's data. Refused: anything else (401, 204, "not for you")."""
    assert answer.status_code < 500, answer.text[:300]
    granted = answer.status_code == 200 and _has_any(answer.text, data)
    return Answer(granted, _text(answer), f"callback -> {answer.status_code} {_text(answer)[:300]}")


def changed_answer(p: Probe, case_id: str, call: Callable[[], requests.Response]) -> Answer:
    """An action: granted when the case changed (or the action reached the domain and was
    refused for the case's state, 409); refused leaves the case exactly as it was."""
    before = snapshot(p.live_app, case_id)
    answer = call()
    after = snapshot(p.live_app, case_id)
    assert answer.status_code < 500, answer.text[:300]
    # 409, or the screen's "... cannot <act> it now": past the permission checks, stopped by the case's state.
    granted = before != after or answer.status_code == 409 or "it now." in _text(answer)
    if not granted:
        assert before == after
    return Answer(granted, _text(answer), f"{answer.request.url} -> {answer.status_code} {_text(answer)[:300]}")


# ------------------------------------------------------------------------ API probes
def _case_action(action: str, body: Callable[[Probe], dict], *, escalate: bool = False):
    def probe(p: Probe) -> Answer:
        case = fresh_case(p.live_app, p.side)
        return changed_answer(p, case, lambda: p.api("POST", f"/resolution_center_cases/{case}/{action}",
                                                     json=body(p)))
    return probe


def _evidence_body(p: Probe) -> dict:
    if p.role in ("anonymous", "integration"):
        return {"attachments": [{"id": p.world.a.file}], "message": "more"}
    created = p.api("POST", "/files", json={"filename": "more.png"})
    assert created.status_code == 201, created.text
    put = requests.put(created.json()["upload_url"] if created.json()["upload_url"].startswith("http")
                       else p.url + created.json()["upload_url"], data=_png_bytes(),
                       headers={"Content-Type": "image/png"})
    assert put.status_code == 200, put.text
    return {"attachments": [{"id": created.json()["id"]}], "message": "more evidence"}


def _png_bytes() -> bytes:
    from tests.factories import PNG_BYTES

    return PNG_BYTES


def _list_cases(p: Probe) -> Answer:
    answer = p.api("GET", "/resolution_center_cases", params={"first": 100})
    return status_answer(answer, data=[p.side.case])


def _summary(p: Probe) -> Answer:
    answer = p.api("GET", "/resolution_center_cases/summary", params={"groups": "status"})
    if answer.status_code != 200:
        return status_answer(answer)
    total = answer.json()["total"]
    if p.role == "customer":
        mine = case_count(p.live_app, customer_id=p.world.a.customer)
    elif p.role == "creator":
        mine = case_count(p.live_app, company_id=p.world.a.company)
    else:
        mine = case_count(p.live_app)
    everything = case_count(p.live_app)
    assert total == mine, f"{p.role} summary counts {total}, may see {mine}"
    # Own: counted what is theirs. Other: counting everything would include B's cases.
    granted = total == everything if p.target == "other" else total == mine
    return Answer(granted, answer.text, f"summary total {total} (own {mine}, all {everything})")


def _open_case_api(p: Probe) -> Answer:
    payment = fresh_payment(p.live_app, p.side)
    answer = p.api("POST", "/resolution_center_cases", json={"receipt_id": payment, "reason": "fraudulent",
                                                             "message": "Opened through the matrix."})
    opened = case_count(p.live_app, payment_id=payment)
    assert opened == (1 if answer.status_code in (200, 201) else 0), (answer.status_code, opened)
    return Answer(opened == 1, answer.text, f"open case -> {answer.status_code}")


def _upload_put(p: Probe) -> Answer:
    if p.target == "own":  # their own pending upload, through the URL they were given
        created = p.api("POST", "/files", json={"filename": "own.png"})
        assert created.status_code == 201, created.text
        url = created.json()["upload_url"]
        url = url if url.startswith("http") else p.url + url
    else:  # someone else's pending file with a guessed secret
        from dashboard.context import Ctx, utcnow
        from dashboard.evidence.files import create_pending
        from data.models import User

        with p.live_app.runtime().Session.begin() as s:
            pending = create_pending(Ctx(s, utcnow(), p.live_app.runtime().settings), s.get(User, p.world.b.customer),
                                     filename="theirs.png")
            fid = pending.id
        url = f"{p.url}/api/v1/files/{fid}/upload/{'g' * 32}"
    answer = requests.put(url, data=_png_bytes(), headers={**p.token_headers(), "Content-Type": "image/png"})
    return status_answer(answer)


def _integration_post(path: str, body: Callable[[Probe], dict]):
    def probe(p: Probe) -> Answer:
        return status_answer(p.api("POST", path, json=body(p)), ok=(200, 201))
    return probe


_counter = iter(range(10**6))


def _refunded(p: Probe) -> Answer:
    payment = fresh_payment(p.live_app, p.world.b)
    return status_answer(p.api("POST", f"/payments/{payment}/refunded", json={}), ok=(200, 201))


HOOK_URL = "https://93.184.216.34/matrix-hooks"


def fresh_webhook(live_app, side: Side) -> str:
    """A new enabled webhook of the side's company, registered by its creator."""
    from data.models import User
    from dashboard.context import Ctx, utcnow
    from dashboard.webhooks import manage

    with live_app.runtime().Session.begin() as s:
        return manage.create_webhook(Ctx(s, utcnow(), live_app.runtime().settings), s.get(User, side.creator),
                                     url=HOOK_URL, events_=None, enabled=None, api_version_date=None,
                                     resource_id=None, child_resource_events=None).id


def webhook_state(live_app, hook: str) -> Optional[tuple]:
    from data.models import Webhook

    with live_app.runtime().Session() as s:
        row = s.get(Webhook, hook)
        return None if row is None else (row.enabled, row.url, row.updated_at)


def _webhook_changed(p: Probe, call: Callable[[str], requests.Response]) -> Answer:
    """Granted: a 200 naming the webhook and the webhook changed; refused: it is as it was."""
    hook = fresh_webhook(p.live_app, p.side)
    before = webhook_state(p.live_app, hook)
    answer = call(hook)
    after = webhook_state(p.live_app, hook)
    assert answer.status_code < 500, answer.text[:300]
    granted = answer.status_code == 200 and hook in answer.text and before != after
    if not granted:
        assert before == after, f"refused, yet the webhook changed: {before} -> {after}"
    return Answer(granted, _text(answer), f"{answer.request.method} {answer.request.url} -> {answer.status_code}")


def _webhook_button(key: str, kind: str, data: Callable[[Probe, str], list[str]], *, changes: bool = False):
    """A per-webhook button of the /company webhooks card, clicked on a fresh webhook of
    the side's company. `changes`: granted only if the webhook changed (else as it was)."""
    def probe(p: Probe) -> Answer:
        hook = fresh_webhook(p.live_app, p.side)
        before = webhook_state(p.live_app, hook)
        button = {"id": hook, "type": kind}
        changed = json.dumps(button, sort_keys=True, separators=(",", ":")) + ".n_clicks"
        answer = p.callback(key, {'{"id":["ALL"],"type":"%s"}.n_clicks' % kind: [
            {"id": button, "property": "n_clicks", "value": 1}], "webhooks-load.data": 0}, trigger=changed)
        assert answer.status_code < 500, answer.text[:300]
        granted = answer.status_code == 200 and _has_any(answer.text, data(p, hook))
        if changes:
            after = webhook_state(p.live_app, hook)
            granted = granted and before != after
            if not granted:
                assert before == after, f"refused, yet the webhook changed: {before} -> {after}"
        return Answer(granted, _text(answer), f"{kind} -> {answer.status_code} {_text(answer)[:300]}")
    return probe


def _confirm_webhook_delete(p: Probe) -> Answer:
    hook = fresh_webhook(p.live_app, p.side)
    answer = p.callback("callback callbacks.company_webhooks.confirm_delete", {
        "webhooks-confirm-delete-ok.n_clicks": 1, "webhooks-confirm-delete-cancel.n_clicks": None,
        "webhooks-deleting.data": hook, "webhooks-load.data": 0}, trigger="webhooks-confirm-delete-ok.n_clicks")
    assert answer.status_code < 500, answer.text[:300]
    gone = webhook_state(p.live_app, hook) is None
    return Answer(gone, _text(answer), f"confirm delete -> {answer.status_code} {_text(answer)[:300]}")


def _today(delta=0) -> str:
    return (dt.date.today() + dt.timedelta(days=delta)).isoformat()


API_PROBES: dict[str, Callable[[Probe], Answer]] = {
    "GET /api/v1": lambda p: status_answer(p.api("GET", "")),
    "GET /api/v1/<path:_path>": lambda p: status_answer(p.api("GET", "/nothing-here")),
    "GET /api/v1/openapi.json": lambda p: status_answer(p.api("GET", "/openapi.json"), data=["resolution_center_cases"]),
    "GET /api/v1/resolution_center_cases": _list_cases,
    "POST /api/v1/resolution_center_cases": _open_case_api,
    "GET /api/v1/resolution_center_cases/summary": _summary,
    "GET /api/v1/resolution_center_cases/<case_id>": lambda p: status_answer(
        p.api("GET", f"/resolution_center_cases/{p.side.case}"), data=[p.side.case]),
    "GET /api/v1/resolution_center_cases/<case_id>/events": lambda p: status_answer(
        p.api("GET", f"/resolution_center_cases/{p.side.case}/events"), data=[p.side.markers[2]]),
    "POST /api/v1/resolution_center_cases/<case_id>/accept": _case_action("accept", lambda p: {}),
    "POST /api/v1/resolution_center_cases/<case_id>/deny": _case_action("deny", lambda p: {"message": "No."}),
    "POST /api/v1/resolution_center_cases/<case_id>/request_info": _case_action(
        "request_info", lambda p: {"message": "Tell me more.", "party": "customer"}),
    "POST /api/v1/resolution_center_cases/<case_id>/reply": _case_action("reply", lambda p: {"message": "Here."}),
    "POST /api/v1/resolution_center_cases/<case_id>/appeal": _case_action("appeal", lambda p: {"message": "Again."}),
    "POST /api/v1/resolution_center_cases/<case_id>/withdraw": _case_action("withdraw", lambda p: {"message": "Bye."}),
    "POST /api/v1/resolution_center_cases/<case_id>/evidence": _case_action("evidence", _evidence_body),
    "POST /api/v1/resolution_center_cases/<case_id>/claim": _case_action("claim", lambda p: {}),
    "POST /api/v1/resolution_center_cases/<case_id>/assign": _case_action(
        "assign", lambda p: {"reviewer_id": p.world.reviewer if p.role == "manager" else p.world.manager}),
    "POST /api/v1/resolution_center_cases/<case_id>/notes": _case_action("notes", lambda p: {"message": "Internal."}),
    "POST /api/v1/resolution_center_cases/<case_id>/decision": _case_action(
        "decision", lambda p: {"outcome": "refund", "amount": 100, "reason": "Fair."}),
    "POST /api/v1/resolution_center_cases/<case_id>/final_decision": _case_action(
        "final_decision", lambda p: {"decision": "uphold", "reason": "Fair."}),
    "POST /api/v1/files": lambda p: status_answer(p.api("POST", "/files", json={"filename": "x.png"}), ok=(201,),
                                                  data=["upload_url"]),
    "PUT /api/v1/files/<file_id>/upload/<token>": _upload_put,
    "GET /api/v1/files/<file_id>": lambda p: status_answer(p.api("GET", f"/files/{p.side.file}"), data=[p.side.file]),
    "GET /api/v1/files/<file_id>/content": lambda p: Answer(
        *(lambda a: (a.status_code == 200 and a.content.startswith(b"\x89PNG"), a.text if a.status_code != 200 else "",
                     f"content -> {a.status_code}"))(p.api("GET", f"/files/{p.side.file}/content"))),
    "GET /api/v1/payments": lambda p: status_answer(p.api("GET", "/payments", params={"first": 100}),
                                                    data=ids_of(p.live_app, "Payment", customer_id=p.side.customer)),
    "GET /api/v1/metrics": lambda p: status_answer(p.api("GET", "/metrics"), data=["total"]),
    "POST /api/v1/companies": _integration_post(
        "/companies", lambda p: {"name": f"New Co {next(_counter)}", "support_email": "help@new.test"}),
    "GET /api/v1/companies/<company_id>": lambda p: status_answer(
        p.api("GET", f"/companies/{p.side.company}"), data=["resolution_center_auto_refund"]),
    # A threshold of a cent: no probe's later case is small enough to be accepted by it.
    "POST /api/v1/companies/<company_id>/payment_controls": lambda p: status_answer(p.api(
        "POST", f"/companies/{p.side.company}/payment_controls",
        json={"resolution_center_auto_refund": {"card_threshold_usd": 0.01}}), data=[p.side.company]),
    "POST /api/v1/users": _integration_post(
        "/users", lambda p: {"email": f"new{next(_counter)}@user.test", "name": "New", "role": "customer"}),
    "POST /api/v1/payments": _integration_post("/payments", lambda p: {
        "company_id": p.world.b.company, "customer_id": p.world.b.customer, "amount": 500, "currency": "USD",
        "provider": "stripe", "paid_at": (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)).isoformat()}),
    "POST /api/v1/payments/<payment_id>/refunded": _refunded,
    # Webhooks: each probe on a fresh webhook of the side's company (its id is the data);
    # a literal public address, so the live app resolves nothing.
    "POST /api/v1/webhooks": lambda p: status_answer(p.api("POST", "/webhooks", json={
        "url": HOOK_URL, "resource_id": p.side.company}), ok=(201,), data=["ws_"]),
    "GET /api/v1/webhooks": lambda p: (lambda hook: status_answer(
        p.api("GET", "/webhooks", params={"account_id": p.side.company, "first": 100}), data=[hook]))(
        fresh_webhook(p.live_app, p.side)),
    "GET /api/v1/webhooks/<webhook_id>": lambda p: (lambda hook: status_answer(
        p.api("GET", f"/webhooks/{hook}"), data=[hook]))(fresh_webhook(p.live_app, p.side)),
    "PATCH /api/v1/webhooks/<webhook_id>": lambda p: _webhook_changed(
        p, lambda hook: p.api("PATCH", f"/webhooks/{hook}", json={"enabled": False})),
    "DELETE /api/v1/webhooks/<webhook_id>": lambda p: _webhook_changed(
        p, lambda hook: p.api("DELETE", f"/webhooks/{hook}")),
}


# -------------------------------------------------------------- session route probes
def _get(p: Probe, path: str, **kw) -> requests.Response:
    return p.http().get(p.url + path, allow_redirects=False, timeout=60, **kw)


def _page(path_fn: Callable[[Probe], str], ok=(200,)):
    def probe(p: Probe) -> Answer:
        path = path_fn(p)
        answer = _get(p, path)
        text = _text(answer).replace(path, "")  # a redirect to /login echoes the path in ?next=
        if answer.status_code == 302:  # "/" sends a signed-in person on to their home page
            return Answer("/login" not in answer.headers["Location"], text, f"{path} -> {answer.headers['Location']}")
        # A page is the app's skeleton ("_dash-config"), never the object's data.
        return Answer(answer.status_code in ok and "_dash-config" in text, text, f"{path} -> {answer.status_code}")
    return probe


def _login_form(p: Probe) -> Answer:
    """The form; someone already signed in is sent on to their home page instead."""
    answer = _get(p, "/login")
    if answer.status_code == 302:
        return Answer(not answer.headers["Location"].startswith("/login"), "", f"-> {answer.headers['Location']}")
    return status_answer(answer, data=["csrf_token"])


def _login_post(p: Probe) -> Answer:
    who = ACTOR[p.role] or "customer_a"
    http = requests.Session()
    form = http.get(p.url + "/login")
    answer = http.post(p.url + "/login", allow_redirects=False, data={
        "csrf_token": csrf_token(form.text), "email": p.world.emails[who],
        "password": PASSWORD if p.role != "anonymous" else PASSWORD + "-wrong", "next": "", "tz": "UTC"})
    layout = http.get(p.url + "/_dash-layout", allow_redirects=False).status_code
    http.close()
    return Answer(answer.status_code == 302 and layout == 200, "", f"login -> {answer.status_code}, layout {layout}")


def _logout_post(p: Probe) -> Answer:
    http = _login_post_session(p)  # a session of its own: the shared one stays signed in
    page = http.get(p.url + "/logout")
    token = csrf_token(page.text)
    answer = http.post(p.url + "/logout", data={"csrf_token": token}, allow_redirects=False)
    layout = http.get(p.url + "/_dash-layout", allow_redirects=False).status_code
    http.close()
    # Signing out ends every session of this user (the epoch moves): the shared one too.
    stale = p.world.sessions.pop(p.role, None)
    if stale is not None:
        stale.close()
    return Answer(answer.status_code in (200, 302) and layout == 401, "",
                  f"logout -> {answer.status_code}, layout after {layout}")


def _login_post_session(p: Probe) -> requests.Session:
    return _login(p.live_app, p.world, ACTOR[p.role])


def _file_route(p: Probe) -> Answer:
    answer = _get(p, f"/files/{p.side.file}")
    granted = answer.status_code == 200 and answer.content.startswith(b"\x89PNG")
    return Answer(granted, answer.text if not granted else "", f"/files -> {answer.status_code}")


def _csv(path: str):
    def probe(p: Probe) -> Answer:
        return status_answer(_get(p, path, params={"start": _today(-30), "end": _today(1)}),
                             data=[p.world.b.case, p.world.emails["manager"]])
    return probe


def _component_suite(p: Probe) -> Answer:
    layout = session_for(p.live_app, p.world, "manager").get(p.url + "/").text
    src = re.search(r'src="(/_dash-component-suites/[^"]+\.js)"', layout).group(1)
    return status_answer(_get(p, src))


def _update_component(p: Probe) -> Answer:
    answer = p.callback("callback callbacks.case.follow_outcome", {"case-decide-outcome.value": "refund"})
    return status_answer(answer, data=["case-decide-amount-group"])


ROUTE_PROBES: dict[str, Callable[[Probe], Answer]] = {
    "GET /healthz": lambda p: status_answer(_get(p, "/healthz"), data=['"ok"']),
    "GET /login": lambda p: _login_form(p),
    "POST /login": _login_post,
    "GET /logout": lambda p: status_answer(_get(p, "/logout"), data=["csrf_token"]),
    "POST /logout": _logout_post,
    "GET /files/<file_id>": _file_route,
    "GET /metrics/export.csv": _csv("/metrics/export.csv"),
    "GET /audit/export.csv": _csv("/audit/export.csv"),
    "GET /vendor/<name>": lambda p: status_answer(_get(p, "/vendor/bootstrap.min.css"), data=["Bootstrap"]),
    "GET /vendor/fonts/<path:name>": lambda p: status_answer(_get(p, "/vendor/fonts/bootstrap-icons.woff2")),
    "GET /assets/<path:filename>": lambda p: status_answer(_get(p, "/assets/anything.css")),
    "GET /": _page(lambda p: "/", ok=(200, 302)),
    "GET /<path:path>": _page(lambda p: "/no-such-page"),
    "GET /_dash-layout": lambda p: status_answer(_get(p, "/_dash-layout"), data=["page-container", "_pages"]),
    "GET /_dash-dependencies": lambda p: status_answer(_get(p, "/_dash-dependencies"), data=["case-content"]),
    "POST /_dash-update-component": _update_component,
    "GET /_dash-component-suites/<string:package_name>/<path:fingerprinted_path>": _component_suite,
    "GET /_favicon.ico": lambda p: status_answer(_get(p, "/_favicon.ico")),
    "GET /_reload-hash": lambda p: status_answer(_get(p, "/_reload-hash")),
    "page /": _page(lambda p: "/", ok=(200, 302)),
    "page /queue": _page(lambda p: "/queue"),
    "page /cases/<case_id>": _page(lambda p: f"/cases/{p.side.case}"),
    "page /company": _page(lambda p: "/company"),
    "page /my-cases": _page(lambda p: "/my-cases"),
    "page /metrics": _page(lambda p: "/metrics"),
    "page /deliveries": _page(lambda p: "/deliveries"),
    "page /audit": _page(lambda p: "/audit"),
    "page /search": _page(lambda p: "/search"),
    "page /customers/<customer_id>": _page(lambda p: f"/customers/{p.side.customer}"),
    "page /companies/<company_id>": _page(lambda p: f"/companies/{p.side.company}"),
    "page /team": _page(lambda p: "/team"),
    "page /notifications": _page(lambda p: "/notifications"),
    "page /404": _page(lambda p: "/404"),
}


# ------------------------------------------------------------------ callback probes
FORM_STATES = ("case-id.data", "case-act-choice.value", "case-act-message.value", "case-act-upload.contents",
               "case-act-upload.filename", "case-act-party.value", "case-act-reviewer.value",
               "case-decide-outcome.value", "case-decide-amount.value", "case-final-decision.value",
               "case-final-remedy.value", "case-final-amount.value", "case-refresh.data")


# What each role does through the case page's form on a fresh case (awaiting the merchant):
# an action that runs at once and changes the case, and, for the parties, one that settles
# something and so is confirmed first (staff have none on a case at this stage).
FORM_ACTION = {"customer": "add_evidence", "creator": "request_info", "reviewer": "note", "manager": "note"}
DECISIVE_ACTION = {"customer": "withdraw", "creator": "deny"}
DECISIVE_TITLE = {"withdraw": "Withdraw the case?", "deny": "Deny the case?"}


def _form_values(case: str, action: str, trigger: str) -> dict:
    values = {k: None for k in FORM_STATES}
    values.update({"case-id.data": case, "case-act-choice.value": action, "case-act-message.value":
                   "Through the matrix.", "case-refresh.data": 0, trigger: 1})
    if action == "add_evidence":
        values.update({"case-act-upload.contents": [PNG], "case-act-upload.filename": ["matrix.png"]})
    return values


def _acted(p: Probe, case: str, call: Callable[[], requests.Response]) -> tuple[bool, requests.Response]:
    """(whether the case changed, the answer)."""
    before = snapshot(p.live_app, case)
    answer = call()
    assert answer.status_code < 500, answer.text[:300]
    return snapshot(p.live_app, case) != before, answer


def _asked_to_confirm(answer: requests.Response, action: str) -> bool:
    if answer.status_code != 200:
        return False
    props = json.loads(answer.text)["response"]
    return props.get("case-confirm", {}).get("is_open") is True and \
        props.get("case-confirm-title", {}).get("children") == DECISIVE_TITLE[action]


def _submit_action(p: Probe) -> Answer:
    """The form's submit. Granted: the action that runs at once changed the case, and the
    decisive one only opened its confirmation (its rehearsal rolled back: nothing changed).
    Refused: neither; the case is as it was."""
    key, trigger = _k("case_actions.submit_action"), "case-act-submit.n_clicks"
    case = fresh_case(p.live_app, p.side)
    action = FORM_ACTION.get(p.role, "reply")
    changed, answer = _acted(p, case, lambda: p.callback(key, _form_values(case, action, trigger), trigger))
    texts, details, granted = [_text(answer)], [f"{action} -> {answer.status_code} changed={changed} "
                                                f"{_text(answer)[:300]}"], changed
    if p.role in DECISIVE_ACTION:
        decisive, other = DECISIVE_ACTION[p.role], fresh_case(p.live_app, p.side)
        changed, answer = _acted(p, other, lambda: p.callback(key, _form_values(other, decisive, trigger), trigger))
        assert not changed, f"{p.role}: submitting {decisive} changed the case before it was confirmed"
        asked = _asked_to_confirm(answer, decisive)
        texts.append(_text(answer))
        details.append(f"{decisive} -> asked to confirm={asked} {_text(answer)[:300]}")
        assert asked == granted, f"{p.role} ({p.target}): the two submits disagree: {details}"
    return Answer(granted, "\n".join(texts), "; ".join(details))


def _confirm_action(p: Probe) -> Answer:
    """The confirmation's OK runs the action: granted when it changed the case (a party's
    decisive action, staff's note); refused leaves the case as it was."""
    key, trigger = _k("case_actions.confirm_action"), "case-confirm-ok.n_clicks"
    case = fresh_case(p.live_app, p.side)
    action = DECISIVE_ACTION.get(p.role) or FORM_ACTION.get(p.role, "reply")
    changed, answer = _acted(p, case, lambda: p.callback(key, _form_values(case, action, trigger), trigger))
    return Answer(changed, _text(answer), f"{action} -> {answer.status_code} changed={changed} {_text(answer)[:300]}")


def _grid(start=0, end=100) -> dict:
    return {"startRow": start, "endRow": end, "sortModel": [], "filterModel": {}, "api": {}}


def _metrics_values() -> dict:
    return {"metrics-dates.start_date": _today(-30), "metrics-dates.end_date": _today(1),
            "metrics-companies.value": None, "metrics-providers.value": None, "metrics-reasons.value": None,
            "metrics-bucket.value": "week", "metrics-stack.value": "reason"}


def _open_form(p: Probe) -> Answer:
    button = {"payment": p.side.payment_free, "type": "my-cases-open"}
    changed = json.dumps(button, sort_keys=True, separators=(",", ":")) + ".n_clicks"
    answer = p.callback("callback callbacks.my_cases.open_form", {
        '{"payment":["ALL"],"type":"my-cases-open"}.n_clicks': [{"id": button, "property": "n_clicks", "value": 1}]},
        trigger=changed)
    assert answer.status_code < 500
    if answer.status_code != 200:
        return callback_answer(answer, ["-"])
    props = json.loads(answer.text)["response"]
    granted = props["my-cases-openable"]["data"] is True and p.side.company_name in json.dumps(
        props["my-cases-form-payment"])
    shown = json.dumps({k: v for k, v in props.items() if k != "my-cases-payment"})  # the id sent is echoed in a Store
    return Answer(granted, shown, f"open form -> {answer.text[:300]}")


def _submit_case(p: Probe) -> Answer:
    payment = fresh_payment(p.live_app, p.side)
    answer = p.callback("callback callbacks.my_cases.submit_case", {
        "my-cases-submit.n_clicks": 1, "my-cases-payment.data": payment, "my-cases-reason.value": "fraudulent",
        "my-cases-message.value": "Opened through the matrix.", "my-cases-upload.contents": None,
        "my-cases-upload.filename": None, "my-cases-load.data": 0}, trigger="my-cases-submit.n_clicks")
    assert answer.status_code < 500
    opened = case_count(p.live_app, payment_id=payment)
    return Answer(opened == 1, _text(answer).replace(payment, ""), f"submit -> {opened} case(s): {answer.text[:300]}")


def _queue_action(key: str, trigger: str, extra: Callable[[Probe], dict]):
    def probe(p: Probe) -> Answer:
        case = fresh_case(p.live_app, p.side)
        values = {trigger: 1, "queue-grid.selectedRows": [{"id": case}], "queue-refresh.data": 0, **extra(p)}
        return changed_answer(p, case, lambda: p.callback(key, values, trigger))
    return probe


def _retry_delivery(p: Probe) -> Answer:
    from sqlalchemy import select

    from data.models import OutboxEmail

    with p.live_app.runtime().Session.begin() as s:
        mail = s.scalars(select(OutboxEmail).where(OutboxEmail.case_id == p.side.case)).first()
        mail.status = "failed"
        mail_id = mail.id
    button = {"id": mail_id, "kind": "email", "type": "deliveries-retry"}
    changed = json.dumps(button, sort_keys=True, separators=(",", ":")) + ".n_clicks"
    answer = p.callback("callback callbacks.deliveries.retry_delivery", {
        '{"id":["ALL"],"kind":["ALL"],"type":"deliveries-retry"}.n_clicks': [
            {"id": button, "property": "n_clicks", "value": 1}]}, trigger=changed)
    assert answer.status_code < 500
    with p.live_app.runtime().Session() as s:
        status = s.get(OutboxEmail, mail_id).status
    return Answer(status == "pending", _text(answer), f"retry -> {status}: {answer.text[:300]}")


def _clientside(p: Probe, key: str) -> Answer:
    answer = p.http().post(p.url + "/_dash-update-component", json={
        "output": p.registry["callbacks"][key], "outputs": [], "inputs": [], "changedPropIds": []})
    assert answer.status_code < 500
    return Answer(answer.status_code == 200, _text(answer), f"clientside -> {answer.status_code}")


def _save_duty(p: Probe) -> Answer:
    from data.models import User

    with p.live_app.runtime().Session() as s:
        before = bool(s.get(User, p.world.reviewer).on_duty)
    switch = {"type": "team-duty", "user": p.world.reviewer}
    pattern = '{"type":"team-duty","user":["ALL"]}'
    answer = p.callback(_k("team.save_duty"), {
        f"{pattern}.value": [{"id": switch, "property": "value", "value": not before}],
        f"{pattern}.id": [{"id": switch, "property": "id", "value": switch}],
        '{"type":"team-capacity","user":["ALL"]}.value': [], '{"type":"team-capacity","user":["ALL"]}.id': [],
        "team-saved.data": 0}, trigger=json.dumps(switch, sort_keys=True, separators=(",", ":")) + ".value")
    assert answer.status_code < 500, answer.text[:300]
    with p.live_app.runtime().Session.begin() as s:
        member = s.get(User, p.world.reviewer)
        after, member.on_duty = bool(member.on_duty), before
    return Answer(after != before, _text(answer), f"save duty -> {answer.status_code} changed={after != before} "
                                                  f"{_text(answer)[:300]}")


def cb(key: str, values: Callable[[Probe], dict], data: Callable[[Probe], list[str]], trigger: Optional[str] = None):
    def probe(p: Probe) -> Answer:
        return callback_answer(p.callback(key, values(p), trigger), data(p))
    return probe


def _k(name: str) -> str:
    return f"callback callbacks.{name}"


# ------------------------------------------------------------ saved views on the queue
# Each staff person keeps a view of their own; anyone else aims at the manager's. Delete
# works on a fresh view each time, so the kept ones stay.
VIEW_MARK = "MATRIX-VIEW"
_VIEWS: dict[tuple[int, str], int] = {}
_view_names = iter(range(10**6))


def _save_view(p: Probe, owner: str, name: str) -> int:
    from dashboard import saved_views
    from dashboard.context import Ctx, utcnow
    from data.models import User

    rt = p.live_app.runtime()
    with rt.Session.begin() as s:
        view, _ = saved_views.save_view(Ctx(s, utcnow(), rt.settings), s.get(User, owner), name,
                                        saved_views.from_search("?tab=closed&sort=amount:desc"))
        return view.id


def _view_owner(p: Probe) -> str:
    return p.world.reviewer if p.role == "reviewer" else p.world.manager


def _view(p: Probe) -> int:
    owner = _view_owner(p)
    if (id(p.world), owner) not in _VIEWS:
        _VIEWS[(id(p.world), owner)] = _save_view(p, owner, f"{VIEW_MARK} of {owner}")
    return _VIEWS[(id(p.world), owner)]


def _delete_view(p: Probe) -> Answer:
    from data.models import SavedView

    name = f"{VIEW_MARK} to delete {next(_view_names)}"
    view_id = _save_view(p, _view_owner(p), name)
    answer = callback_answer(p.callback(_k("saved_views.delete_view"), {
        "queue-view-delete.n_clicks": 1, "queue-views.value": view_id}), [name])
    with p.live_app.runtime().Session() as s:  # refused: the view is still there
        assert (s.get(SavedView, view_id) is None) == answer.granted
    return answer


# ------------------------------------------------- saved replies (/replies and "Insert reply…")
# A platform note and a message of each company, made once per world by their keepers; a
# probe that changes or deletes one works on a fresh reply of its own, so the others stay.
_REPLIES: dict[int, dict] = {}
REPLY_MARK = "MATRIX-REPLY"
_reply_names = iter(range(10**6))


def _keep_reply(p: Probe, keeper: str, name: str, purpose: str) -> int:
    from dashboard import canned
    from dashboard.context import Ctx, utcnow
    from data.models import User

    rt = p.live_app.runtime()
    with rt.Session.begin() as s:
        return canned.create_reply(Ctx(s, utcnow(), rt.settings), s.get(User, keeper), name=name, purpose=purpose,
                                   body=f"{REPLY_MARK} {name} for {{customer_name}}").reply.id


def _replies(p: Probe) -> dict:
    if id(p.world) not in _REPLIES:
        _REPLIES[id(p.world)] = {"platform": _keep_reply(p, p.world.manager, "PLATFORM-NOTE", "note"),
                                 "a": _keep_reply(p, p.world.a.creator, "A-REPLY", "message"),
                                 "b": _keep_reply(p, p.world.b.creator, "B-REPLY", "message")}
    return _REPLIES[id(p.world)]


def _reply_target(p: Probe) -> tuple[int, str, str, str]:
    """(reply id, its name, its keeper, the action it is inserted in) the role aims at:
    staff the platform's note; everyone else the target side's company message."""
    r = _replies(p)
    if p.role in ("reviewer", "manager"):
        return r["platform"], "PLATFORM-NOTE", p.world.manager, "note"
    tag = "a" if p.side is p.world.a else "b"
    return r[tag], f"{tag.upper()}-REPLY", p.side.creator, "deny"


def _fresh_reply(p: Probe) -> tuple[int, str]:
    _rid, _name, keeper, action = _reply_target(p)
    name = f"fresh {next(_reply_names)}"
    return _keep_reply(p, keeper, name, "note" if action == "note" else "message"), name


def _reply_row(p: Probe, rid: int):
    from data.models import CannedReply

    with p.live_app.runtime().Session() as s:
        row = s.get(CannedReply, rid)
        return None if row is None else (row.name, row.body)


def _save_reply(p: Probe) -> Answer:
    """Granted: the caller's save changed the reply of the target scope."""
    rid, _name = _fresh_reply(p)
    before, new_name = _reply_row(p, rid), f"saved {next(_reply_names)}"
    purpose = "note" if _reply_target(p)[3] == "note" else "message"
    answer = p.callback(_k("replies.save_reply"), {
        "replies-save.n_clicks": 1, "replies-editing.data": rid, "replies-name.value": new_name,
        "replies-purpose.value": purpose, "replies-body.value": "Saved through the matrix.",
        "replies-load.data": 0})
    assert answer.status_code < 500, answer.text[:300]
    after = _reply_row(p, rid)
    if after == before:
        return Answer(False, _text(answer), f"save -> unchanged {_text(answer)[:300]}")
    assert after == (new_name, "Saved through the matrix.")
    return Answer(True, _text(answer), f"save -> {after}")


def _delete_reply(p: Probe) -> Answer:
    rid, _name = _fresh_reply(p)
    answer = p.callback(_k("replies.delete_reply"), {"replies-confirm-delete-ok.n_clicks": 1,
                                                     "replies-editing.data": rid, "replies-load.data": 0})
    assert answer.status_code < 500, answer.text[:300]
    gone = _reply_row(p, rid) is None
    return Answer(gone, _text(answer), f"delete -> gone={gone} {_text(answer)[:300]}")


def _reply_cb(name: str, values: Callable[[Probe], dict], data: Callable[[Probe], list[str]]):
    return cb(_k(name), values, data)


REPLIES_PROBES: dict[str, Callable[[Probe], Answer]] = {
    _k("replies.show_replies"): _reply_cb("replies.show_replies", lambda p: {"replies-load.data": 0},
                                          lambda p: [_reply_target(p)[1]]),
    _k("replies.open_reply"): _reply_cb("replies.open_reply", lambda p: {"replies-editing.data": _reply_target(p)[0]},
                                        lambda p: [_reply_target(p)[1]]),
    _k("replies.preview_reply"): _reply_cb("replies.preview_reply", lambda p: {"replies-body.value": "Hi {customer_name}"},
                                           lambda p: ["Hi Alex Rivera"]),
    _k("replies.save_reply"): _save_reply,
    _k("replies.ask_delete"): _reply_cb("replies.ask_delete", lambda p: {
        "replies-delete.n_clicks": 1, "replies-editing.data": _reply_target(p)[0]}, lambda p: [_reply_target(p)[1]]),
    _k("replies.delete_reply"): _delete_reply,
    _k("replies.keep_reply"): _reply_cb("replies.keep_reply", lambda p: {"replies-confirm-delete-cancel.n_clicks": 1},
                                        lambda p: ["replies-confirm-delete"]),
    # The case page: the side's case, the reply the role aims at, for its action.
    _k("canned_insert.offer_replies"): _reply_cb("canned_insert.offer_replies", lambda p: {
        "case-act-choice.value": _reply_target(p)[3], "case-id.data": p.side.case}, lambda p: [_reply_target(p)[1]]),
    _k("canned_insert.insert_reply"): _reply_cb("canned_insert.insert_reply", lambda p: {
        "case-insert-reply.value": str(_reply_target(p)[0]), "case-id.data": p.side.case,
        "case-act-choice.value": _reply_target(p)[3], "case-act-message.value": ""},
        lambda p: [f"{REPLY_MARK} {_reply_target(p)[1]}"]),
}
ROUTE_PROBES["page /replies"] = _page(lambda p: "/replies")


# ------------------------------------------------------------ staff notifications
# The reviewer and the manager each have one notification of their own (on B's case); a
# party aims at the reviewer's. Marks are undone after each probe, so the next sees it unread.
_NOTES: dict[tuple[int, str], int] = {}
BELL_MARK = "MATRIX-BELL"


def _note_of(p: Probe) -> int:
    from dashboard.context import utcnow
    from data.models import StaffNotification

    owner = p.world.manager if p.role == "manager" else p.world.reviewer
    if (id(p.world), owner) not in _NOTES:
        with p.live_app.runtime().Session.begin() as s:
            note = StaffNotification(user_id=owner, case_id=p.world.b.case, kind="escalated",
                                     title=f"{BELL_MARK} of {owner}", body="A matrix probe's notification.",
                                     dedupe_key=f"matrix:{owner}", created_at=utcnow())
            s.add(note)
            s.flush()
            _NOTES[(id(p.world), owner)] = note.id
    return _NOTES[(id(p.world), owner)]


def _unread_again(p: Probe) -> None:
    from sqlalchemy import update

    from data.models import StaffNotification

    with p.live_app.runtime().Session.begin() as s:
        s.execute(update(StaffNotification).where(StaffNotification.title.startswith(BELL_MARK)).values(read_at=None))


def _bell(which: str) -> dict:
    return {"bell": "nav", "rc-bell": which}


def _bell_post(p: Probe, key: str, inputs: list, state: list, outputs: list, changed: str) -> requests.Response:
    """The renderer's envelope for a callback of the bell (ALL ids: a list of one bell each)."""
    body = {"output": p.registry["callbacks"][key], "outputs": outputs, "inputs": inputs, "state": state,
            "changedPropIds": [changed], "parsedChangedPropsIds": [changed]}
    return p.http().post(p.url + "/_dash-update-component", json=body, timeout=60)


def _refresh_bell(p: Probe) -> Answer:
    note = _note_of(p)
    poll = _bell("poll")
    answer = _bell_post(p, _k("notifications.refresh_bell"), [
        [{"id": poll, "property": "n_intervals", "value": 1}],
        [{"id": _bell("reload"), "property": "data", "value": 0}],
        {"id": "url", "property": "pathname", "value": "/queue"}], [],
        [[{"id": _bell("badge"), "property": "children"}], [{"id": _bell("badge"), "property": "style"}],
         [{"id": _bell("list"), "property": "children"}]],
        json.dumps(poll, sort_keys=True, separators=(",", ":")) + ".n_intervals")
    return callback_answer(answer, [BELL_MARK, f'"id":{note}'])


def _open_note(p: Probe, key: str, pattern_key: str) -> Answer:
    note = _note_of(p)
    item = {pattern_key: "open", "id": note}
    changed = json.dumps(item, sort_keys=True, separators=(",", ":")) + ".n_clicks"
    pattern = json.dumps({pattern_key: "open", "id": ["ALL"]}, sort_keys=True, separators=(",", ":"))
    values = {f"{pattern}.n_clicks": [{"id": item, "property": "n_clicks", "value": 1}]}
    if key.endswith("open_from_bell"):
        answer = p.http().post(p.url + "/_dash-update-component", json={
            "output": p.registry["callbacks"][key],
            "outputs": [{"id": "url", "property": "href"},
                        [{"id": _bell("popover"), "property": "is_open"}]],
            "inputs": [values[f"{pattern}.n_clicks"]], "changedPropIds": [changed],
            "parsedChangedPropsIds": [changed]}, timeout=60)
    else:
        answer = p.callback(key, values, trigger=changed)
    _unread_again(p)
    return callback_answer(answer, [p.world.b.case])  # the case it opens


def _mark_all_bell(p: Probe) -> Answer:
    _note_of(p)
    clicks = _bell("mark_all")
    answer = _bell_post(p, _k("notifications.mark_all_from_bell"),
                        [[{"id": clicks, "property": "n_clicks", "value": 1}]],
                        [[{"id": _bell("reload"), "property": "data", "value": 0}]],
                        [{"id": _bell("reload"), "property": "data"}],
                        json.dumps(clicks, sort_keys=True, separators=(",", ":")) + ".n_clicks")
    _unread_again(p)
    assert answer.status_code < 500, answer.text[:300]
    marked = answer.status_code == 200 and '"data"' in _text(answer)  # the bell's reload moved on
    return Answer(marked, _text(answer), f"mark all -> {answer.status_code} {_text(answer)[:200]}")


def _mark_all_page(p: Probe) -> Answer:
    _note_of(p)
    answer = p.callback(_k("notifications.mark_all_on_page"), {"notifications-mark-all.n_clicks": 1,
                                                               "notifications-reload.data": 0})
    _unread_again(p)
    return callback_answer(answer, ["Marked 1 notification read.", "Nothing was unread."])


NOTIFICATION_PROBES = {
    _k("notifications.refresh_bell"): _refresh_bell,
    _k("notifications.open_from_bell"): lambda p: _open_note(p, _k("notifications.open_from_bell"), "rc-bell-item"),
    _k("notifications.mark_all_from_bell"): _mark_all_bell,
    _k("notifications.show_page"): lambda p: (_note_of(p), cb(_k("notifications.show_page"), lambda p: {
        "notifications-after.data": None, "notifications-reload.data": 0}, lambda p: [BELL_MARK])(p))[1],
    _k("notifications.turn_page"): cb(_k("notifications.turn_page"), lambda p: {
        "notifications-next.n_clicks": 1, "notifications-first.n_clicks": 0,
        "notifications-next-cursor.data": "cursor-from-the-page"}, lambda p: ["cursor-from-the-page"],
        trigger="notifications-next.n_clicks"),
    _k("notifications.open_from_page"): lambda p: _open_note(p, _k("notifications.open_from_page"),
                                                             "rc-notification"),
    _k("notifications.mark_all_on_page"): _mark_all_page,
    # "immediate" is everyone's default: a granted save changes nothing another check reads.
    _k("notifications.save_mode"): cb(_k("notifications.save_mode"), lambda p: {
        "notifications-mode-save.n_clicks": 1, "notifications-mode.value": "immediate"}, lambda p: ["Saved."]),
}


CALLBACK_PROBES: dict[str, Callable[[Probe], Answer]] = {
    _k("case.render_case"): cb(_k("case.render_case"), lambda p: {"case-id.data": p.side.case, "case-refresh.data": 0},
                               lambda p: [p.side.markers[2]]),
    _k("case.show_earlier_events"): cb(
        _k("case.show_earlier_events"), lambda p: {"case-timeline-earlier.n_clicks": 1, "case-id.data": p.side.case,
                                                   "case-timeline-before.data": 10**9},
        lambda p: [p.side.markers[2]]),
    _k("case.follow_choice"): cb(_k("case.follow_choice"), lambda p: {"case-act-choice.value": "reply",
                                                                      "case-form-meta.data": None},
                                 lambda p: ["case-act-submit"]),
    _k("case.follow_outcome"): cb(_k("case.follow_outcome"), lambda p: {"case-decide-outcome.value": "refund"},
                                  lambda p: ["case-decide-amount-group"]),
    _k("case.follow_final_decision"): cb(_k("case.follow_final_decision"), lambda p: {
        "case-final-decision.value": "overturn", "case-final-needs-remedy.data": True}, lambda p: ["case-final-remedy"]),
    _k("case.list_chosen_files"): cb(_k("case.list_chosen_files"), lambda p: {"case-act-upload.filename": ["x.png"]},
                                     lambda p: ["x.png"]),
    _k("case.clear_chosen_files"): cb(_k("case.clear_chosen_files"), lambda p: {"case-act-files-clear.n_clicks": 1},
                                      lambda p: ["case-act-upload"]),
    _k("case_actions.submit_action"): _submit_action,
    _k("case_actions.confirm_action"): _confirm_action,
    _k("case_actions.cancel_confirmation"): cb(_k("case_actions.cancel_confirmation"),
                                               lambda p: {"case-confirm-cancel.n_clicks": 1}, lambda p: ["case-confirm"]),
    _k("case_actions.follow_fields"): cb(_k("case_actions.follow_fields"), lambda p: {
        "case-act-choice.value": "reply", "case-act-message.value": "Ready",
        "case-form-meta.data": {"reply": {"message": "required"}}}, lambda p: ["case-act-submit"]),
    _k("case_actions.clear_for_new_audience"): cb(_k("case_actions.clear_for_new_audience"), lambda p: {
        "case-act-choice.value": "decide", "case-act-message.value": "Staff only", "case-act-audience.data": "staff"},
        lambda p: ["notes are never shown"]),
    _k("auto_refund.load_thresholds"): cb(_k("auto_refund.load_thresholds"), lambda p: {
        "auto-refund-company.data": p.side.company}, lambda p: [p.side.company_name]),
    _k("auto_refund.save_thresholds"): cb(_k("auto_refund.save_thresholds"), lambda p: {
        "auto-refund-save.n_clicks": 1, "auto-refund-company.data": p.side.company, "auto-refund-card.value": 0.01,
        "auto-refund-paypal.value": None, "auto-refund-locked.value": False}, lambda p: [p.side.company_name]),
    _k("company_webhooks.load_webhooks"): lambda p: (lambda hook: callback_answer(p.callback(
        _k("company_webhooks.load_webhooks"), {"webhooks-load.data": 0}), [hook]))(fresh_webhook(p.live_app, p.side)),
    _k("company_webhooks.create_webhook"): cb(_k("company_webhooks.create_webhook"), lambda p: {
        "webhooks-create.n_clicks": 1, "webhooks-url.value": HOOK_URL,
        "webhooks-events.value": ["resolution_center_case.created"], "webhooks-load.data": 0},
        lambda p: ["Webhook added"]),
    _k("company_webhooks.toggle_webhook"): _webhook_button(_k("company_webhooks.toggle_webhook"), "webhooks-toggle",
                                                           lambda p, hook: ["Turned off"], changes=True),
    _k("company_webhooks.send_test"): _webhook_button(_k("company_webhooks.send_test"), "webhooks-test",
                                                      lambda p, hook: ["Test event msg_"]),
    _k("company_webhooks.ask_delete"): _webhook_button(_k("company_webhooks.ask_delete"), "webhooks-delete",
                                                       lambda p, hook: ["matrix-hooks"]),
    _k("company_webhooks.confirm_delete"): _confirm_webhook_delete,
    _k("deliveries.load_webhook_deliveries"): lambda p: (lambda hook: callback_answer(p.callback(
        _k("deliveries.load_webhook_deliveries"), {"deliveries-webhook-status.value": "all",
                                                   "deliveries-refresh.n_clicks": 0, "deliveries-changed.data": None}),
        [hook]))(fresh_webhook(p.live_app, p.side)),
    _k("company.load_worklists"): cb(_k("company.load_worklists"), lambda p: {"company-load.data": 0},
                                     lambda p: [p.side.case, p.side.company_name]),
    _k("company.load_kpis"): cb(_k("company.load_kpis"), lambda p: {"company-load.data": 0},
                                lambda p: ["Median first response"] if p.side is p.world.a else [p.world.b.company_name, p.world.b.case]),
    _k("company.grid_rows"): cb(_k("company.grid_rows"), lambda p: {"company-grid.getRowsRequest": _grid(),
                                                                    "company-grid-cursors.data": None},
                                lambda p: [p.side.case]),
    _k("deliveries.load_deliveries"): cb(_k("deliveries.load_deliveries"), lambda p: {
        "deliveries-status.value": "all", "deliveries-pager.active_page": 1, "deliveries-refresh.n_clicks": 0,
        "deliveries-changed.data": None}, lambda p: ids_of(p.live_app, "Case", company_id=p.side.company)),
    _k("deliveries.retry_delivery"): _retry_delivery,
    # Staff search: the side's case id opens that case (its path in the answer); anyone
    # else gets "not for you" and no case.
    _k("search.search_cases"): cb(_k("search.search_cases"), lambda p: {
        "search-query.data": p.side.case, "search-after.data": None}, lambda p: [p.side.case]),
    _k("search.turn_page"): cb(_k("search.turn_page"), lambda p: {
        "search-next.n_clicks": 1, "search-first.n_clicks": 0, "search-next-cursor.data": "cursor-from-the-page",
        "search-after.data": None}, lambda p: ["cursor-from-the-page"], trigger="search-next.n_clicks"),
    # Staff views: the side's customer and company, their name, cases and payments; anyone
    # else gets the not-found state and no rows.
    _k("staff_views.load_customer"): cb(_k("staff_views.load_customer"), lambda p: {
        "customer-view-id.data": p.side.customer}, lambda p: [p.side.markers[3]]),
    _k("staff_views.load_company"): cb(_k("staff_views.load_company"), lambda p: {
        "company-view-id.data": p.side.company}, lambda p: [p.side.company_name]),
    **{_k(f"staff_views.{who}_{what}_page"): (lambda key, who, what: cb(key, lambda p: {
        f"{who}-view-id.data": getattr(p.side, who), f"{who}-view-{what}-next.n_clicks": 0,
        f"{who}-view-{what}-first.n_clicks": 0, f"{who}-view-{what}-page.data": None},
        # Any of the side's ids (fresh ones from earlier checks come first, newest first).
        lambda p: ids_of(p.live_app, "Case" if what == "cases" else "Payment",
                         **{f"{who}_id": getattr(p.side, who)})))(_k(f"staff_views.{who}_{what}_page"), who, what)
       for who in ("customer", "company") for what in ("cases", "payments")},
    _k("metrics.metrics_overview"): cb(_k("metrics.metrics_overview"), lambda p: _metrics_values(),
                                       lambda p: ['"metrics-kpis":{"children":{"props"']),
    _k("metrics.metrics_volume"): cb(_k("metrics.metrics_volume"), lambda p: _metrics_values(),
                                     lambda p: ['"type": "bar"', '"type":"bar"']),
    _k("metrics.metrics_breakdowns"): cb(_k("metrics.metrics_breakdowns"), lambda p: _metrics_values(),
                                         lambda p: [p.world.b.company_name]),
    _k("metrics.metrics_company_options"): cb(_k("metrics.metrics_company_options"), lambda p: {
        "metrics-companies.search_value": "Bra", "metrics-companies.value": None}, lambda p: [p.world.b.company]),
    # The SLA section's KPI cards and the forecast's explanation: what only a manager is sent.
    _k("metrics_sla.metrics_sla"): cb(_k("metrics_sla.metrics_sla"), lambda p: _metrics_values(),
                                      lambda p: ['"metrics-sla-kpis":{"children":{"props"']),
    _k("metrics_sla.metrics_forecast"): cb(_k("metrics_sla.metrics_forecast"), lambda p: {
        "metrics-forecast-load.data": True}, lambda p: ['"metrics-forecast-note":{"children":"Expected']),
    _k("my_cases.load_cases"): cb(_k("my_cases.load_cases"), lambda p: {
        "my-cases-load.data": 0, "my-cases-cases-pager.active_page": 1}, lambda p: ids_of(p.live_app, "Case", customer_id=p.side.customer)),
    _k("my_cases.load_payments"): cb(_k("my_cases.load_payments"), lambda p: {
        "my-cases-load.data": 0, "my-cases-payments-pager.active_page": 1},
        lambda p: [p.side.company_name]),  # the Seller column
    _k("my_cases.open_form"): _open_form,
    _k("my_cases.close_form"): cb(_k("my_cases.close_form"), lambda p: {"my-cases-cancel.n_clicks": 1},
                                  lambda p: ["my-cases-modal"]),
    _k("my_cases.follow_fields"): cb(_k("my_cases.follow_fields"), lambda p: {
        "my-cases-openable.data": True, "my-cases-reason.value": "fraudulent", "my-cases-message.value": "Ready"},
        lambda p: ["my-cases-submit"]),
    _k("my_cases.submit_case"): _submit_case,
    _k("queue.show_queue"): cb(_k("queue.show_queue"), lambda p: {"queue-load.data": True},
                               lambda p: ['"queue-body": {"style": {}', '"queue-body":{"style":{}']),
    _k("queue.refresh_counts"): cb(_k("queue.refresh_counts"), lambda p: {
        "queue-interval.n_intervals": 0, "queue-refresh-button.n_clicks": 0, "queue-refresh.data": 0},
        lambda p: ["Open ("]),
    _k("queue.load_rows"): cb(_k("queue.load_rows"), lambda p: {
        "queue-grid.getRowsRequest": _grid(), "queue-tabs.active_tab": "open", "queue-assigned.value": "anyone",
        "queue-grid-cursors.data": None}, lambda p: [p.side.case]),
    _k("queue_bulk.assign_menu"): cb(_k("queue_bulk.assign_menu"), lambda p: {"queue-load.data": True},
                                     lambda p: [p.world.reviewer]),
    _k("queue_bulk.claim_selected"): _queue_action(_k("queue_bulk.claim_selected"), "queue-claim.n_clicks",
                                                   lambda p: {}),
    _k("queue_bulk.assign_selected"): _queue_action(_k("queue_bulk.assign_selected"), "queue-assign.n_clicks",
                                                    lambda p: {"queue-assign-reviewer.value": p.world.reviewer}),
    _k("queue_bulk.note_selected"): _queue_action(_k("queue_bulk.note_selected"), "queue-note-submit.n_clicks",
                                                  lambda p: {"queue-note-text.value": "A note for the matrix."}),
    _k("queue.open_case"): cb(_k("queue.open_case"), lambda p: {"queue-grid.cellClicked": {
        "rowId": "reso_x", "colId": "id", "value": "reso_x"}}, lambda p: ["url"]),
    _k("queue.tab_hint"): cb(_k("queue.tab_hint"), lambda p: {"queue-tabs.active_tab": "open"},
                             lambda p: ["queue-tab-hint"]),
    _k("queue.keep_url"): cb(_k("queue.keep_url"), lambda p: {
        "queue-grid.getRowsRequest": {**_grid(), "sortModel": [{"colId": "amount", "sort": "desc"}]},
        "queue-tabs.active_tab": "closed", "queue-assigned.value": "anyone", "queue-view-state.data": None,
        "queue-url.pathname": "/queue"}, lambda p: ["tab=closed&sort=amount"]),
    _k("queue.follow_url"): cb(_k("queue.follow_url"), lambda p: {
        "queue-url.search": "?tab=closed&f.company=Acme", "queue-view-state.data": None,
        "queue-url.pathname": "/queue"}, lambda p: ['"Acme"']),
    _k("saved_views.list_views"): cb(_k("saved_views.list_views"), lambda p: {"queue-load.data": _view(p) and True},
                                     lambda p: [f"{VIEW_MARK} of {_view_owner(p)}"]),
    _k("saved_views.open_view"): cb(_k("saved_views.open_view"), lambda p: {"queue-views.value": _view(p)},
                                    lambda p: ["tab=closed&sort=amount"]),
    _k("saved_views.open_dialog"): cb(_k("saved_views.open_dialog"), lambda p: {
        "queue-view-save.n_clicks": 1, "queue-views.value": _view(p)},
        lambda p: [f"{VIEW_MARK} of {_view_owner(p)}"], trigger="queue-view-save.n_clicks"),
    _k("saved_views.submit_view"): cb(_k("saved_views.submit_view"), lambda p: {
        "queue-view-submit.n_clicks": 1, "queue-view-name.value": f"{VIEW_MARK} saved by {p.role}",
        "queue-view-mode.data": "save", "queue-views.value": None,
        "queue-view-state.data": {"state": {"tab": "closed"}}},
        lambda p: [f"{VIEW_MARK} saved by {p.role}"]),
    _k("saved_views.delete_view"): _delete_view,
    _k("audit.load_audit"): cb(_k("audit.load_audit"), lambda p: {
        "audit-kinds.value": None, "audit-dates.start_date": _today(-30), "audit-dates.end_date": _today(1),
        "audit-pager.active_page": 1}, lambda p: [p.world.emails["manager"]]),
    # /team: the staff's names come only to managers; a save is granted when the seeded
    # reviewer's on-duty flag changed (put back afterwards, so no later check sees it).
    _k("team.load_team"): cb(_k("team.load_team"), lambda p: {"team-load.data": 0}, lambda p: ["Rey Reviewer"]),
    _k("team.team_chart"): cb(_k("team.team_chart"), lambda p: {"team-load.data": 0, "team-saved.data": 0},
                              lambda p: ["Rey Reviewer"]),
    _k("team.save_duty"): lambda p: _save_duty(p),
}
CALLBACK_PROBES.update(REPLIES_PROBES)
CALLBACK_PROBES.update(NOTIFICATION_PROBES)
for _key in MATRIX:
    if _key.startswith("clientside "):
        CALLBACK_PROBES[_key] = (lambda key: lambda p: _clientside(p, key))(_key)

PROBES = {**API_PROBES, **ROUTE_PROBES, **CALLBACK_PROBES}


# ---------------------------------------------------------------------------- tests
def test_every_registered_entry_is_in_the_matrix(live_app, registry):
    registered = registered_keys(registry)
    missing = sorted(registered - set(MATRIX))
    stale = sorted(set(MATRIX) - registered)
    assert not missing, ("registered but not in tests/security/matrix.py (say who may use it):\n  "
                         + "\n  ".join(missing))
    assert not stale, "in the matrix but no longer registered (remove them):\n  " + "\n  ".join(stale)
    assert set(PROBES) == set(MATRIX), f"matrix entries without a probe: {sorted(set(MATRIX) - set(PROBES))}"
    for key, roles in MATRIX.items():
        assert set(roles) == set(ROLES), f"{key}: every role needs an answer"
        assert set(roles.values()) <= {"allowed", "refused", "own"}, key
    assert len(registry["callbacks"]) >= 30 and len(registry["rules"]) >= 40


def test_the_served_callbacks_are_the_registered_ones(live_app, world, registry):
    """What the browser can call (`/_dash-dependencies`) is what the matrix walks, plus
    Dash's own page routing (which renders a page's skeleton: no data, see `page` entries)."""
    http = session_for(live_app, world, "manager")
    served = {d["output"] for d in http.get(live_app.url + "/_dash-dependencies").json()}
    unlisted = served - set(registry["callbacks"].values())
    assert all("_pages_" in o for o in unlisted), f"served callbacks not in the registry: {unlisted}"


def _cases():
    for key, roles in MATRIX.items():
        for role in ROLES:
            if roles[role] == "own":
                yield pytest.param(key, role, "own", "allowed", id=f"{key}|{role}|own")
                yield pytest.param(key, role, "other", "refused", id=f"{key}|{role}|other")
            else:
                yield pytest.param(key, role, "default", roles[role], id=f"{key}|{role}")


@pytest.mark.parametrize("key,role,target,expected", list(_cases()))
def test_matrix(live_app, world, registry, key, role, target, expected):
    probe = Probe(live_app, world, registry, role, target)
    answer = PROBES[key](probe)
    if expected == "allowed":
        assert answer.granted, f"{key}: {role} ({target}) should get it, got: {answer.detail}"
    else:
        assert not answer.granted, f"{key}: {role} ({target}) should be refused, got: {answer.detail}"
        side = probe.side
        leaked = [m for m in side.markers + ["STAFF-ONLY-NOTE"] if m in answer.text]
        assert not leaked, f"{key}: refused to {role} ({target}) yet the answer carries {leaked}: {answer.detail}"
