"""Logic-and-accuracy testing, as election officials run before a vote.

A test deck is a CSV with one column per plank title and one row per ballot (``yes``, ``no``, ``abstain`` or
blank, which counts as abstain). ``run_test_deck`` copies the meeting and its planks into a scratch SQLite
database, signs in one test voter per row, and casts each ballot through the same ``Tally`` methods the kiosk
uses (sign in, token, cast). The real meeting is never touched. Compare the printed results with the counts
you expect from the deck.
"""

from __future__ import annotations

import csv
import io
import tempfile
from datetime import date
from pathlib import Path

from kiosk import db
from kiosk.errors import InvalidInput
from kiosk.results import Choice, MeetingResults
from kiosk.tally import MeetingState, Tally

MAX_DECK_ROWS = 10_000


def parse_deck(csv_text: str, plank_titles: list[str]) -> list[dict[str, Choice | None]]:
    reader = csv.reader(io.StringIO(csv_text.lstrip("\ufeff"), newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InvalidInput("the test deck is empty") from None
    unknown = [h for h in header if h and h not in plank_titles]
    if unknown:
        raise InvalidInput(f"test deck column {unknown[0]!r} is not a plank title of this meeting")
    rows: list[dict[str, Choice | None]] = []
    for row in reader:
        if not any(c.strip() for c in row):
            continue
        if len(rows) >= MAX_DECK_ROWS:
            raise InvalidInput(f"a test deck has at most {MAX_DECK_ROWS} ballots")
        ballot: dict[str, Choice | None] = {}
        for title, value in zip(header, row, strict=False):
            if not title:
                continue
            value = value.strip().lower()
            if value in ("", "blank"):
                ballot[title] = None
            elif value in ("yes", "no", "abstain"):
                ballot[title] = Choice(value)
            else:
                raise InvalidInput(f"line {reader.line_num}: {value!r} is not yes, no, abstain or blank")
        rows.append(ballot)
    return rows


def run_test_deck(tally: Tally, code: str, csv_text: str, scratch_dir: Path | None = None) -> MeetingResults:
    meeting = tally.meeting(code)
    planks = tally.planks(code)
    if not planks:
        raise InvalidInput(f"meeting {meeting.code} has no planks to test")
    deck = parse_deck(csv_text, [p.title for p in planks])
    with tempfile.TemporaryDirectory(dir=scratch_dir, prefix="test-deck-") as folder:
        engine = db.make_engine(f"sqlite:///{Path(folder) / 'scratch.db'}")
        try:
            db.upgrade(engine)
            scratch = Tally(
                engine, region=tally.region, timezone=meeting.timezone, clock=tally.clock, token_key=tally.token_key
            )
            roster = "name,status,joined\n" + "".join(
                f"Test Voter {i:05d},member,{date(2000, 1, 1).isoformat()}\n" for i in range(1, len(deck) + 1)
            )
            scratch.import_roster(roster, actor="test-deck")
            scratch.create_meeting(
                code=meeting.code,
                title=meeting.title,
                starts=meeting.starts_at,
                timezone=meeting.timezone,
                quorum=meeting.quorum_text,
                actor="test-deck",
            )
            header = "title,text,threshold\n"
            lines = [f'"{p.title.replace(chr(34), chr(34) * 2)}","",{p.threshold}' for p in planks]
            scratch.import_planks(meeting.code, header + "\n".join(lines), actor="test-deck")
            scratch.set_state(meeting.code, MeetingState.VOTING_OPEN, actor="test-deck")
            ids = {p.title: p.id for p in scratch.planks(meeting.code)}
            voters = sorted(p.member_id for p in scratch.find_people(meeting.code, "test voter", limit=len(deck)))
            for member_id, ballot in zip(voters, deck, strict=True):
                signin = scratch.sign_in_member(meeting.code, member_id, station="test-deck")
                assert signin.token is not None
                scratch.cast_ballot(meeting.code, signin.token, {ids[t]: c for t, c in ballot.items()})
            return scratch.results(meeting.code)
        finally:
            engine.dispose()
