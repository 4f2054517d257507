"""RSVPs and texts: the RSVP list, and composing, counting, reviewing and queueing a text to an audience."""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import (
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from kiosk.tally import MeetingState
from kiosk.web.organizer.security import login_required
from kiosk.web.organizer.views.base import (
    _actor,
    _closed_refusal,
    _gateway,
    _meeting_or_404,
    _tally,
    bp,
)
from sms.segments import segment_count


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


def _meeting_text(gateway: Any, m: Any, kind: str, lang: str) -> str:
    return gateway.reminder_text(m, lang) if kind == "reminder" else gateway.invitation_text(m, lang)


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
