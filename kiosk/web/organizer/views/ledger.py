"""The organizer's ledger pages (``/organizer/ledger/...``, login required), in English and Spanish (``?lang=``):
importing officials, pledges and recorded votes (CSV, or Open Civic Data VoteEvent files with a map) with a
report, marking the candidates a closed meeting's contests endorsed (``Tally.endorse_from_meeting``), the
scorecard by official and by platform plank, one official's record, a projector view for the
meeting's agenda item "how our officials voted", and the scorecard as CSV."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, request, url_for

from kiosk.errors import InvalidInput, KioskError
from kiosk.ledger.model import LedgerReport
from kiosk.ledger.render import scorecard_csv
from kiosk.tally import MeetingState
from kiosk.web.organizer.scorecard_words import template_helpers
from kiosk.web.organizer.security import login_required
from kiosk.web.organizer.views.base import _actor, _tally, bp
from kiosk.web.organizer.views.meetings import _upload_text
from kiosk.web.organizer.views.public_pages import public_language, render_public

IMPORTS = ("officials", "pledges", "votes", "ocd")
MAX_OCD_FILES = 500


def _page(template: str, **context: Any) -> str:
    lang = public_language()
    return render_public(template, lang, **template_helpers(_tally(), lang), **context)


def _ledger_page(**context: Any) -> str:
    """The ledger's main page; the endorsement form offers the closed meetings (newest first)."""
    closed = [m for m in _tally().meetings() if m.state is MeetingState.CLOSED]
    closed.sort(key=lambda m: m.starts_at, reverse=True)
    context.setdefault("report", None)
    context.setdefault("endorsed", None)
    return _page("organizer/ledger.html", scores=_tally().scorecard(), closed_meetings=closed, **context)


@bp.get("/ledger")
@login_required
def ledger() -> str:
    return _ledger_page()


@bp.post("/ledger/endorse")
@login_required
def ledger_endorse() -> Any:
    """Officials endorsed by a closed meeting's contests; refused (with the reason) before the close."""
    code = request.form.get("code", "")[:16]
    try:
        report = _tally().endorse_from_meeting(code, actor=_actor())
    except KioskError as exc:
        flash(str(exc), "error")
        return redirect(url_for("organizer.ledger", lang=public_language()) + "#endorse", 303)
    return _ledger_page(endorsed=report.as_dict())


def _ocd_files() -> list[tuple[str, bytes]]:
    uploads = [f for f in request.files.getlist("files") if f.filename]
    if not uploads:
        raise InvalidInput("choose the VoteEvent JSON files first")
    if len(uploads) > MAX_OCD_FILES:
        raise InvalidInput(f"at most {MAX_OCD_FILES} files at once")
    return [(f.filename or "file.json", f.read()) for f in uploads]


def _import(what: str) -> LedgerReport:
    tally = _tally()
    if what == "ocd":
        files = _ocd_files()
        upload = request.files.get("map")
        if upload is None or not upload.filename:
            raise InvalidInput("choose the map CSV (matter, plank, yes_means) too")
        try:
            map_text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput("the map is not UTF-8 text; save it from the spreadsheet as 'CSV UTF-8'") from None
        return tally.import_vote_events(files, map_text, actor=_actor())
    text = _upload_text()
    importer = {"officials": tally.import_officials, "pledges": tally.import_pledges, "votes": tally.import_votes}
    return importer[what](text, actor=_actor())


@bp.post("/ledger/import/<what>")
@login_required
def ledger_import(what: str) -> Any:
    if what not in IMPORTS:
        abort(404)
    try:
        report = _import(what)
    except KioskError as exc:
        flash(str(exc), "error")
        return redirect(url_for("organizer.ledger", lang=public_language()) + "#import", 303)
    return _ledger_page(report={"what": what, **report.as_dict()})


@bp.get("/ledger/official")
@login_required
def ledger_official() -> Any:
    name = request.args.get("name", "")[:200]
    scores = _tally().scorecard(official=name) if name.strip() and "\x00" not in name else []
    if not scores:
        abort(404)
    return _page("organizer/ledger_official.html", score=scores[0])


@bp.get("/ledger/planks")
@login_required
def ledger_planks() -> str:
    return _page("organizer/ledger_planks.html", records=_tally().scorecard_by_plank())


@bp.get("/ledger/projector")
@login_required
def ledger_projector() -> str:
    return _page("organizer/ledger_projector.html", scores=_tally().scorecard())


@bp.get("/ledger/scorecard.csv")
@login_required
def ledger_csv() -> Response:
    body = scorecard_csv(_tally().scorecard())
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": 'attachment; filename="scorecard.csv"'})
