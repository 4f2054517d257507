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

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup

from hardware.buttons import ButtonName, ButtonPanel
from kiosk import i18n
from kiosk.config import verification_url
from kiosk.db import CommitUnknown
from kiosk.errors import (
    DatabaseError,
    InvalidInput,
    KioskError,
    NotFound,
    StateError,
    StorageProblem,
    TokenRejected,
    describe_storage,
    storage_problem,
)
from kiosk.kiosk_session import KioskSession, Match, SessionStore
from kiosk.roster import fold, strip_invisible
from kiosk.tally import Meeting, MeetingState, SignIn, Tally
from kiosk.tokens import ALPHABET, normalize_code
from kiosk.web.meeting_cache import MeetingCache
from kiosk.web.plank_words import in_language
from kiosk.web.presses import PressHub
from kiosk.web.receipts import ReceiptRequest, request_receipt
from kiosk.web.screen_key import COOKIE as SCREEN_COOKIE
from kiosk.web.screen_key import ScreenKeys

log = logging.getLogger(__name__)

COOKIE = "kiosk_sid"
SIGNIN_STATES = (MeetingState.SIGNIN_OPEN, MeetingState.VOTING_OPEN)
# Review rows on one 800x480 screen (two columns of four); a longer ballot's review has numbered pages.
REVIEW_ROWS = 8

bp = Blueprint("kiosk", __name__, url_prefix="/kiosk")
sim_bp = Blueprint("simulate", __name__, url_prefix="/simulate")


@dataclass
class KioskState:
    """What the kiosk pages share in one web process (``app.extensions["kiosk"]``)."""

    tally: Tally
    panel: ButtonPanel
    hub: PressHub
    sessions: SessionStore
    station: str
    org: str
    simulated: bool
    receipt_hook: Any = request_receipt
    # After a cast: (meeting code, verification code, choices, language) -> None; queues the ballot receipt.
    ballot_hook: Any = None
    # () -> bool: False while the printer needs attention (the sign-in screen then says the sign-in is saved).
    printer_ok: Callable[[], bool] | None = None  # whether the printer works (the services' device status)
    # The screen's credential for the button stream (None: no screen may have it, or, simulated, not needed).
    screen_keys: ScreenKeys | None = None
    meetings: MeetingCache | None = None  # the current meeting, re-read only when the database changed
    closed: bool = field(default=False)
    keys_html: dict[tuple[str, str], Markup] = field(default_factory=dict)  # see _keys_html

    def close(self) -> None:
        """End open event streams and release the panel's pins (idempotent)."""
        if self.closed:
            return
        self.closed = True
        if self.meetings is not None:
            self.meetings.close()
        self.hub.close()
        try:
            self.panel.set_lit(())
        finally:
            self.panel.close()


def state() -> KioskState:
    return current_app.extensions["kiosk"]  # type: ignore[no-any-return]


def t(key: str, **kw: object) -> str:
    return i18n.translate(key, g.ks.lang, **kw)


def current_meeting() -> Meeting | None:
    """The meeting this kiosk serves: ``KIOSK_MEETING`` if configured, else the next meeting."""
    if "kiosk_meeting" in g:  # once per request: a page asks several times (the handler, then the layout)
        return g.kiosk_meeting  # type: ignore[no-any-return]
    code = current_app.config.get("KIOSK_MEETING")
    cache = state().meetings
    if cache is not None:
        meeting = cache.meeting(code)
    else:
        try:
            meeting = state().tally.meeting(code) if code else state().tally.next_meeting()
        except NotFound:
            meeting = None
    g.kiosk_meeting = meeting
    return meeting


