"""What the ballot page needs to draw ranking screens (issue 16): the words the page's script uses, and how the
review screen lays out planks and contests on its pages (a candidate's name as shown is ``i18n.candidate_name``).

The ranking itself lives in the page (static/ranking.js) until "Cast ballot" posts it as ``rank-<contest id>``
fields; ``ballot.cast`` hands them to the tally, which refuses an unknown or repeated candidate.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk import i18n

# Review cells on one 800x480 screen: two columns of four one-line plank rows. A contest's row spans both columns
# (its ranking needs the width), so it takes two cells.
REVIEW_CELLS = 8
CONTEST_CELLS = 2

_RANKING_KEYS = (
    "rank_none_yet",
    "all_ranked",
    "rank_cleared",
    "rank_nothing",
    "rank_blank_warn",
    "rank_blank",
    "rank_next",
)


def ranking_words(lang: str) -> dict[str, str]:
    """The ranking screens' words in ``lang``, with ``{name}``/``{n}``/``{total}`` left for the script to fill."""
    words = {key: i18n.translate(key, lang) for key in _RANKING_KEYS}
    for key in ("ranked_as", "already_ranked", "rank_undone"):
        words[key] = i18n.translate(key, lang, name="{name}", n="{n}")
    words["rank_count"] = i18n.translate("rank_count", lang, n="{n}", total="{total}")
    return words


@dataclass(frozen=True)
class ReviewLayout:
    """Which review page shows each plank's and each contest's row. Planks come first, eight to a page; the
    contests follow, each on a row of its own, starting on a new row."""

    plank_pages: tuple[int, ...]
    contest_pages: tuple[int, ...]
    pages: int


def review_layout(planks: int, contests: int) -> ReviewLayout:
    plank_pages = tuple(i // REVIEW_CELLS for i in range(planks))
    first = planks + planks % 2  # a contest starts a row of its own (and so never straddles two pages)
    contest_pages = tuple((first + CONTEST_CELLS * j) // REVIEW_CELLS for j in range(contests))
    cells = first + CONTEST_CELLS * contests if contests else planks
    return ReviewLayout(plank_pages, contest_pages, max(1, -(-cells // REVIEW_CELLS)))
