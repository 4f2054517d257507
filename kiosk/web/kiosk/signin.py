"""The sign-in screens: welcome and language, finding yourself (phone or name), walk-ins, the signed-in screen
with its ballot code, and going on to the ballot (continue, reprint, vote now)."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from flask import (
    current_app,
    g,
    redirect,
    request,
    url_for,
)

from kiosk import i18n
from kiosk.errors import (
    DatabaseError,
    InvalidInput,
    KioskError,
    StateError,
    describe_storage,
)
from kiosk.tally import Meeting, SignIn
from kiosk.web.kiosk.common import (
    COOKIE,
    ballot_open,
    bp,
    current_meeting,
    render_page,
    state,
    t,
    typed,
)
from kiosk.web.kiosk.lookup import can_sign_in, look_up, none_found_text
from kiosk.web.receipts import ReceiptRequest

log = logging.getLogger(__name__)

# --- welcome and language -----------------------------------------------------------------------------------


@bp.get("/")
def welcome() -> Any:
    meeting = current_meeting()
    state().panel.set_lit(())
    dirty = g.ks.lang != state().sessions.default_lang or g.ks.query or g.ks.signin
    return render_page("welcome.html", meeting=meeting, idle_on=bool(dirty), can_sign_in=can_sign_in(meeting))


@bp.post("/lang")
def set_language() -> Any:
    g.ks.lang = i18n.language(request.form.get("lang"))
    target = request.form.get("next", "")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/kiosk/"):
        target = url_for("kiosk.welcome")
    return redirect(target, 303)


@bp.post("/alive")
def alive() -> Any:
    """Posted by the audio ballot (static/audio.js) while it speaks: the voter is listening, not gone, so the
    session (and its ballot code) is kept like after any request. Changes nothing else."""
    return "", 204


@bp.post("/reset")
def reset() -> Any:
    state().sessions.reset(g.sid)
    state().panel.set_lit(())
    response = redirect(url_for("kiosk.welcome"), 303)
    response.delete_cookie(COOKIE, path="/")
    g.new_sid = False
    return response


# --- finding yourself ---------------------------------------------------------------------------------------


@bp.get("/find")
def find() -> Any:
    by = request.args.get("by", g.ks.search_by)
    by = by if by in ("phone", "name") else "phone"
    if by != g.ks.search_by:
        g.ks.search_by = by
        g.ks.clear_lookup()
    meeting = current_meeting()
    if not can_sign_in(meeting):
        return redirect(url_for("kiosk.welcome"), 303)
    return render_page(
        "find.html",
        meeting=meeting,
        by=by,
        query=g.ks.query,
        matches=g.ks.matches,
        searched=bool(g.ks.query),
        message=None,
        none_found=none_found_text(by, g.ks.query, g.ks.lang),
        idle_on=True,
    )


@bp.post("/find")
def find_post() -> Any:
    meeting = current_meeting()
    if not can_sign_in(meeting):
        return redirect(url_for("kiosk.welcome"), 303)
    assert meeting is not None
    answer = look_up(state().tally, meeting, g.ks, request.form.get("by", "phone"), request.form.get("q", ""))
    if answer.refusal:
        return render_page(
            "find.html",
            answer.status,
            meeting=meeting,
            by=answer.by,
            query=answer.query,
            matches=[],
            searched=False,
            message=t(answer.refusal),
            idle_on=True,
        )
    # The result page is the answer to the post itself (not a 303 to a GET that renders it): on a Pi the second
    # request was half of what an attendee waits for. The query stays out of every URL either way (it is in the
    # form body and the server-side session), and the page asks kiosk.js to turn its history entry into
    # ``GET /kiosk/find?by=...`` (data-replace-url), so a reload shows the same matches without posting again.
    # (The page's script asks for the matches alone instead, as JSON: kiosk.web.kiosk.lookup.)
    return render_page(
        "find.html",
        meeting=meeting,
        by=answer.by,
        query=answer.query,
        matches=answer.matches,
        searched=bool(answer.query),
        message=None,
        none_found=none_found_text(answer.by, answer.query, g.ks.lang),
        idle_on=True,
        replace_url=current_app.jinja_env.globals["url_for"]("kiosk.find", by=answer.by),  # memoized
    )


@bp.post("/signin")
def sign_in() -> Any:
    meeting = current_meeting()
    if not can_sign_in(meeting):
        return redirect(url_for("kiosk.welcome"), 303)
    assert meeting is not None
    pick = request.form.get("pick", "")
    if not (pick.isascii() and pick.isdigit() and int(pick) < len(g.ks.matches)):  # "-1" is not the last name
        return redirect(url_for("kiosk.find"), 303)
    match = g.ks.matches[int(pick)]
    tally = state().tally
    if match.member_id is None and match.kind == "rsvp" and match.label.startswith("RSVP"):
        # The RSVP came without a name: ask for it, with the number they typed already filled in.
        g.ks.prefill_phone = g.ks.query
        return redirect(url_for("kiosk.walkin"), 303)
    try:
        if match.member_id is not None:
            # A language the attendee chose on the welcome screen becomes the language of their texts; the
            # default one says nothing about them (a roster's language column is kept).
            chosen = g.ks.lang if g.ks.lang != state().sessions.default_lang else None
            signin = tally.sign_in_member(meeting.code, match.member_id, station=state().station, language=chosen)
        else:
            signin = tally.sign_in_guest(meeting.code, match.label, match.phone, station=state().station)
    except StateError:
        return _signin_closed(meeting)
    _signed_in(meeting, signin)
    return redirect(_signed_in_url(), 303)


def _signed_in(meeting: Meeting, signin: SignIn) -> None:
    ks = g.ks
    ks.clear_lookup()
    ks.signin = signin
    ks.token = signin.token
    ks.token_note = "new" if signin.token else None
    if not signin.already:
        ks.own_signin = signin.id  # everyone gets a sign-in receipt; eligible attendees' carries their ballot token
        _print_receipt(meeting, signin, signin.token, reprint=False)


def _print_receipt(meeting: Meeting, signin: SignIn, token: str | None, *, reprint: bool) -> None:
    g.receipt_failed = False
    try:
        state().receipt_hook(
            ReceiptRequest(
                meeting_code=meeting.code,
                meeting_title=meeting.title,
                display_name=signin.display_name,
                token=token,
                language=g.ks.lang,
                station=state().station,
                reprint=reprint,
                kind=signin.kind,
                signin_id=signin.id,
            )
        )
    except KioskError as exc:  # e.g. the disk filled between the sign-in and its print job
        g.receipt_failed = True
        log.error("receipt not queued, the sign-in stands: %s", describe_storage(exc))
    except Exception:  # the receipt is also on screen: a printer problem must not lose the sign-in
        g.receipt_failed = True
        log.exception("receipt request failed")


def _signed_in_url() -> str:
    # A receipt that could not even be queued will not print later: the signed-in screen must say so.
    return url_for("kiosk.signed_in", receipt="failed") if g.get("receipt_failed") else url_for("kiosk.signed_in")


# --- walk-ins -----------------------------------------------------------------------------------------------


@bp.get("/walkin")
def walkin() -> Any:
    meeting = current_meeting()
    if not can_sign_in(meeting):
        return redirect(url_for("kiosk.welcome"), 303)
    phone, g.ks.prefill_phone = g.ks.prefill_phone, ""
    return render_page(
        "walkin.html",
        meeting=meeting,
        name="",
        phone=phone,
        joining=False,
        message=None,
        error_field=None,
        idle_on=True,
    )


@bp.post("/walkin")
def walkin_post() -> Any:
    meeting = current_meeting()
    if not can_sign_in(meeting):
        return redirect(url_for("kiosk.welcome"), 303)
    assert meeting is not None
    name = typed("name", 200)
    phone = typed("phone", 40)
    joining = request.form.get("joining") == "1"

    def again(message: str, error_field: str) -> Any:
        # The field in error gets the focus, aria-invalid and the message as its description.
        return render_page(
            "walkin.html",
            422,
            meeting=meeting,
            name=name,
            phone=phone,
            joining=joining,
            message=message,
            error_field=error_field,
            idle_on=True,
        )

    if not name.strip():
        return again(t("walkin_need_name"), "name")
    try:
        signin = state().tally.sign_in_guest(
            meeting.code, name, phone.strip() or None, station=state().station, joining=joining
        )
    except InvalidInput:
        return again(t("bad_phone"), "phone")
    except StateError:
        return _signin_closed(meeting)
    _signed_in(meeting, signin)
    return redirect(_signed_in_url(), 303)


# --- after sign-in ------------------------------------------------------------------------------------------


@bp.get("/signed-in")
def signed_in() -> Any:
    signin: SignIn | None = g.ks.signin
    if signin is None:
        return redirect(url_for("kiosk.welcome"), 303)
    meeting = current_meeting()
    reason = None if signin.eligible else i18n.ineligible_reason(signin.ineligible_reason, g.ks.lang)
    return render_page(
        "signed_in.html",
        meeting=meeting,
        signin=signin,
        token=g.ks.token,
        token_note=g.ks.token_note,
        voting_open=ballot_open(meeting),
        reason=reason,
        # Continue and reprint void the old code: offered only to the screen session that signed this person in.
        own=signin.id == g.ks.own_signin,
        # The receipt was never queued (the database refused the job): it will not print by itself later.
        receipt_lost=request.args.get("receipt") == "failed",
        printer_trouble=_printer_trouble(),
        idle_on=True,
    )


def _printer_trouble() -> bool:
    """Whether to tell the attendee the printer needs attention. The sign-in is saved either way, so a status that
    cannot be read says nothing on the page; it is logged with its reason for the organizers."""
    check = state().printer_ok
    if check is None:
        return False
    try:
        return not check()
    except DatabaseError as exc:  # the status lives in the database, which may be locked or full
        log.warning("printer status unknown on the signed-in page: %s", describe_storage(exc))
    except Exception:  # a bug: the attendee still sees their sign-in, the log keeps the traceback
        log.exception("printer status check failed on the signed-in page")
    return False


def _reissue(reason: str) -> tuple[Meeting, SignIn, str] | Any:
    signin: SignIn | None = g.ks.signin
    meeting = current_meeting()
    if signin is None or meeting is None or meeting.code != signin.meeting_code or not signin.eligible:
        return redirect(url_for("kiosk.welcome"), 303)
    if signin.id != g.ks.own_signin:
        # Found by name or phone on a screen that did not sign them in (issue 12): anyone can find anyone, so a new
        # code here would let a stranger void an attendee's code and vote in their place. Their receipt's code
        # (typed or scanned) continues; a lost receipt is the desk's business (organizer reissue).
        text = t("continue_with_code") + " " + t("lost_receipt_desk")
        page = render_page("message.html", 403, meeting=meeting, title=t("already_in"), text=text, idle_on=True)
        return current_app.make_response(page)
    try:
        token = state().tally.reissue_token(meeting.code, signin.id, actor=state().station, reason=reason)
    except StateError:
        # Spent: the attendee has voted. Show it on the signed-in screen.
        g.ks.signin = _with_state(signin, "spent")
        g.ks.token = None
        return redirect(url_for("kiosk.signed_in"), 303)
    return meeting, signin, token


def _with_state(signin: SignIn, token_state: str) -> SignIn:
    return replace(signin, token_state=token_state)


def _hold_new_code(signin: SignIn, token: str, note: str) -> None:
    """The screen session now holds the reissued code (Continue or Reprint; ``note`` says which)."""
    g.ks.signin = _with_state(signin, "issued")
    g.ks.token = token
    g.ks.token_note = note


@bp.post("/continue")
def continue_to_ballot() -> Any:
    result = _reissue("continued at kiosk")
    if not isinstance(result, tuple):
        return result
    _meeting, signin, token = result
    _hold_new_code(signin, token, "continued")
    g.ks.ballot_token = token
    return redirect(url_for("kiosk.ballot"), 303)


@bp.post("/reprint")
def reprint() -> Any:
    result = _reissue("receipt reprinted at kiosk")
    if not isinstance(result, tuple):
        return result
    meeting, signin, token = result
    _hold_new_code(signin, token, "reprint")
    _print_receipt(meeting, signin, token, reprint=True)
    return redirect(_signed_in_url(), 303)


@bp.post("/vote")
def vote_now() -> Any:
    if not g.ks.token:
        return redirect(url_for("kiosk.welcome"), 303)
    g.ks.ballot_token = g.ks.token
    return redirect(url_for("kiosk.ballot"), 303)


def _signin_closed(meeting: Meeting) -> Any:
    return render_page("message.html", 409, meeting=meeting, title=t("title_signin_closed"), text=t("signin_closed"))
