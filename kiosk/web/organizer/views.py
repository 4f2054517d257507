"""The organizer pages (``/organizer/...``) and the public ballot verification page (``/verify``).

Every organizer view requires a login; every form posts a CSRF token (see ``security``). Actions that cannot
be undone (opening sign-in or voting, closing, reissuing a ballot code, sending texts) go through a
confirmation page first and are recorded in the audit log with the organizer's name.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from functools import partial
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    stream_with_context,
    url_for,
)
from markupsafe import Markup

from kiosk import accounts, export, i18n
from kiosk.device_status import device_statuses
from kiosk.errors import InvalidInput, KioskError, NotFound, StateError, TokenRejected
from kiosk.live_figures import release_figures
from kiosk.plank_texts import ORIGINAL_LANGUAGE, Shown, translation_languages
from kiosk.print_queue import PrintQueue
from kiosk.results import Threshold
from kiosk.tally import MeetingState, Tally
from kiosk.testdeck import run_test_deck
from kiosk.tokens import normalize_code
from kiosk.web.organizer.live import LiveFigures, View
from kiosk.web.organizer.security import current_organizer, log_in, log_out, login_required, safe_next
from kiosk.web.plank_words import in_language
from sms.segments import segment_count

log = logging.getLogger(__name__)

bp = Blueprint("organizer", __name__, url_prefix="/organizer", template_folder="templates", static_folder="static")
public = Blueprint("public", __name__, template_folder="templates")

KEEPALIVE_S = 10.0
STREAM_MAX_S = 300.0  # the browser reconnects by itself; a long-lived thread is given back now and then
POLL_S = 1.0

STATE_ACTIONS = {
    "open-signin": (MeetingState.SIGNIN_OPEN, "Open sign-in", "Attendees can sign in at the kiosk."),
    "open-voting": (
        MeetingState.VOTING_OPEN,
        "Open voting",
        "Ballots can be cast. Planks, quorum and who may vote can no longer change. Sign-in stays open.",
    ),
    "close": (
        MeetingState.CLOSED,
        "Close the meeting",
        "This is final: voting ends for everyone and the meeting cannot be reopened.",
    ),
}


MAX_ID = 2**31 - 1  # row ids are 32-bit integers on PostgreSQL (SQLite's are 64-bit)


@bp.url_value_preprocessor
def _ids_in_range(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    # ``<int:...>`` takes any number of digits: a row id no database column can hold is simply not there (an
    # overflow error otherwise: "integer out of range" on PostgreSQL, OverflowError on SQLite).
    if values and any(isinstance(v, int) and not 0 <= v <= MAX_ID for v in values.values()):
        abort(404)


class StreamRegistry:
    """Counts open event streams, and ends them all when the server stops (each holds a waitress thread)."""

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self.open = 0

    def opened(self) -> None:
        with self._lock:
            self.open += 1

    def closed(self) -> None:
        with self._lock:
            self.open -= 1


def _tally() -> Tally:
    return current_app.extensions["tally"]


def _live() -> LiveFigures:
    return current_app.extensions["organizer_live"]


def _settings() -> Any:
    return current_app.config["SETTINGS"]


def _meeting_or_404(code: str) -> Any:
    try:
        return _tally().meeting(code)
    except NotFound:
        abort(404)


def _actor() -> str:
    return f"organizer:{current_organizer()}"


def _now() -> datetime:
    return _tally().clock()


def _client_address() -> str:
    return request.remote_addr or "unknown"


# What can no longer happen once a meeting is closed: the pages do not offer it, and the routes refuse it.
CLOSED_REFUSALS = {
    "reissue": "Meeting {code} is closed: voting has ended, so ballot codes can no longer be reissued.",
    "texts": "Meeting {code} is closed: invitations and reminders for it can no longer be sent. "
    "A text of your own can still be sent.",
    "state": "Meeting {code} is closed, and closing is final: it cannot be opened again.",
}


def _closed_refusal(m: Any, what: str, to: str) -> Any:
    """A redirect back with the reason flashed when ``m`` is closed, else None."""
    if m.state is not MeetingState.CLOSED:
        return None
    flash(CLOSED_REFUSALS[what].format(code=m.code), "error")
    return redirect(to, code=303 if request.method == "POST" else 302)


# --- login ------------------------------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    message = None
    if request.method == "POST":
        name = request.form.get("name", "")
        password = request.form.get("password", "")
        result = accounts.authenticate(_tally().engine, name, password, _client_address(), clock=_now)
        if result.ok and result.name:
            log_in(result.name)
            # Logged, not audited: a log-in after the close must not move the audit head the tally tape printed.
            log.info("organizer %s logged in from %s", result.name, _client_address())
            return redirect(safe_next(request.form.get("next")))
        if result.outcome is accounts.LoginOutcome.LOCKED:
            message = f"Too many failed attempts. Try again in {result.retry_after_s} seconds."
        else:
            message = "That name and password do not match."
        status = 429 if result.outcome is accounts.LoginOutcome.LOCKED else 401
        return render_template(
            "organizer/login.html", message=message, next=request.form.get("next", ""), name=name
        ), status
    return render_template("organizer/login.html", message=None, next=request.args.get("next", ""), name="")


@bp.post("/logout")
def logout() -> Any:
    log_out()
    return redirect(url_for("organizer.login"))


# --- meetings ---------------------------------------------------------------------------------------------


@bp.get("/")
@login_required
def meetings() -> str:
    return render_template("organizer/meetings.html", meetings=_tally().meetings(), members=_tally().member_count())


def _one_line(form: Any, name: str) -> str:
    """A title or place: on one line, single-spaced (a tab or line break pasted in is not part of it)."""
    return " ".join(str(form.get(name, "")).split())


def _meeting_fields(form: Any) -> dict[str, Any]:
    days = form.get("min_membership_days", "").strip()
    try:
        min_days = int(days) if days else None
    except ValueError:
        raise InvalidInput("minimum membership days must be a whole number") from None
    return {
        "title": _one_line(form, "title"),
        "starts": form.get("starts", ""),
        "place": _one_line(form, "place"),
        "quorum": form.get("quorum", "0") or "0",
        "min_membership_days": min_days,
        "guests_may_vote": form.get("guests_may_vote") == "on",
        "show_choices_on_receipt": form.get("show_choices_on_receipt") == "on",
        "live_results_shown": form.get("live_results_shown") == "on",
        "results_hidden_until_close": form.get("results_hidden_until_close") == "on",
    }


@bp.post("/meetings")
@login_required
def create_meeting() -> Any:
    tally = _tally()
    try:
        fields = _meeting_fields(request.form)
        display = {k: fields.pop(k) for k in ("live_results_shown", "results_hidden_until_close")}
        meeting = tally.create_meeting(code=request.form.get("code", ""), actor=_actor(), **fields)
        if any(display.values()):
            tally.update_meeting(meeting.code, actor=_actor(), **display)
    except KioskError as exc:
        flash(str(exc), "error")
        return redirect(url_for("organizer.meetings"))
    flash(f"Meeting {meeting.code} created.", "ok")
    return redirect(url_for("organizer.meeting", code=meeting.code))


@bp.get("/m/<code>")
@login_required
def meeting(code: str) -> str:
    return _meeting_page(_meeting_or_404(code))


def _meeting_page(m: Any, *, report: dict[str, Any] | None = None, deck: dict[str, Any] | None = None) -> str:
    # Reports are rendered in the answer to the upload, not kept in the session: a long list of refused
    # lines would overflow the session cookie.
    tally = _tally()
    return render_template(
        "organizer/meeting.html",
        m=m,
        planks=tally.planks(m.code),
        thresholds=[t.value for t in Threshold],
        translation_languages={lang: i18n.LANGUAGES[lang] for lang in translation_languages()},
        report=report,
        deck=deck,
        editable=m.state in (MeetingState.DRAFT, MeetingState.SIGNIN_OPEN),
        members=tally.member_count(),
        audio=_audio().status(m.code),
    )


def _audio() -> Any:
    """The audio ballot's builder (kiosk.audio.service.AudioBuilder), one per organizer app."""
    audio = current_app.extensions.get("audio")
    if audio is None:
        from kiosk.audio.service import AudioBuilder

        audio = current_app.extensions["audio"] = AudioBuilder(current_app.config["SETTINGS"])
    return audio


