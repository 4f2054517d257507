"""The meetings list and a meeting's setup: details, planks, CSV imports, the test deck, and the state
changes (each through a confirmation page)."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from kiosk import i18n
from kiosk.errors import InvalidInput, KioskError
from kiosk.plank_texts import translation_languages
from kiosk.results import Threshold
from kiosk.tally import MeetingState
from kiosk.testdeck import run_test_deck
from kiosk.web.organizer.security import login_required
from kiosk.web.organizer.views.base import (
    _actor,
    _closed_refusal,
    _meeting_or_404,
    _tally,
    bp,
)

STATE_ACTIONS = {
    "open-signin": (MeetingState.SIGNIN_OPEN, "Open sign-in", "Attendees can sign in at the kiosk."),
    "open-voting": (
        MeetingState.VOTING_OPEN,
        "Open voting",
        "Ballots can be cast. Planks, contests, quorum and who may vote can no longer change. Sign-in stays open.",
    ),
    "close": (
        MeetingState.CLOSED,
        "Close the meeting",
        "This is final: voting ends for everyone and the meeting cannot be reopened.",
    ),
}


@bp.get("/")
@login_required
def meetings() -> str:
    tally = _tally()
    return render_template(
        "organizer/meetings.html",
        meetings=tally.meetings(),
        members=tally.member_count(),
        platform_count=len(tally.platform()),
    )


def _one_line(form: Any, name: str) -> str:
    """A title or place: on one line, single-spaced (a tab or line break pasted in is not part of it)."""
    return " ".join(str(form.get(name, "")).split())


def _meeting_fields(form: Any) -> dict[str, Any]:
    days = form.get("min_membership_days", "").strip()
    try:
        min_days = int(days) if days else None
    except ValueError:
        raise InvalidInput("minimum membership days must be a whole number") from None
    fields = {
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
    # The attendance rule's fields are left out of the form (disabled) once the meeting has left draft: absent,
    # they change nothing; both empty means no rule. The tally checks the numbers.
    if "min_attended" in form or "of_last" in form:
        fields["min_attended"] = form.get("min_attended", "").strip() or None
        fields["of_last"] = form.get("of_last", "").strip() or None
    return fields


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
        platform=tally.platform(),
        platform_changes=tally.plank_platform_changes(m.code),
        contests=tally.contests(m.code),
        thresholds=[t.value for t in Threshold],
        translation_languages={lang: i18n.LANGUAGES[lang] for lang in translation_languages()},
        report=report,
        deck=deck,
        editable=m.state in (MeetingState.DRAFT, MeetingState.SIGNIN_OPEN),
        members=tally.member_count(),
        attendance=tally.attendance_window(m.code),
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
    try:
        action, target = _platform_change(request.form)
    except InvalidInput as exc:
        flash(f"Plank not added: {exc}", "error")
        return redirect(url_for("organizer.meeting", code=m.code) + "#planks")
    writer.writerow(
        [
            "title",
            "text",
            "threshold",
            "amends",
            "repeals",
            *(f"{f}_{lang}" for lang in langs for f in ("title", "text")),
        ]
    )
    writer.writerow(
        [
            _one_line(request.form, "title"),
            request.form.get("text", ""),
            request.form.get("threshold", ""),
            target if action == "amends" else "",
            target if action == "repeals" else "",
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


def _platform_change(form: Any) -> tuple[str | None, str]:
    """The plank form's pick-list: ("amends" | "repeals", the title of a platform plank in force), or (None, "")
    for a plank that only adds to the platform."""
    choice = form.get("platform_change", "")
    if not choice:
        return None, ""
    action, _, target_id = choice.partition(":")
    titles = {str(p.id): p.title for p in _tally().platform()}
    if action not in ("amends", "repeals") or target_id not in titles:
        raise InvalidInput("the platform plank picked is no longer in force; reload the page and pick again")
    return action, titles[target_id]


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
        if "platform_change" in request.form:
            action, target = _platform_change(request.form)
            _tally().set_plank_platform_change(m.code, plank_id, action, target, actor=_actor())
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
        elif what == "contests":
            report = tally.import_contests(m.code, text, actor=_actor())
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
            _audio().start(m.code, _tally().planks(m.code), _tally().contests(m.code))
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
