"""The tally's rules: meetings and their states, planks, RSVPs, sign-in, tokens, ballots, results, audit."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect, select, text, update
from sqlalchemy.exc import IntegrityError

from kiosk.errors import InvalidInput, NotFound, StateError, TokenRejected
from kiosk.results import Choice
from kiosk.schema import audit_log, ballot_tokens, signins
from kiosk.tally import Answer, MeetingState, Tally
from tests.conftest import FakeClock, member_id

# --- meetings ---------------------------------------------------------------------------------------------


def test_meeting_state_machine_moves_forward_only(tally: Tally, planks_csv: str) -> None:
    tally.create_meeting(code="ga12", title="General Assembly", starts="2026-12-03T19:00", quorum="25")
    meeting = tally.meeting("GA12")
    assert meeting.state is MeetingState.DRAFT
    assert meeting.local_start.isoformat() == "2026-12-03T19:00:00-08:00"
    with pytest.raises(StateError, match="no planks"):
        tally.set_state("GA12", MeetingState.VOTING_OPEN)
    tally.import_planks("GA12", planks_csv)
    tally.set_state("GA12", MeetingState.SIGNIN_OPEN)
    tally.set_state("GA12", MeetingState.VOTING_OPEN)
    with pytest.raises(StateError, match="cannot go back"):
        tally.set_state("GA12", MeetingState.SIGNIN_OPEN)
    tally.set_state("GA12", MeetingState.CLOSED)
    with pytest.raises(StateError, match="cannot be reopened"):
        tally.set_state("GA12", MeetingState.VOTING_OPEN)
    changes = [json.loads(e.detail) for e in tally.audit_entries("GA12") if e.action == "state_changed"]
    assert [(c["from"], c["to"]) for c in changes] == [
        ("draft", "signin_open"),
        ("signin_open", "voting_open"),
        ("voting_open", "closed"),
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"code": "G A"}, "letters and digits"),
        ({"starts": "next thursday"}, "not a date"),
        ({"quorum": "lots"}, "must be a number"),
        ({"quorum": "120%"}, "must be a number"),
        ({"title": "  "}, "needs a title"),
    ],
)
def test_meeting_input_is_checked(tally: Tally, kwargs: dict[str, str], message: str) -> None:
    args = {"code": "GA1", "title": "GA", "starts": "2026-12-03T19:00"} | kwargs
    with pytest.raises(InvalidInput, match=message):
        tally.create_meeting(**args)  # type: ignore[arg-type]


def test_meeting_codes_are_unique(tally: Tally) -> None:
    tally.create_meeting(code="GA12", title="A", starts="2026-12-03T19:00")
    with pytest.raises(InvalidInput, match="already exists"):
        tally.create_meeting(code="ga12", title="B", starts="2026-12-04T19:00")


def test_explicit_offset_is_kept(tally: Tally) -> None:
    meeting = tally.create_meeting(code="NY1", title="A", starts="2026-12-03T19:00-05:00")
    assert meeting.starts_at.isoformat() == "2026-12-04T00:00:00+00:00"


def test_planks_import_reports_refusals_and_updates_by_title(tally: Tally, planks_csv: str) -> None:
    tally.create_meeting(code="GA12", title="GA", starts="2026-12-03T19:00")
    report = tally.import_planks("GA12", planks_csv)
    assert report.added == 6
    bad = "title,text,threshold\n,no title,majority\nX,y,supermajority\nPublic bank,New text,Two Thirds\n"
    report = tally.import_planks("GA12", bad)
    assert report.updated == 1
    assert report.refused == [
        "line 2: no title",
        "line 3: threshold 'supermajority' is not one of majority, three-fifths, two-thirds, three-quarters",
    ]
    planks = tally.planks("GA12")
    assert [p.position for p in planks] == [1, 2, 3, 4, 5, 6]
    assert planks[-1].title == "Public bank" and planks[-1].threshold == "two-thirds"


def test_planks_frozen_once_voting_opens(tally: Tally, voting_meeting: str) -> None:
    with pytest.raises(StateError):
        tally.import_planks(voting_meeting, "title\nLate plank\n")


# --- RSVPs ------------------------------------------------------------------------------------------------


def test_latest_rsvp_counts_and_history_is_kept(tally: Tally, voting_meeting: str, clock: FakeClock) -> None:
    tally.record_rsvp(voting_meeting, phone="(510) 555-0101", answer="yes", guests=2)
    clock.advance(minutes=5)
    tally.record_rsvp(voting_meeting, phone="5105550101", answer="no")
    tally.record_rsvp(voting_meeting, phone="+1 415 555 0199", answer="maybe", source="sms")
    current = tally.current_rsvps(voting_meeting)
    assert [(r.name, r.phone, r.answer, r.guests) for r in current] == [
        ("Ana Ramírez", "+15105550101", Answer.NO, 0),
        (None, "+14155550199", Answer.MAYBE, 0),
    ]
    assert len(tally.rsvp_history(voting_meeting)) == 3
    tally.name_rsvp(voting_meeting, "+14155550199", "  Dana   Cruz ")
    assert tally.current_rsvps(voting_meeting)[1].name == "Dana Cruz"


def test_household_rsvp_is_recorded_against_the_phone(tally: Tally, voting_meeting: str) -> None:
    view = tally.record_rsvp(voting_meeting, phone="510-555-0103", answer="yes")
    assert view.member_id is None and view.phone == "+15105550103"


@pytest.mark.parametrize("guests", [-1, 11])
def test_rsvp_guests_bounded(tally: Tally, voting_meeting: str, guests: int) -> None:
    with pytest.raises(InvalidInput):
        tally.record_rsvp(voting_meeting, phone="5105550101", answer="yes", guests=guests)
    assert tally.current_rsvps(voting_meeting) == []


def test_no_rsvp_after_close(tally: Tally, voting_meeting: str) -> None:
    tally.set_state(voting_meeting, MeetingState.CLOSED)
    with pytest.raises(StateError):
        tally.record_rsvp(voting_meeting, phone="5105550101", answer="yes")


# --- sign-in ----------------------------------------------------------------------------------------------


def test_find_people_by_phone_and_name(tally: Tally, voting_meeting: str) -> None:
    household = tally.find_people(voting_meeting, "(510) 555-0103")
    assert sorted(p.display_name for p in household) == ["José H.", "Rosa D."]
    assert [p.display_name for p in tally.find_people(voting_meeting, "jose")] == ["José H.", "María G."]
    assert tally.find_people(voting_meeting, "a") == []  # one letter finds nobody
    # Two letters find a whole word only: Li finds Li Wei (not Liam), ji finds Eun-ji, "an" finds no one.
    assert [p.display_name for p in tally.find_people(voting_meeting, "li")] == ["Li W."]
    assert [p.display_name for p in tally.find_people(voting_meeting, "JI")] == ["Eun-ji P."]
    assert tally.find_people(voting_meeting, "an") == []
    assert [p.display_name for p in tally.find_people(voting_meeting, "NGUYEN")] == ["Nguyễn L."]
    assert tally.find_people(voting_meeting, "%%%") == []


def test_rsvp_number_not_on_roster_is_found(tally: Tally, voting_meeting: str) -> None:
    tally.record_rsvp(voting_meeting, phone="415-555-0199", answer="yes", name="Dana Cruz")
    [person] = tally.find_people(voting_meeting, "4155550199")
    assert (person.kind, person.display_name, person.member_id) == ("rsvp", "Dana C.", None)


def test_sign_in_once_per_meeting(tally: Tally, voting_meeting: str) -> None:
    ana = member_id(tally, voting_meeting, "Ana Ram")
    first = tally.sign_in_member(voting_meeting, ana, station="door")
    assert first.eligible and first.token and not first.already and first.display_name == "Ana R."
    again = tally.sign_in_member(voting_meeting, ana, station="side")
    assert again.already and again.token is None and again.token_state == "issued" and again.id == first.id
    with tally.engine.connect() as conn:
        assert conn.execute(select(signins)).all().__len__() == 1


def test_eligibility_rules(tally: Tally, roster_csv: str, planks_csv: str) -> None:
    tally.import_roster(roster_csv)
    tally.create_meeting(code="GA12", title="GA", starts="2026-12-03T19:00", min_membership_days=365)
    tally.import_planks("GA12", planks_csv)
    tally.set_state("GA12", MeetingState.SIGNIN_OPEN)
    cases = {
        "Ana Ram": (True, None),  # joined 2016
        "Patrick": (False, "membership status is lapsed"),
        "Olga": (False, "guests may not vote"),  # pending member
        "Samuel": (False, "guests may not vote"),  # roster guest
        "Sofía": (True, None),  # joined 2024-09-01: more than 365 days before Dec 3 2026
        "Kwame": (True, None),
    }
    for name, (eligible, reason) in cases.items():
        result = tally.sign_in_member("GA12", member_id(tally, "GA12", name))
        assert result.eligible is eligible, name
        assert (result.token is not None) is eligible
        if reason:
            assert reason in (result.ineligible_reason or ""), name
    walk_in = tally.sign_in_guest("GA12", "Visiting Friend")
    assert not walk_in.eligible and walk_in.kind == "guest"


def test_recent_member_not_eligible_with_minimum(tally: Tally, planks_csv: str) -> None:
    tally.import_roster("name,phone,status,joined\nNew Person,5105550160,member,2026-11-20\n")
    tally.create_meeting(code="GA12", title="GA", starts="2026-12-03T19:00", min_membership_days=30)
    tally.import_planks("GA12", planks_csv)
    tally.set_state("GA12", MeetingState.SIGNIN_OPEN)
    result = tally.sign_in_member("GA12", member_id(tally, "GA12", "New Person"))
    assert not result.eligible and "30 days" in (result.ineligible_reason or "")


def test_guests_vote_only_when_allowed(tally: Tally, planks_csv: str) -> None:
    tally.create_meeting(code="OPEN1", title="Open meeting", starts="2026-12-03T19:00", guests_may_vote=True)
    tally.import_planks("OPEN1", planks_csv)
    tally.set_state("OPEN1", MeetingState.VOTING_OPEN)
    guest = tally.sign_in_guest("OPEN1", "Walk In", "510 555 0170")
    assert guest.eligible and guest.token
    again = tally.sign_in_guest("OPEN1", "Walk-In Person", "(510) 555-0170")
    assert again.already  # same phone, same guest


def test_joining_at_the_door_adds_a_pending_member(tally: Tally, voting_meeting: str) -> None:
    result = tally.sign_in_guest(voting_meeting, "Nadia Haddad", "510-555-0150", joining=True)
    assert result.kind == "pending" and not result.eligible
    [person] = tally.find_people(voting_meeting, "Nadia")
    assert person.kind == "pending" and person.signed_in


def test_sign_in_needs_an_open_meeting(tally: Tally, roster_csv: str) -> None:
    tally.import_roster(roster_csv)
    tally.create_meeting(code="GA12", title="GA", starts="2026-12-03T19:00")
    with pytest.raises(StateError, match="not open"):
        tally.sign_in_member("GA12", member_id(tally, "GA12", "Ana Ram"))


def test_one_live_token_per_signin_is_a_database_constraint(tally: Tally, voting_meeting: str) -> None:
    signin = tally.sign_in_member(voting_meeting, member_id(tally, voting_meeting, "Ana Ram"))
    with tally.engine.begin() as conn:
        meeting_id = conn.execute(text("SELECT id FROM meetings WHERE code='GA12'")).scalar()
        with pytest.raises(IntegrityError, match=r"(?i)unique"):
            conn.execute(
                ballot_tokens.insert().values(
                    meeting_id=meeting_id,
                    signin_id=signin.id,
                    token_hash="x" * 64,
                    state="issued",
                    issued_at=tally.clock(),
                )
            )


def test_one_signin_per_person_is_a_database_constraint(tally: Tally, voting_meeting: str) -> None:
    signin = tally.sign_in_member(voting_meeting, member_id(tally, voting_meeting, "Ana Ram"))
    with tally.engine.begin() as conn:
        row = conn.execute(select(signins).where(signins.c.id == signin.id)).first()
        assert row is not None
        values = dict(row._mapping)
        del values["id"]
        with pytest.raises(IntegrityError, match=r"(?i)unique"):
            conn.execute(signins.insert().values(**values))


# --- ballots ----------------------------------------------------------------------------------------------


def choices_for(tally: Tally, code: str, *values: str) -> dict[int, str]:
    return {p.id: v for p, v in zip(tally.planks(code), values, strict=False)}


def test_cast_ballot_and_verify(tally: Tally, voting_meeting: str) -> None:
    signin = tally.sign_in_member(voting_meeting, member_id(tally, voting_meeting, "Ana Ram"))
    assert signin.token
    assert len(tally.check_token(voting_meeting, signin.token.lower())) == 6
    cast = tally.cast_ballot(voting_meeting, signin.token, choices_for(tally, voting_meeting, "yes", "no", "abstain"))
    assert [c for _, c in cast.choices] == ["yes", "no", "abstain", "abstain", "abstain", "abstain"]
    looked_up = tally.lookup_ballot(cast.verification_code.lower().replace("-", " "))
    assert looked_up.choices == cast.choices and looked_up.meeting_code == "GA12"
    results = tally.results(voting_meeting)
    assert (results.ballots_issued, results.ballots_cast) == (1, 1)
    assert (results.planks[0].yes, results.planks[1].no, results.planks[5].abstain) == (1, 1, 1)
    with pytest.raises(TokenRejected) as refused:
        tally.cast_ballot(voting_meeting, signin.token, {})
    assert refused.value.reason == "spent"
    with pytest.raises(TokenRejected) as refused:
        tally.check_token(voting_meeting, signin.token)
    assert refused.value.reason == "spent"


def test_token_rejections(tally: Tally, voting_meeting: str, planks_csv: str) -> None:
    tally.create_meeting(code="GA13", title="Next", starts="2026-12-10T19:00")
    tally.import_planks("GA13", planks_csv)
    tally.set_state("GA13", MeetingState.VOTING_OPEN)
    other = tally.sign_in_member("GA13", member_id(tally, "GA13", "Marcus"))
    assert other.token
    for token, reason in [("ACDE-FGHJ", "unknown"), (other.token, "other_meeting"), ("", "unknown")]:
        with pytest.raises(TokenRejected) as refused:
            tally.cast_ballot(voting_meeting, token, {})
        assert refused.value.reason == reason
    assert tally.results("GA13").ballots_cast == 0


def test_ballot_refused_before_voting_opens(tally: Tally, roster_csv: str, planks_csv: str) -> None:
    tally.import_roster(roster_csv)
    tally.create_meeting(code="GA12", title="GA", starts="2026-12-03T19:00")
    tally.import_planks("GA12", planks_csv)
    tally.set_state("GA12", MeetingState.SIGNIN_OPEN)
    signin = tally.sign_in_member("GA12", member_id(tally, "GA12", "Ana Ram"))
    assert signin.token
    with pytest.raises(TokenRejected) as refused:
        tally.cast_ballot("GA12", signin.token, {})
    assert refused.value.reason == "not_open"
    tally.set_state("GA12", MeetingState.VOTING_OPEN)
    tally.cast_ballot("GA12", signin.token, {})
    tally.set_state("GA12", MeetingState.CLOSED)
    assert tally.results("GA12").ballots_cast == 1


def test_bad_choices_are_refused_and_token_stays_unspent(tally: Tally, voting_meeting: str) -> None:
    signin = tally.sign_in_member(voting_meeting, member_id(tally, voting_meeting, "Ana Ram"))
    assert signin.token
    with pytest.raises(InvalidInput):
        tally.cast_ballot(voting_meeting, signin.token, {999: "yes"})
    with pytest.raises(InvalidInput):
        tally.cast_ballot(voting_meeting, signin.token, choices_for(tally, voting_meeting, "maybe"))
    tally.cast_ballot(voting_meeting, signin.token, choices_for(tally, voting_meeting, "yes"))


def test_void_and_reissue(tally: Tally, voting_meeting: str) -> None:
    signin = tally.sign_in_member(voting_meeting, member_id(tally, voting_meeting, "Ana Ram"))
    assert signin.token
    new = tally.reissue_token(voting_meeting, signin.id, actor="organizer:maria")
    with pytest.raises(TokenRejected) as refused:
        tally.check_token(voting_meeting, signin.token)
    assert refused.value.reason == "void"
    tally.cast_ballot(voting_meeting, new, {})
    with pytest.raises(StateError, match="already voted"):
        tally.reissue_token(voting_meeting, signin.id)
    results = tally.results(voting_meeting)
    assert (results.ballots_issued, results.ballots_cast) == (1, 1)
    actions = [e.action for e in tally.audit_entries(voting_meeting)]
    assert actions.count("token_issued") == 2 and "token_voided" in actions


def test_quorum_counts_eligible_members_present(tally: Tally, voting_meeting: str) -> None:
    for name in ["Ana Ram", "Marcus", "Patrick", "Olga"]:
        tally.sign_in_member(voting_meeting, member_id(tally, voting_meeting, name))
    tally.sign_in_guest(voting_meeting, "Visitor")
    quorum = tally.results(voting_meeting).quorum
    assert (quorum.required, quorum.present, quorum.met) == (5, 2, False)  # 20% of 23 members in good standing


# --- results against a naive recount ----------------------------------------------------------------------

ballots_strategy = st.lists(
    st.lists(st.sampled_from(["yes", "no", "abstain", None]), min_size=3, max_size=3), min_size=0, max_size=25
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    deck=ballots_strategy,
    thresholds=st.lists(
        st.sampled_from(["majority", "three-fifths", "two-thirds", "three-quarters"]), min_size=3, max_size=3
    ),
)
def test_results_equal_a_naive_recount(
    tmp_path_factory: pytest.TempPathFactory, deck: list[list[str | None]], thresholds: list[str]
) -> None:
    from kiosk import db
    from kiosk.results import Threshold, passes

    folder = tmp_path_factory.mktemp("recount")
    engine = db.make_engine(f"sqlite:///{folder / 't.db'}")
    db.upgrade(engine)
    tally = Tally(engine, clock=FakeClock())
    try:
        tally.import_roster(
            "name,status,joined\n" + "".join(f"Voter {i:03d},member,2000-01-01\n" for i in range(len(deck)))
        )
        tally.create_meeting(code="R1", title="Recount", starts="2026-12-03T19:00")
        tally.import_planks("R1", "title,text,threshold\n" + "".join(f"P{i},,{t}\n" for i, t in enumerate(thresholds)))
        tally.set_state("R1", MeetingState.VOTING_OPEN)
        planks = tally.planks("R1")
        for i, ballot in enumerate(deck):
            signin = tally.sign_in_member("R1", member_id(tally, "R1", f"Voter {i:03d}"))
            assert signin.token
            tally.cast_ballot("R1", signin.token, {p.id: c for p, c in zip(planks, ballot, strict=True)})
        results = tally.results("R1")
        assert results.ballots_cast == len(deck)
        for index, plank in enumerate(results.planks):
            column = [b[index] or "abstain" for b in deck]
            yes, no, abstain = column.count("yes"), column.count("no"), column.count("abstain")
            assert (plank.yes, plank.no, plank.abstain) == (yes, no, abstain)
            assert plank.passed == passes(Threshold(thresholds[index]), yes=yes, no=no)
    finally:
        engine.dispose()


# --- audit ------------------------------------------------------------------------------------------------


def _tamper(tally: Tally, sql: str) -> None:
    with tally.engine.begin() as conn:
        conn.execute(text(sql))


@pytest.fixture
def audited(tally: Tally, voting_meeting: str) -> Tally:
    signin = tally.sign_in_member(voting_meeting, member_id(tally, voting_meeting, "Ana Ram"))
    assert signin.token
    tally.cast_ballot(voting_meeting, signin.token, {})
    report = tally.audit_verify()
    assert report.ok and report.entries == 7
    return tally


def test_audit_detects_an_edited_entry(audited: Tally) -> None:
    _tamper(audited, "UPDATE audit_log SET detail = replace(detail, 'Ana R.', 'Bob B.') WHERE action = 'signed_in'")
    report = audited.audit_verify()
    assert not report.ok and "changed after it was written" in report.problems[0]


def test_audit_detects_a_removed_entry(audited: Tally) -> None:
    _tamper(audited, "DELETE FROM audit_log WHERE seq = 3")
    assert any("removed" in p for p in audited.audit_verify().problems)


def test_audit_detects_removal_of_the_newest_entry(audited: Tally) -> None:
    _tamper(audited, "DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)")
    assert any("newest entries are missing" in p for p in audited.audit_verify().problems)


def test_audit_detects_reordered_entries(audited: Tally) -> None:
    _tamper(audited, "UPDATE audit_log SET seq = -seq WHERE seq IN (4, 5)")
    _tamper(audited, "UPDATE audit_log SET seq = 5 WHERE seq = -4")
    _tamper(audited, "UPDATE audit_log SET seq = 4 WHERE seq = -5")
    assert not audited.audit_verify().ok


def test_audit_never_identifies_a_ballot(audited: Tally) -> None:
    with audited.engine.connect() as conn:
        cast = conn.execute(select(audit_log.c.detail).where(audit_log.c.action == "ballot_cast")).scalars().all()
        codes = conn.execute(text("SELECT code FROM ballots")).scalars().all()
    assert cast == ["{}"]
    dump = " ".join(e.detail for e in audited.audit_entries())
    assert not any(code in dump.replace("-", "") for code in codes)


def test_unknown_meeting(tally: Tally) -> None:
    with pytest.raises(NotFound):
        tally.results("NOPE")


def test_ballot_tables_hold_nothing_that_links_to_a_person(tally: Tally) -> None:
    columns = {t: [c["name"] for c in inspect(tally.engine).get_columns(t)] for t in ("ballots", "ballot_choices")}
    assert columns == {"ballots": ["code", "meeting_id"], "ballot_choices": ["ballot_code", "plank_id", "choice"]}
    if tally.engine.dialect.name == "sqlite":  # no rowid counting up as ballots arrive (PostgreSQL has none)
        with tally.engine.connect() as conn:
            ddl = conn.execute(text("SELECT sql FROM sqlite_master WHERE name IN ('ballots', 'ballot_choices')"))
            assert all("WITHOUT ROWID" in sql for sql in ddl.scalars())


def test_choice_values_are_constrained(tally: Tally, voting_meeting: str) -> None:
    signin = tally.sign_in_member(voting_meeting, member_id(tally, voting_meeting, "Ana Ram"))
    assert signin.token
    cast = tally.cast_ballot(voting_meeting, signin.token, {})
    with pytest.raises(IntegrityError, match=r"(?i)check"), tally.engine.begin() as conn:
        conn.execute(text("UPDATE ballot_choices SET choice = 'maybe'"))
    assert all(c is Choice.ABSTAIN for _, c in tally.lookup_ballot(cast.verification_code).choices)
    with pytest.raises(IntegrityError, match=r"(?i)check"), tally.engine.begin() as conn:
        conn.execute(update(ballot_tokens).values(state="used"))


def test_names_from_any_edge_are_stored_without_invisible_characters(tally: Tally, voting_meeting: str) -> None:
    # The web and SMS edges clean what they pass on; the core holds the rule for every caller (the CLI too).
    guest = tally.sign_in_guest(voting_meeting, "Ana\x00 Ram\u202eírez\x1b", "(510) 555-0177")
    assert guest.display_name == "Ana R."
    rsvp = tally.record_rsvp(voting_meeting, answer=Answer.YES, source="sms", phone="+15105550188", name="Lu\x07 Chen")
    assert rsvp.name == "Lu Chen"
    tally.name_rsvp(voting_meeting, "+15105550188", "Lu\u2028 Chen\u200b")
    with tally.engine.connect() as conn:
        names = set(conn.execute(text("SELECT name FROM signins UNION SELECT name FROM rsvps")).scalars())
    assert {"Ana Ramírez", "Lu Chen"} <= names
    assert not any(ch in name for name in names if name for ch in "\x00\x07\x1b\u202e\u2028\u200b")


def test_a_title_too_long_is_refused_when_editing_as_when_creating(tally: Tally, voting_meeting: str) -> None:
    with pytest.raises(InvalidInput, match="at most 200 characters"):
        tally.update_meeting(voting_meeting, title="x" * 201)
    with pytest.raises(InvalidInput, match="at most 200 characters"):
        tally.update_meeting(voting_meeting, place="y" * 201)
    assert tally.meeting(voting_meeting).title == "General Assembly"


def test_meeting_states_and_person_keys_have_one_spelling() -> None:
    from kiosk.schema import MEETING_STATES
    from kiosk.tally import PersonKey, PersonKind

    assert tuple(MeetingState) == MEETING_STATES  # the enum and the database's CHECK constraint agree
    for key in (PersonKey.member(12), PersonKey.phone("+15105550101"), PersonKey.guest("ana lopez")):
        assert PersonKey.parse(str(key)) == key
    assert [str(k) for k in (PersonKey.member(7), PersonKey.phone("+1"), PersonKey.guest("li"))] == [
        "m:7",
        "p:+1",
        "g:li",
    ]  # the stored spelling (RSVPs and sign-ins keep it)
    assert PersonKey.prefix(PersonKind.MEMBER) == "m:"
    for bad in ("x:1", "m", "m:", ""):
        with pytest.raises(ValueError):
            PersonKey.parse(bad)
