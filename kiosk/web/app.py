"""The Flask application factory (as in Flask's tutorial): settings and an open tally in, an app out."""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, jsonify, render_template

from kiosk.config import Settings
from kiosk.errors import NotFound
from kiosk.tally import Tally


def create_app(
    settings: Settings, tally: Tally, *, simulated: bool = False, test_config: dict[str, Any] | None = None
) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SETTINGS=settings,
        SIMULATED=simulated,
        TEMPLATES_AUTO_RELOAD=False,
    )
    if test_config:
        app.config.update(test_config)
    app.extensions["tally"] = tally

    from kiosk.web.sms_webhook import bp as sms_webhook

    app.register_blueprint(sms_webhook)

    @app.get("/")
    def index() -> str:
        return render_template("results_index.html", meetings=tally.meetings(), org=settings.organization.name)

    @app.get("/results/<code>")
    def results_page(code: str) -> str:
        try:
            results = tally.results(code)
            meeting = tally.meeting(code)
        except NotFound:
            abort(404)
        return render_template("results.html", results=results, meeting=meeting, org=settings.organization.name)

    @app.get("/results/<code>.json")
    def results_json(code: str) -> Any:
        try:
            return jsonify(tally.results(code).as_dict())
        except NotFound:
            abort(404)

    @app.get("/healthz")
    def healthz() -> Any:
        return jsonify({"ok": True})

    return app
