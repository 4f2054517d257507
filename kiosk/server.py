"""Serving: ``kiosk demo`` (everything simulated, in one process) and ``kiosk serve`` (the configured hardware).

The web process is the one owner of the devices it is configured with; waitress serves it with a fixed
number of threads and no reloader, so nothing ever opens the GPIO lines, printer or modem twice.
"""

from __future__ import annotations

import errno
import logging
import socket
from dataclasses import replace
from typing import Any

from kiosk.config import Settings
from kiosk.errors import KioskError
from kiosk.runtime import DEMO_CODE, open_tally, seed_demo

log = logging.getLogger(__name__)


def _bind_check(host: str, port: int, option: str) -> None:
    """Fail early, naming the option that moves this listener (--port for the kiosk, --organizer-port)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise KioskError(f"port {port} on {host} is already in use; choose another with {option}") from None
            raise KioskError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def _serve(settings: Settings, *, host: str, port: int, simulated: bool, banner: str) -> int:
    from kiosk.backup import sqlite_path
    from kiosk.db_inuse import holding

    # Held for the process's whole life, so `kiosk restore` can tell the database is in use (kiosk.db_inuse).
    with holding(sqlite_path(settings)):
        return _serve_holding(settings, host=host, port=port, simulated=simulated, banner=banner)


def freeze_startup_objects() -> None:
    """Move everything made so far (modules, the apps, compiled templates: ~200,000 objects) out of the
    garbage collector's reach. They live as long as the process, yet each full collection walked all of them:
    tens of milliseconds at Pi speed, landing on whichever request was running (a look-up's slowest tail).
    No collection first: it would cost the cold start more than the little start-up garbage kept is worth.
    The collector was off until now (kiosk.entry), and is on from here."""
    import gc

    gc.freeze()
    gc.enable()


def _serve_holding(settings: Settings, *, host: str, port: int, simulated: bool, banner: str) -> int:
    from kiosk.http_server import create_http_server
    from kiosk.web.app import create_app

    tally = open_tally(settings)
    if simulated:
        seeded = seed_demo(tally)
        if seeded:
            log.info("demo meeting %s created in %s", DEMO_CODE, settings.database_display)
    _bind_check(host, port, "--port")
    from kiosk.services import start_services

    services = start_services(settings, tally, simulated=simulated)
    from kiosk.web.screen_key import ScreenKeys

    # The screen's one-time key (0600 in the data folder): only the screen unit's Chromium gets button presses.
    screen_keys = None if simulated else ScreenKeys(settings.data_path)
    from kiosk.audio.service import AudioBuilder

    # One builder for both apps: the audio ballot is rendered in the background when voting opens (issue 18).
    audio = AudioBuilder(settings, autostart=True, idle_priority=True)
    app = create_app(
        settings,
        tally,
        simulated=simulated,
        services=services,
        screen_keys=screen_keys,
        listen_host=host,
        audio_builder=audio,
    )
    base = f"http://{host}:{port}"
    print(f"{banner}: open {base}/kiosk/", flush=True)
    if simulated:
        print(
            f"  simulated phone: {base}/simulate/phone  on-screen receipts: {base}/simulate/receipts  results: {base}/",
            flush=True,
        )
    organizer = None
    try:
        if simulated:
            _demo_organizer(tally)
            from kiosk.demo import roster_banner

            for line in roster_banner(tally):
                print(line, flush=True)
        organizer = _start_organizer(settings, tally, audio)
    except KioskError as exc:
        if not simulated:
            raise
        log.warning("organizer pages not started: %s", exc)
    if organizer is not None:
        served = organizer.kiosk_served

        @app.after_request
        def _first_page_served(response: Any) -> Any:
            served.set()  # the organizer app is built after this (see _OrganizerApp)
            return response

    freeze_startup_objects()
    try:
        # channel_request_lookahead lets waitress notice a closed page at once and free its stream's thread;
        # create_http_server's channel keeps waitress's loop from spinning with it (kiosk/http_server.py).
        create_http_server(
            app,
            host=host,
            port=port,
            threads=settings.server.threads,
            ident="assembly-kiosk",
            channel_request_lookahead=1,
        ).run()
    finally:
        if organizer is not None:
            organizer.stop()
        app.extensions["kiosk"].close()
        services.stop()
    return 0


class _OrganizerApp:
    """The organizer app, listening from the start but built once the kiosk has served its first page.

    Cold start on a Pi is what the screen waits for, and building the organizer app (its imports, routes and
    templates) was about a seventh of it; nothing on the kiosk screen needs it. Its listener is bound at once
    (a busy port still stops the start with a plain message), and a request that arrives before the app is
    built waits for it.
    """

    def __init__(self, settings: Settings, tally: object, audio: Any = None) -> None:
        import threading

        self.settings = settings
        self.tally = tally
        self.audio = audio  # the audio ballot's builder, shared with the kiosk app (its status on the pages)
        self.kiosk_served = threading.Event()  # set by the kiosk app after its first response
        self.built = threading.Event()
        self.app: Any = None
        self.error: BaseException | None = None

    def build(self, *, wait_s: float = 5.0) -> None:
        self.kiosk_served.wait(wait_s)  # and no longer: an organizer page must not wait for a screen forever
        try:
            from kiosk.web.organizer import create_organizer_app

            self.app = create_organizer_app(self.settings, self.tally)  # type: ignore[arg-type]
            if self.audio is not None:
                self.app.extensions["audio"] = self.audio
            freeze_startup_objects()  # the organizer app too, as the kiosk app's were
        except BaseException as exc:  # said in the log and to every request; the kiosk keeps running
            log.exception("the organizer pages could not be started")
            self.error = exc
        finally:
            self.built.set()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        self.built.wait()
        if self.app is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"The organizer pages could not be started; see the kiosk's log.\n"]
        return self.app(environ, start_response)

    def stop(self) -> None:
        if self.app is not None:
            self.app.extensions["organizer_streams"].stopping.set()  # open live pages end their streams


def _start_organizer(settings: Settings, tally: object, audio: Any = None) -> _OrganizerApp:
    """The organizer pages on their own listener ([organizer] host:port), beside the kiosk app on loopback.

    One process, two WSGI apps: the kiosk app (kiosk pages, /simulate/*, the button stream) stays on
    [server] host (127.0.0.1), so no LAN device can drive the kiosk; the organizer app serves /organizer/*,
    /verify and the projector view, and nothing of the kiosk.
    """
    import threading

    from kiosk.http_server import create_http_server

    org = settings.organizer
    _bind_check(org.host, org.port, "--organizer-port")
    app = _OrganizerApp(settings, tally, audio)
    server = create_http_server(
        app,
        host=org.host,
        port=org.port,
        threads=settings.server.threads,
        ident="assembly-kiosk-organizer",
        channel_request_lookahead=1,  # notice a closed live page at once and free its stream's thread
    )
    threading.Thread(target=server.run, name="organizer-http", daemon=True).start()
    threading.Thread(target=app.build, name="organizer-build", daemon=True).start()
    print(f"  organizer pages: http://{org.host}:{org.port}/organizer/", flush=True)
    return app


def _demo_organizer(tally: Any) -> None:
    """In the demo only: an organizer account "demo" with a fresh random password, printed, so the organizer
    pages can be tried at once. A real kiosk creates accounts with `kiosk organizer add NAME`."""
    import secrets

    from kiosk.accounts import add_organizer, organizer_names

    names = organizer_names(tally.engine)
    if names:
        # The password was printed when this demo database was made; it is not kept anywhere readable.
        print(
            f"  organizer login: {', '.join(names)}, with the password printed when this demo database was made.\n"
            "    Lost it? `scripts/demo --reset` starts over with a fresh demo database and a new password\n"
            f"    (or `.venv/bin/kiosk organizer add {names[0]}` sets a new password and keeps the data).",
            flush=True,
        )
        return
    password = secrets.token_urlsafe(9)
    add_organizer(tally.engine, "demo", password)
    print(f"  organizer login: demo / {password}", flush=True)


def _with_organizer_port(settings: Settings, organizer_port: int | None) -> Settings:
    if organizer_port is None:
        return settings
    return replace(settings, organizer=replace(settings.organizer, port=organizer_port))


def run_demo(
    settings: Settings,
    *,
    port: int | None = None,
    host: str = "127.0.0.1",
    organizer_port: int | None = None,
    reset: bool = False,
) -> int:
    settings = _with_organizer_port(settings.simulated(), organizer_port)
    if reset:
        from kiosk.demo import reset_demo_database

        deleted = reset_demo_database(settings)
        print(f"demo reset: deleted {deleted}" if deleted else "demo reset: no demo database yet", flush=True)
    return _serve(
        settings,
        host=host,
        port=port or settings.server.port,
        simulated=True,
        banner="Assembly Kiosk demo (simulated buttons, on-screen receipts, simulated SMS)",
    )


def run_server(
    settings: Settings, *, host: str | None = None, port: int | None = None, organizer_port: int | None = None
) -> int:
    settings = _with_organizer_port(settings, organizer_port)
    return _serve(
        settings,
        host=host or settings.server.host,
        port=port or settings.server.port,
        simulated=False,
        banner="Assembly Kiosk",
    )
