"""The voting script of docs/power-loss.md, taken from the page as it is and run against a live kiosk.

A Pi owner runs it on a laptop while a relay cuts the kiosk's power; here it votes through a real waitress
server (the kiosk app) and checks its log against a second one (the organizer app's public ``/verify``). The
power cut itself is stood in for by its two after-effects the script must handle: an attendee signed in before
the cut who never voted (the script continues to the ballot with a new code), and an acknowledged ballot that
the storage lost (``check`` must report it and exit non-zero).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from kiosk.config import Settings
from kiosk.schema import ballot_choices, ballots, members
from kiosk.tally import Tally
from kiosk.tokens import normalize_code
from kiosk.web.organizer import create_organizer_app
from tests.conftest import LiveServer

pytestmark = pytest.mark.sqlite_only

DOC = Path(__file__).resolve().parent.parent / "docs" / "power-loss.md"


def voter_script() -> str:
    page = DOC.read_text(encoding="utf-8")
    found = re.search(r"<!-- powercut_voter\.py[^>]*-->\s*```python\n(.*?)```", page, re.DOTALL)
    assert found, "docs/power-loss.md lost its powercut_voter.py block"
    return found.group(1)


def run_script(script: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, timeout=60, check=False)


def test_the_documented_voter_votes_logs_and_finds_a_lost_ballot(
    tally: Tally,
    voting_meeting: str,
    live_server: LiveServer,
    live_server_factory: Callable[..., LiveServer],
    tmp_path: Path,
) -> None:
    settings = Settings()
    settings = replace(settings, kiosk=replace(settings.kiosk, data_dir=str(tmp_path / "data")))
    organizer = live_server_factory(create_organizer_app(settings, tally, test_config={"TESTING": True}))
    with tally.engine.connect() as conn:
        rows = conn.execute(select(members.c.id, members.c.phone).where(members.c.status == "member")).all()
    counts: dict[str, int] = {}
    for _member, phone in rows:
        if phone:
            counts[phone] = counts.get(phone, 0) + 1
    single = [(member, phone) for member, phone in rows if phone and counts[phone] == 1][:4]
    assert len(single) == 4
    # Signed in before a "cut", never voted: the script continues with the code its log kept from the receipt
    # (a new code at the kiosk would let anyone take over a ballot: issue 12).
    before_cut = tally.sign_in_member(voting_meeting, single[0][0])
    script = tmp_path / "powercut_voter.py"
    script.write_text(voter_script(), encoding="utf-8")
    phones = tmp_path / "phones.txt"
    phones.write_text("".join(f"{phone}\n" for _member, phone in single), encoding="utf-8")
    log = tmp_path / "acks.txt"
    log.write_text(f"2026-12-03T19:00:00 token {single[0][1]} {before_cut.token}\n", encoding="utf-8")

    vote = ("vote", "--kiosk", live_server.url, "--phones", str(phones), "--log", str(log), "--pause", "0")
    voted = run_script(script, *vote)
    assert voted.returncode == 0, voted.stderr
    events = [line.split() for line in log.read_text(encoding="utf-8").splitlines()]
    codes = [event[2] for event in events if event[1] == "ballot"]
    assert len(codes) == 4
    assert sum(1 for event in events if event[1] == "signin") == 3  # the fourth was signed in already
    assert tally.results(voting_meeting).ballots_cast == 4

    checked = run_script(script, "check", "--organizer", organizer.url, "--log", str(log))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "4 acknowledged ballots checked after 0 outages: 0 missing" in checked.stdout

    # Voting again finds nothing to do: every attendee has voted.
    again = run_script(script, *vote)
    assert again.returncode == 0, again.stderr
    assert log.read_text(encoding="utf-8").count("nothing-to-do") == 4

    # A card that lied about a sync: one acknowledged ballot is gone. The check must say which.
    lost = normalize_code(codes[1])
    with tally.engine.begin() as conn:
        conn.execute(delete(ballot_choices).where(ballot_choices.c.ballot_code == lost))
        conn.execute(delete(ballots).where(ballots.c.code == lost))
    checked = run_script(script, "check", "--organizer", organizer.url, "--log", str(log))
    assert checked.returncode == 1
    assert "1 missing" in checked.stdout and f"MISSING {codes[1]}" in checked.stdout
