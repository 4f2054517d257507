"""Counting a meeting's ranked-choice contests and showing them after the close (issue 16, part contest-results).

A meeting with planks and two contests is cast through the tally (rankings in the same cast as the planks) and
closed; then every path shows the rounds: ``release_figures`` (the one rule), the dashboard, the projector,
``kiosk results --json`` and its text, the tally tape in English and Spanish, the meeting bundle that
``kiosk audit verify`` recounts (and refuses when a round, a winner or a ranking was edited), and the RCTab export
that ``kiosk rcv tabulate`` recounts to the same rounds. Before the close, none of them says anything about the
contests' votes.

The ballots are chosen so the outcomes are known by hand (see ``MAYOR`` and ``STEERING``).
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kiosk import accounts, export
from kiosk.cli import main as cli_main
from kiosk.contest_bundle import contest_from_setup
from kiosk.contest_results import Outcome, count_names, counted_contests
from kiosk.errors import StateError
from kiosk.live_figures import Release, release_figures
from kiosk.rcv.command import tabulate_config
from kiosk.rcv.report import detailed_report
from kiosk.receipts import render_text
from kiosk.tally import MeetingState, Tally
from kiosk.web.organizer import create_organizer_app
from tests.conftest import FIXTURES
from tests.test_organizer import PASSWORD, logged_in, organizer_settings

CONTESTS_CSV = """contest,contest_es,seats,method,threshold,candidate,no_endorsement
Mayor endorsement,Respaldo para la alcaldía,1,irv,60%,Ana Díaz,
Mayor endorsement,,,,,Luis Ortega,
Mayor endorsement,,,,,Mei Chen,
Mayor endorsement,,,,,No endorsement,yes
Steering committee,Comité directivo,3,stv,,Rosa Kim,
Steering committee,,,,,Omar Haddad,
Steering committee,,,,,Beatriz Soto,
Steering committee,,,,,Dev Patel,
Steering committee,,,,,Lena Fischer,
"""

# Mayor (one seat, 60% needed): round 1 Ana 4, Luis 3, Mei 2, No endorsement 1 (threshold 6); the option is
# eliminated, its ballot exhausts; round 2 (9 continuing, threshold 5) Mei is eliminated, both her ballots go to
# Luis; round 3 Luis 5, Ana 4: Luis wins with 5/9 = 55.56% of the final round, below 60%: no endorsement.
MAYOR = [
    *[("Ana Díaz", "Luis Ortega")] * 4,
    *[("Luis Ortega", "Ana Díaz")] * 3,
    *[("Mei Chen", "Luis Ortega")] * 2,
    ("No endorsement",),
]
# Steering (three seats): Droop quota floor(9 / 4) + 1 = 3 over the nine ballots that rank someone. Rosa's 4 are
# one over: her surplus of 1 moves on to Omar at 1/4 = 0.2500 a ballot.
STEERING = [
    *[("Rosa Kim", "Omar Haddad")] * 4,
    *[("Omar Haddad", "Beatriz Soto")] * 2,
    *[("Beatriz Soto", "Dev Patel")] * 2,
    ("Dev Patel", "Lena Fischer"),
    (),  # left blank
]


def _ids(tally: Tally, code: str) -> dict[str, Any]:
    return {c.title: (c.id, {cand.name: cand.id for cand in c.candidates}) for c in tally.contests(code)}


def cast_all(tally: Tally, code: str, extra: list[dict[int, list[int]]] | None = None) -> None:
    """The ten ballots of ``MAYOR`` and ``STEERING`` (ballot n also ranks ``extra[n]``'s contests)."""
    ids = _ids(tally, code)
    planks = [p.id for p in tally.planks(code)]
    for number, (mayor, steering) in enumerate(zip(MAYOR, STEERING, strict=True)):
        signin = tally.sign_in_guest(code, f"Voter {number}", station="door")
        assert signin.token
        rankings = {}
        for title, ranking in (("Mayor endorsement", mayor), ("Steering committee", steering)):
            contest_id, by_name = ids[title]
            rankings[contest_id] = [by_name[name] for name in ranking]
        rankings.update(extra[number] if extra else {})
        choices = {planks[0]: "yes" if number % 3 else "no"} if planks else {}
        tally.cast_ballot(code, signin.token, choices, rankings)


@pytest.fixture
def contest_meeting(tally: Tally) -> str:
    """GA16 voting: six planks and the two contests, the ten ballots cast; still open."""
    tally.create_meeting(code="GA16", title="Endorsements", starts="2026-12-03T19:00", guests_may_vote=True)
    tally.import_planks("GA16", (FIXTURES / "planks.csv").read_text(encoding="utf-8"))
    tally.import_contests("GA16", CONTESTS_CSV)
    tally.set_state("GA16", MeetingState.VOTING_OPEN)
    cast_all(tally, "GA16")
    return "GA16"


@pytest.fixture
def closed(tally: Tally, contest_meeting: str) -> str:
    tally.set_state(contest_meeting, MeetingState.CLOSED)
    return contest_meeting


def by_title(released: Any) -> dict[str, Any]:
    return {r.contest.title: r for r in released.contests}


# --- the count --------------------------------------------------------------------------------------------------


def test_the_rounds_and_outcomes_after_close(tally: Tally, closed: str) -> None:
    released = release_figures(tally, closed, step=1)
    assert released.release is Release.FINAL
    mayor, steering = by_title(released)["Mayor endorsement"], by_title(released)["Steering committee"]

    rounds = mayor.as_dict()["rounds"]
    assert [r["tally"] for r in rounds] == [
        {"Ana Díaz": "4", "Luis Ortega": "3", "Mei Chen": "2", "No endorsement": "1"},
        {"Ana Díaz": "4", "Luis Ortega": "3", "Mei Chen": "2"},
        {"Ana Díaz": "4", "Luis Ortega": "5"},
    ]
    assert [r["eliminated"] for r in rounds] == [["No endorsement"], ["Mei Chen"], []]
    assert rounds[1]["transfers"] == {"Mei Chen": {"Luis Ortega": "2"}}
    assert [r["exhausted"] for r in rounds] == ["0", "1", "1"]
    assert [r["threshold"] for r in rounds] == ["6", "5", "5"]
    assert mayor.winners == ("Luis Ortega",) and mayor.endorsed == ()
    assert mayor.outcome is Outcome.BELOW_THRESHOLD and mayor.final_shares == {"Luis Ortega": "55.56"}

    data = steering.as_dict()
    assert (steering.ballots, steering.blank) == (10, 1)
    assert data["rounds"][0]["tally"] == {
        "Rosa Kim": "4",
        "Omar Haddad": "2",
        "Beatriz Soto": "2",
        "Dev Patel": "1",
        "Lena Fischer": "0",
    }
    assert data["rounds"][0]["threshold"] == "3"
    assert data["rounds"][0]["elected"] == ["Rosa Kim"]
    assert data["rounds"][0]["transfers"] == {"Rosa Kim": {"Omar Haddad": "1.0000"}}
    assert set(steering.winners) == {"Rosa Kim", "Omar Haddad", "Beatriz Soto"}
    assert steering.outcome is Outcome.ELECTED
    assert data["tiebreak"]["mode"] == "previousRoundCountsThenRandom"


def test_nothing_about_contests_before_close(
    tally: Tally, contest_meeting: str, tmp_path: Path, db_url: str, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(StateError):
        tally.contest_rankings(contest_meeting, tally.contests(contest_meeting)[0].id)
    with pytest.raises(StateError):
        counted_contests(tally, contest_meeting, 10)
    released = release_figures(tally, contest_meeting, step=1)
    assert released.release is Release.STEPPED and released.contests == ()
    contests = released.as_dict()["contests"]
    assert [c["title"] for c in contests] == ["Mayor endorsement", "Steering committee"]
    assert all(c["figures"] == "after close" and "rounds" not in c and "winners" not in c for c in contests)

    accounts.add_organizer(tally.engine, "rosa", PASSWORD)
    app = create_organizer_app(organizer_settings(tmp_path, db_url), tally)
    client = logged_in(app)
    for path in ("dashboard", "projector"):
        html = client.get(f"/organizer/m/{contest_meeting}/{path}").get_data(as_text=True)
        assert "Round 1" not in html and "R1<" not in html and "Luis Ortega" not in html.split("<h2>Contests")[0]
    assert client.get(f"/organizer/m/{contest_meeting}/export/contest-1-rctab.zip").status_code == 409
    with pytest.raises(StateError):
        export.closing_tape(tally, contest_meeting, organization="Org", columns=42, printed_at=tally.clock())
    assert cli_main(["results", contest_meeting]) == 0
    assert "2 ranked-choice contest(s): counted when voting closes" in capsys.readouterr().out
    assert cli_main(["results", contest_meeting, "--json"]) == 0
    assert all("rounds" not in c for c in json.loads(capsys.readouterr().out)["contests"])
    assert cli_main(["results", contest_meeting, "--rctab", str(tmp_path / "early")]) != 0
    assert not (tmp_path / "early").exists()


def test_a_contest_nobody_ranked_has_no_winner(tally: Tally) -> None:
    tally.create_meeting(code="GA17", title="Blank", starts="2026-12-03T19:00", guests_may_vote=True)
    tally.import_contests("GA17", CONTESTS_CSV)
    tally.set_state("GA17", MeetingState.VOTING_OPEN)
    for number in range(3):
        signin = tally.sign_in_guest("GA17", f"Voter {number}", station="door")
        assert signin.token
        tally.cast_ballot("GA17", signin.token, {})
    tally.set_state("GA17", MeetingState.CLOSED)
    for result in release_figures(tally, "GA17", step=1).contests:
        assert result.outcome is Outcome.NO_VOTES and result.winners == () and result.as_dict()["rounds"] == []


def test_ties_are_broken_by_the_seeded_draw_the_same_on_every_recount() -> None:
    """Two candidates tied in every round: previous rounds cannot separate them, so the seeded draw decides, and
    a recount (same seed) decides the same; the seed is what decides (some other seed decides the other way)."""
    setup = {
        "position": 1,
        "title": "Tie",
        "seats": 1,
        "method": "irv",
        "threshold_percent": None,
        "decimal_places": 4,
        "candidates": ["Ana", "Bo"],
        "no_endorsement": [],
    }
    rankings = [("Ana",), ("Bo",)] * 3
    winners = {}
    # Seeds far apart, as contests draw them: java.util.Random's first draw barely moves between neighbouring seeds.
    for seed in [1_000_003 * k + 17 for k in range(1, 9)]:
        contest = contest_from_setup(setup | {"tiebreak_seed": seed}, 1)
        first, again = count_names(contest, rankings), count_names(contest, list(reversed(rankings)))
        assert first.as_dict() == again.as_dict()
        assert any(action.tiebreak for rnd in first.tabulation.rounds for action in rnd.results)
        winners[seed] = first.winners
    assert set(winners.values()) == {("Ana",), ("Bo",)}


def test_the_no_endorsement_option_winning_means_no_endorsement() -> None:
    setup = {
        "position": 1,
        "title": "Council",
        "seats": 1,
        "method": "irv",
        "threshold_percent": None,
        "decimal_places": 4,
        "tiebreak_seed": 7,
        "candidates": ["Ana", "Bo", "No endorsement"],
        "no_endorsement": ["No endorsement"],
    }
    result = count_names(contest_from_setup(setup, 1), [("No endorsement",)] * 3 + [("Ana",)] * 2)
    assert result.winners == ("No endorsement",) and result.endorsed == ()
    assert result.outcome is Outcome.NO_ENDORSEMENT


# --- the paths that show them -----------------------------------------------------------------------------------


@pytest.fixture
def cli_env(tally: Tally, tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    monkeypatch.setenv("KIOSK_DATABASE_URL", db_url)
    yield


def test_kiosk_results_json_and_text(closed: str, cli_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["results", closed, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    contests = {c["title"]: c for c in data["contests"]}
    assert contests["Mayor endorsement"]["winners"] == ["Luis Ortega"]
    assert contests["Mayor endorsement"]["outcome"] == "below_threshold"
    assert len(contests["Mayor endorsement"]["rounds"]) == 3
    assert len(contests["Steering committee"]["winners"]) == 3
    assert cli_main(["results", closed]) == 0
    text = capsys.readouterr().out
    assert "round 3 (threshold 5): Ana Díaz 4, Luis Ortega 5; exhausted 1" in text
    assert "NO ENDORSEMENT: Luis Ortega had 55.56%, needs 60%" in text


def test_the_tally_tape_in_english_and_spanish(tally: Tally, closed: str) -> None:
    for language, words in (
        ("en", ["Round 3 - threshold 5", "Mei Chen eliminated", "2 to Luis Ortega", "ELECTED: "]),
        ("es", ["Ronda 3 - umbral 5", "Mei Chen queda fuera", "2 a Luis Ortega", "SIN RESPALDO: Luis Ortega"]),
    ):
        _, tape = export.closing_tape(
            tally, closed, organization="Org", columns=42, printed_at=tally.clock(), language=language
        )
        text = render_text(tape)
        for word in words:
            assert word in text, (language, word)


def test_bundle_recounts_every_round_and_fails_on_any_edit(
    tally: Tally, closed: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = export.meeting_bundle(tally, closed, exported_at=tally.clock())
    assert all(len(b["rankings"]) == 2 for b in bundle["ballots"])
    assert sorted(tuple(b["rankings"][0]) for b in bundle["ballots"]) == sorted(MAYOR)
    report = export.verify_bundle(json.dumps(bundle))
    assert report.ok, report.problems
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    assert cli_main(["audit", "verify", str(path)]) == 0

    def edited(change: Any) -> list[str]:
        copy = json.loads(json.dumps(bundle))
        change(copy)
        return export.verify_bundle(json.dumps(copy)).problems

    def round_tally(b: dict[str, Any]) -> None:
        b["contests"][0]["results"]["rounds"][2]["tally"]["Luis Ortega"] = "6"

    problems = edited(round_tally)
    assert any("Mayor endorsement" in p and "round 3" in p and "tally" in p for p in problems), problems

    def winners(b: dict[str, Any]) -> None:
        b["contests"][1]["results"]["winners"] = ["Rosa Kim", "Omar Haddad", "Dev Patel"]

    assert any("Steering committee" in p and "winners" in p for p in edited(winners))

    def ranking(b: dict[str, Any]) -> None:  # a ballot moved from Ana to Luis; the hash and the recount both see it
        ballot = next(x for x in b["ballots"] if x["rankings"][0] == ["Ana Díaz", "Luis Ortega"])
        ballot["rankings"][0] = ["Luis Ortega", "Ana Díaz"]

    problems = edited(ranking)
    assert any("ballots hash" in p for p in problems) and any("round 1" in p for p in problems), problems

    def dropped(b: dict[str, Any]) -> None:
        b["contests"] = []

    assert any("rankings for 0 contests" in p for p in edited(dropped))

    # Damaged rather than edited: each a clear problem, never a crash.
    for damage in (
        lambda b: b["contests"].__setitem__(0, "x"),
        lambda b: b["contests"][0].__setitem__("seats", "many"),
        lambda b: b["contests"][0].__setitem__("seats", 0),
        lambda b: b["contests"][0]["results"].__setitem__("rounds", 3),
        lambda b: b["ballots"][0]["rankings"].__setitem__(0, ["Nobody"]),
        lambda b: b["ballots"][0]["rankings"].__setitem__(0, ["Ana Díaz", "Ana Díaz"]),
    ):
        assert edited(damage)

    copy = json.loads(json.dumps(bundle))
    round_tally(copy)
    path.write_text(json.dumps(copy), encoding="utf-8")
    capsys.readouterr()
    assert cli_main(["audit", "verify", str(path)]) != 0
    assert "round 3" in capsys.readouterr().err


def test_rctab_export_recounts_to_the_same_rounds(
    tally: Tally, closed: str, cli_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_main(["results", closed, "--rctab", str(tmp_path / "rctab")]) == 0
    assert "wrote" in capsys.readouterr().out
    counted = by_title(release_figures(tally, closed, step=1))
    for contest in tally.contests(closed):
        config = tmp_path / "rctab" / f"{closed}-contest-{contest.position}_config.json"
        recount = tabulate_config(config)
        mine = counted[contest.title].tabulation
        assert recount.rounds == mine.rounds and recount.winners == mine.winners
        assert detailed_report(recount)["results"] == detailed_report(mine)["results"]
        assert cli_main(["rcv", "tabulate", str(config), "--json"]) == 0  # the command anyone would run
        assert json.loads(capsys.readouterr().out)["results"] == detailed_report(mine)["results"]
        records = (tmp_path / "rctab" / f"{closed}-contest-{contest.position}_cvr.json").read_text(encoding="utf-8")
        assert all(ballot["code"] not in records for ballot in export.meeting_ballots(tally, closed))


def test_dashboard_projector_and_download_after_close(tally: Tally, closed: str, tmp_path: Path, db_url: str) -> None:
    accounts.add_organizer(tally.engine, "rosa", PASSWORD)
    app: Flask = create_organizer_app(organizer_settings(tmp_path, db_url), tally)
    client: FlaskClient = logged_in(app)
    html = client.get(f"/organizer/m/{closed}/dashboard").get_data(as_text=True)
    assert "Round 3" in html and "Mei Chen eliminated: 2 to Luis Ortega" in html
    assert "No endorsement: Luis Ortega won with 55.56% of the final round, below the 60% needed." in html
    projector = client.get(f"/organizer/m/{closed}/projector").get_data(as_text=True)
    assert projector.count('class="proj-page proj-contest"') == 2 and "svg" in projector
    response = client.get(f"/organizer/m/{closed}/export/contest-2-rctab.zip")
    assert response.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(response.data)).namelist()
    assert names == [f"{closed}-contest-2_config.json", f"{closed}-contest-2_cvr.json"]
    assert client.get(f"/organizer/m/{closed}/export/contest-9-rctab.zip").status_code == 404
    assert any(e.detail and "contest-2-rctab.zip" in e.detail for e in tally.audit_entries(closed))


def test_a_meeting_with_contests_only(tally: Tally, tmp_path: Path, db_url: str) -> None:
    """No planks: the projector's first page is the first contest, the dashboard and tape show only contests."""
    tally.create_meeting(code="GA18", title="Elections", starts="2026-12-03T19:00", guests_may_vote=True)
    tally.import_contests("GA18", CONTESTS_CSV)
    tally.set_state("GA18", MeetingState.VOTING_OPEN)
    cast_all(tally, "GA18")
    tally.set_state("GA18", MeetingState.CLOSED)
    accounts.add_organizer(tally.engine, "rosa", PASSWORD)
    client = logged_in(create_organizer_app(organizer_settings(tmp_path, db_url), tally))
    projector = client.get("/organizer/m/GA18/projector").get_data(as_text=True)
    assert '<section class="proj-page proj-contest" data-page="0" data-contest="1">' in projector
    assert "needed to pass" not in projector  # the planks' legend, with no planks
    assert "Round 3" in client.get("/organizer/m/GA18/dashboard").get_data(as_text=True)
    _, tape = export.closing_tape(tally, "GA18", organization="Org", columns=42, printed_at=tally.clock())
    text = render_text(tape)
    assert "No planks" not in text and "Round 3 - threshold 5" in text
