"""Ranked-choice contests in a meeting (issue 16, the tally's part): the contests file, set-up frozen once voting
opens, casting rankings with the planks in one cast, verifying them, and handing them to the count after close.
Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kiosk.errors import InvalidInput, NotFound, StateError, TokenRejected
from kiosk.schema import ballot_rankings, ballots, contests
from kiosk.tally import ContestMethod, MeetingState, Tally
from tests.conftest import member_id

FIXTURES = Path(__file__).parent / "fixtures"
CONTESTS_CSV = (FIXTURES / "contests.csv").read_text(encoding="utf-8")
VOTERS = ["Ana Ram", "Marcus", "José Hern", "Nguy", "Keisha", "Li Wei", "Fatima", "Dmitri"]


def _count(tally: Tally, table: object) -> int:
    with tally.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


@pytest.fixture
def contest_meeting(tally: Tally, roster_csv: str, planks_csv: str) -> str:
    tally.import_roster(roster_csv)
    tally.create_meeting(code="GA12", title="General Assembly", starts="2026-12-03T19:00")
    tally.import_planks("GA12", planks_csv)
    report = tally.import_contests("GA12", CONTESTS_CSV)
    assert (report.added, report.updated) == (2, 0)
    tally.set_state("GA12", MeetingState.VOTING_OPEN)
    return "GA12"


def _token(tally: Tally, code: str, name: str) -> str:
    signin = tally.sign_in_member(code, member_id(tally, code, name))
    assert signin.token
    return signin.token


def _ids(tally: Tally, code: str) -> dict[str, int]:
    return {cand.name: cand.id for c in tally.contests(code) for cand in c.candidates}


def test_contests_file_is_read_into_contests(tally: Tally, contest_meeting: str) -> None:
    mayor, steering = tally.contests(contest_meeting)
    assert (mayor.position, mayor.title, mayor.seats, mayor.method) == (1, "Mayor endorsement", 1, ContestMethod.IRV)
    assert mayor.threshold_percent == Decimal("60") and mayor.decimal_places == 4
    assert [c.name for c in mayor.candidates] == ["Ana Díaz", "Luis Ortega", "Mei Chen", "No endorsement"]
    assert [c.no_endorsement for c in mayor.candidates] == [False, False, False, True]
    assert mayor.title_in("es").text == "Respaldo para la alcaldía" and mayor.title_in("es").lang == "es"
    assert (steering.seats, steering.method, steering.threshold_percent) == (3, ContestMethod.STV, None)
    assert len(steering.candidates) == 5 and steering.title_in("es").text == "Comité directivo"


def test_cast_planks_and_rankings_in_one_cast(tally: Tally, contest_meeting: str) -> None:
    mayor = tally.contests(contest_meeting)[0]
    ids = _ids(tally, contest_meeting)
    plank = tally.planks(contest_meeting)[0]
    cast = tally.cast_ballot(
        contest_meeting,
        _token(tally, contest_meeting, "Ana Ram"),
        {plank.id: "yes"},
        {mayor.id: [ids["Luis Ortega"], ids["Ana Díaz"]]},
    )
    assert cast.rankings == (("Mayor endorsement", ("Luis Ortega", "Ana Díaz")), ("Steering committee", ()))
    assert cast.choices[0] == (plank.title, "yes")
    looked_up = tally.lookup_ballot(cast.verification_code)
    assert looked_up.rankings == cast.rankings and looked_up.choices == cast.choices
    assert "Luis" not in repr(cast)  # a repr may reach a log: rankings stay out of it, like choices


def test_contests_only_meeting(tally: Tally, roster_csv: str) -> None:
    tally.import_roster(roster_csv)
    tally.create_meeting(code="EL1", title="Election", starts="2026-12-03T19:00")
    with pytest.raises(StateError, match="no planks or contests"):
        tally.set_state("EL1", MeetingState.VOTING_OPEN)
    tally.import_contests("EL1", CONTESTS_CSV)
    tally.set_state("EL1", MeetingState.VOTING_OPEN)
    steering = tally.contests("EL1")[1]
    order = [c.id for c in steering.candidates][::-1]
    cast = tally.cast_ballot("EL1", _token(tally, "EL1", "Marcus"), {}, {steering.id: order})
    assert cast.choices == () and cast.rankings[1][1][0] == "Lena Fischer"


@pytest.mark.parametrize(
    "bad",
    [
        "unknown contest",
        "candidate of another contest",
        "unknown candidate",
        "duplicate",
        "more ranks than candidates",
        "not a list",
    ],
)
def test_bad_rankings_store_nothing_and_keep_the_token(tally: Tally, contest_meeting: str, bad: str) -> None:
    mayor, steering = tally.contests(contest_meeting)
    m = [c.id for c in mayor.candidates]
    rankings: dict[int, object] = {
        "unknown contest": {999_999: [m[0]]},
        "candidate of another contest": {mayor.id: [steering.candidates[0].id]},
        "unknown candidate": {mayor.id: [999_999]},
        "duplicate": {mayor.id: [m[0], m[1], m[0]]},
        "more ranks than candidates": {mayor.id: [*m, m[0]]},
        "not a list": {mayor.id: "12"},
    }[bad]
    token = _token(tally, contest_meeting, "Ana Ram")
    with pytest.raises(InvalidInput):
        tally.cast_ballot(contest_meeting, token, {}, rankings)  # type: ignore[arg-type]
    assert _count(tally, ballots) == 0 and _count(tally, ballot_rankings) == 0
    tally.cast_ballot(contest_meeting, token, {}, {mayor.id: m})  # the token was not spent
    assert _count(tally, ballot_rankings) == len(m)


def test_contest_rankings_after_close_only_in_code_order(tally: Tally, contest_meeting: str) -> None:
    mayor, _ = tally.contests(contest_meeting)
    ids = _ids(tally, contest_meeting)
    given = [
        [ids["Ana Díaz"]],
        [ids["Mei Chen"], ids["Ana Díaz"], ids["No endorsement"]],
        [],
        [ids["Luis Ortega"], ids["Mei Chen"]],
    ]
    codes = []
    for name, ranking in zip(VOTERS, given, strict=False):
        cast = tally.cast_ballot(contest_meeting, _token(tally, contest_meeting, name), {}, {mayor.id: ranking})
        codes.append(cast.verification_code.replace("-", ""))
    with pytest.raises(StateError):
        tally.contest_rankings(contest_meeting, mayor.id)
    tally.set_state(contest_meeting, MeetingState.CLOSED)
    got = tally.contest_rankings(contest_meeting, mayor.id)
    by_code = dict(zip(codes, (tuple(r) for r in given), strict=True))
    assert got == [by_code[c] for c in sorted(codes)]
    with pytest.raises(NotFound):
        tally.contest_rankings(contest_meeting, 999_999)


def test_contests_frozen_once_voting_opens(tally: Tally, contest_meeting: str) -> None:
    mayor = tally.contests(contest_meeting)[0]
    with pytest.raises(StateError):
        tally.import_contests(contest_meeting, CONTESTS_CSV)
    with pytest.raises(StateError):
        tally.remove_contest(contest_meeting, mayor.id)
    assert _count(tally, contests) == 2


def test_reimport_replaces_a_contest_by_title(tally: Tally) -> None:
    tally.create_meeting(code="GA12", title="GA", starts="2026-12-03T19:00")
    tally.import_contests("GA12", CONTESTS_CSV)
    report = tally.import_contests(
        "GA12",
        "contest,candidate,seats\nSteering committee,Rosa Kim,2\n"
        "Steering committee,Omar Haddad,\nSteering committee,Ana Díaz,\n",
    )
    assert (report.added, report.updated) == (0, 1)
    steering = tally.contests("GA12")[1]
    assert [c.name for c in steering.candidates] == ["Rosa Kim", "Omar Haddad", "Ana Díaz"]
    assert (steering.seats, steering.method, steering.title_in("es").text) == (2, ContestMethod.STV, "Comité directivo")


@pytest.mark.parametrize(
    ("csv_text", "message"),
    [
        ("", "empty"),
        ("name,phone\nAna,1\n", "no 'contest' column"),
        ("contest,candidate\n", "no contests"),
        ("contest,candidate\nMayor,Ana\nMayor,ana\n", "line 2: contest 'Mayor' lists"),
        ("contest,candidate,seats\nMayor,Ana,1\nMayor,Luis,2\n", "line 3: seats '2' differs from '1' on line 2"),
        ("contest,candidate,seats,method\nBoard,Ana,2,irv\nBoard,Luis,,\n", "line 2: instant-runoff (irv) fills one"),
        ("contest,candidate,method\nMayor,Ana,borda\n", "line 2: method 'borda'"),
        ("contest,candidate,threshold\nMayor,Ana,150%\nMayor,Luis,\n", "between 0 and 100"),
        ("contest,candidate,threshold\nMayor,Ana,lots\n", "not a percent"),
        ("contest,candidate,seats\nMayor,Ana,-1\n", "seats must be 1-20"),
        ("contest,candidate\nTreasurer,Ana\nTreasurer,Luis\nMayor,\n", "line 4: no candidate name"),
        ("contest,candidate\n,Ana\n", "line 2: no contest title"),
        ("contest,candidate,no_endorsement\nMayor,Ana,perhaps\n", "line 2: 'perhaps' is not yes or no"),
        ("contest,candidate,no_endorsement\nM,None,yes\nM,Nobody,yes\n", "more than one 'No endorsement'"),
        ("contest,candidate\nMayor," + "x" * 201 + "\n", "1-200 characters"),
        ('contest,candidate\nMayor,"Ana\n', "not readable as CSV"),
        ('contest,candidate\nMayor,"An"a\n', "line 2: not readable as CSV"),
    ],
)
def test_bad_contests_files_are_refused_whole(tally: Tally, csv_text: str, message: str) -> None:
    tally.create_meeting(code="GA12", title="GA", starts="2026-12-03T19:00")
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        tally.import_contests("GA12", csv_text)
    assert _count(tally, contests) == 0  # nothing half imported (not even the good rows before a bad one)


def test_control_characters_are_dropped_from_names(tally: Tally) -> None:
    tally.create_meeting(code="GA12", title="GA", starts="2026-12-03T19:00")
    tally.import_contests("GA12", "contest,candidate\nMay\u200bor,Ana\0\nMayor,\u202eLuis\n")
    (mayor,) = tally.contests("GA12")
    assert (mayor.title, [c.name for c in mayor.candidates]) == ("Mayor", ["Ana", "Luis"])


def test_cast_form_fields(tally: Tally, contest_meeting: str, client: object) -> None:
    """The kiosk's POST /kiosk/ballot/cast carries ``rank-<contest id>`` = candidate ids, comma separated."""
    from flask.testing import FlaskClient

    assert isinstance(client, FlaskClient)
    mayor, steering = tally.contests(contest_meeting)
    ids = _ids(tally, contest_meeting)
    token = _token(tally, contest_meeting, "Ana Ram")
    assert client.post("/kiosk/token", data={"token": token}).status_code == 303
    bad = client.post("/kiosk/ballot/cast", data={f"rank-{mayor.id}": "1,x"})
    assert bad.status_code == 400
    twice = client.post("/kiosk/ballot/cast", data={f"rank-{mayor.id}": f"{ids['Ana Díaz']},{ids['Ana Díaz']}"})
    assert twice.status_code == 400 and _count(tally, ballots) == 0
    done = client.post(
        "/kiosk/ballot/cast",
        data={f"rank-{mayor.id}": f"{ids['Mei Chen']},{ids['Ana Díaz']}", f"rank-{steering.id}": ""},
    )
    assert done.status_code == 303 and _count(tally, ballot_rankings) == 2
    with pytest.raises(TokenRejected):
        tally.check_token(contest_meeting, token)


