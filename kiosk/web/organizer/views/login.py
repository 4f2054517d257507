"""Logging in and out."""

from __future__ import annotations

import logging
from typing import Any

from flask import (
    redirect,
    render_template,
    request,
    url_for,
)

from kiosk import accounts
from kiosk.web.organizer.security import log_in, log_out, safe_next
from kiosk.web.organizer.views.base import (
    _client_address,
    _now,
    _tally,
    bp,
)

log = logging.getLogger(__name__)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    message = None
    if request.method == "POST":
        name = request.form.get("name", "")
        password = request.form.get("password", "")
        result = accounts.authenticate(_tally().engine, name, password, _client_address(), clock=_now)
        if result.ok and result.name:
            log_in(result.name)
            # Logged, not audited: a log-in after the close must not move the audit head the tally tape printed.
            log.info("organizer %s logged in from %s", result.name, _client_address())
            return redirect(safe_next(request.form.get("next")))
        if result.outcome is accounts.LoginOutcome.LOCKED:
            message = f"Too many failed attempts. Try again in {result.retry_after_s} seconds."
        else:
            message = "That name and password do not match."
        status = 429 if result.outcome is accounts.LoginOutcome.LOCKED else 401
        return render_template(
            "organizer/login.html", message=message, next=request.form.get("next", ""), name=name
        ), status
    return render_template("organizer/login.html", message=None, next=request.args.get("next", ""), name="")


@bp.post("/logout")
def logout() -> Any:
    log_out()
    return redirect(url_for("organizer.login"))
