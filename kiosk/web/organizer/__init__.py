"""The organizer web app: set up a meeting, watch it live, and trust and export the results.

``create_organizer_app`` builds a Flask app of its own, served on ``[organizer] host:port`` by ``kiosk serve``
and ``kiosk demo`` next to the kiosk app (see ``kiosk.server``). It serves ``/organizer/*`` (login required),
the public ballot verification page ``/verify``, and nothing of the kiosk: a LAN device reaching it cannot
drive the kiosk screen or the simulation endpoints, which stay on the kiosk app on loopback.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, redirect, url_for

from kiosk.config import Settings
from kiosk.tally import MeetingState, Tally
from kiosk.web.app import register_storage_errors
from kiosk.web.organizer import security
from kiosk.web.organizer.live import LiveFigures
from kiosk.web.organizer.timefmt import DEFAULT_FORMAT, local_time


def create_organizer_app(
    settings: Settings, tally: Tally, *, gateway: Any = None, test_config: dict[str, Any] | None = None
) -> Flask:
    from kiosk.web.organizer.views import StreamRegistry, bp, public

    app = Flask(__name__, static_folder=None)
    app.config.update(SETTINGS=settings, TEMPLATES_AUTO_RELOAD=False)
    security.configure(app, settings)
    proxies = settings.organizer.trusted_proxies
    if proxies:
        # Only as many X-Forwarded-* entries as there are proxies we run; with none, the headers are ignored.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
    if test_config:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = security.secret_key(settings)
    app.extensions["tally"] = tally
    app.extensions["organizer_live"] = LiveFigures(settings.organizer.live_step)
    if gateway is None:
        from sms.gateway import Gateway

        gateway = Gateway(
            tally, organization=settings.organization.name, replies_per_hour=settings.sms.replies_per_hour
        )
    app.extensions["organizer_gateway"] = gateway
    # Set app.extensions["organizer_streams"].stopping before closing the server: open streams end at once.
    app.extensions["organizer_streams"] = StreamRegistry()
    app.register_blueprint(bp)
    app.register_blueprint(public)
    register_storage_errors(app)  # a locked or full database: a plain 503, not a 500
    app.jinja_env.globals["org"] = settings.organization.name
    app.jinja_env.globals["MeetingState"] = MeetingState  # templates compare states by name, not by spelling
    # Every time on these pages is in the organization's time zone, with its abbreviation (see timefmt).
    zone = settings.tz
    app.jinja_env.filters["local"] = lambda moment, fmt=DEFAULT_FORMAT: local_time(moment, zone, fmt)
    app.jinja_env.globals["timezone"] = settings.organization.timezone

    @app.get("/")
    def root() -> Any:
        return redirect(url_for("organizer.meetings"))

    return app
