"""The screen's own channels: the one-time screen key, the button stream (server-sent events), the panel's
LEDs, and the simulated buttons of the demo."""

from __future__ import annotations

import logging
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    redirect,
    request,
    url_for,
)

from hardware.buttons import ButtonName
from kiosk.web.kiosk.common import (
    bp,
    render_page,
    sim_bp,
    state,
    t,
)
from kiosk.web.screen_key import COOKIE as SCREEN_COOKIE

log = logging.getLogger(__name__)

# --- buttons ------------------------------------------------------------------------------------------------


def _screen_only() -> None:
    """The button stream and the LEDs are the kiosk screen's alone (see ``kiosk.web.screen_key``): 403 for any
    other client, e.g. a local process that would read every Yes/No/Abstain press. The demo skips this."""
    if state().simulated:
        return
    keys = state().screen_keys
    if keys is None or not keys.allows(request.cookies.get(SCREEN_COOKIE)):
        abort(403)


@bp.get("/screen")
def screen() -> Any:
    """Where the screen unit starts Chromium: the one-time key becomes the screen cookie, then welcome."""
    keys = state().screen_keys
    if state().simulated:
        return redirect(url_for("kiosk.welcome"), 303)
    cookie = keys.exchange(request.args.get("key", "")) if keys is not None else None
    if cookie is None:
        log.warning("a screen key was refused at /kiosk/screen: this screen gets no button presses")
        page = render_page("message.html", 403, title=t("title_screen"), text=t("screen_not_connected"), idle_on=False)
        return current_app.make_response(page)
    response = redirect(url_for("kiosk.welcome"), 303)
    response.set_cookie(SCREEN_COOKIE, cookie, httponly=True, samesite="Strict", path="/kiosk/")
    return response


@bp.get("/events")
def events() -> Response:
    _screen_only()
    hub = state().hub
    # An EventSource reconnecting sends the last id it saw; a new page says which press its tab handled last.
    sub = hub.subscribe(after=request.headers.get("Last-Event-ID") or request.args.get("after"))
    disconnected = request.environ.get("waitress.client_disconnected")
    response = Response(hub.stream(sub, disconnected), mimetype="text/event-stream")
    response.headers["X-Accel-Buffering"] = "no"
    return response


@bp.post("/panel/lit")
def panel_lit() -> Any:
    _screen_only()
    data = request.get_json(silent=True) or {}
    names = data.get("lit", []) if isinstance(data, dict) else []
    try:
        lit = [ButtonName(n) for n in names]
    except ValueError:
        abort(400)
    state().panel.set_lit(lit)
    return "", 204


@sim_bp.post("/button/<name>")
def simulate_button(name: str) -> Any:
    try:
        button = ButtonName(name)
    except ValueError:
        abort(404)
    panel = state().panel
    press = getattr(panel, "press", None)
    if press is None:
        abort(404)
    press(button)
    return "", 204
