"""``kiosk audit verify`` cannot pass without checking what it was given (issue 12, item 11).

Before the fix, ``kiosk audit verify --tape-head deadbeef`` with no bundle ignored the hash and exited 0. Now
every path (the database or a bundle; with ``--tape-head``, ``--ballots-hash``, both or neither) compares what
it is given: each is run with the right values (exit 0) and with a wrong one (non-zero exit).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import update

from kiosk import export
from kiosk.cli import main
from kiosk.config import load_settings
from kiosk.runtime import open_tally
from kiosk.schema import audit_log
from kiosk.tally import MeetingState
from tests.conftest import FIXTURES, upcoming_starts

WRONG = "0" * 64


@pytest.fixture
def closed_meeting(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A closed meeting with three ballots, its tally-tape hashes and its bundle on disk."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    monkeypatch.setenv("KIOSK_DATABASE_URL", db_url)
    tally = open_tally(load_settings())
    tally.import_roster((FIXTURES / "roster-messy.csv").read_text(encoding="utf-8"))
    tally.create_meeting(code="GA12", title="General Assembly", starts=upcoming_starts())
    tally.import_planks("GA12", (FIXTURES / "planks.csv").read_text(encoding="utf-8"))
    tally.set_state("GA12", MeetingState.VOTING_OPEN)
    ids = [p.id for p in tally.planks("GA12")]
    for name in ("ana", "marcus", "priya"):
        person = tally.find_people("GA12", name)[0]
        signin = tally.sign_in_member("GA12", person.member_id)  # type: ignore[arg-type]
        assert signin.token
        tally.cast_ballot("GA12", signin.token, {ids[0]: "yes"})
    tally.set_state("GA12", MeetingState.CLOSED)
    tape_head = tally.audit_verify().head  # what the closing tally tape prints
    ballots_hash = export.ballots_hash(export.meeting_ballots(tally, "GA12"))
    tally.record_event("texts_queued", actor="organizer:rosa", meeting_code="GA12")  # after the tape
    bundle = tmp_path / "GA12-bundle.json"
    bundle.write_text(json.dumps(export.meeting_bundle(tally, "GA12", exported_at=tally.clock())), encoding="utf-8")
    tampered = json.loads(bundle.read_text(encoding="utf-8"))
    tampered["ballots"][0]["choices"][0] = "no" if tampered["ballots"][0]["choices"][0] == "yes" else "yes"
    (tmp_path / "tampered.json").write_text(json.dumps(tampered), encoding="utf-8")
    tally.engine.dispose()
    return {"bundle": str(bundle), "tampered": str(tmp_path / "tampered.json"), "head": tape_head, "hash": ballots_hash}


def run(*argv: str) -> int:
    return main(["audit", "verify", *argv])


# Each path of `kiosk audit verify`, given right values, then the same path given one wrong value.
PATHS = [
    # (right arguments, wrong arguments), with {bundle}, {head}, {hash} filled in
    ((), None),  # the database alone: the wrong value is a tampered log (test below)
    (("--tape-head", "{head}"), ("--tape-head", "deadbeef")),  # issue 12: this one exited 0
    (("--tape-head", "{head}"), ("--tape-head", WRONG)),
    (("--ballots-hash", "{hash}"), ("--ballots-hash", WRONG)),
    (("--ballots-hash", "{hash}"), ("--ballots-hash", "{head}")),
    (("--tape-head", "{head}", "--ballots-hash", "{hash}"), ("--tape-head", "{head}", "--ballots-hash", WRONG)),
    (("--tape-head", "{head}", "--ballots-hash", "{hash}"), ("--tape-head", WRONG, "--ballots-hash", "{hash}")),
    (("{bundle}",), ("{tampered}",)),
    (("{bundle}", "--tape-head", "{head}"), ("{bundle}", "--tape-head", WRONG)),
    (("{bundle}", "--tape-head", "{head}"), ("{bundle}", "--tape-head", "deadbeef")),
    (("{bundle}", "--ballots-hash", "{hash}"), ("{bundle}", "--ballots-hash", WRONG)),
    (("{bundle}", "--tape-head", "{head}", "--ballots-hash", "{hash}"), ("{tampered}", "--tape-head", "{head}")),
    (
        ("{bundle}", "--tape-head", "{head}", "--ballots-hash", "{hash}"),
        ("{bundle}", "--tape-head", "{head}", "--ballots-hash", "{head}"),
    ),
    (("{bundle}",), ("{bundle}x",)),  # no such file
]


@pytest.mark.parametrize(("right", "wrong"), PATHS, ids=[" ".join(r) or "database" for r, _ in PATHS])
def test_every_path_fails_on_a_wrong_value(
    closed_meeting: dict[str, str],
    right: tuple[str, ...],
    wrong: tuple[str, ...] | None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def fill(argv: tuple[str, ...]) -> list[str]:
        return [a.format(**closed_meeting) for a in argv]

    assert run(*fill(right)) == 0, capsys.readouterr()
    if wrong is not None:
        assert run(*fill(wrong)) != 0
        err = capsys.readouterr().err
        assert "FAILED" in err or "error" in err


def test_a_tampered_database_log_fails(closed_meeting: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert run() == 0
    tally = open_tally(load_settings())
    with tally.engine.begin() as conn:
        conn.execute(update(audit_log).where(audit_log.c.seq == 2).values(actor="someone else"))
    tally.engine.dispose()
    assert run() == 1
    assert run("--tape-head", closed_meeting["head"]) == 1  # a right tape head does not excuse a broken chain
    assert "FAILED" in capsys.readouterr().err


def test_a_missing_database_is_not_verified_as_empty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    monkeypatch.setenv("KIOSK_DATABASE_URL", f"sqlite:///{tmp_path / 'typo.db'}")
    assert run() == 1
    assert "kiosk init" in capsys.readouterr().err
