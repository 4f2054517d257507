"""The ballot screens: typing or scanning a ballot code, the ballot itself (one plank per screen, then
review), casting it, and "your ballot is cast"."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import (
    abort,
    current_app,
    g,
    redirect,
    request,
    url_for,
)

from kiosk import i18n
from kiosk.config import verification_url
from kiosk.errors import (
    InvalidInput,
    KioskError,
    TokenRejected,
    describe_storage,
)
from kiosk.tokens import normalize_code
from kiosk.web.kiosk.common import (
    bp,
    current_meeting,
    render_page,
    state,
    t,
    typed,
)
from kiosk.web.kiosk.ranking import ranking_words, review_layout

log = logging.getLogger(__name__)

# --- ballot code entry --------------------------------------------------------------------------------------


@bp.get("/token")
def token_entry() -> Any:
    return render_page("token.html", code="", message=None, idle_on=True)


@bp.post("/token")
def token_post() -> Any:
    raw = typed("token", 40)
    meeting = current_meeting()
    code = normalize_code(raw)
    if not code:
        return render_page("token.html", 422, meeting=meeting, code=raw, message=t("token_empty"), idle_on=True)
    if meeting is None:
        return render_page("token.html", 409, meeting=meeting, code=raw, message=t("no_meeting"), idle_on=True)
    try:
        state().tally.check_token(meeting.code, code)
    except TokenRejected as exc:
        message = i18n.token_rejected(exc.reason, g.ks.lang)
        return render_page("token.html", 409, meeting=meeting, code=raw, message=message, idle_on=True)
    g.ks.ballot_token = code
    return redirect(url_for("kiosk.ballot"), 303)


# --- the ballot ---------------------------------------------------------------------------------------------


def _not_counted() -> Any:
    """Voting closed while a ballot was open on this screen: say plainly that it was not counted."""
    g.ks.ballot_token = None
    state().panel.set_lit(())
    return render_page("message.html", 409, title=t("not_counted_title"), text=t("not_counted_closed"), idle_on=True)


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
        return render_page("token.html", 409, meeting=meeting, code="", message=message, idle_on=True)
    contests = state().tally.contests(meeting.code)
    keys = ("yes", "no", "abstain", "no_choice_short", "no_choice_yet", "choose_first", "first_plank", "review_title")
    words: dict[str, Any] = {key: t(key) for key in keys}
    words["your_choice"] = t("your_choice", choice="{choice}")
    words["review_page"] = t("review_page", n="{n}", total="{total}")
    # "how many are left without a choice", for every count the review can show
    words["blank"] = {str(n): i18n.blank_count(n, g.ks.lang) for n in range(len(planks) + 1)}
    words["ranking"] = ranking_words(g.ks.lang)
    layout = review_layout(len(planks), len(contests))
    return render_page(
        "ballot.html",
        meeting=meeting,
        planks=planks,
        contests=contests,
        review=layout,
        candidate_name=lambda candidate: i18n.candidate_name(candidate, g.ks.lang),
        words=words,
        arm_ms=current_app.config["REVIEW_ARM_MS"],
        idle_on=True,
        no_lang_switch=True,
    )


def _cast_form(form: Mapping[str, str]) -> tuple[dict[int, str | None], dict[int, list[int]]]:
    """The ballot as the page posts it: ``choice-<plank id>`` = yes/no/abstain ("" = no choice) and
    ``rank-<contest id>`` = candidate ids, first choice first, comma separated ("" = blank); ValueError for a
    field that cannot be read (the tally itself refuses ids that are not on the ballot)."""
    choices: dict[int, str | None] = {}
    rankings: dict[int, list[int]] = {}
    for key, value in form.items():
        if key.startswith("choice-"):
            choices[_field_id(key.removeprefix("choice-"))] = value or None
        elif key.startswith("rank-"):
            parts = value.split(",") if value.strip() else []
            if len(parts) > 100:  # no contest has that many candidates
                raise ValueError("too many ranks")
            rankings[_field_id(key.removeprefix("rank-"))] = [_field_id(part) for part in parts]
    return choices, rankings


def _field_id(text: str) -> int:
    """A plank, contest or candidate id as a form writes it: decimal digits only (``int`` would take "+1", " 1",
    "1_0" or Arabic-Indic digits)."""
    text = text.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        raise ValueError(f"not an id: {text!r}")
    return int(text)


@bp.post("/ballot/cast")
def cast() -> Any:
    token = g.ks.ballot_token
    meeting = current_meeting()
    if not token:
        return redirect(url_for("kiosk.welcome"), 303)
    if meeting is None:  # voting closed (the kiosk then serves no meeting) before Cast ballot was pressed
        return _not_counted()
    try:
        choices, rankings = _cast_form(request.form)
    except ValueError:
        abort(400)
    try:
        result = state().tally.cast_ballot(meeting.code, token, choices, rankings)
    except TokenRejected as exc:
        if exc.reason == "closed":
            return _not_counted()
        g.ks.ballot_token = None
        text = t("ballot_gone", reason=i18n.token_rejected(exc.reason, g.ks.lang))
        return render_page("message.html", 409, meeting=meeting, title=t("token_title"), text=text, idle_on=True)
    except InvalidInput:
        abort(400)
    ks = g.ks
    if state().ballot_hook is not None:
        try:
            state().ballot_hook(
                meeting.code, result.verification_code, result.choices, ks.lang, rankings=result.rankings
            )
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
    return render_page(
        "done.html",
        verification=g.ks.verification,
        verify_url=verification_url(current_app.config["SETTINGS"], g.ks.verification),
        done_seconds=current_app.config["DONE_SECONDS"],
        idle_on=False,
        no_lang_switch=True,
    )
