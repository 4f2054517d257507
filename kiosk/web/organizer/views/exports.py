"""The closing tally tape, the platform tape and the exports (CSV, JSON, the meeting bundle)."""

from __future__ import annotations

import io
import json
import logging
import tempfile
import uuid
import zipfile
from pathlib import Path
from typing import Any

from flask import (
    Response,
    abort,
    flash,
    redirect,
    request,
    url_for,
)

from kiosk import export, i18n
from kiosk.errors import StateError
from kiosk.live_figures import release_figures
from kiosk.platform_export import platform_tape_job
from kiosk.print_queue import PrintQueue
from kiosk.tally import MeetingState
from kiosk.web.organizer.security import current_organizer, login_required
from kiosk.web.organizer.views.base import (
    _actor,
    _live,
    _meeting_or_404,
    _now,
    _settings,
    _tally,
    bp,
)

log = logging.getLogger(__name__)


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


@bp.post("/platform/tape")
@login_required
def platform_tape() -> Any:
    """The platform as a receipt-printer tape, through the print queue like every tape."""
    settings = _settings()
    lang = request.form.get("lang", "en")
    key, tape = platform_tape_job(
        _tally(),
        organization=settings.organization.name,
        columns=settings.printer.columns,
        printed_at=_now(),
        language=lang if lang in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE,
    )
    if PrintQueue(_tally().engine).submit("platform", key, tape.to_json()):
        flash("The platform tape is queued for the printer.", "ok")
    else:
        flash("This platform tape is already queued.", "ok")
    return redirect(url_for("organizer.meetings") + "#platform")


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


@bp.get("/m/<code>/export/contest-<int:position>-rctab.zip")
@login_required
def export_contest_rctab(code: str, position: int) -> Response:
    """One contest of a closed meeting as NIST CDF cast vote records plus an RCTab config, zipped: open the
    config in RCTab (or ``kiosk rcv tabulate``) to recount. The records are the ballots, so only after the close."""
    from kiosk.contest_bundle import export_contest_rctab as write_contest

    m = _meeting_or_404(code)
    if m.state is not MeetingState.CLOSED:
        abort(409, f"meeting {m.code} is not closed yet; contests are exported after voting closes")
    tally = _tally()
    contest = next((c for c in tally.contests(m.code) if c.position == position), None)
    if contest is None:
        abort(404)
    name = f"{m.code}-contest-{position}-rctab.zip"
    tally.record_event("exported", actor=_actor(), meeting_code=m.code, file=name)
    packed = io.BytesIO()
    with tempfile.TemporaryDirectory() as folder:
        write_contest(tally, m.code, contest, folder)
        with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(Path(folder).iterdir()):
                archive.write(path, path.name)
    response = Response(packed.getvalue(), mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
