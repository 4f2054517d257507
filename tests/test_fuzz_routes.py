"""Fuzzing every route of both web apps with what a stranger can send: random forms, the real field names with
hostile values (huge strings, NUL and control characters, invalid UTF-8, RTL marks, emoji, numbers out of
range, duplicated fields), random query strings and path parameters.

The routes come from each app's ``url_map``: a route added without an entry in ``FIELDS`` fails
``test_every_route_is_fuzzed``. For every request: no 500 (a deliberate 503 for storage trouble is fine; with
``TESTING`` Flask re-raises an unhandled exception, which fails the test), nothing logged at ERROR, a
well-formed answer (a content type, text that is UTF-8, JSON that parses, redirects that stay on this site).
After each run the database is inspected for stored garbage (``tests.fuzz_support.stored_garbage``).

The kiosk app is built as the demo builds it (simulation, the real services: print queue, console SMS), and
fuzzed on SQLite and PostgreSQL; the organizer app logged out and logged in (a real session and CSRF token, so
the fuzz reaches the handlers and not only the guards).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_from_bytes, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.routing import Rule

from kiosk import accounts
from kiosk.config import Settings
from kiosk.services import Services, start_services
from kiosk.tally import MeetingState, Tally
from kiosk.web.app import create_app
from kiosk.web.organizer import create_organizer_app
from tests.conftest import FIXTURES
from tests.fuzz_support import SOAK, ErrorLog, assert_clean, clean_text_values, fuzz_settings
from tests.fuzz_support import raw_values as any_raw_values
from tests.fuzz_support import text_values as any_text_values

# A soak run (KIOSK_SOAK=1) takes minutes per test: lift pytest-timeout's 120 s for it.
pytestmark = pytest.mark.timeout(3600) if SOAK else []

PASSWORD = "correct horse battery"

# Every endpoint of both apps, with the form (or JSON, or query) fields its handler reads. A new route must be
# added here, or test_every_route_is_fuzzed fails.
FIELDS: dict[str, list[str]] = {
    # the kiosk app
    "static": ["filename"],
    "index": [],
    "results_page": [],
    "results_json": [],
    "healthz": [],
    "kiosk.welcome": [],
    "kiosk.set_language": ["lang", "next"],
    "kiosk.reset": [],
    "kiosk.find": ["by"],
    "kiosk.find_post": ["by", "q"],
    "kiosk.sign_in": ["pick"],
    "kiosk.walkin": [],
    "kiosk.walkin_post": ["name", "phone", "joining"],
    "kiosk.signed_in": [],
    "kiosk.continue_to_ballot": [],
    "kiosk.reprint": [],
    "kiosk.vote_now": [],
    "kiosk.token_entry": [],
    "kiosk.token_post": ["token"],
    "kiosk.ballot": [],
    "kiosk.cast": [
        "choice-1",
        "choice-2",
        "choice-3",
        "choice-999",
        "choice-x",
        "choice-",
        "rank-1",
        "rank-2",
        "rank-3",
        "rank-999",
        "rank-x",
    ],
    "kiosk.done": [],
    "kiosk.events": [],
    "kiosk.screen": ["key"],
    "kiosk.panel_lit": ["lit"],
    "kiosk.alive": [],
    "kiosk_audio.manifest": [],
    "kiosk_audio.clip": [],
    "simulate.simulate_button": [],
    "demo_pages.phone": ["from"],
    "demo_pages.phone_send": ["from", "body"],
    "demo_pages.receipts": [],
    "sms_webhook.twilio_inbound": ["MessageSid", "SmsSid", "From", "To", "Body", "AccountSid"],
    # the organizer app
    "root": [],
    "organizer.static": [],
    "organizer.login": ["name", "password", "next"],
    "organizer.logout": [],
    "organizer.meetings": [],
    "organizer.create_meeting": [
        "code",
        "title",
        "starts",
        "place",
        "quorum",
        "min_membership_days",
        "min_attended",
        "of_last",
        "guests_may_vote",
        "show_choices_on_receipt",
        "live_results_shown",
        "results_hidden_until_close",
    ],
    "organizer.meeting": [],
    "organizer.edit_meeting": [
        "title",
        "starts",
        "place",
        "quorum",
        "min_membership_days",
        "min_attended",
        "of_last",
        "guests_may_vote",
        "show_choices_on_receipt",
        "live_results_shown",
        "results_hidden_until_close",
    ],
    "organizer.add_plank": ["title", "text", "threshold", "platform_change"],
    "organizer.edit_plank": ["title", "text", "threshold", "platform_change"],
    "organizer.move_plank": ["direction"],
    "organizer.add_contest": ["title", "title_es", "seats", "method", "threshold", "candidates", "no_endorsement"],
    "organizer.edit_contest": [
        "title",
        "title_es",
        "seats",
        "method",
        "threshold",
        "decimal_places",
        "candidates",
        "no_endorsement",
        "no_endorsement_name",
    ],
    "organizer.move_contest": ["direction"],
    "organizer.remove_contest": ["confirm"],
    "organizer.import_csv": ["file"],
    "organizer.test_deck": ["file"],
    "organizer.change_state": ["confirm"],
    "organizer.dashboard": [],
    "organizer.peek": ["stop"],
    "organizer.projector": [],
    "organizer.events": ["view"],
    "organizer.people": [],
    "organizer.reissue": ["reason"],
    "organizer.tally_tape": ["copy"],
    "organizer.devices": [],
    "organizer.rsvps": [],
    "organizer.texts": ["kind"],
    "organizer.texts_count": ["body", "audience"],
    "organizer.texts_review": ["body", "audience", "kind"],
    "organizer.texts_send": ["body", "audience", "kind"],
    "organizer.export_file": [],
    "organizer.export_contest_rctab": [],
    "public.verify": ["code"],
    "public.verify_code": [],
    "public.platform": ["lang", "history"],
    "public.platform_file": ["lang", "history"],
    "organizer.platform_tape": ["lang"],
    "public.scorecard": ["lang"],
    "organizer.ledger": ["lang"],
    "organizer.ledger_import": ["file", "lang"],
    "organizer.ledger_endorse": ["code", "lang"],
    "organizer.ledger_official": ["name", "lang"],
    "organizer.ledger_planks": ["lang"],
    "organizer.ledger_projector": ["lang"],
    "organizer.ledger_csv": [],
}

# A valid form per endpoint: the fuzzer often sends it with one or two fields replaced by hostile values, so
# that the other checks pass and the hostile value goes deep (into the tally and the database).
BASELINE: dict[str, dict[str, str]] = {
    "kiosk.find_post": {"by": "name", "q": "Marcus"},
    "kiosk.walkin_post": {"name": "Sam Lee", "phone": "415 555 0123", "joining": "1"},
    "kiosk.token_post": {"token": "ACD3-4EFG"},
    "kiosk.cast": {"choice-1": "yes", "choice-2": "no", "choice-3": "abstain", "rank-1": "2,1", "rank-2": ""},
    "kiosk.set_language": {"lang": "es", "next": "/kiosk/find"},
    "demo_pages.phone_send": {"from": "+15105550101", "body": "yes 2"},
    "organizer.login": {"name": "rosa", "password": PASSWORD, "next": "/organizer/"},
    "organizer.create_meeting": {
        "code": "GA50",
        "title": "Spring Assembly",
        "starts": "2027-03-03T19:00",
        "place": "Hall",
        "quorum": "20%",
        "min_membership_days": "30",
        "min_attended": "2",
        "of_last": "3",
        "guests_may_vote": "on",
    },
    "organizer.edit_meeting": {"title": "Renamed", "starts": "2026-12-04T19:00", "place": "Hall", "quorum": "25"},
    "organizer.add_plank": {"title": "A new plank", "text": "Text", "threshold": "majority"},
    "organizer.edit_plank": {"title": "An edited plank", "text": "Text", "threshold": "two-thirds"},
    "organizer.move_plank": {"direction": "up"},
    "organizer.add_contest": {"title": "Treasurer", "seats": "1", "candidates": "Ana\nLuis", "no_endorsement": "on"},
    "organizer.edit_contest": {"title": "Board", "seats": "2", "method": "stv", "candidates": "Ana\nLuis\nMei"},
    "organizer.move_contest": {"direction": "down"},
    "organizer.remove_contest": {"confirm": "yes"},
    "organizer.change_state": {"confirm": "GA13"},
    "organizer.reissue": {"reason": "lost receipt"},
    "organizer.texts_count": {"body": "Hello", "audience": "members"},
    "organizer.texts_review": {"body": "Hello", "audience": "yes", "kind": "manual"},
    "organizer.texts_send": {"body": "Hello", "audience": "yes", "kind": "reminder"},
    "public.verify": {"code": "ABCD-EFGH-JKLM"},
}

# Values worth trying for each path parameter, besides random text.
PATH_VALUES: dict[str, list[str]] = {
    "code": ["GA12", "GA12", "ga12", "GA13", "GA13", "GA14", "NOPE", "G", "GA12.json"],
    "plank_id": ["1", "2", "0", "999", "2147483648", "9223372036854775808", "1" * 40],
    "contest_id": ["1", "3", "4", "0", "999", "2147483648", "1" * 40],
    "signin_id": ["1", "2", "0", "999", "2147483648", "9223372036854775808", "1" * 40],
    "action": ["open-signin", "open-voting", "close", "reopen"],
    "what": ["roster", "planks", "contests", "voters", "officials", "pledges", "votes", "ocd"],
    "name": ["attendance.csv", "rsvps.csv", "results.csv", "results.json", "bundle.json", "yes", "confirm", "maybe"],
    "filename": ["kiosk.css", "kiosk.js", "organizer.css", "organizer.js", "../app.py", "%2e%2e/app.py"],
    "fmt": ["json", "csv", "xml"],
}

# Status codes seen per "METHOD endpoint" in this process (fuzz_app returns each call's share).
STATUSES: dict[str, Counter[int]] = {}

# (text, bytes) strategies for a body or query: two in three without control characters, so they get past the
# organizer guard that refuses them and reach the handler.
CLEAN = (clean_text_values, any_raw_values.map(lambda b: bytes(x for x in b if 0x20 <= x != 0x7F)))
HOSTILE = (any_text_values, any_raw_values)

STREAMING = {"kiosk.events", "organizer.events"}
EXAMPLES_PER_ROUTE = 10


@st.composite
def _path_value(draw: st.DrawFn, name: str) -> str:
    """Mostly a value worth trying (an existing meeting, a real plank), sometimes random text or bytes."""
    how = draw(st.integers(0, 5))
    if how <= 3:
        return draw(st.sampled_from(PATH_VALUES.get(name, ["x"])))
    if how == 4:
        return draw(any_text_values.map(lambda v: quote(v[:300], safe="")))
    return draw(any_raw_values.map(lambda b: quote_from_bytes(b, safe="")))


def _build_path(rule: Rule, values: dict[str, str]) -> str:
    path = rule.rule
    for arg in rule.arguments:
        path = re.sub(rf"<(?:[a-z]+(?:\([^)]*\))?:)?{arg}>", lambda _m, a=arg: values[a], path)
    return path


@st.composite
def form_bodies(draw: st.DrawFn, fields: list[str], baseline: dict[str, str] | None = None) -> tuple[bytes, str]:
    """A body and its content type: urlencoded (real or random names, text or raw bytes, duplicates), JSON or
    multipart with a file."""
    kinds = ["real", "real", "real", "random", "json", "multipart", "raw"]
    kind = draw(st.sampled_from(kinds + ["baseline"] * 4 if baseline else kinds))
    names = fields or ["q"]
    text_values, raw_values = draw(st.sampled_from([CLEAN, CLEAN, HOSTILE]))
    if kind == "baseline":
        form = dict(baseline)
        for name in draw(st.lists(st.sampled_from(sorted(form)), min_size=1, max_size=2, unique=True)):
            form[name] = draw(text_values)
        body = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in form.items())
        return body.encode(), "application/x-www-form-urlencoded"
    if kind in ("real", "random"):
        pairs: list[tuple[bytes, bytes]] = []
        for _ in range(draw(st.integers(0, 6))):
            if kind == "real" or draw(st.booleans()):
                key = draw(st.sampled_from(names)).encode()
            else:
                key = draw(st.one_of(text_values.map(lambda v: v[:100].encode("utf-8")), raw_values))
            value = draw(st.one_of(*[text_values.map(lambda v: v.encode("utf-8"))] * 3, raw_values))
            pairs.append((key, value))
        body = b"&".join(quote_from_bytes(k).encode() + b"=" + quote_from_bytes(v).encode() for k, v in pairs)
        return body, "application/x-www-form-urlencoded"
    if kind == "json":
        value = draw(
            st.one_of(
                st.dictionaries(
                    st.sampled_from([*names, "lit"]), st.one_of(text_values, st.lists(text_values, max_size=3))
                ),
                st.lists(text_values, max_size=3),
                text_values,
            )
        )
        return json.dumps(value).encode(), "application/json"
    if kind == "multipart":
        content = draw(st.one_of(raw_values, text_values.map(lambda v: v.encode("utf-8"))))
        filename = draw(st.sampled_from(["roster.csv", "", "a\x00.csv", "x" * 300]))
        extra = [(name, draw(text_values)) for name in draw(st.lists(st.sampled_from(names), max_size=3))]
        return multipart(filename, content, extra)
    return draw(st.binary(max_size=300)), draw(st.sampled_from(["application/x-www-form-urlencoded", "text/plain", ""]))


def multipart(filename: str, content: bytes, fields: list[tuple[str, str]]) -> tuple[bytes, str]:
    """A multipart/form-data body with a ``file`` upload and text fields, written by hand (bytes as they are)."""
    boundary = "fuzzBOUNDARY"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: text/csv\r\n\r\n".encode()
        + content
        + b"\r\n"
    ]
    for name, value in fields:
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(head.encode() + value.encode("utf-8") + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


@st.composite
def query_strings(draw: st.DrawFn, fields: list[str]) -> str:
    if draw(st.booleans()):
        return ""
    text_values, raw_values = draw(st.sampled_from([CLEAN, CLEAN, HOSTILE]))
    pairs = draw(
        st.lists(
            st.tuples(
                st.one_of(st.sampled_from(fields or ["x"]), text_values.map(lambda v: v[:50])),
                st.one_of(text_values.map(lambda v: v[:500].encode("utf-8")), raw_values),
            ),
            max_size=3,
        )
    )
    return "&".join(f"{quote(k, safe='')}={quote_from_bytes(v, safe='')}" for k, v in pairs)


def check_response(response: Any, endpoint: str, method: str, path: str) -> None:
    where = f"{method} {path[:120]} ({endpoint})"
    status = response.status_code
    assert status < 500 or status == 503, f"{where}: {status}"
    assert response.headers.get("Content-Type"), where
    if status in (301, 302, 303, 307, 308):
        target = urlsplit(response.headers["Location"])
        assert target.netloc in ("", "localhost"), f"{where}: redirect off the site to {target}"
    if endpoint in STREAMING:
        response.close()
        return
    data = response.get_data()
    mimetype = response.mimetype or ""
    if mimetype.startswith("text/") or mimetype.endswith(("json", "xml", "javascript")):
        text = data.decode("utf-8")  # strict: what we send is UTF-8
        if mimetype.endswith("json") and status < 300:
            json.loads(text)
        if mimetype == "text/html":
            assert "\x00" not in text, where
    response.close()


def _fuzz_one_route(
    rule: Rule,
    method: str,
    fields: list[str],
    client_for: Callable[[], FlaskClient],
    before: Callable[[FlaskClient, Any], None],
    examples: int,
) -> Callable[[], None]:
    @fuzz_settings(examples, examples)
    @given(data=st.data())
    def one(data: st.DataObject) -> None:
        client = client_for()
        before(client, data)
        values = {arg: data.draw(_path_value(arg), label=arg) for arg in rule.arguments}
        path = _build_path(rule, values)
        query = data.draw(query_strings(fields), label="query")
        url = f"{path}?{query}" if query else path
        kwargs: dict[str, Any] = {}
        if method != "GET":
            body, content_type = data.draw(form_bodies(fields, BASELINE.get(rule.endpoint)), label="body")
            kwargs = {"data": body, "content_type": content_type}
        with ErrorLog() as errors:
            response = client.open(url, method=method, **kwargs)
            STATUSES.setdefault(f"{method} {rule.endpoint}", Counter())[response.status_code] += 1
            check_response(response, rule.endpoint, method, url)
        assert errors.messages() == [], f"{method} {url[:120]} logged errors"

    return one


def fuzz_app(
    app: Flask,
    client_for: Callable[[], FlaskClient],
    before: Callable[[FlaskClient, Any], None],
    examples: int = EXAMPLES_PER_ROUTE,
) -> dict[str, Counter[int]]:
    """Fuzz every (rule, method) of ``app`` with ``examples`` requests each; returns the status codes seen by
    "METHOD endpoint" in this call."""
    seen = {key: Counter(counts) for key, counts in STATUSES.items()}
    examples = examples * 20 if SOAK else examples
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        fields = FIELDS.get(rule.endpoint)
        assert fields is not None, f"route {rule.rule} ({rule.endpoint}) is not in FIELDS: add its fields"
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            _fuzz_one_route(rule, method, fields, client_for, before, examples)()
    return {key: counts - seen.get(key, Counter()) for key, counts in STATUSES.items() if counts != seen.get(key)}


# --- the apps -------------------------------------------------------------------------------------------------


def settings_in(tmp_path: Path, db_url: str) -> Settings:
    base = Settings()
    return replace(
        base,
        kiosk=replace(base.kiosk, data_dir=str(tmp_path / "data")),
        database=replace(base.database, url=db_url),
        printer=replace(base.printer, url="console"),
    )


def seed(tally: Tally) -> None:
    """GA12 voting (guests may vote, so walk-ins get a token), GA13 in draft with planks, GA14 closed; each with
    the two contests of contests.csv (ids 1-2 on GA12, 3-4 on GA13)."""
    if tally.meetings():
        return
    tally.import_roster((FIXTURES / "roster-messy.csv").read_text(encoding="utf-8"))
    planks = (FIXTURES / "planks.csv").read_text(encoding="utf-8")
    contests = (FIXTURES / "contests.csv").read_text(encoding="utf-8")
    for code, state in (("GA12", MeetingState.VOTING_OPEN), ("GA13", None), ("GA14", MeetingState.CLOSED)):
        tally.create_meeting(code=code, title=f"Meeting {code}", starts="2026-12-03T19:00", guests_may_vote=True)
        tally.import_planks(code, planks)
        tally.import_contests(code, contests)
        if state is not None:
            tally.set_state(code, state)
    tally.sign_in_guest("GA12", "Dana Whitfield", "+1 415 555 0199")
    tally.record_rsvp("GA12", answer="yes", phone="+1 415 555 0198")


@pytest.fixture
def kiosk_app(tally: Tally, tmp_path: Path, db_url: str) -> Iterator[Flask]:
    seed(tally)
    settings = settings_in(tmp_path, db_url)
    services: Services = start_services(settings, tally, simulated=True)
    app = create_app(settings, tally, simulated=True, test_config={"TESTING": True}, services=services)
    try:
        yield app
    finally:
        app.extensions["kiosk"].close()
        services.stop()


@pytest.fixture
def organizer_app(tally: Tally, tmp_path: Path, db_url: str) -> Flask:
    seed(tally)
    accounts.add_organizer(tally.engine, "rosa", PASSWORD)
    return create_organizer_app(
        settings_in(tmp_path, db_url), tally, test_config={"TESTING": True, "ORGANIZER_POLL_S": 0.01}
    )


def _kiosk_before(counter: list[int]) -> Callable[[FlaskClient, Any], None]:
    def before(client: FlaskClient, data: Any) -> None:
        # Sometimes a fresh walk-in with a ballot token first, so the ballot and casting handlers are reached.
        if data.draw(st.booleans(), label="signed in first"):
            counter[0] += 1
            client.post("/kiosk/walkin", data={"name": f"Fuzz Guest {counter[0]}"})
            if data.draw(st.booleans(), label="ballot open"):
                client.post("/kiosk/vote")

    return before


def test_kiosk_app_routes(kiosk_app: Flask, tally: Tally) -> None:
    client = kiosk_app.test_client()
    fuzzed = {key.split(" ", 1)[1] for key in fuzz_app(kiosk_app, lambda: client, _kiosk_before([0]))}
    assert {"kiosk.cast", "kiosk.walkin_post", "demo_pages.phone_send", "sms_webhook.twilio_inbound"} <= fuzzed
    assert_clean(tally.engine, "after fuzzing the kiosk app")


def test_the_find_pages_json_look_up(kiosk_app: Flask, tally: Tally) -> None:
    """POST /kiosk/find asked for JSON is answered before Flask (kiosk/web/kiosk/lookup.py): fuzzed on its own,
    with and without a screen session, in both languages; always JSON, never a 5xx but 503, nothing logged."""
    client = kiosk_app.test_client()
    statuses: Counter[int] = Counter()

    @fuzz_settings(EXAMPLES_PER_ROUTE * 6)  # 60 examples; 1,200 with KIOSK_SOAK=1
    @given(data=st.data())
    def one(data: st.DataObject) -> None:
        client.delete_cookie("kiosk_sid")
        if data.draw(st.booleans(), label="screen session"):
            client.get("/kiosk/")
            if data.draw(st.booleans(), label="in Spanish"):
                client.post("/kiosk/lang", data={"lang": "es", "next": "/kiosk/find"})
        body, content_type = data.draw(form_bodies(FIELDS["kiosk.find_post"], BASELINE.get("kiosk.find_post")))
        accept = data.draw(
            st.sampled_from(["application/json", "application/json, */*", "text/html, application/json"])
        )
        with ErrorLog() as errors:
            response = client.post("/kiosk/find", data=body, content_type=content_type, headers={"Accept": accept})
            statuses[response.status_code] += 1
            assert response.mimetype == "application/json"
            check_response(response, "kiosk.find_post", "POST", "/kiosk/find")
            assert isinstance(json.loads(response.get_data(as_text=True)), dict)
        assert errors.messages() == [], "the JSON look-up logged errors"

    one()
    assert {200, 409} <= set(statuses), statuses  # the fuzzer reached the look-up itself, not only refusals
    assert_clean(tally.engine, "after fuzzing the JSON look-up")


def test_organizer_routes_logged_out(organizer_app: Flask, tally: Tally) -> None:
    client = organizer_app.test_client()
    fuzz_app(organizer_app, lambda: client, lambda _c, _d: None)
    assert_clean(tally.engine, "after fuzzing the organizer app logged out")


def test_organizer_routes_logged_in(organizer_app: Flask, tally: Tally) -> None:
    client = organizer_app.test_client()
    page = client.get("/organizer/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert (
        client.post("/organizer/login", data={"name": "rosa", "password": PASSWORD, "csrf_token": token}).status_code
        == 302
    )
    with client.session_transaction() as session:
        kept = dict(session)

    count = [0]

    def before(c: FlaskClient, data: Any) -> None:
        # A fuzzed logout or login replaces the session: put the real one back, so every example reaches the
        # handler. Most posts carry the right CSRF token (in the header), one in eight a forged one.
        with c.session_transaction() as session:
            session.clear()
            session.update(kept)
        count[0] += 1
        c.environ_base["HTTP_X_CSRF_TOKEN"] = "forged" if count[0] % 8 == 0 else kept["csrf"]

    seen = fuzz_app(organizer_app, lambda: client, before, examples=2 * EXAMPLES_PER_ROUTE)
    assert_clean(tally.engine, "after fuzzing the organizer app logged in")
    # The fuzz reached the handlers, not only the guards (400: control characters, 403: a forged CSRF token).
    posts = {key: counts for key, counts in seen.items() if key.startswith("POST ")}
    reached = {key for key, counts in posts.items() if set(counts) - {400, 403}}
    print(f"organizer POST routes whose handler answered: {len(reached)} of {len(posts)}")
    assert len(reached) >= 0.8 * len(posts), f"only the guards answered: {sorted(set(posts) - reached)}"


def test_every_route_is_fuzzed(kiosk_app: Flask, organizer_app: Flask) -> None:
    """FIELDS lists exactly the endpoints of both apps: a new route cannot slip past the fuzzer."""
    endpoints = {r.endpoint for app in (kiosk_app, organizer_app) for r in app.url_map.iter_rules()}
    assert set(BASELINE) <= set(FIELDS)
    assert all(set(form) <= set(FIELDS[endpoint]) for endpoint, form in BASELINE.items())
    assert endpoints - set(FIELDS) == set(), "routes not fuzzed: add them to FIELDS"
    assert set(FIELDS) - endpoints == set(), "FIELDS names routes that no longer exist"


def rosa_session(app: Flask) -> str:
    """A live organizer session for rosa, as a login makes (sessions are checked on the server)."""
    tally = app.extensions["tally"]
    return accounts.start_session(tally.engine, "rosa", lifetime=timedelta(hours=1), clock=tally.clock)


def test_the_fuzzers_uploads_reach_the_import(organizer_app: Flask, tally: Tally) -> None:
    """A check on the fuzzer itself: its hand-written multipart bodies are real uploads."""
    client = organizer_app.test_client()
    with client.session_transaction() as session:
        session.update({"sid": rosa_session(organizer_app), "csrf": "t"})
    body, content_type = multipart("r.csv", b"name\nZoe Quinn\n", [("csrf_token", "t")])
    response = client.post("/organizer/m/GA13/import/roster", data=body, content_type=content_type)
    assert response.status_code == 200
    assert [p.display_name for p in tally.find_people("GA13", "Zoe Quinn")] == ["Zoe Q."]


# --- what the fuzzer found, pinned ------------------------------------------------------------------------


def test_walkin_with_nul_and_control_characters(kiosk_app: Flask, tally: Tally) -> None:
    # A forged post put NUL into the page (echoed back in the form) and into signins.name, where PostgreSQL
    # raises a raw DataError: typed fields now drop control and invisible characters.
    client = kiosk_app.test_client()
    again = client.post("/kiosk/walkin", data={"name": "", "phone": "\x00510\x1b"})
    assert again.status_code == 422 and "\x00" not in again.get_data(as_text=True)
    done = client.post(
        "/kiosk/walkin", data={"name": "Zoe\x00 Qu\u202einn\x07", "phone": "415\x00 555 0197", "joining": "1"}
    )
    assert done.status_code == 303
    assert [s["name"] for s in tally.signins("GA12") if s["phone"] == "+14155550197"] == ["Zoe Quinn"]
    client.post("/kiosk/reset")
    found = client.post("/kiosk/find", data={"by": "name", "q": "\x00Zo\x00e"}, follow_redirects=True)
    assert "Zoe Q." in found.get_data(as_text=True)
    assert_clean(tally.engine)


def test_demo_phone_page_does_not_echo_control_characters(kiosk_app: Flask) -> None:
    page = kiosk_app.test_client().get("/simulate/phone?from=%00%2B1510%1B5550101")
    assert page.status_code == 200 and "\x00" not in page.get_data(as_text=True)
    assert 'value="+15105550101"' in page.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/organizer/m/GA13/planks/2147483648/edit",
        "/organizer/m/GA13/planks/9223372036854775808/move",
        "/organizer/m/GA12/people/99999999999999999999/reissue",
    ],
)
def test_ids_too_big_for_a_column_are_not_found(organizer_app: Flask, path: str) -> None:
    # Found by the fuzzer: <int:...> takes any number of digits, and the query failed with "integer out of
    # range" (PostgreSQL) or OverflowError (SQLite): a 500.
    client = organizer_app.test_client()
    with client.session_transaction() as session:
        session.update({"sid": rosa_session(organizer_app), "csrf": "t"})
    assert client.post(path, data={"csrf_token": "t", "title": "x"}).status_code == 404
    assert client.post(path.replace("2147483648", "2147483647"), data={"csrf_token": "t"}).status_code in (302, 404)


def test_organizer_forms_with_control_characters_are_refused(organizer_app: Flask, tally: Tally) -> None:
    # Found by the fuzzer: a login name with NUL was echoed into the login page and stored in login_attempts
    # (a raw DataError on PostgreSQL). Browsers cannot send control characters; a forged post is refused.
    client = organizer_app.test_client()
    page = client.get("/organizer/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    refused = client.post("/organizer/login", data={"name": "rosa\x00", "password": "x", "csrf_token": token})
    assert refused.status_code == 400 and "control characters" in refused.get_data(as_text=True)
    assert "\x00" not in refused.get_data(as_text=True)
    with client.session_transaction() as session:
        session.update({"sid": rosa_session(organizer_app), "csrf": "t"})
    form = {"csrf_token": "t", "code": "GA20", "title": "Spring\x1b", "starts": "2026-12-03T19:00"}
    assert client.post("/organizer/meetings", data=form).status_code == 400
    form = {**form, "title": "Spring\tAssembly\r\n", "place": " Casa\n Azul"}  # a browser can send these
    assert client.post("/organizer/meetings", data=form).status_code == 302
    assert (tally.meeting("GA20").title, tally.meeting("GA20").place) == ("Spring Assembly", "Casa Azul")
    assert_clean(tally.engine)


@pytest.mark.parametrize("path", ["/results/%00", "/results/GA%0012.json"])
def test_meeting_code_with_nul_is_not_found(kiosk_app: Flask, path: str) -> None:
    # Found by the fuzzer: PostgreSQL refuses to compare a string holding NUL (a raw DataError, so a 500).
    assert kiosk_app.test_client().get(path).status_code == 404


@pytest.mark.parametrize(
    "fields",
    [
        {"quorum": "99999999999"},  # integer out of range (PostgreSQL), OverflowError (SQLite)
        {"quorum": "9" * 30},
        {"starts": "9999-12-31T23:59"},  # date value out of range when converted to UTC
        {"starts": "0001-01-01T00:00+14:00"},
        {"title": "T" * 201},  # value too long for varchar(200) on PostgreSQL; stored oversize on SQLite
        {"place": "P" * 201},
        {"min_attended": "9" * 30, "of_last": "3"},  # the attendance rule: too big, half given, not a number
        {"min_attended": "2"},
        {"min_attended": "two", "of_last": "3"},
        {"min_attended": "1", "of_last": "-3"},
    ],
)
def test_meeting_fields_out_of_range_are_refused_plainly(organizer_app: Flask, tally: Tally, fields: dict) -> None:
    # Found by probing what the fuzzer reached: each of these was a 500 on creating the meeting.
    client = organizer_app.test_client()
    with client.session_transaction() as session:
        session.update({"sid": rosa_session(organizer_app), "csrf": "t"})
    form = {"csrf_token": "t", "code": "GA30", "title": "T", "starts": "2026-12-03T19:00", **fields}
    response = client.post("/organizer/meetings", data=form, follow_redirects=True)
    assert response.status_code == 200 and "GA30" not in [m.code for m in tally.meetings()]
    assert client.post("/organizer/m/GA13/edit", data=form).status_code == 302
    assert_clean(tally.engine)


def test_texts_to_an_unknown_audience_go_to_members_with_clean_keys(organizer_app: Flask, tally: Tally) -> None:
    # Found by the fuzzer: the audience was any string, stored in each text's dedupe key (with a line break, or
    # so long that the cut at 120 characters made every recipient's key the same: one text queued, not all).
    client = organizer_app.test_client()
    with client.session_transaction() as session:
        session.update({"sid": rosa_session(organizer_app), "csrf": "t"})
    form = {"csrf_token": "t", "body": "Hello", "audience": "\r\n" + "x" * 200, "kind": "manual"}
    assert client.post("/organizer/m/GA13/texts/send", data=form).status_code == 302
    gateway = organizer_app.extensions["organizer_gateway"]
    queued = gateway.outbound(limit=1000)
    assert len(queued) == len(gateway.recipients(gateway.member_phones())) > 1
    assert all(row["dedupe_key"].startswith("org:GA13:members:") for row in queued)
    assert_clean(tally.engine)
