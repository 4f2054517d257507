"""Holding whole meetings for the platform tests: create, import planks, let voters cast exact counts, close."""

from __future__ import annotations

import itertools

from sqlalchemy import delete, select, update

from kiosk.schema import members, plank_platform_changes, platform_planks
from kiosk.tally import MeetingState, Tally

_voter_numbers = itertools.count()


def hold_meeting(tally: Tally, code: str, starts: str, planks_csv: str, votes: dict[str, tuple[int, int, int]]) -> None:
    """Meeting ``code`` with ``planks_csv``, where each plank titled in ``votes`` gets exactly (yes, no, abstain)
    from fresh roster members (the others leave it blank, which counts as an abstention), then closed."""
    open_meeting(tally, code, starts, planks_csv)
    vote_and_close(tally, code, votes)


def open_meeting(tally: Tally, code: str, starts: str, planks_csv: str) -> None:
    """Meeting ``code`` with ``planks_csv`` imported (every line accepted), not yet voting."""
    tally.create_meeting(code=code, title=f"Assembly {code}", starts=starts)
    report = tally.import_planks(code, planks_csv)
    assert not report.refused, report.refused


def vote_and_close(tally: Tally, code: str, votes: dict[str, tuple[int, int, int]]) -> None:
    """Open voting on ``code``, cast exactly ``votes`` (see ``hold_meeting``) and close it."""
    tally.set_state(code, MeetingState.VOTING_OPEN)
    ids = {p.title: p.id for p in tally.planks(code)}
    voters = max((sum(v) for v in votes.values()), default=0)
    first = next(_voter_numbers) * 1000
    names = [f"Platform Voter {first + i:06d}" for i in range(voters)]
    tally.import_roster("name,status,joined\n" + "".join(f"{n},member,2000-01-01\n" for n in names))
    for i, name in enumerate(names):
        with tally.engine.connect() as conn:
            member_id = conn.execute(select(members.c.id).where(members.c.name == name)).scalar_one()
        signin = tally.sign_in_member(code, member_id)
        assert signin.token
        choices: dict[int, str | None] = {}
        for title, (yes, no, abstain) in votes.items():
            choices[ids[title]] = (
                "yes" if i < yes else "no" if i < yes + no else "abstain" if i < yes + no + abstain else None
            )
        tally.cast_ballot(code, signin.token, choices)
    tally.set_state(code, MeetingState.CLOSED)


def forget_platform(tally: Tally) -> None:
    """The state the migration leaves an upgraded database in: meetings closed, the platform tables empty."""
    with tally.engine.begin() as conn:
        conn.execute(delete(plank_platform_changes))
        conn.execute(update(platform_planks).values(replaced_by_id=None))
        conn.execute(delete(platform_planks))