@bp.post("/m/<code>/edit")
@login_required
def edit_meeting(code: str) -> Any:
    m = _meeting_or_404(code)
    try:
        _tally().update_meeting(m.code, actor=_actor(), **_meeting_fields(request.form))
        flash("Meeting saved.", "ok")
    except KioskError as exc:
        flash(str(exc), "error")
    return redirect(url_for("organizer.meeting", code=m.code))


@bp.post("/m/<code>/planks")
@login_required
def add_plank(code: str) -> Any:
    m = _meeting_or_404(code)
    out = io.StringIO()
    writer = csv.writer(out)
    langs = translation_languages()
    writer.writerow(["title", "text", "threshold", *(f"{f}_{lang}" for lang in langs for f in ("title", "text"))])
    writer.writerow(
        [
            _one_line(request.form, "title"),
            request.form.get("text", ""),
            request.form.get("threshold", ""),
            *(
                _one_line(request.form, f"title_{lang}") if f == "title" else request.form.get(f"text_{lang}", "")
                for lang in langs
                for f in ("title", "text")
            ),
        ]
    )
    try:
        report = _tally().import_planks(m.code, out.getvalue(), actor=_actor())
        if report.refused:
            flash("Plank not added: " + "; ".join(r.split(": ", 1)[-1] for r in report.refused), "error")
        elif report.updated:
            flash("A plank with that title existed; it was updated.", "ok")
        else:
            flash("Plank added.", "ok")
    except KioskError as exc:
        flash(str(exc), "error")
    return redirect(url_for("organizer.meeting", code=m.code) + "#planks")


