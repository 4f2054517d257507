"""A platform and a ledger for the scorecard tests: meeting GA12 adopted "Rent control" and "Public bank"; the
officials, pledges and votes of tests/fixtures/ledger imported on request."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from kiosk.schema import members
from kiosk.tally import MeetingState, Tally
from tests.platform_support import hold_meeting

LEDGER = Path(__file__).parent / "fixtures" / "ledger"
PLANKS = (
    "title,text,threshold,title_es,text_es\n"
    "Rent control,Cap rents for every tenant.,majority,Control de alquileres,Limitar los alquileres.\n"
    "Public bank,Found a city bank.,majority,Banca pública,Fundar un banco municipal.\n"
)


def adopt_platform(tally: Tally) -> None:
    hold_meeting(tally, "GA12", "2026-12-03T19:00", PLANKS, {"Rent control": (3, 1, 0), "Public bank": (3, 0, 1)})
    assert [p.title for p in tally.platform()] == ["Rent control", "Public bank"]


def fixture_text(name: str) -> str:
    return (LEDGER / name).read_text(encoding="utf-8")


def import_ledger(tally: Tally) -> None:
    """Officials, pledges and the votes CSV, each import clean apart from the fixtures' deliberate bad lines."""
    assert tally.import_officials(fixture_text("officials-messy.csv")).refused == []
    tally.import_pledges(fixture_text("pledges-messy.csv"))
    assert tally.import_votes(fixture_text("votes.csv")).refused == []


def amend_rent_control(tally: Tally) -> None:
    """Meeting GA13 passes "Rent control for all", which amends "Rent control" (the plank file's ``amends``)."""
    tally.create_meeting(code="GA13", title="Assembly GA13", starts="2027-01-07T19:00")
    tally.import_planks(
        "GA13", "title,text,threshold,amends\nRent control for all,Cap every rent.,majority,Rent control\n"
    )
    (plank,) = tally.planks("GA13")
    tally.set_state("GA13", MeetingState.VOTING_OPEN)
    tally.import_roster("name,status,joined\nAmending Voter,member,2000-01-01\n")
    with tally.engine.connect() as conn:
        member_id = conn.execute(select(members.c.id).where(members.c.name == "Amending Voter")).scalar_one()
    signin = tally.sign_in_member("GA13", member_id)
    assert signin.token
    tally.cast_ballot("GA13", signin.token, {plank.id: "yes"})
    tally.set_state("GA13", MeetingState.CLOSED)
    assert tally.platform_plank_by_title("rent control").title == "Rent control for all"  # type: ignore[union-attr]
