"""Demo-only pages: a simulated phone for texting the console SMS backend, and the on-screen receipt printer.

Registered only in simulation mode (``kiosk demo``), like ``/simulate/button/<name>``: outside it these routes
do not exist.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request, url_for

from kiosk.roster import strip_invisible

bp = Blueprint("demo_pages", __name__, url_prefix="/simulate")


def _services() -> Any:
    services = current_app.extensions.get("services")
    if services is None:
        abort(404)
    return services


@bp.get("/phone")
def phone() -> str:
    services = _services()
    backend = services.sms_backend
    if backend is None:
        abort(404)
    number = strip_invisible(request.args.get("from", "+15105550101")[:40]).strip()[:20] or "+15105550101"
    inbound = [(t.received_at, "in", t.body) for t in services.phone_log if t.sender == number]
    outbound = [(s.sent_at, "out", s.body) for s in backend.sent() if s.to == number]
    messages = sorted(inbound + outbound, key=lambda m: m[0])
    return render_template(
        "simulate/phone.html", number=number, messages=messages, org=current_app.config["SETTINGS"].organization.name
    )


@bp.post("/phone")
def phone_send() -> Any:
    services = _services()
    backend = services.sms_backend
    if backend is None:
        abort(404)
    number = strip_invisible((request.form.get("from") or "")[:40]).strip()[:20] or "+15105550101"
    body = (request.form.get("body") or "")[:1600]
    if body.strip():
        services.phone_log.append(backend.inject(number, body))
        del services.phone_log[:-200]
    return redirect(url_for("demo_pages.phone", **{"from": number}))


@bp.get("/receipts")
def receipts() -> str:
    services = _services()
    recent = getattr(services.printer, "recent", None)
    if recent is None:
        abort(404)
    return render_template(
        "simulate/receipts.html",
        receipts=list(reversed(recent())),
        org=current_app.config["SETTINGS"].organization.name,
    )


def init_app(app: Flask, services: Any) -> None:
    app.extensions["services"] = services
    app.register_blueprint(bp)
