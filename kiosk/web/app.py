"""The Flask application factory (as in Flask's tutorial): settings and an open tally in, an app out.

The app owns the button panel it opens (one owner per process; see ``kiosk.web.presses``): pass ``panel=`` to
use one opened elsewhere (tests), otherwise it is opened from ``[hardware] buttons`` (always the simulated
panel when ``simulated``). ``app.extensions["kiosk"].close()`` releases it.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, abort, jsonify, render_template, request

from hardware.buttons import ButtonName, ButtonPanel, open_button_panel
from kiosk.config import Settings
from kiosk.errors import DatabaseError, NotFound, StorageFull, StorageProblem, describe_storage, storage_problem
from kiosk.live_figures import release_figures
from kiosk.tally import Tally
from kiosk.web import kiosk
from kiosk.web.hosts import host_names
from kiosk.web.screen_key import ScreenKeys

log = logging.getLogger(__name__)


def open_panel(settings: Settings, *, simulated: bool) -> ButtonPanel:
    backend = "simulated" if simulated else settings.hardware.buttons
    pins = {name: getattr(settings.buttons, name.value) for name in ButtonName}
    leds = {name: getattr(settings.leds, name.value) for name in ButtonName}
    return open_button_panel(
        backend,
        pins,
        leds,
        debounce_s=settings.hardware.debounce_ms / 1000,
        stuck_after_s=settings.hardware.stuck_after_s,
    )


def storage_error_response(exc: Exception) -> Response:
    """A 503 in one plain line for a write refused by storage (locked, full, unreachable), never a traceback.

    For pages outside the kiosk screens (which answer in the attendee's language): the results pages, the Twilio
    webhook (a 503 tells Twilio the text was not taken), and the organizer app once it registers this too.
    """
    log.warning("%s %s: %s", request.method, request.path, describe_storage(exc))
    text = {
        StorageProblem.BUSY: "The database is busy; nothing was saved. Try again in a moment.",
        StorageProblem.FULL: "The kiosk's disk is full; nothing was saved. An organizer must free some space.",
    }.get(storage_problem(exc) or StorageProblem.UNREACHABLE, "The database cannot be reached; nothing was saved.")
    return Response(text + "\n", status=503, mimetype="text/plain", headers={"Retry-After": "5"})


def register_storage_errors(app: Flask) -> None:
    app.register_error_handler(DatabaseError, storage_error_response)
    app.register_error_handler(StorageFull, storage_error_response)


def create_app(
    settings: Settings,
    tally: Tally,
    *,
    simulated: bool = False,
    test_config: dict[str, Any] | None = None,
    panel: ButtonPanel | None = None,
    receipt_hook: Any = None,
    services: Any = None,
    screen_keys: ScreenKeys | None = None,
    listen_host: str | None = None,
    audio_builder: Any = None,
) -> Flask:
    """``screen_keys``: the kiosk screen's credential for the button stream (``kiosk serve`` passes one; without it,
    outside simulation, no client gets presses). ``listen_host``: the address served, also a trusted host name."""
    app = Flask(__name__)
    app.config.update(
        SETTINGS=settings,
        SIMULATED=simulated,
        TEMPLATES_AUTO_RELOAD=False,
        # Only our own names (DNS rebinding): the same rule as the organizer app's listener.
        TRUSTED_HOSTS=host_names(also=(listen_host, settings.server.host, settings.twilio.public_url)),
    )
    if test_config:
        app.config.update(test_config)
    app.extensions["tally"] = tally
    kiosk.init_app(
        app,
        tally=tally,
        panel=panel if panel is not None else open_panel(settings, simulated=simulated),
        station=settings.kiosk.station,
        org=settings.organization.name,
        simulated=simulated,
        idle_seconds=settings.kiosk.idle_seconds,
        # Leave most of waitress's threads for ordinary requests (each open stream holds one).
        max_streams=max(1, settings.server.threads // 4),
        receipt_hook=receipt_hook,
        screen_keys=screen_keys,
    )

    from kiosk.audio.service import AudioBuilder
    from kiosk.web import audio

    # ``audio_builder``: kiosk.audio.service.AudioBuilder; the server passes one that renders in the background.
    audio.init_app(app, audio_builder or app.config.get("AUDIO_BUILDER") or AudioBuilder(settings))

    if services is not None:  # the print queue and (in the demo) the console SMS gateway: see kiosk.services
        state = app.extensions["kiosk"]
        state.receipt_hook = services.signin_receipt_requested
        state.ballot_hook = services.ballot_receipt_requested
        state.printer_ok = services.printer_ok
        services.watch_buttons(state.panel)
        if simulated:
            from kiosk.web import simulation

            simulation.init_app(app, services)

    from kiosk.web.sms_webhook import bp as sms_webhook

    app.register_blueprint(sms_webhook)

    @app.get("/")
    def index() -> str:
        return render_template("results_index.html", meetings=tally.meetings(), org=settings.organization.name)

    @app.get("/results/<code>")
    def results_page(code: str) -> str:
        # The kiosk's own pages show no live figures: per-plank results once voting has closed (the rule every
        # path follows is kiosk.live_figures.release_figures; live steps are the organizer pages' business).
        try:
            released = release_figures(tally, code, step=settings.organizer.live_step, live=False)
            meeting = tally.meeting(code)
        except NotFound:
            abort(404)
        return render_template(
            "results.html",
            results=released.results,
            meeting=meeting,
            org=settings.organization.name,
            released=not released.withheld,
        )

    @app.get("/results/<code>.json")
    def results_json(code: str) -> Any:
        # On the kiosk's own address, per-plank figures appear only once voting has closed.
        try:
            released = release_figures(tally, code, step=settings.organizer.live_step, live=False)
        except NotFound:
            abort(404)
        return jsonify(released.as_dict() | {"released": not released.withheld})

    register_storage_errors(app)

    @app.get("/healthz")
    def healthz() -> Any:
        return jsonify({"ok": True})

    return app