@bp.post("/m/<code>/planks/<int:plank_id>/edit")
@login_required
def edit_plank(code: str, plank_id: int) -> Any:
    m = _meeting_or_404(code)
    try:
        _tally().update_plank(
            m.code,
            plank_id,
            title=_one_line(request.form, "title"),
            text=request.form.get("text", ""),
            threshold=request.form.get("threshold", "majority"),
            translations={
                lang: (_one_line(request.form, f"title_{lang}"), request.form.get(f"text_{lang}", ""))
                for lang in translation_languages()
                if f"title_{lang}" in request.form or f"text_{lang}" in request.form
            },
            actor=_actor(),
        )
        flash("Plank saved.", "ok")
    except KioskError as exc:
        flash(str(exc), "error")
    return redirect(url_for("organizer.meeting", code=m.code) + "#planks")


@bp.post("/m/<code>/planks/<int:plank_id>/move")
@login_required
def move_plank(code: str, plank_id: int) -> Any:
    m = _meeting_or_404(code)
    offset = -1 if request.form.get("direction") == "up" else 1
    try:
        _tally().move_plank(m.code, plank_id, offset, actor=_actor())
    except KioskError as exc:
        flash(str(exc), "error")
    return redirect(url_for("organizer.meeting", code=m.code) + "#planks")


def _upload_text() -> str:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidInput("choose a CSV file first")
    try:
        return upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("the file is not UTF-8 text; save it from the spreadsheet as 'CSV UTF-8'") from None


@bp.post("/m/<code>/import/<what>")
@login_required
def import_csv(code: str, what: str) -> Any:
    m = _meeting_or_404(code)
    tally = _tally()
    try:
        text = _upload_text()
        if what == "planks":
            report = tally.import_planks(m.code, text, actor=_actor())
        elif what == "roster":
            report = tally.import_roster(text, actor=_actor())
        else:
            abort(404)
    except KioskError as exc:
        flash(str(exc), "error")
        return redirect(url_for("organizer.meeting", code=m.code) + "#import")
    return _meeting_page(_tally().meeting(m.code), report={"what": what, **report.as_dict()})


@bp.post("/m/<code>/test-deck")
@login_required
def test_deck(code: str) -> Any:
    m = _meeting_or_404(code)
    try:
        results = run_test_deck(_tally(), m.code, _upload_text())
        _tally().record_event("test_deck_run", actor=_actor(), meeting_code=m.code, ballots=results.ballots_cast)
    except KioskError as exc:
        flash(f"Test deck: {exc}", "error")
        return redirect(url_for("organizer.meeting", code=m.code) + "#testdeck")
    return _meeting_page(m, deck=results.as_dict())


