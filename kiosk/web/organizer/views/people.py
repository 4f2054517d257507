"""Who signed in, and reissuing a lost ballot code (its receipt reprinted)."""

from __future__ import annotations

from typing import Any

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from kiosk.errors import KioskError, TokenRejected
from kiosk.print_queue import PrintQueue
from kiosk.web.organizer.security import login_required
from kiosk.web.organizer.views.base import (
    _actor,
    _closed_refusal,
    _meeting_or_404,
    _settings,
    _tally,
    bp,
)


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
    from kiosk.signin_receipts import signin_receipt_for

    receipt = signin_receipt_for(
        _settings(),
        m,
        display_name=display_name(person["name"]),
        kind=person["kind"],
        token=token,
        language=tally.receipt_language(signin_id),
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
