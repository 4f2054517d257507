"""The public ballot verification page (``/verify``), on the ``public`` blueprint."""

from __future__ import annotations

from typing import Any

from flask import (
    redirect,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup

from kiosk import i18n
from kiosk.errors import InvalidInput, NotFound
from kiosk.plank_texts import ORIGINAL_LANGUAGE, Shown
from kiosk.tokens import normalize_code
from kiosk.web.organizer.views.base import (
    _tally,
    public,
)
from kiosk.web.plank_words import in_language


def _verify_language() -> str:
    """The verification page's language: the one asked for (``?lang=es``, the page's own switch), else the
    browser's preference among those the kiosk offers."""
    asked = request.values.get("lang")
    if asked in i18n.LANGUAGES:
        return asked
    return request.accept_languages.best_match(list(i18n.LANGUAGES)) or i18n.DEFAULT_LANGUAGE


def _verify_page(ballot: Any, error: str | None, code: str) -> str:
    lang = _verify_language()
    rows: list[tuple[Markup, str]] = []
    if ballot is not None:
        # The attendee reads each plank in their language; an untranslated one keeps its own lang attribute.
        planks_by_title = {p.title: p for p in _tally().planks(ballot.meeting_code)}
        for title, choice in ballot.choices:
            plank = planks_by_title.get(title)
            shown = plank.title_in(lang) if plank else Shown(title, ORIGINAL_LANGUAGE)
            rows.append((in_language(shown, lang), i18n.translate(str(choice), lang)))
    return render_template(
        "organizer/verify.html",
        ballot=ballot,
        rows=rows,
        ranking_rows=_ranking_rows(ballot, lang) if ballot is not None else [],
        error=error,
        code=code,
        page_lang=lang,
        t=lambda key, **kw: i18n.translate(key, lang, **kw),
        other_langs={k: v for k, v in i18n.LANGUAGES.items() if k != lang},
    )


def _ranking_rows(ballot: Any, lang: str) -> list[tuple[Markup, list[str]]]:
    """Each contest on the ballot (its title in the reader's language) with the names ranked, first choice
    first (an empty list: nothing ranked)."""
    contests_by_title = {c.title: c for c in _tally().contests(ballot.meeting_code)}
    rows: list[tuple[Markup, list[str]]] = []
    for title, names in ballot.rankings:
        contest = contests_by_title.get(title)
        shown = contest.title_in(lang) if contest else Shown(title, ORIGINAL_LANGUAGE)
        rows.append((in_language(shown, lang), list(names)))
    return rows


@public.route("/verify", methods=["GET", "POST"])
def verify() -> Any:
    """The form; a code typed (or an old ``?code=`` link) goes to the one address of that ballot's check."""
    code = (request.form.get("code") if request.method == "POST" else request.args.get("code")) or ""
    if code.strip():
        typed = normalize_code(code[:40]) or "".join(code.split())[:40]
        lang = request.values.get("lang")
        extra = {"lang": lang} if lang in i18n.LANGUAGES else {}
        return redirect(url_for("public.verify_code", code=typed, **extra), 303)
    return _verify_page(None, None, "")


@public.get("/verify/<code>")
def verify_code(code: str) -> Any:
    """One ballot's check: the address printed on its receipt and in its QR code (``config.verification_url``)."""
    # A path can carry what no form field may (control characters, NUL): keep only what a code could hold.
    shown = "".join(ch for ch in code[:40] if ch.isprintable())
    ballot = error = None
    try:
        ballot = _tally().lookup_ballot(shown)
    except (NotFound, InvalidInput):
        error = "verify_unknown"
    return _verify_page(ballot, error, shown)
