"""The attendee kiosk: sign-in and the secret ballot, by touch, keyboard and the physical button panel.

Screens (all under ``/kiosk``): welcome, find yourself (phone pad or letters), walk-in, signed in (the
receipt's token), ballot code entry (typed or scanned), the ballot (one plank per screen, then review), and
"your ballot is cast". Plain server-rendered HTML and one small script (``static/kiosk.js``), no build step.

State: what an attendee typed, found and was given lives server-side in ``kiosk.kiosk_session`` (the cookie is
a random id), in the attendee's language, and is dropped on reset or after ``idle_seconds``. The ballot's
choices live only in the page until "Cast ballot" posts them with the token held server-side.

Buttons: see ``kiosk.web.presses`` — the page treats a physical press exactly like the matching key and tells
the server which LEDs to light; ``POST /simulate/button/<name>`` (simulation only) drives the mock pins.

A control's accessible name is its visible label in the attendee's language (WCAG 2.5.3); visible words come
from ``kiosk.i18n``, and so do the names of groups and of symbol-only keys. Attendee data is rendered only by
Jinja's autoescape and, in the script, only through ``textContent``.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from hardware.buttons import ButtonPanel
from kiosk import i18n
from kiosk.kiosk_session import SessionStore
from kiosk.tally import Tally
from kiosk.web.kiosk import ballot, common, screen, signin  # noqa: F401  (importing them adds their routes to the blueprint)
from kiosk.web.kiosk.common import KioskState, bp, current_meeting, sim_bp, state
from kiosk.web.kiosk.lookup import LookupEndpoint
from kiosk.web.meeting_cache import MeetingCache
from kiosk.web.presses import PressHub
from kiosk.web.receipts import request_receipt
from kiosk.web.screen_key import ScreenKeys

__all__ = ["KioskState", "bp", "current_meeting", "init_app", "sim_bp", "state"]


def init_app(
    app: Flask,
    *,
    tally: Tally,
    panel: ButtonPanel,
    station: str,
    org: str,
    simulated: bool,
    idle_seconds: int,
    max_streams: int,
    receipt_hook: Any = None,
    screen_keys: ScreenKeys | None = None,
) -> KioskState:
    app.config.setdefault("IDLE_SECONDS", idle_seconds)
    app.config.setdefault("IDLE_COUNTDOWN_SECONDS", 10)
    app.config.setdefault("DONE_SECONDS", 8)
    app.config.setdefault("REVIEW_ARM_MS", 700)
    app.config.setdefault("SSE_KEEPALIVE_SECONDS", 10.0)
    app.config.setdefault("SSE_MAX_STREAMS", max_streams)
    kiosk_state = KioskState(
        tally=tally,
        panel=panel,
        hub=PressHub(max_streams=app.config["SSE_MAX_STREAMS"], keepalive_s=app.config["SSE_KEEPALIVE_SECONDS"]),
        sessions=SessionStore(
            # The page resets itself at idle_seconds; the server forgets a little later so it never wins the race.
            idle_seconds=app.config["IDLE_SECONDS"] + 5,
            default_lang=i18n.language(app.config["SETTINGS"].kiosk.language),
        ),
        station=station,
        org=org,
        simulated=simulated,
        receipt_hook=receipt_hook or request_receipt,
        screen_keys=screen_keys,
        meetings=MeetingCache(tally),
    )
    app.extensions["kiosk"] = kiosk_state
    app.jinja_env.globals["url_for"] = common._memoized_url_for({})
    panel.start(kiosk_state.hub.publish)
    app.register_blueprint(bp)
    # The find page's script asks for its look-ups as JSON, answered before Flask (kiosk.web.kiosk.lookup).
    app.wsgi_app = LookupEndpoint(  # type: ignore[method-assign]
        app, app.wsgi_app, meeting=lambda code: common.kiosk_meeting(kiosk_state, code)
    )
    if simulated:
        app.register_blueprint(sim_bp)
    return kiosk_state
