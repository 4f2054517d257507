"""A closed meeting's contest results set officials' endorsements (issue 17's last item): ``Tally.endorse_from_meeting``
and ``kiosk officials endorse CODE``. SQLite and PostgreSQL.

Meeting GA20 holds four contests, cast by ten guests so the outcomes are known by hand (see ``BALLOTS``):

* Mayor endorsement (IRV, 60%): Ana Díaz 7 of 10 in round 1, 70%: endorsed.
* Council endorsement (IRV, 60%): Rosa Kim wins 5 of 9 continuing, 55.56%: below the threshold, no endorsement.
* Treasurer endorsement (IRV): "No endorsement" wins 6 to 4: nobody is endorsed (and the option never becomes an
  official).
* Steering committee (STV, three seats): quota floor(10 / 4) + 1 = 3; Beatriz Soto 4 and Dev Patel 3 are elected in
  round 1, Beatriz's surplus of 1 goes to Lena Fischer at 0.25 a ballot, four ballots: 3, elected.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from kiosk import accounts
from kiosk.cli import main
from kiosk.errors import StateError
from kiosk.schema import audit_log, meetings, officials
from kiosk.tally import EndorsementChange, MeetingState, Tally
from kiosk.web.organizer import create_organizer_app
from tests.test_organizer import PASSWORD, logged_in, organizer_settings, post

CONTESTS_CSV = """contest,seats,method,threshold,candidate,no_endorsement
Mayor endorsement,1,irv,60%,Ana Díaz,
Mayor endorsement,,,,Luis Ortega,
Mayor endorsement,,,,No endorsement,yes
Council endorsement,1,irv,60%,Rosa Kim,
Council endorsement,,,,Omar Haddad,
Treasurer endorsement,1,irv,,Mei Chen,
Treasurer endorsement,,,,No endorsement,yes
Steering committee,3,stv,,Beatriz Soto,
Steering committee,,,,Dev Patel,
Steering committee,,,,Lena Fischer,
Steering committee,,,,Ivy Chen,
"""

MAYOR = [("Ana Díaz",)] * 7 + [("Luis Ortega",)] * 2 + [("No endorsement",)]
COUNCIL = [("Rosa Kim",)] * 5 + [("Omar Haddad",)] * 4 + [()]
TREASURER = [("No endorsement",)] * 6 + [("Mei Chen",)] * 4
STEERING = [("Beatriz Soto", "Lena Fischer")] * 4 + [("Dev Patel",)] * 3 + [("Lena Fischer",)] * 2 + [("Ivy Chen",)]
BALLOTS = list(zip(MAYOR, COUNCIL, TREASURER, STEERING, strict=True))
TITLES = ("Mayor endorsement", "Council endorsement", "Treasurer endorsement", "Steering committee")
ENDORSED = {"Ana Díaz", "Beatriz Soto", "Dev Patel", "Lena Fischer"}


def voting_meeting(tally: Tally, code: str = "GA20") -> str:
    tally.create_meeting(code=code, title="Endorsements", starts="2026-12-03T19:00", guests_may_vote=True)
    tally.import_contests(code, CONTESTS_CSV)
    tally.set_state(code, MeetingState.VOTING_OPEN)
    ids = {c.title: (c.id, {cand.name: cand.id for cand in c.candidates}) for c in tally.contests(code)}
    for number, ballot in enumerate(BALLOTS):
        signin = tally.sign_in_guest(code, f"Voter {number}", station="door")
        assert signin.token
        rankings = {}
        for title, ranking in zip(TITLES, ballot, strict=True):
            contest_id, by_name = ids[title]
            rankings[contest_id] = [by_name[name] for name in ranking]
        tally.cast_ballot(code, signin.token, {}, rankings)
    return code


@pytest.fixture
def closed(tally: Tally) -> str:
    code = voting_meeting(tally)
    tally.set_state(code, MeetingState.CLOSED)
    return code


def officials_table(tally: Tally) -> dict[str, tuple[str, str, bool, str | None]]:
    """search name → (name, office, endorsed, endorsing meeting's code)."""
    query = select(officials, meetings.c.code).outerjoin(meetings, meetings.c.id == officials.c.endorsed_meeting_id)
    with tally.engine.connect() as conn:
        return {r.search_name: (r.name, r.office, bool(r.endorsed), r.code) for r in conn.execute(query)}


def test_the_endorsed_candidates_become_endorsed_officials(tally: Tally, closed: str) -> None:
    report = tally.endorse_from_meeting(closed, actor="rosa")
    assert {e.name for e in report.endorsements} == ENDORSED
    assert {e.change for e in report.endorsements} == {EndorsementChange.ADDED}
    table = officials_table(tally)
    assert table["ana diaz"] == ("Ana Díaz", "Mayor endorsement", True, "GA20")
    assert {row[0] for row in table.values()} == ENDORSED  # below threshold, "No endorsement", losers: not added
    assert all(row[1:] == ("Steering committee", True, "GA20") for k, row in table.items() if k != "ana diaz")
    with tally.engine.connect() as conn:
        (entry,) = conn.execute(select(audit_log).where(audit_log.c.action == "officials_endorsed")).all()
    assert (entry.actor, entry.meeting_code) == ("rosa", "GA20")
    assert json.loads(entry.detail) == {"added": 4, "updated": 0, "unchanged": 0}


def test_rerunning_changes_nothing(tally: Tally, closed: str) -> None:
    tally.endorse_from_meeting(closed)
    before = officials_table(tally)
    again = tally.endorse_from_meeting(closed)
    assert {e.change for e in again.endorsements} == {EndorsementChange.UNCHANGED}
    assert again.as_dict()["unchanged"] == 4
    assert officials_table(tally) == before


def test_existing_officials_match_ignoring_accents_case_and_spaces(tally: Tally, closed: str) -> None:
    tally.create_meeting(code="GA12", title="Earlier", starts="2026-11-03T19:00")
    imported = tally.import_officials(
        "name,office,body,endorsed\n"
        "  ANA   DIAZ ,Mayor,City Council,no\n"
        "dev patel,Councilmember,City Council,GA12\n"
        "beatriz SOTO,School board,School Board,yes\n"
        "Rosa Kim,Councilmember,City Council,no\n"
    )
    assert imported.refused == []
    report = tally.endorse_from_meeting(closed)
    changes = {e.name: (e.change, e.was) for e in report.endorsements}
    assert changes == {
        "ANA DIAZ": (EndorsementChange.UPDATED, "not endorsed"),
        "dev patel": (EndorsementChange.UPDATED, "endorsed by GA12"),
        "beatriz SOTO": (EndorsementChange.UPDATED, "endorsed"),
        "Lena Fischer": (EndorsementChange.ADDED, ""),
    }
    table = officials_table(tally)
    # the official's own record (name as imported, office) is kept; only the endorsement changes
    assert table["ana diaz"] == ("ANA DIAZ", "Mayor", True, "GA20")
    assert table["dev patel"] == ("dev patel", "Councilmember", True, "GA20")
    assert table["rosa kim"] == ("Rosa Kim", "Councilmember", False, None)  # won below the threshold
    assert "no endorsement" not in table


def test_refused_before_the_close_and_without_contests(tally: Tally) -> None:
    code = voting_meeting(tally)
    with pytest.raises(StateError, match="GA20 is voting_open, not closed"):
        tally.endorse_from_meeting(code)
    assert officials_table(tally) == {}
    tally.create_meeting(code="GA21", title="Planks only", starts="2026-12-10T19:00")
    tally.import_planks("GA21", "title,text,threshold\nRent control,Cap rents.,majority\n")
    tally.set_state("GA21", MeetingState.VOTING_OPEN)
    tally.set_state("GA21", MeetingState.CLOSED)
    with pytest.raises(StateError, match="GA21 has no contests"):
        tally.endorse_from_meeting("GA21")


@pytest.fixture
def kiosk(tally: Tally, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> Any:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    monkeypatch.setenv("KIOSK_DATABASE_URL", db_url)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_cli_endorse(tally: Tally, kiosk: Any) -> None:
    code = voting_meeting(tally)
    status, out, err = kiosk("officials", "endorse", code)
    assert status == 1 and "not closed" in out + err
    tally.set_state(code, MeetingState.CLOSED)
    status, out, _ = kiosk("officials", "endorse", code)
    assert status == 0
    assert out.startswith("meeting GA20: 4 endorsed (4 added as officials, 0 updated, 0 unchanged)")
    assert "  added: Ana Díaz — Mayor endorsement" in out
    status, out, _ = kiosk("officials", "endorse", "ga20", "--json")
    data = json.loads(out)
    assert status == 0 and (data["meeting"], data["added"], data["unchanged"]) == ("GA20", 0, 4)
    status, out, err = kiosk("officials", "endorse", "NOPE")
    assert status == 1 and "NOPE" in out + err


def test_the_ledger_page_button(tally: Tally, tmp_path: Path, db_url: str) -> None:
    """The organizer ledger page offers the closed meetings; the button reports each change in English or Spanish
    and refuses a meeting that is not closed with the reason."""
    accounts.add_organizer(tally.engine, "rosa", PASSWORD)
    app = create_organizer_app(organizer_settings(tmp_path, db_url), tally, test_config={"TESTING": True})
    client = logged_in(app)
    code = voting_meeting(tally)
    assert "No meeting has closed yet." in client.get("/organizer/ledger").get_data(as_text=True)
    refused = post(client, "/organizer/ledger/endorse", {"code": code}, follow_redirects=True)
    assert "GA20 is voting_open, not closed" in refused.get_data(as_text=True)
    assert officials_table(tally) == {}
    tally.set_state(code, MeetingState.CLOSED)
    assert '<option value="GA20">GA20 · Endorsements</option>' in client.get("/organizer/ledger").get_data(as_text=True)
    page = post(client, "/organizer/ledger/endorse?lang=es", {"code": code}).get_data(as_text=True)
    assert "Respaldos de GA20" in page and "4 personas agregadas como representantes" in page
    assert "Se agregó: Ana Díaz · Mayor endorsement" in page
    again = post(client, "/organizer/ledger/endorse", {"code": code}).get_data(as_text=True)
    assert "0 added as officials, 0 updated, 4 unchanged." in again
    with tally.engine.connect() as conn:
        actors = conn.execute(select(audit_log.c.actor).where(audit_log.c.action == "officials_endorsed")).scalars()
        assert list(actors) == ["organizer:rosa", "organizer:rosa"]
