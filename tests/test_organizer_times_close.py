"""Organizer pages tell the time as the hall's clock does, and after the close offer only what can still happen."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask

from kiosk import accounts, export
from kiosk.cli import main as cli_main
from kiosk.receipts import render_text
from kiosk.tally import MeetingState, Tally
from kiosk.web.organizer import create_organizer_app
from tests.conftest import FakeClock, upcoming_starts
from tests.test_organizer import app, logged_in, organizer_settings, post  # noqa: F401 (app is a fixture)


def test_times_are_in_the_organizations_time_zone_on_the_tallys_clock(
    app: Flask,  # noqa: F811
    tally: Tally,
    voting_meeting: str,
    clock: FakeClock,
    tmp_path: Path,
    db_url: str,
) -> None:
    # 18:07 UTC on Dec 1 is 10:07 in Richmond (PST) and 13:07 in New York (EST); the wall clock is not asked.
    clock.advance(minutes=7)
    ana = tally.find_people(voting_meeting, "ana")[0].member_id
    assert ana is not None
    tally.sign_in_member(voting_meeting, ana)
    tally.record_rsvp(voting_meeting, answer="yes", member_id=ana)
    client = logged_in(app)
    people = client.get("/organizer/m/GA12/people").get_data(as_text=True)
    assert "<td>10:07 PST</td>" in people and "18:07" not in people
    rsvps = client.get("/organizer/m/GA12/rsvps").get_data(as_text=True)
    assert "01 Dec 10:07 PST" in rsvps and "18:07" not in rsvps

    # The pages follow [organization] timezone, not the server's zone.
    settings = organizer_settings(tmp_path / "ny", db_url)
    settings = replace(settings, organization=replace(settings.organization, timezone="America/New_York"))
    ny = create_organizer_app(settings, tally, test_config={"TESTING": True})
    assert "<td>13:07 EST</td>" in logged_in(ny).get("/organizer/m/GA12/people").get_data(as_text=True)

    # The tally tape is printed at the tally's clock, in the organization's zone.
    tally.set_state(voting_meeting, MeetingState.CLOSED)
    clock.advance(hours=2)  # 12:07 PST
    _, tape = export.closing_tape(tally, voting_meeting, organization="RPA", columns=42, printed_at=tally.clock())
    text = render_text(tape)
    assert re.search(r"12:07\s+PM", text) and not re.search(r"8:07\s+PM", text)
    post(client, "/organizer/m/GA12/tally-tape")
    from kiosk.print_queue import PrintQueue

    job = PrintQueue(tally.engine).jobs(limit=1)[0]
    assert job.kind == "tally"


def test_no_wall_clock_in_views_or_cli() -> None:
    """Every moment the organizer pages and the CLI record comes from the tally's clock (tests can set it)."""
    root = Path(__file__).parent.parent / "kiosk"
    sources = [*sorted((root / "cli").rglob("*.py")), *sorted((root / "web").rglob("*.py"))]
    offenders = [
        f"{path.relative_to(root.parent)}:{n}"
        for path in sources
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"datetime\.now\(|datetime\.utcnow\(|time\.time\(\)", line)
    ]
    assert offenders == []


def test_after_the_close_reissue_and_reminders_are_neither_offered_nor_done(
    app: Flask,  # noqa: F811
    tally: Tally,
    voting_meeting: str,
) -> None:
    ana = tally.find_people(voting_meeting, "ana")[0].member_id
    assert ana is not None
    signin = tally.sign_in_member(voting_meeting, ana)
    client = logged_in(app)
    reissue = f"/organizer/m/GA12/people/{signin.id}/reissue"
    assert "Reissue ballot code" in client.get("/organizer/m/GA12/people").get_data(as_text=True)
    assert "Start from the reminder" in client.get("/organizer/m/GA12/texts").get_data(as_text=True)

    tally.set_state(voting_meeting, MeetingState.CLOSED)
    people = client.get("/organizer/m/GA12/people").get_data(as_text=True)
    assert "Reissue ballot code" not in people and "no ballot code can be reissued" in people
    texts = client.get("/organizer/m/GA12/texts?kind=reminder").get_data(as_text=True)
    assert "Start from the reminder" not in texts and "Start from the invitation" not in texts
    assert 'name="kind" value="manual"' in texts and "no invitation or reminder for it can be sent" in texts
    assert "send a reminder" not in client.get("/organizer/m/GA12/rsvps").get_data(as_text=True)

    # The routes refuse too, with the reason, and nothing is done.
    refused = client.get(reissue, follow_redirects=True).get_data(as_text=True)
    assert "ballot codes can no longer be reissued" in refused
    refused = post(client, reissue, {"reason": "lost"}, follow_redirects=True).get_data(as_text=True)
    assert "ballot codes can no longer be reissued" in refused
    sent = post(
        client,
        "/organizer/m/GA12/texts/send",
        {"body": "Reminder: tonight!", "kind": "reminder", "audience": "members"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "invitations and reminders for it can no longer be sent" in sent
    assert app.extensions["organizer_gateway"].queue_counts().get("queued", 0) == 0
    reviewed = post(
        client, "/organizer/m/GA12/texts/review", {"body": "x", "kind": "invitation"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "can no longer be sent" in reviewed
    state = client.get("/organizer/m/GA12/state/open-voting", follow_redirects=True).get_data(as_text=True)
    assert "closing is final" in state
    # A text of the organizer's own still goes.
    post(client, "/organizer/m/GA12/texts/send", {"body": "Thank you for coming", "kind": "manual"})
    assert app.extensions["organizer_gateway"].queue_counts().get("queued", 0) > 0
    assert accounts.organizer_names(tally.engine) == ["rosa"]


def test_the_cli_refuses_a_reminder_for_a_closed_meeting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    monkeypatch.setenv("KIOSK_DATABASE_URL", f"sqlite:///{tmp_path / 't.db'}")
    assert cli_main(["meeting", "create", "--code", "GA1", "--title", "T", "--starts", upcoming_starts()]) == 0
    assert cli_main(["meeting", "close", "GA1"]) == 0
    capsys.readouterr()
    assert cli_main(["sms", "send", "--meeting", "GA1", "--reminder"]) == 1
    assert "closed: its invitation and reminder can no longer be sent" in capsys.readouterr().err