def _render(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    meeting = context.pop("meeting", None)
    if meeting is None:
        try:
            meeting = current_meeting()
        except DatabaseError:  # the page that says the database is unreachable must not need it
            meeting = None
    context.setdefault("idle_on", True)  # every screen but a clean welcome returns to welcome when left alone
    return render_template(f"kiosk/{template}", meeting=meeting, **context), status


# --- request plumbing ---------------------------------------------------------------------------------------


@bp.before_request
def _load_session() -> None:
    sid = request.cookies.get(COOKIE)
    g.sid, g.ks = state().sessions.get(sid)
    g.new_sid = g.sid != sid


@bp.after_request
def _save_session(response: Response) -> Response:
    if getattr(g, "new_sid", False):
        response.set_cookie(COOKIE, g.sid, httponly=True, samesite="Strict", path="/")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_context_processor
def _template_globals() -> dict[str, Any]:
    ks: KioskSession | None = g.get("ks")
    lang = ks.lang if ks else current_app.config["SETTINGS"].kiosk.language
    cfg = current_app.config
    return {
        "t": (lambda key, **kw: i18n.translate(key, lang, **kw)),
        "in_lang": (lambda shown: in_language(shown, lang)),
        "lang": lang,
        "languages": i18n.LANGUAGES,
        "org": state().org,
        "simulated": state().simulated,
        "idle_seconds": cfg["IDLE_SECONDS"],
        "countdown_seconds": cfg["IDLE_COUNTDOWN_SECONDS"],
        "token_alphabet": ALPHABET,
        "keys": lambda kind: _keys_html(kind, lang),
        "press_cursor": state().hub.cursor,
    }


def _keys_html(kind: str, lang: str) -> Markup:
    """The on-screen keys (``kiosk/_keys.html``) of ``kind`` in ``lang``. They are the same on every page, so they
    are rendered once per language: escaping their forty-odd buttons was a third of the find page's rendering,
    which an attendee waits for after every look-up."""
    cache = state().keys_html
    html = cache.get((kind, lang))
    if html is None:
        words = {"t": lambda key, **kw: i18n.translate(key, lang, **kw), "token_alphabet": ALPHABET}
        module = current_app.jinja_env.get_template("kiosk/_keys.html").make_module(words)
        html = cache[(kind, lang)] = Markup(module.keys(kind))  # type: ignore[attr-defined]
    return html


def _memoized_url_for(cache: dict[tuple[Any, ...], str]) -> Any:
    """``url_for`` for the templates, remembering each URL built: a page builds a dozen (the form actions, the
    tabs, the script), and werkzeug's building them again on every request was a tenth of a look-up's
    rendering. Only plain relative URLs are kept (keyed by the app's mount point too); anything else, and any
    value that cannot be a key, is built as usual."""

    def cached(endpoint: str, **values: Any) -> str:
        if endpoint.startswith(".") or any(key.startswith("_") for key in values):
            return url_for(endpoint, **values)
        try:
            key = (request.script_root, endpoint, *sorted(values.items()))
            return cache[key]
        except KeyError:
            built = url_for(endpoint, **values)
            if len(cache) < 1024:  # a handful per page kind, and one per meeting for the results pages
                cache[key] = built
            return built
        except TypeError:  # an unhashable value
            return url_for(endpoint, **values)

    return cached


def _typed(field: str, limit: int) -> str:
    """What the attendee typed into ``field``, at most ``limit`` characters. The on-screen keyboard cannot type
    control or invisible characters, but a forged post can: they would be echoed into the page and stored
    (PostgreSQL refuses NUL outright), so they are dropped here."""
    return strip_invisible(request.form.get(field, "")[: limit * 2])[:limit]


def _ballot_open(meeting: Meeting | None) -> bool:
    return meeting is not None and meeting.state is MeetingState.VOTING_OPEN


# --- welcome and language -----------------------------------------------------------------------------------


@bp.get("/")
def welcome() -> Any:
    meeting = current_meeting()
    state().panel.set_lit(())
    dirty = g.ks.lang != state().sessions.default_lang or g.ks.query or g.ks.signin
    return _render("welcome.html", meeting=meeting, idle_on=bool(dirty), can_sign_in=_can_sign_in(meeting))


def _can_sign_in(meeting: Meeting | None) -> bool:
    return meeting is not None and meeting.state in SIGNIN_STATES


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
    if not _can_sign_in(meeting):
        return redirect(url_for("kiosk.welcome"), 303)
    return _render(
        "find.html",
        meeting=meeting,
        by=by,
        query=g.ks.query,
        matches=g.ks.matches,
        searched=bool(g.ks.query),
        message=None,
        none_found=_none_found(by, g.ks.query),
        idle_on=True,
    )


def _none_found(by: str, query: str) -> str:
    """What "nobody found" tells the attendee to do instead, for what they searched with."""
    if by == "name" and len(fold(query).replace(" ", "")) < 3:  # two letters match only the start of names
        return t("none_found_short_name", query=query)
    return t("none_found")


@bp.post("/find")
def find_post() -> Any:
    meeting = current_meeting()
    if not _can_sign_in(meeting):
        return redirect(url_for("kiosk.welcome"), 303)
    assert meeting is not None
    by = request.form.get("by", "phone")
    g.ks.search_by = by if by in ("phone", "name") else "phone"
    query = " ".join(_typed("q", 60).split())[:60]
    g.ks.query = query
    digits = sum(ch.isdigit() for ch in query)
    letters = len(fold(query).replace(" ", ""))
    too_short = (digits < 7 or any(ch.isalpha() for ch in query)) and letters < 2
    # Garbage in the phone field (too few digits, or more than any phone number has): say how to type one.
    alpha = sum(ch.isalpha() for ch in query)
    not_a_phone = g.ks.search_by == "phone" and alpha < 2 and not 7 <= digits <= 15
    if too_short or not_a_phone:
        g.ks.matches = []
        return _render(
            "find.html",
            422,
            meeting=meeting,
            by=g.ks.search_by,
            query=query,
            matches=[],
            searched=False,
            message=t("not_a_phone") if not_a_phone else t("too_short"),
            idle_on=True,
        )
    people = state().tally.find_people_in(meeting, query)
    g.ks.matches = [Match(p.display_name, p.member_id, p.phone, p.kind, p.signed_in) for p in people]
    # The result page is the answer to the post itself (not a 303 to a GET that renders it): on a Pi the second
    # request was half of what an attendee waits for. The query stays out of every URL either way (it is in the
    # form body and the server-side session), and the page asks kiosk.js to turn its history entry into
    # ``GET /kiosk/find?by=...`` (data-replace-url), so a reload shows the same matches without posting again.
    return _render(
        "find.html",
        meeting=meeting,
        by=g.ks.search_by,
        query=query,
        matches=g.ks.matches,
        searched=bool(query),
        message=None,
        none_found=_none_found(g.ks.search_by, query),
        idle_on=True,
        replace_url=url_for("kiosk.find", by=g.ks.search_by),
    )


@bp.post("/signin")
def sign_in() -> Any:
    meeting = current_meeting()
    if not _can_sign_in(meeting):
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
        return _render("message.html", 409, meeting=meeting, title=t("title_signin_closed"), text=t("signin_closed"))
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
    if not _can_sign_in(meeting):
        return redirect(url_for("kiosk.welcome"), 303)
    phone, g.ks.prefill_phone = g.ks.prefill_phone, ""
    return _render(
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
    if not _can_sign_in(meeting):
        return redirect(url_for("kiosk.welcome"), 303)
    assert meeting is not None
    name = _typed("name", 200)
    phone = _typed("phone", 40)
    joining = request.form.get("joining") == "1"

    def again(message: str, error_field: str) -> Any:
        # The field in error gets the focus, aria-invalid and the message as its description.
        return _render(
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
        return _render("message.html", 409, meeting=meeting, title=t("title_signin_closed"), text=t("signin_closed"))
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
    return _render(
        "signed_in.html",
        meeting=meeting,
        signin=signin,
        token=g.ks.token,
        token_note=g.ks.token_note,
        voting_open=_ballot_open(meeting),
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
        page = _render("message.html", 403, meeting=meeting, title=t("already_in"), text=text, idle_on=True)
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


@bp.post("/continue")
def continue_to_ballot() -> Any:
    result = _reissue("continued at kiosk")
    if not isinstance(result, tuple):
        return result
    _meeting, signin, token = result
    g.ks.signin = _with_state(signin, "issued")
    g.ks.token = token
    g.ks.token_note = "continued"
    g.ks.ballot_token = token
    return redirect(url_for("kiosk.ballot"), 303)


@bp.post("/reprint")
def reprint() -> Any:
    result = _reissue("receipt reprinted at kiosk")
    if not isinstance(result, tuple):
        return result
    meeting, signin, token = result
    g.ks.signin = _with_state(signin, "issued")
    g.ks.token = token
    g.ks.token_note = "reprint"
    _print_receipt(meeting, signin, token, reprint=True)
    return redirect(_signed_in_url(), 303)


@bp.post("/vote")
def vote_now() -> Any:
    if not g.ks.token:
        return redirect(url_for("kiosk.welcome"), 303)
    g.ks.ballot_token = g.ks.token
    return redirect(url_for("kiosk.ballot"), 303)


# --- ballot code entry --------------------------------------------------------------------------------------


@bp.get("/token")
def token_entry() -> Any:
    return _render("token.html", code="", message=None, idle_on=True)


@bp.post("/token")
def token_post() -> Any:
    raw = _typed("token", 40)
    meeting = current_meeting()
    code = normalize_code(raw)
    if not code:
        return _render("token.html", 422, meeting=meeting, code=raw, message=t("token_empty"), idle_on=True)
    if meeting is None:
        return _render("token.html", 409, meeting=meeting, code=raw, message=t("no_meeting"), idle_on=True)
    try:
        state().tally.check_token(meeting.code, code)
    except TokenRejected as exc:
        message = i18n.token_rejected(exc.reason, g.ks.lang)
        return _render("token.html", 409, meeting=meeting, code=raw, message=message, idle_on=True)
    g.ks.ballot_token = code
    return redirect(url_for("kiosk.ballot"), 303)


# --- the ballot ---------------------------------------------------------------------------------------------


def _not_counted() -> Any:
    """Voting closed while a ballot was open on this screen: say plainly that it was not counted."""
    g.ks.ballot_token = None
    state().panel.set_lit(())
    return _render("message.html", 409, title=t("not_counted_title"), text=t("not_counted_closed"), idle_on=True)


@bp.get("/ballot")
def ballot() -> Any:
    token = g.ks.ballot_token
    meeting = current_meeting()
    if not token:
        return redirect(url_for("kiosk.welcome"), 303)
    if meeting is None:  # the meeting closed (the kiosk then serves none) with this ballot open
        return _not_counted()
    try:
        planks = state().tally.check_token(meeting.code, token)
    except TokenRejected as exc:
        if exc.reason == "closed":
            return _not_counted()
        g.ks.ballot_token = None
        message = i18n.token_rejected(exc.reason, g.ks.lang)
        return _render("token.html", 409, meeting=meeting, code="", message=message, idle_on=True)
    keys = ("yes", "no", "abstain", "no_choice_short", "no_choice_yet", "choose_first", "first_plank", "review_title")
    words = {key: t(key) for key in keys}
    words["your_choice"] = t("your_choice", choice="{choice}")
    words["review_page"] = t("review_page", n="{n}", total="{total}")
    # "how many are left without a choice", for every count the review can show
    words["blank"] = {str(n): i18n.blank_count(n, g.ks.lang) for n in range(len(planks) + 1)}
    return _render(
        "ballot.html",
        meeting=meeting,
        planks=planks,
        review_rows=REVIEW_ROWS,
        review_pages=max(1, -(-len(planks) // REVIEW_ROWS)),
        words=words,
        arm_ms=current_app.config["REVIEW_ARM_MS"],
        idle_on=True,
        no_lang_switch=True,
    )


@bp.post("/ballot/cast")
def cast() -> Any:
    token = g.ks.ballot_token
    meeting = current_meeting()
    if not token:
        return redirect(url_for("kiosk.welcome"), 303)
    if meeting is None:  # voting closed (the kiosk then serves no meeting) before Cast ballot was pressed
        return _not_counted()
    choices: dict[int, str | None] = {}
    for key, value in request.form.items():
        if key.startswith("choice-"):
            try:
                choices[int(key.removeprefix("choice-"))] = value or None
            except ValueError:
                abort(400)
    try:
        result = state().tally.cast_ballot(meeting.code, token, choices)
    except TokenRejected as exc:
        if exc.reason == "closed":
            return _not_counted()
        g.ks.ballot_token = None
        text = t("ballot_gone", reason=i18n.token_rejected(exc.reason, g.ks.lang))
        return _render("message.html", 409, meeting=meeting, title=t("token_title"), text=text, idle_on=True)
    except InvalidInput:
        abort(400)
    ks = g.ks
    if state().ballot_hook is not None:
        try:
            state().ballot_hook(meeting.code, result.verification_code, result.choices, ks.lang)
        except KioskError as exc:  # e.g. a full disk: the code is on screen, the ballot stands
            log.error("ballot receipt not queued, the ballot stands: %s", describe_storage(exc))
        except Exception:  # the code is on screen: a printer problem must not undo a cast ballot
            log.exception("ballot receipt request failed")
    ks.ballot_token = None
    ks.token = None
    ks.signin = None
    ks.verification = result.verification_code
    state().panel.set_lit(())
    return redirect(url_for("kiosk.done"), 303)


@bp.get("/done")
def done() -> Any:
    if not g.ks.verification:
        return redirect(url_for("kiosk.welcome"), 303)
    return _render(
        "done.html",
        verification=g.ks.verification,
        verify_url=verification_url(current_app.config["SETTINGS"], g.ks.verification),
        done_seconds=current_app.config["DONE_SECONDS"],
        idle_on=False,
        no_lang_switch=True,
    )


# --- buttons ------------------------------------------------------------------------------------------------


def _screen_only() -> None:
    """The button stream and the LEDs are the kiosk screen's alone (see ``kiosk.web.screen_key``): 403 for any
    other client, e.g. a local process that would read every Yes/No/Abstain press. The demo skips this."""
    if state().simulated:
        return
    keys = state().screen_keys
    if keys is None or not keys.allows(request.cookies.get(SCREEN_COOKIE)):
        abort(403)


@bp.get("/screen")
def screen() -> Any:
    """Where the screen unit starts Chromium: the one-time key becomes the screen cookie, then welcome."""
    keys = state().screen_keys
    if state().simulated:
        return redirect(url_for("kiosk.welcome"), 303)
    cookie = keys.exchange(request.args.get("key", "")) if keys is not None else None
    if cookie is None:
        log.warning("a screen key was refused at /kiosk/screen: this screen gets no button presses")
        page = _render("message.html", 403, title=t("title_screen"), text=t("screen_not_connected"), idle_on=False)
        return current_app.make_response(page)
    response = redirect(url_for("kiosk.welcome"), 303)
    response.set_cookie(SCREEN_COOKIE, cookie, httponly=True, samesite="Strict", path="/kiosk/")
    return response


@bp.get("/events")
def events() -> Response:
    _screen_only()
    hub = state().hub
    # An EventSource reconnecting sends the last id it saw; a new page says which press its tab handled last.
    sub = hub.subscribe(after=request.headers.get("Last-Event-ID") or request.args.get("after"))
    disconnected = request.environ.get("waitress.client_disconnected")
    response = Response(hub.stream(sub, disconnected), mimetype="text/event-stream")
    response.headers["X-Accel-Buffering"] = "no"
    return response


@bp.post("/panel/lit")
def panel_lit() -> Any:
    _screen_only()
    data = request.get_json(silent=True) or {}
    names = data.get("lit", []) if isinstance(data, dict) else []
    try:
        lit = [ButtonName(n) for n in names]
    except ValueError:
        abort(400)
    state().panel.set_lit(lit)
    return "", 204


@sim_bp.post("/button/<name>")
def simulate_button(name: str) -> Any:
    try:
        button = ButtonName(name)
    except ValueError:
        abort(404)
    panel = state().panel
    press = getattr(panel, "press", None)
    if press is None:
        abort(404)
    press(button)
    return "", 204


@bp.errorhandler(KioskError)
def _kiosk_error(exc: KioskError) -> Any:
    problem = storage_problem(exc)
    log.warning("kiosk page error: %s", describe_storage(exc) if problem else exc)
    voting = request.endpoint == "kiosk.cast"
    # Nothing was saved (db.write_transaction says CommitUnknown only when that is not sure): say why, plainly.
    if problem in (StorageProblem.BUSY, StorageProblem.FULL) and not isinstance(exc, CommitUnknown):
        key = ("vote_" if voting else "save_") + ("busy" if problem is StorageProblem.BUSY else "full")
        retry = url_for("kiosk.ballot") if voting and g.ks.ballot_token else None
        return _render("message.html", 503, title=t("title_not_saved"), text=t(key), idle_on=True, retry_url=retry)
    if isinstance(exc, CommitUnknown):  # the vote may or may not have been saved: never half of it
        return _render("message.html", 503, title=t("title_not_saved"), text=t("commit_unknown"), idle_on=True)
    if isinstance(exc, DatabaseError):
        return _render("message.html", 503, title=t("title_not_saved"), text=t("database_down"), idle_on=True)
    return _render("message.html", 409, title=t("title_ask"), text=t("ask_organizer"), idle_on=True)


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
    app.jinja_env.globals["url_for"] = _memoized_url_for({})
    panel.start(kiosk_state.hub.publish)
    app.register_blueprint(bp)
    if simulated:
        app.register_blueprint(sim_bp)
    return kiosk_state
