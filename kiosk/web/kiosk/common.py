"""What every attendee screen shares: the blueprint, the per-process state, the request plumbing (the
server-side session, the template globals), rendering, and the error page for a refused save."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup

from hardware.buttons import ButtonPanel
from kiosk import i18n
from kiosk.db import CommitUnknown
from kiosk.errors import (
    DatabaseError,
    KioskError,
    NotFound,
    StorageProblem,
    describe_storage,
    storage_problem,
)
from kiosk.kiosk_session import COOKIE, KioskSession, SessionStore
from kiosk.tally import Meeting, MeetingState, Tally
from kiosk.tokens import ALPHABET
from kiosk.web.kiosk.lookup import typed_text
from kiosk.web.meeting_cache import MeetingCache
from kiosk.web.plank_words import in_language
from kiosk.web.presses import PressHub
from kiosk.web.receipts import request_receipt
from kiosk.web.screen_key import ScreenKeys

log = logging.getLogger(__name__)

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
    page_ends: dict[tuple[str, str], Markup] = field(default_factory=dict)  # see _page_end_html

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
    meeting = g.kiosk_meeting = kiosk_meeting(state(), current_app.config.get("KIOSK_MEETING"))
    return meeting


def kiosk_meeting(kiosk_state: KioskState, code: str | None) -> Meeting | None:
    """``code``'s meeting, or (no code) the next meeting; None when there is none."""
    if kiosk_state.meetings is not None:
        return kiosk_state.meetings.meeting(code)
    try:
        return kiosk_state.tally.meeting(code) if code else kiosk_state.tally.next_meeting()
    except NotFound:
        return None


def render_page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
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
        "page_end": lambda: _page_end_html(lang),
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


def _page_end_html(lang: str) -> Markup:
    """The end of every page but the ballot (``kiosk/_end.html``) in ``lang``: it holds nothing that changes
    between requests (its URLs and words only), yet building its nine URLs and words was a sixth of the find page's
    rendering, which an attendee waits for after every look-up. Kept per language and mount point."""
    cache = state().page_ends
    key = (lang, request.script_root)
    html = cache.get(key)
    if html is None:
        words = {"t": lambda k, **kw: i18n.translate(k, lang, **kw), "simulated": state().simulated}
        html = cache[key] = Markup(current_app.jinja_env.get_template("kiosk/_end.html").render(words))
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


def typed(field: str, limit: int) -> str:
    """What the attendee typed into ``field``, at most ``limit`` characters (``lookup.typed_text``)."""
    return typed_text(request.form.get(field, ""), limit)


def ballot_open(meeting: Meeting | None) -> bool:
    return meeting is not None and meeting.state is MeetingState.VOTING_OPEN


@bp.errorhandler(KioskError)
def _kiosk_error(exc: KioskError) -> Any:
    problem = storage_problem(exc)
    log.warning("kiosk page error: %s", describe_storage(exc) if problem else exc)
    voting = request.endpoint == "kiosk.cast"
    # Nothing was saved (db.write_transaction says CommitUnknown only when that is not sure): say why, plainly.
    if problem in (StorageProblem.BUSY, StorageProblem.FULL) and not isinstance(exc, CommitUnknown):
        key = ("vote_" if voting else "save_") + ("busy" if problem is StorageProblem.BUSY else "full")
        retry = url_for("kiosk.ballot") if voting and g.ks.ballot_token else None
        return render_page("message.html", 503, title=t("title_not_saved"), text=t(key), idle_on=True, retry_url=retry)
    if isinstance(exc, CommitUnknown):  # the vote may or may not have been saved: never half of it
        return render_page("message.html", 503, title=t("title_not_saved"), text=t("commit_unknown"), idle_on=True)
    if isinstance(exc, DatabaseError):
        return render_page("message.html", 503, title=t("title_not_saved"), text=t("database_down"), idle_on=True)
    return render_page("message.html", 409, title=t("title_ask"), text=t("ask_organizer"), idle_on=True)
