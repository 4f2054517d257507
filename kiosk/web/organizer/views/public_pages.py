"""The organization's public pages on the organizer listener: no login, read-only, in every language the kiosk
offers, printable. ``/platform`` (the platform) lives here; the scorecard (``/scorecard``) joins it.

They show only what closed meetings decided (the counts of a meeting are final once it closed, and only closed
meetings feed the platform), so nothing here can leak a live figure (see ``kiosk.live_figures``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, render_template, request
from markupsafe import Markup

from kiosk import i18n
from kiosk.platform_export import platform_csv, platform_json
from kiosk.receipts.wording import format_day
from kiosk.tally import PlatformPlank, PlatformState
from kiosk.web.organizer.views.base import _tally, public
from kiosk.web.plank_words import in_language


def public_language() -> str:
    """The page's language: the one asked for (``?lang=es``, the page's own switch), else the browser's
    preference among those the kiosk offers."""
    asked = request.args.get("lang")
    if asked in i18n.LANGUAGES:
        return asked
    return request.accept_languages.best_match(list(i18n.LANGUAGES)) or i18n.DEFAULT_LANGUAGE


def render_public(template: str, lang: str, **context: Any) -> str:
    """A public page in ``lang``: ``t`` translates, ``other_langs`` feeds the language switch (which keeps the
    page's other query arguments), ``day`` writes a date as people say it in that language."""
    translate: Callable[..., str] = lambda key, **kw: i18n.translate(key, lang, **kw)  # noqa: E731
    switch_args = {k: v for k, v in request.args.items() if k != "lang"}
    return render_template(
        template,
        page_lang=lang,
        t=translate,
        day=lambda d: format_day(d, lang),
        other_langs={k: v for k, v in i18n.LANGUAGES.items() if k != lang},
        switch_args=switch_args,
        **context,
    )


# --- the platform -----------------------------------------------------------------------------------------------


def _entry(plank: PlatformPlank, lang: str) -> dict[str, Any]:
    """One plank as the page shows it: its words in ``lang`` (the original, marked as such, when untranslated)
    and the sentences saying where it was adopted and, if so, amended or repealed."""
    adopted = plank.adopted
    threshold = i18n.translate(f"platform_threshold_{adopted.threshold}", lang)
    lines = [
        i18n.translate(
            "platform_adopted",
            lang,
            meeting=f"{adopted.meeting_code} ({adopted.meeting_title})",
            date=format_day(adopted.date, lang),
            yes=adopted.yes,
            no=adopted.no,
            threshold=threshold,
        )
    ]
    if plank.ended is not None:
        key = "platform_amended" if plank.state is PlatformState.AMENDED else "platform_repealed"
        lines.append(
            i18n.translate(
                key,
                lang,
                meeting=plank.ended.meeting_code,
                date=format_day(plank.ended.date, lang),
                by=plank.ended.by_title,
            )
        )
    return {
        "id": plank.id,
        "title": in_language(plank.title_in(lang), lang),
        "text": in_language(plank.text_in(lang), lang) if plank.text_in(lang).text else Markup(""),
        "lines": lines,
        "state": str(plank.state),
    }


@public.get("/platform")
def platform() -> Any:
    """The organization's platform; ``?history=1`` adds what was amended or repealed."""
    lang = public_language()
    history = request.args.get("history") == "1"
    planks = _tally().platform(history=history)
    current = [_entry(p, lang) for p in planks if p.state is PlatformState.CURRENT]
    ended = [_entry(p, lang) for p in planks if p.state is not PlatformState.CURRENT]
    return render_public("organizer/platform.html", lang, current=current, ended=ended, history=history)


@public.get("/platform.<any(json, csv):fmt>")
def platform_file(fmt: str) -> Response:
    """The platform as a file anyone may take: JSON (``?lang=es`` for the Spanish words, ``?history=1`` for the
    planks no longer in force) or CSV (always with the history, original words)."""
    history = request.args.get("history") == "1"
    if fmt == "csv":
        body, mimetype = platform_csv(_tally(), history=True), "text/csv"
    else:
        lang = request.args.get("lang")
        body = platform_json(_tally(), history=history, lang=lang if lang in i18n.LANGUAGES else None)
        mimetype = "application/json"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="platform.{fmt}"'
    return response
