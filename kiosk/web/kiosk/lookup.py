"""The sign-in look-up: its rules, shared by the find page and by the page's script, and the script's answer.

The find page's script (static/kiosk.js) posts the look-up form as the page would, asks for JSON
(``Accept: application/json``) and shows the matches in place. On a Pi, Chromium loading and laying out the
whole find page again after each look-up was most of what an attendee waited for; without the script (or when
its answer is not JSON) the form posts as before and the server answers with the whole page.

``LookupEndpoint`` answers that JSON post in front of Flask. At Pi speed (docs/benchmarks.md) a request through
Flask cost about a millisecond of CPU before any look-up began, most of it in caches refilled after every pause
of the core, and a look-up through Flask took two or three of the Pi's 10 ms scheduling periods. It answers only
the ordinary case: a request for a trusted host name from a screen whose session is alive, while sign-in is
open. Anything else is refused with a status the script answers by posting the form as a page, which Flask then
answers as it always did (the redirect to welcome, the storage error page, a new session), so no rule lives in
two places but the few checks below. Nothing here logs what was looked up (a name or a phone number): a fault
is logged by its kind only.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import werkzeug.urls  # noqa: F401  (registers the "werkzeug.url_quote" error handler the form is read with)
from werkzeug.exceptions import SecurityError
from werkzeug.sansio.http import parse_cookie
from werkzeug.wsgi import get_host

from kiosk import i18n
from kiosk.errors import KioskError
from kiosk.kiosk_session import COOKIE, KioskSession, Match
from kiosk.roster import fold, strip_invisible
from kiosk.tally import Meeting, Tally
from kiosk.tally.model import SIGNIN_STATES

if TYPE_CHECKING:
    from flask import Flask

log = logging.getLogger(__name__)

QUERY_LIMIT = 60  # characters of a query kept (the field's maxlength)
FORM_LIMIT = 4096  # bytes of a look-up's form: "by" and a query of 60 characters need a few hundred


def can_sign_in(meeting: Meeting | None) -> bool:
    return meeting is not None and meeting.state in SIGNIN_STATES


def typed_text(value: str, limit: int) -> str:
    """What the attendee typed, at most ``limit`` characters. The on-screen keyboard cannot type control or
    invisible characters, but a forged post can: they would be echoed into the page and stored (PostgreSQL refuses
    NUL outright), so they are dropped here."""
    return strip_invisible(value[: limit * 2])[:limit]


@dataclass(frozen=True)
class LookupAnswer:
    """What a look-up found, or why the query could not be searched (``refusal``, a catalogue key)."""

    by: str
    query: str
    matches: list[Match]
    refusal: str | None

    @property
    def status(self) -> int:
        return 422 if self.refusal else 200


def look_up(tally: Tally, meeting: Meeting, session: KioskSession, by: str | None, typed: str) -> LookupAnswer:
    """Search ``meeting``'s roster and RSVPs for what was typed, and keep the query and matches in ``session``
    (the sign-in post names a match by its place in them, so no member id is ever on the page)."""
    session.search_by = by if by in ("phone", "name") else "phone"
    query = " ".join(typed_text(typed, QUERY_LIMIT).split())[:QUERY_LIMIT]
    session.query = query
    digits = sum(ch.isdigit() for ch in query)
    letters = len(fold(query).replace(" ", ""))
    too_short = (digits < 7 or any(ch.isalpha() for ch in query)) and letters < 2
    # Garbage in the phone field (too few digits, or more than any phone number has): say how to type one.
    alpha = sum(ch.isalpha() for ch in query)
    not_a_phone = session.search_by == "phone" and alpha < 2 and not 7 <= digits <= 15
    if too_short or not_a_phone:
        session.matches = []
        return LookupAnswer(session.search_by, query, [], "not_a_phone" if not_a_phone else "too_short")
    people = tally.find_people_in(meeting, query)
    session.matches = [Match(p.display_name, p.member_id, p.phone, p.kind, p.signed_in) for p in people]
    return LookupAnswer(session.search_by, query, session.matches, None)


def none_found_text(by: str, query: str, lang: str) -> str:
    """What "nobody found" tells the attendee to do instead, for what they searched with."""
    if by == "name" and len(fold(query).replace(" ", "")) < 3:  # two letters match only the start of names
        return i18n.translate("none_found_short_name", lang, query=query)
    return i18n.translate("none_found", lang)


def answer_json(answer: LookupAnswer, lang: str) -> dict[str, Any]:
    """The look-up as the find page's script shows it: every word already in the screen's language."""
    if answer.refusal:
        notice: str | None = i18n.translate(answer.refusal, lang)
    elif not answer.matches:
        notice = none_found_text(answer.by, answer.query, lang)
    else:
        notice = None
    tags = {"signed_in": i18n.translate("signed_in_tag", lang), "rsvp": i18n.translate("rsvp_tag", lang)}
    return {
        "by": answer.by,
        "query": answer.query,
        "notice": notice,
        "prompt": i18n.translate("pick_yourself", lang) if answer.matches else None,
        "matches": [
            {"label": m.label, "tag": tags["signed_in"] if m.signed_in else tags["rsvp"] if m.kind == "rsvp" else None}
            for m in answer.matches
        ],
    }


class LookupEndpoint:
    """WSGI middleware: ``POST /kiosk/find`` asking for JSON is answered here; every other request goes on to
    ``next_app`` (Flask's ``wsgi_app``)."""

    PATH = "/kiosk/find"

    def __init__(
        self,
        app: Flask,
        next_app: Callable[[dict[str, Any], Any], Iterable[bytes]],
        *,
        meeting: Callable[[str | None], Meeting | None],
    ) -> None:
        self.app = app
        self.next_app = next_app
        self.meeting = meeting  # the kiosk's meeting for KIOSK_MEETING's code (the same as the pages')

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if (
            environ.get("PATH_INFO") != self.PATH
            or environ.get("REQUEST_METHOD") != "POST"
            or "application/json" not in environ.get("HTTP_ACCEPT", "")
        ):
            return self.next_app(environ, start_response)
        status, payload = self._answer(environ)
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        start_response(
            f"{status} {HTTPStatus(status).phrase}",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(body))),
                ("Cache-Control", "no-store"),
                ("X-Content-Type-Options", "nosniff"),
            ],
        )
        return [body]

    def _answer(self, environ: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        config = self.app.config
        try:  # the same check as Flask's (DNS rebinding): only our own host names
            get_host(environ, trusted_hosts=config.get("TRUSTED_HOSTS"))
        except SecurityError:
            return 400, {"error": "untrusted host"}
        if not environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
            return 415, {"error": "a form is expected"}
        try:
            length = int(environ.get("CONTENT_LENGTH") or "")
        except ValueError:
            return 400, {"error": "no length"}
        if not 0 <= length <= FORM_LIMIT:
            return 413, {"error": "too long"}
        raw = environ["wsgi.input"].read(length)
        try:  # read as Flask reads a form (werkzeug.formparser), so both answers search for the same text
            fields = parse_qsl(raw.decode(), keep_blank_values=True, errors="werkzeug.url_quote", max_num_fields=8)
        except ValueError:  # not UTF-8, or too many fields
            return 400, {"error": "not a look-up form"}
        form: dict[str, str] = {}
        for name, value in fields:  # the first of a repeated field, as Flask's request.form.get gives it
            form.setdefault(name, value)
        state = self.app.extensions["kiosk"]
        session = state.sessions.live(parse_cookie(environ.get("HTTP_COOKIE")).get(COOKIE))
        if session is None:  # no screen session (expired, or a restart): the page's post makes one
            return 409, {"error": "no session"}
        try:
            meeting = self.meeting(config.get("KIOSK_MEETING"))
            if not can_sign_in(meeting):  # the page's post is redirected to welcome
                return 409, {"error": "sign-in is not open"}
            assert meeting is not None
            answer = look_up(state.tally, meeting, session, form.get("by", "phone"), form.get("q", ""))
        except KioskError:  # the database is busy or unreachable: the page's post shows it in the screen's words
            return 503, {"error": "storage"}
        except Exception as exc:  # a fault of ours: the page's post meets it too, and Flask logs it there
            log.error("the find page's JSON look-up failed (%s); its page post follows", type(exc).__name__)
            return 503, {"error": "failed"}
        return answer.status, answer_json(answer, session.lang)