def test_cli_imports_lists_and_names_the_bad_line(
    tally: Tally, tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from kiosk.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    monkeypatch.setenv("KIOSK_DATABASE_URL", db_url)
    tally.create_meeting(code="GA12", title="GA", starts="2026-12-03T19:00")
    bad = tmp_path / "bad.csv"
    bad.write_text("contest,candidate,method\nMayor,Ana,\nMayor,Luis,borda\n", encoding="utf-8")
    assert main(["contests", "import", "GA12", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"kiosk: error: {bad}: nothing imported: line 3: method 'borda'" in err and "Traceback" not in err
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("contest,candidate\nAlcaldía,Ana\n".encode("latin-1"))
    assert main(["contests", "import", "GA12", str(latin1)]) == 1
    assert "not UTF-8" in capsys.readouterr().err
    assert main(["contests", "import", "GA12", str(FIXTURES / "contests.csv")]) == 0
    assert "2 added" in capsys.readouterr().out
    assert main(["contests", "list", "GA12"]) == 0
    out = capsys.readouterr().out
    assert "contest 1: Mayor endorsement (1 seat, irv, endorsement needs 60% in the final round)" in out
    assert "  4. No endorsement [no endorsement]" in out
    assert main(["meeting", "show", "GA12"]) == 0
    assert "contest 2: Steering committee (3 seats, stv, 5 candidates" in capsys.readouterr().out
    assert main(["contests", "list", "GA12", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [c["seats"] for c in listed] == [1, 3] and listed[0]["translations"] == {"es": "Respaldo para la alcaldía"}


def test_rankings_table_holds_nothing_that_links_to_a_person(tally: Tally, contest_meeting: str) -> None:
    from sqlalchemy import inspect, text
    from sqlalchemy.exc import IntegrityError

    columns = [c["name"] for c in inspect(tally.engine).get_columns("ballot_rankings")]
    assert columns == ["ballot_code", "contest_id", "rank", "candidate_id"]  # no id, time or sequence
    if tally.engine.dialect.name == "sqlite":  # no rowid counting up as ballots arrive (PostgreSQL has none)
        with tally.engine.connect() as conn:
            ddl = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'ballot_rankings'")).scalar_one()
            assert "WITHOUT ROWID" in ddl
    mayor = tally.contests(contest_meeting)[0]
    token = _token(tally, contest_meeting, "Ana Ram")
    cast = tally.cast_ballot(contest_meeting, token, {}, {mayor.id: [mayor.candidates[0].id]})
    code = cast.verification_code.replace("-", "")
    # One candidate per rank (the primary key), ranks from 1 (a check), a candidate once (a unique constraint).
    for rank, candidate in ((1, mayor.candidates[1]), (0, mayor.candidates[1]), (2, mayor.candidates[0])):
        with pytest.raises(IntegrityError), tally.engine.begin() as conn:
            row = {"ballot_code": code, "contest_id": mayor.id, "rank": rank, "candidate_id": candidate.id}
            conn.execute(ballot_rankings.insert().values(**row))


def test_a_messy_contests_file_is_read_as_meant(tally: Tally) -> None:
    """A spreadsheet's export: BOM, CRLF, headers in any case with spaces and dashes, a column we do not know,
    blank rows, the contest's title in another case on a later row, fields given once, quoted commas and quotes,
    a "Sí" flag, a threshold written "66.67 %"."""
    tally.create_meeting(code="GA12", title="GA", starts="2026-12-03T19:00")
    report = tally.import_contests("GA12", (FIXTURES / "contests-messy.csv").read_text(encoding="utf-8-sig"))
    assert (report.added, report.notes) == (2, ["column 'Notes' ignored"])
    council, steering = tally.contests("GA12")
    assert (council.title, council.seats, council.method, council.threshold_percent) == (
        "City Council, District 2",
        1,
        ContestMethod.IRV,
        Decimal("66.67"),
    )
    assert council.title_in("es").text == "Concejo Municipal (Distrito 2)"
    assert [(c.name, c.no_endorsement) for c in council.candidates] == [
        ("Ana Díaz", False),
        ("O\u2019Brien, Pat", False),
        ("Ninguno / No endorsement", True),
    ]
    assert (steering.seats, steering.method) == (2, ContestMethod.STV)
    assert [c.name for c in steering.candidates] == ["Rosa Kim", "Omar Haddad", 'Beatriz "Bea" Soto']
