"""Contest figures before the close, on every path that shows figures (issue 16 with issue 12, item 1).

The attacker of ``test_figures_secrecy`` (an organizer, the CLI, the kiosk's address) watches every figure path
after every single ballot of a meeting that has ranked-choice contests as well as planks. Contests have no live
figures (``kiosk.live_figures``): no path may show anything of a contest's rankings until the close, so no
candidate's name may appear in any figure path's answer before it, and the tally refuses to hand rankings out.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable

import pytest

from kiosk.errors import StateError
from kiosk.print_queue import PrintQueue
from kiosk.tally import MeetingState, Tally
from tests.conftest import FIXTURES
from tests.test_figures_secrecy import Observers, observers, voters  # noqa: F401  (observers is a fixture)
from tests.test_organizer import post

CANDIDATES = ["Ana Díaz", "Luis Ortega", "Mei Chen", "Rosa Kim", "Omar Haddad", "Beatriz Soto", "Lena Fischer"]


@pytest.fixture
def voting_meeting(tally: Tally, roster_csv: str, planks_csv: str) -> str:
    """GA12 as in conftest, with the contests of tests/fixtures/contests.csv too."""
    tally.import_roster(roster_csv)
    tally.create_meeting(code="GA12", title="General Assembly", starts="2026-12-03T19:00", quorum="20%")
    tally.import_planks("GA12", planks_csv)
    tally.import_contests("GA12", (FIXTURES / "contests.csv").read_text(encoding="utf-8"))
    tally.set_state("GA12", MeetingState.VOTING_OPEN)
    return "GA12"


def raw_paths(o: Observers) -> dict[str, Callable[[], str]]:
    """Every figure path's whole answer as text (see test_figures_secrecy.ORGANIZER_FIGURE_ROUTES and friends)."""

    def tape(cli: bool) -> str:
        if cli:
            o.cli("meeting", "tally-tape", "GA12")
        else:
            post(o.organizer, "/organizer/m/GA12/tally-tape", {"copy": "1"})
        return "\n".join(j.payload or "" for j in PrintQueue(o.tally.engine).jobs(limit=500) if j.kind == "tally")

    def event(view: str) -> str:
        response = o.organizer.get(f"/organizer/m/GA12/events?view={view}", buffered=False)
        try:
            for chunk in response.response:
                text = chunk.decode() if isinstance(chunk, bytes) else chunk
                if text.startswith("event: update"):
                    return str(json.loads(text.split("data: ", 1)[1])["html"])
        finally:
            response.close()
        raise AssertionError("no update event")

    return {
        "dashboard": lambda: o.organizer.get("/organizer/m/GA12/dashboard").get_data(as_text=True),
        "projector": lambda: o.organizer.get("/organizer/m/GA12/projector").get_data(as_text=True),
        "events (dashboard)": lambda: event("dashboard"),
        "events (projector)": lambda: event("projector"),
        "results.csv": lambda: o.organizer.get("/organizer/m/GA12/export/results.csv").get_data(as_text=True),
        "results.json": lambda: o.organizer.get("/organizer/m/GA12/export/results.json").get_data(as_text=True),
        "kiosk results": lambda: o.cli("results", "GA12")[1],
        "kiosk results --json": lambda: o.cli("results", "GA12", "--json")[1],
        "kiosk results --csv": lambda: o.cli("results", "GA12", "--csv")[1],
        "tally tape (page)": lambda: tape(cli=False),
        "kiosk meeting tally-tape": lambda: tape(cli=True),
        "kiosk /results/GA12": lambda: o.kiosk.get("/results/GA12").get_data(as_text=True),
        "kiosk /results/GA12.json": lambda: o.kiosk.get("/results/GA12.json").get_data(as_text=True),
    }


def test_no_contest_figure_on_any_path_before_the_close(observers: Observers) -> None:  # noqa: F811
    tally = observers.tally
    contests = tally.contests("GA12")
    paths = raw_paths(observers)
    rng = random.Random(16)
    # Four ballots: past the first stepped snapshot (STEP = 3), with every path read after each one.
    for token in voters(tally, "GA12", 4):
        rankings = {c.id: rng.sample([x.id for x in c.candidates], rng.randint(0, len(c.candidates))) for c in contests}
        tally.cast_ballot("GA12", token, {}, rankings)
        for name, read in paths.items():
            text = read()
            shown = [c for c in CANDIDATES if c in text or json.dumps(c)[1:-1] in text]
            assert shown == [], f"{name} shows contest candidates before the close: {shown}"
        for contest in contests:
            with pytest.raises(StateError):
                tally.contest_rankings("GA12", contest.id)
    tally.set_state("GA12", MeetingState.CLOSED)
    assert len(tally.contest_rankings("GA12", contests[0].id)) == tally.results("GA12").ballots_cast