@bp.route("/m/<code>/state/<action>", methods=["GET", "POST"])
@login_required
def change_state(code: str, action: str) -> Any:
    m = _meeting_or_404(code)
    if action not in STATE_ACTIONS:
        abort(404)
    target, label, explanation = STATE_ACTIONS[action]
    refused = _closed_refusal(m, "state", url_for("organizer.dashboard", code=m.code))
    if refused is not None:
        return refused
    if request.method == "GET":
        return render_template("organizer/confirm_state.html", m=m, action=action, label=label, explanation=explanation)
    if request.form.get("confirm") != m.code:
        flash(f"Type the meeting code {m.code} to confirm.", "error")
        return redirect(url_for("organizer.change_state", code=m.code, action=action))
    try:
        _tally().set_state(m.code, target, actor=_actor())
        flash(f"{label}: done.", "ok")
        if target is MeetingState.VOTING_OPEN:  # the audio ballot is rendered now, in the background
            _audio().start(m.code, _tally().planks(m.code))
        owed = _tally().storage_order_pending() if target is MeetingState.CLOSED else None
        if owed:
            flash(
                f"The database files still keep the order ballots were cast in: {owed} Close the other program; "
                "the kiosk finishes the rewrite within a minute (see Devices, storage_order), or close again.",
                "error",
            )
    except KioskError as exc:
        flash(str(exc), "error")
    return redirect(url_for("organizer.dashboard", code=m.code))


# --- during the meeting -----------------------------------------------------------------------------------


def _peeking(code: str) -> bool:
    return code in session.get("peek", [])


@bp.get("/m/<code>/dashboard")
@login_required
def dashboard(code: str) -> str:
    m = _meeting_or_404(code)
    view = _live().view(_tally(), m.code, peek=_peeking(m.code))
    return render_template("organizer/dashboard.html", m=m, v=view, peeking=_peeking(m.code))


@bp.post("/m/<code>/peek")
@login_required
def peek(code: str) -> Any:
    m = _meeting_or_404(code)
    if request.form.get("stop"):
        session["peek"] = [c for c in session.get("peek", []) if c != m.code]
    else:
        _tally().record_event("results_peeked", actor=_actor(), meeting_code=m.code)
        session["peek"] = [*session.get("peek", []), m.code]
    return redirect(url_for("organizer.dashboard", code=m.code))


@bp.get("/m/<code>/projector")
@login_required
def projector(code: str) -> str:
    m = _meeting_or_404(code)
    view = _live().view(_tally(), m.code, for_projector=True)
    return render_template("organizer/projector.html", m=m, v=view)


def _fragment(view: View, kind: str) -> str:
    template = "organizer/_projector_body.html" if kind == "projector" else "organizer/_dashboard_body.html"
    return render_template(template, v=view, m=view.meeting)


