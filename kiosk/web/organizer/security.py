"""Guards for the organizer app: login sessions, CSRF tokens, trusted host names, cookies and headers.

* Sessions are Flask's signed cookies (HttpOnly, SameSite=Strict, Secure when ``[organizer] secure_cookie``),
  holding a random session id and a CSRF token. The session itself lives in the database
  (``kiosk.accounts``: only the id's hash), so logging out, ``kiosk organizer remove`` and the session's end
  stop a copied cookie on the server; every organizer request checks it. The signing key lives in
  ``<data_dir>/organizer-secret`` (created once, mode 0600), so logins survive a restart.
* Every POST must carry the session's CSRF token (form field ``csrf_token`` or header ``X-CSRF-Token``);
  otherwise 400. The login form has one too (a token in a pre-login session).
* ``TRUSTED_HOSTS``: Flask answers 400 to any Host header not on the list (DNS rebinding).
"""

from __future__ import annotations

import hmac
import os
import secrets
import unicodedata
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, Response, abort, current_app, g, redirect, request, session, url_for

from kiosk import accounts
from kiosk.config import Settings
from kiosk.web.hosts import host_names

F = TypeVar("F", bound=Callable[..., Any])

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def trusted_hosts(settings: Settings) -> list[str]:
    return host_names(settings.organizer.trusted_hosts)


def secret_key(settings: Settings) -> bytes:
    path = Path(settings.data_path) / "organizer-secret"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_bytes(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key)
        return key


def configure(app: Flask, settings: Settings) -> None:
    app.config.update(
        SESSION_COOKIE_NAME="organizer_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=settings.organizer.secure_cookie,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.organizer.session_hours),
        TRUSTED_HOSTS=trusted_hosts(settings),
        MAX_CONTENT_LENGTH=5 * 1024 * 1024,
        DEBUG=False,
    )

    @app.before_request
    def refuse_control_characters() -> None:
        # A browser form cannot carry NUL or other control characters (line breaks and tabs aside); a forged post
        # can, and they would be echoed into pages and stored (PostgreSQL refuses NUL with a raw error).
        for key, value in (*request.args.items(multi=True), *request.form.items(multi=True)):
            if _has_control(key) or _has_control(value):
                abort(400, "This form contains characters that cannot be stored (control characters). Remove them.")

    @app.before_request
    def check_csrf() -> None:
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
            expected = session.get("csrf", "")
            if not expected or not hmac.compare_digest(sent, expected):
                abort(400, "This form has expired or did not come from these pages. Reload the page and try again.")

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        if request.path.startswith("/organizer/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    app.jinja_env.globals["csrf_token"] = csrf_token


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cs") and ch not in "\t\n\r" for ch in text)


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return str(token)


def _tally() -> Any:
    return current_app.extensions["tally"]


def current_organizer() -> str | None:
    """The organizer whose session is live on the server (checked once per request), or None."""
    if "organizer" in g:
        return g.organizer  # type: ignore[no-any-return]
    session_id = session.get("sid")
    name = None
    if session_id:
        name = accounts.session_owner(_tally().engine, str(session_id), clock=_tally().clock)
        if name is None:
            session.clear()  # ended on the server (logged out elsewhere, removed, expired): forget the cookie
    g.organizer = name
    return name


def log_in(name: str) -> None:
    session.clear()
    session.permanent = True
    session["sid"] = accounts.start_session(
        _tally().engine, name, lifetime=current_app.permanent_session_lifetime, clock=_tally().clock
    )
    session["csrf"] = secrets.token_urlsafe(32)  # a fresh token: nothing from before the login carries over
    g.organizer = name


def log_out() -> None:
    session_id = session.get("sid")
    if session_id:
        accounts.end_session(_tally().engine, str(session_id))  # a copy of the cookie stops working too
    session.clear()
    g.organizer = None


def login_required(view: F) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_organizer() is None:
            if request.method == "GET" and not request.path.endswith((".json", ".csv", "/events")):
                return redirect(url_for("organizer.login", next=request.path))
            abort(401)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def safe_next(target: str | None) -> str:
    """Only a local organizer path may follow a login (no open redirect)."""
    if target and target.startswith("/organizer/") and "//" not in target and "\\" not in target:
        return target
    return url_for("organizer.meetings")
