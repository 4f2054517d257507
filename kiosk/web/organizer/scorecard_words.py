"""The scorecard as the pages show it in one language: platform plank titles in that language (the original,
marked with its own ``lang``, when untranslated), alignment as a whole percent rounded down, and votes and
positions in words. Shared by the public ``/scorecard`` page and the organizer's ledger pages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from kiosk import i18n
from kiosk.ledger.scorecard import Counts, alignment_percent
from kiosk.tally import Tally
from kiosk.web.plank_words import in_language


@dataclass(frozen=True)
class ScorecardWords:
    """What a scorecard template calls: ``title(plank)``, ``sentence(key, ...)``, ``share(counts)``, ``vote_word(v)``,
    ``position_word(v)``."""

    lang: str
    titles: dict[str, Markup]

    def title(self, plank: str) -> Markup:
        return self.titles.get(plank, escape(plank))

    def sentence(self, key: str, **kw: object) -> Markup:
        """A catalogue sentence with markup arguments (a plank's title in its own ``lang``) kept as markup and
        everything else escaped."""
        return escape(i18n.translate(key, self.lang)).format(**kw)  # Markup.format escapes plain arguments

    def share(self, counts: Counts) -> str:
        percent = alignment_percent(counts.alignment)
        return i18n.translate("sc_no_record", self.lang) if percent is None else f"{percent}%"

    def vote(self, recorded: Any) -> str:
        return i18n.translate(f"sc_vote_{recorded.vote.value}", self.lang)

    def position(self, recorded: Any) -> str:
        return i18n.translate(f"sc_{recorded.position.value}", self.lang)


def scorecard_words(tally: Tally, lang: str) -> ScorecardWords:
    """The words for ``lang``: every platform plank's title (amended and repealed ones too) in that language."""
    titles = {p.title: in_language(p.title_in(lang), lang) for p in tally.platform(history=True)}
    return ScorecardWords(lang, titles)


def template_helpers(tally: Tally, lang: str) -> dict[str, Callable[..., Any]]:
    words = scorecard_words(tally, lang)
    return {
        "title": words.title,
        "sentence": words.sentence,
        "share": words.share,
        "vote_word": words.vote,
        "position_word": words.position,
    }