@bp.get("/m/<code>/events")
@login_required
def events(code: str) -> Response:
    """Server-sent events: the dashboard or projector body, re-rendered when it changes, with keep-alives."""
    m = _meeting_or_404(code)
    kind = "projector" if request.args.get("view") == "projector" else "dashboard"
    peeking = _peeking(m.code) and kind == "dashboard"
    tally, live = _tally(), _live()
    streams: StreamRegistry = current_app.extensions["organizer_streams"]
    keepalive = float(current_app.config.get("ORGANIZER_KEEPALIVE_S", KEEPALIVE_S))
    poll = float(current_app.config.get("ORGANIZER_POLL_S", POLL_S))

    def stream() -> Iterator[str]:
        started = last_sent_at = time.monotonic()
        last = None
        streams.opened()
        try:
            yield "retry: 2000\n\n"
            while time.monotonic() - started < STREAM_MAX_S and not streams.stopping.is_set():
                view = live.view(tally, m.code, for_projector=kind == "projector", peek=peeking)
                html = _fragment(view, kind)
                if html != last:
                    last = html
                    last_sent_at = time.monotonic()
                    yield f"event: update\ndata: {json.dumps({'html': html, 'state': str(view.meeting.state)})}\n\n"
                elif time.monotonic() - last_sent_at >= keepalive:
                    # A comment line; a client that has gone is only noticed when a write fails.
                    last_sent_at = time.monotonic()
                    yield ": keep-alive\n\n"
                streams.stopping.wait(poll)
        finally:
            streams.closed()

    response = Response(stream_with_context(stream()), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"
    return response


@bp.get("/m/<code>/people")
@login_required
def people(code: str) -> str:
    m = _meeting_or_404(code)
    return render_template("organizer/people.html", m=m, people=_tally().signins(m.code))


@bp.route("/m/<code>/people/<int:signin_id>/reissue", methods=["GET", "POST"])
@login_required
def reissue(code: str, signin_id: int) -> Any:
    m = _meeting_or_404(code)
    tally = _tally()
    person = next((p for p in tally.signins(m.code) if p["id"] == signin_id), None)
    if person is None:
        abort(404)
    refused = _closed_refusal(m, "reissue", url_for("organizer.people", code=m.code))
    if refused is not None:
        return refused
    if request.method == "GET":
        return render_template("organizer/confirm_reissue.html", m=m, person=person)
    try:
        token = tally.reissue_token(
            m.code, signin_id, actor=_actor(), reason=request.form.get("reason", "lost receipt")
        )
    except (KioskError, TokenRejected) as exc:
        flash(str(exc), "error")
        return redirect(url_for("organizer.people", code=m.code))
    from kiosk.roster import display_name
    from kiosk.signin_receipts import receipt_language, signin_receipt_for

    receipt = signin_receipt_for(
        _settings(),
        m,
        display_name=display_name(person["name"]),
        kind=person["kind"],
        token=token,
        language=receipt_language(tally.engine, signin_id),
        reprint=True,
    )
    PrintQueue(tally.engine).submit(
        "signin", f"signin:{_tally().token_hash(token)}", receipt.to_json(), meeting_code=m.code, reprint=True
    )
    flash(
        f"A new ballot code for {display_name(person['name'])} is printing (marked REPRINT). The old one no "
        "longer works.",
        "ok",
    )
    return redirect(url_for("organizer.people", code=m.code))


@bp.post("/m/<code>/tally-tape")
@login_required
def tally_tape(code: str) -> Any:
    m = _meeting_or_404(code)
    settings = _settings()
    try:
        key, tape = export.closing_tape(
            _tally(),
            m.code,
            organization=settings.organization.name,
            columns=settings.printer.columns,
            printed_at=_now(),
        )
    except StateError as exc:  # before the close its figures are withheld, like every path's
        flash(str(exc), "error")
        return redirect(url_for("organizer.dashboard", code=m.code))
    copy = request.form.get("copy") == "1"
    if copy:
        key = f"{key[:70]}:copy:{int(_now().timestamp() * 1000)}:{uuid.uuid4().hex[:8]}"
    if PrintQueue(_tally().engine).submit("tally", key, tape.to_json(), meeting_code=m.code, reprint=copy):
        flash("The tally tape is queued for the printer.", "ok")
    else:
        flash("This tally tape is already queued or printed; nothing has changed since.", "ok")
    return redirect(url_for("organizer.dashboard", code=m.code))


@bp.get("/devices")
@login_required
def devices() -> str:
    tally = _tally()
    queue = PrintQueue(tally.engine)
    return render_template(
        "organizer/devices.html",
        statuses=device_statuses(tally.engine),
        jobs=queue.jobs(limit=20),
        pending=queue.pending(),
        sms_counts=_gateway().queue_counts(),
    )


# --- RSVPs and texts --------------------------------------------------------------------------------------


def _gateway() -> Any:
    return current_app.extensions["organizer_gateway"]


@bp.get("/m/<code>/rsvps")
@login_required
def rsvps(code: str) -> str:
    m = _meeting_or_404(code)
    current = _tally().current_rsvps(m.code)
    counts = {a: sum(1 for r in current if r.answer == a) for a in ("yes", "no", "maybe")}
    guests = sum(r.guests for r in current if r.answer == "yes")
    maybe_guests = sum(r.guests for r in current if r.answer == "maybe")
    expected = counts["yes"] + guests + (counts["maybe"] + maybe_guests) // 2
    required = _tally().results(m.code).quorum.required
    # Guests do not count toward quorum: the forecast counts members answering yes (and half the maybes).
    member_forecast = (
        sum(1 for r in current if r.answer == "yes" and r.member_id)
        + sum(1 for r in current if r.answer == "maybe" and r.member_id) // 2
    )
    return render_template(
        "organizer/rsvps.html",
        m=m,
        rsvps=current,
        counts=counts,
        guests=guests,
        expected=expected,
        required=required,
        member_forecast=member_forecast,
    )


def _audience_choice() -> str:
    # Only two audiences exist; anything else (a forged form) is the default, never a free string that would go
    # into the dedupe keys (cut at 120 characters, a long one made every recipient's key the same) and the audit.
    return "yes" if request.form.get("audience") == "yes" else "members"


def _audience(code: str, audience: str) -> list[str]:
    return list(_gateway().audience(audience, code).texted)


@bp.get("/m/<code>/texts")
@login_required
def texts(code: str) -> str:
    m = _meeting_or_404(code)
    gateway = _gateway()
    closed = m.state is MeetingState.CLOSED
    kind = "manual" if closed else request.args.get("kind", "invitation")
    # After the close only a text of the organizer's own: no invitation or reminder to start from.
    return render_template(
        "organizer/texts.html",
        m=m,
        kind=kind,
        body="" if closed else _meeting_text(gateway, m, kind, "en"),
        body_es="" if closed else _meeting_text(gateway, m, kind, "es"),
        outbound=gateway.outbound(limit=50),
        inbox=gateway.inbox(limit=50),
        counts=gateway.queue_counts(),
    )


@bp.post("/m/<code>/texts/count")
@login_required
def texts_count(code: str) -> Any:
    m = _meeting_or_404(code)
    body = request.form.get("body", "")
    recipients = len(_audience(m.code, _audience_choice()))
    seg = segment_count(body) if body else None
    segments = seg.segments if seg else 0
    return jsonify(
        {
            "recipients": recipients,
            "segments": segments,
            "encoding": str(seg.encoding) if seg else "",
            "characters": seg.characters if seg else 0,
            "total": recipients * segments,
        }
    )


def _meeting_text(gateway: Any, m: Any, kind: str, lang: str) -> str:
    return gateway.reminder_text(m, lang) if kind == "reminder" else gateway.invitation_text(m, lang)


@bp.post("/m/<code>/texts/review")
@login_required
def texts_review(code: str) -> Any:
    m = _meeting_or_404(code)
    body = request.form.get("body", "").strip()
    audience = _audience_choice()
    if request.form.get("kind") in ("invitation", "reminder"):
        refused = _closed_refusal(m, "texts", url_for("organizer.texts", code=m.code))
        if refused is not None:
            return refused
    if not body:
        flash("Write the text first.", "error")
        return redirect(url_for("organizer.texts", code=m.code))
    recipients = _audience(m.code, audience)
    seg = segment_count(body)
    return render_template(
        "organizer/texts_review.html",
        m=m,
        body=body,
        audience=audience,
        recipients=len(recipients),
        segments=seg.segments,
        total=len(recipients) * seg.segments,
        kind=request.form.get("kind", "manual"),
    )


@bp.post("/m/<code>/texts/send")
@login_required
def texts_send(code: str) -> Any:
    m = _meeting_or_404(code)
    body = request.form.get("body", "").strip()
    audience = _audience_choice()
    kind = request.form.get("kind", "manual")
    if kind not in ("invitation", "reminder", "manual") or not body:
        abort(400)
    if kind != "manual":
        refused = _closed_refusal(m, "texts", url_for("organizer.texts", code=m.code))
        if refused is not None:
            return refused
    recipients = _audience(m.code, audience)
    gateway = _gateway()
    render = None
    if kind in ("invitation", "reminder") and body == _meeting_text(gateway, m, kind, "en"):
        # The meeting's own invitation or reminder, as written: each member gets it in their language (the
        # organizer's own words go as written).
        render = partial(_meeting_text, gateway, m, kind)
    queued = gateway.queue_to_audience(body, kind=kind, audience=audience, meeting_code=m.code, render=render)
    _tally().record_event(
        "texts_queued", actor=_actor(), meeting_code=m.code, audience=audience, kind=kind, queued=queued
    )
    if queued < len(recipients):
        flash(f"{queued} texts queued; {len(recipients) - queued} had this same text already.", "ok")
    else:
        flash(f"{queued} texts queued.", "ok")
    return redirect(url_for("organizer.texts", code=m.code))


# --- exports ----------------------------------------------------------------------------------------------


def _download(body: str, filename: str, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


EXPORT_NAMES = ("attendance.csv", "rsvps.csv", "results.csv", "results.json", "bundle.json")


@bp.get("/m/<code>/export/<name>")
@login_required
def export_file(code: str, name: str) -> Response:
    """A file for organizers; every download is recorded in the audit log with who took it.

    Results follow ``release_figures`` like every other path: stepped until voting closes, refused (403) for
    a meeting that hides results until close, exact after.
    """
    m = _meeting_or_404(code)
    if name not in EXPORT_NAMES:
        abort(404)
    tally = _tally()
    base = f"{m.code}-{name}"
    detail: dict[str, Any] = {}
    if name in ("results.csv", "results.json"):
        released = release_figures(tally, m.code, step=_live().step)
        if released.withheld:
            abort(403, "This meeting hides results until voting closes.")
        detail = {"figures": str(released.release), "counted": released.counted}
    elif name == "bundle.json" and m.state is not MeetingState.CLOSED:
        abort(409, f"meeting {m.code} is not closed yet; the bundle is made after voting closes")
    # Recorded before the file is made, so a meeting bundle carries the entry of its own export.
    tally.record_event("exported", actor=_actor(), meeting_code=m.code, file=name, **detail)
    if name == "attendance.csv":
        return _download(export.attendance_csv(tally, m.code), base, "text/csv")
    if name == "rsvps.csv":
        return _download(export.rsvps_csv(tally, m.code), base, "text/csv")
    if name == "results.csv":
        return _download(export.results_csv(released), base, "text/csv")
    if name == "results.json":
        return _download(export.results_json(tally, released), base, "application/json")
    try:
        bundle = export.meeting_bundle(tally, m.code, exported_at=_now())
    except StateError as exc:
        abort(409, str(exc))
    log.info("meeting bundle of %s exported by %s", m.code, current_organizer())
    return _download(json.dumps(bundle, ensure_ascii=False, indent=1), base, "application/json")


# --- public: ballot verification --------------------------------------------------------------------------


def _verify_language() -> str:
    """The verification page's language: the one asked for (``?lang=es``, the page's own switch), else the
    browser's preference among those the kiosk offers."""
    asked = request.values.get("lang")
    if asked in i18n.LANGUAGES:
        return asked
    return request.accept_languages.best_match(list(i18n.LANGUAGES)) or i18n.DEFAULT_LANGUAGE


def _verify_page(ballot: Any, error: str | None, code: str) -> str:
    lang = _verify_language()
    rows: list[tuple[Markup, str]] = []
    if ballot is not None:
        # The attendee reads each plank in their language; an untranslated one keeps its own lang attribute.
        planks_by_title = {p.title: p for p in _tally().planks(ballot.meeting_code)}
        for title, choice in ballot.choices:
            plank = planks_by_title.get(title)
            shown = plank.title_in(lang) if plank else Shown(title, ORIGINAL_LANGUAGE)
            rows.append((in_language(shown, lang), i18n.translate(str(choice), lang)))
    return render_template(
        "organizer/verify.html",
        ballot=ballot,
        rows=rows,
        error=error,
        code=code,
        page_lang=lang,
        t=lambda key, **kw: i18n.translate(key, lang, **kw),
        other_langs={k: v for k, v in i18n.LANGUAGES.items() if k != lang},
    )


@public.route("/verify", methods=["GET", "POST"])
def verify() -> Any:
    """The form; a code typed (or an old ``?code=`` link) goes to the one address of that ballot's check."""
    code = (request.form.get("code") if request.method == "POST" else request.args.get("code")) or ""
    if code.strip():
        typed = normalize_code(code[:40]) or "".join(code.split())[:40]
        lang = request.values.get("lang")
        extra = {"lang": lang} if lang in i18n.LANGUAGES else {}
        return redirect(url_for("public.verify_code", code=typed, **extra), 303)
    return _verify_page(None, None, "")


@public.get("/verify/<code>")
def verify_code(code: str) -> Any:
    """One ballot's check: the address printed on its receipt and in its QR code (``config.verification_url``)."""
    # A path can carry what no form field may (control characters, NUL): keep only what a code could hold.
    shown = "".join(ch for ch in code[:40] if ch.isprintable())
    ballot = error = None
    try:
        ballot = _tally().lookup_ballot(shown)
    except (NotFound, InvalidInput):
        error = "verify_unknown"
    return _verify_page(ballot, error, shown)
