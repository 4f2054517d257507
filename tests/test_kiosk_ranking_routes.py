"""The ballot page's contests (issue 16) through the Flask test client: the ranking screens and their form fields,
the review's layout, and forged posts (a repeated or unknown candidate) refused with nothing stored."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from kiosk.tally import MeetingState, Tally
from kiosk.web.kiosk.ranking import review_layout
from tests.conftest import member_id
from tests.test_kiosk_ranking_browser import make_meeting


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


# --- the ballot page and its post ---------------------------------------------------------------------------


def _open_ballot(client: FlaskClient, tally: Tally, code: str) -> str:
    token = tally.sign_in_member(code, member_id(tally, code, "Marcus Bell")).token
    assert token
    assert client.post("/kiosk/token", data={"token": token}).status_code == 303
    return token


def test_the_ballot_page_draws_each_contest_and_its_form_field(client: FlaskClient, tally: Tally) -> None:
    code = make_meeting(tally)
    _open_ballot(client, tally, code)
    html = client.get("/kiosk/ballot").get_data(as_text=True)
    mayor, steering = tally.contests(code)
    for contest in (mayor, steering):
        assert f'name="rank-{contest.id}" value=""' in html  # blank until the page's script fills it
        assert f'data-contest="{contest.id}"' in html
        assert all(f'data-cand="{c.id}"' in html for c in contest.candidates)
    assert 'src="/static/ranking.js"' in html
    assert html.count("<h1") == 1


def test_a_no_endorsement_line_is_shown_in_the_attendees_language(client: FlaskClient, tally: Tally) -> None:
    code = make_meeting(tally)
    client.post("/kiosk/lang", data={"lang": "es", "next": "/kiosk/"})
    _open_ballot(client, tally, code)
    html = client.get("/kiosk/ballot").get_data(as_text=True)
    assert 'data-name="No respaldar a nadie"' in html and 'data-name="Ana Díaz"' in html
    assert "Voto por preferencia 1 de 2" in html


@pytest.mark.parametrize(
    "forged",
    [
        "dup",  # one candidate twice
        "unknown-candidate",  # a candidate of the other contest
        "unknown-contest",
        "not-a-number",
        "too-many",  # more ranks than candidates
    ],
)
def test_a_forged_ranking_is_refused_and_nothing_is_stored(client: FlaskClient, tally: Tally, forged: str) -> None:
    code = make_meeting(tally)
    token = _open_ballot(client, tally, code)
    mayor, steering = tally.contests(code)
    m = [c.id for c in mayor.candidates]
    plank = tally.planks(code)[0]
    field = f"rank-{mayor.id}"
    value = {
        "dup": f"{m[0]},{m[0]}",
        "unknown-candidate": f"{m[0]},{steering.candidates[0].id}",
        "unknown-contest": "",
        "not-a-number": f"{m[0]},x",
        "too-many": ",".join(str(i) for i in [*m, m[0]]),
    }[forged]
    form = {f"choice-{plank.id}": "yes", field: value, f"rank-{steering.id}": ""}
    if forged == "unknown-contest":
        form[f"rank-{steering.id + mayor.id + 1000}"] = str(m[0])
    assert client.post("/kiosk/ballot/cast", data=form).status_code == 400
    # Nothing stored, and the token is still good: the attendee can still cast the real ballot.
    assert tally.check_token(code, token)
    good = {f"choice-{plank.id}": "yes", field: f"{m[2]},{m[0]}", f"rank-{steering.id}": ""}
    assert client.post("/kiosk/ballot/cast", data=good).status_code == 303
    tally.set_state(code, MeetingState.CLOSED)
    assert tally.contest_rankings(code, mayor.id) == [(m[2], m[0])]
    assert tally.contest_rankings(code, steering.id) == [()]
