"""During the meeting: the live dashboard, peeking at stepped figures, the projector, their server-sent
event stream, and the devices page."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

from flask import (
    Response,
    current_app,
    redirect,
    render_template,
    request,
    session,
    stream_with_context,
    url_for,
)

from kiosk.device_status import device_statuses
from kiosk.print_queue import PrintQueue
from kiosk.web.organizer.live import View
from kiosk.web.organizer.security import login_required
from kiosk.web.organizer.views.base import (
    StreamRegistry,
    _actor,
    _gateway,
    _live,
    _meeting_or_404,
    _tally,
    bp,
)

KEEPALIVE_S = 10.0


STREAM_MAX_S = 300.0  # the browser reconnects by itself; a long-lived thread is given back now and then


POLL_S = 1.0


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
