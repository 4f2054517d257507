"""The public ballot verification page (``/verify``), on the ``public`` blueprint."""

from __future__ import annotations

from typing import Any

from flask import (
    redirect,
    render_template,
    request,
    url_for,
)

from kiosk.errors import InvalidInput, NotFound
from kiosk.tokens import normalize_code
from kiosk.web.organizer.views.base import (
    _tally,
    public,
)


@public.route("/verify", methods=["GET", "POST"])
def verify() -> Any:
    """The form; a code typed (or an old ``?code=`` link) goes to the one address of that ballot's check."""
    code = (request.form.get("code") if request.method == "POST" else request.args.get("code")) or ""
    if code.strip():
        typed = normalize_code(code[:40]) or "".join(code.split())[:40]
        return redirect(url_for("public.verify_code", code=typed), 303)
    return render_template("organizer/verify.html", ballot=None, error=None, code="")


@public.get("/verify/<code>")
def verify_code(code: str) -> Any:
    """One ballot's check: the address printed on its receipt and in its QR code (``config.verification_url``)."""
    # A path can carry what no form field may (control characters, NUL): keep only what a code could hold.
    shown = "".join(ch for ch in code[:40] if ch.isprintable())
    ballot = error = None
    try:
        ballot = _tally().lookup_ballot(shown)
    except (NotFound, InvalidInput):
        error = "No ballot has that verification code. Check it against your receipt."
    return render_template("organizer/verify.html", ballot=ballot, error=error, code=shown)
