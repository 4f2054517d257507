"""The ballot page's contests (issue 16) through the Flask test client: the ranking screens and their form fields,
the review's layout, and forged posts (a repeated or unknown candidate) refused with nothing stored."""

from __future__ import annotations

from kiosk.web.kiosk.ranking import review_layout


def test_review_layout_puts_contests_on_rows_of_their_own() -> None:
    # Planks alone: eight to a page, as before.
    assert review_layout(12, 0).pages == 2
    assert review_layout(0, 0).pages == 1
    # Three planks, then contests on full rows: the fourth cell is left empty so a contest starts a row.
    layout = review_layout(3, 2)
    assert layout.plank_pages == (0, 0, 0)
    assert layout.contest_pages == (0, 0)  # cells 4-5 and 6-7
    assert layout.pages == 1
    layout = review_layout(7, 3)
    assert layout.contest_pages == (1, 1, 1) and layout.pages == 2
    # Contests alone: four to a page.
    layout = review_layout(0, 5)
    assert layout.contest_pages == (0, 0, 0, 0, 1) and layout.pages == 2
