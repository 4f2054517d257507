"""The public scorecard (``/scorecard``, no login): how the officials the organization follows voted on its
platform, in every language the kiosk offers, printable.

It shows officials' public votes on public bodies and their public pledges, never anything of the members'
secret ballots or any meeting's live figures (see ``kiosk.live_figures``)."""

from __future__ import annotations

from typing import Any

from kiosk.web.organizer.scorecard_words import template_helpers
from kiosk.web.organizer.views.base import _tally, public
from kiosk.web.organizer.views.public_pages import public_language, render_public


@public.get("/scorecard")
def scorecard() -> Any:
    lang = public_language()
    tally = _tally()
    return render_public("organizer/scorecard.html", lang, scores=tally.scorecard(), **template_helpers(tally, lang))
