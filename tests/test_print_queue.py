"""The print queue with the real printer adapter against the TCP printer emulator: nothing lost, nothing
printed twice, order kept, secrets erased once on paper."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update

from hardware.printer import open_printer
from kiosk.config import Settings
from kiosk.device_status import device_statuses
from kiosk.print_queue import PrintQueue, PrintWorker, backoff, forget_ballot_receipts
from kiosk.receipts import Receipt, signin_receipt
from kiosk.schema import print_jobs
from kiosk.tally import MeetingState, Tally, UnitOfWork
from tests.conftest import FakeClock, upcoming_starts
from tests.printer_emulator import PrinterEmulator, decode


def receipt(n: int, token: str | None = "ACDE-FGHJ") -> Receipt:
    return signin_receipt(
        organization="RPA",
        meeting_title="General Assembly",
        starts_at=datetime(2026, 12, 3, 19, tzinfo=UTC),
        display_name=f"Attendee {n:02d}",
        kind="member",
        token=token,
        rsvp_hint="Text YES to +1 510 555 0199",
        language="en",
        columns=48,
    )


def test_backoff_grows_and_caps() -> None:
    assert [backoff(n) for n in (1, 2, 3, 6, 9)] == [2, 4, 8, 60, 60]


def test_offline_printer_then_back_prints_each_receipt_once_in_order(tally: Tally, clock: FakeClock) -> None:
    queue = PrintQueue(tally.engine, clock=clock)
    with PrinterEmulator(mode="refuse") as offline:
        port = offline.port
        printer = open_printer(offline.url, timeout=0.5)
        for n in range(20):
            assert queue.submit("signin", f"signin:{n}", receipt(n).to_json(), meeting_code="GA12")
        assert queue.run_once(printer, Receipt.from_json) == 0
        status = device_statuses(tally.engine)["printer"]
        assert not status["ok"] and status["detail"]["queue"] == 20 and "attention" in status["summary"]
    assert not queue.submit("signin", "signin:3", receipt(3).to_json())  # the same receipt is never queued twice
    clock.advance(seconds=backoff(1) + 1)
    with PrinterEmulator(port=port) as back:
        assert queue.run_once(open_printer(back.url, timeout=2), Receipt.from_json) == 20
        jobs = back.wait_for_jobs(20)
    texts = [decode(job).text for job in jobs]
    assert [next(line for line in t.splitlines() if "Attendee" in line).split("Attendee ")[1][:2] for t in texts] == [
        f"{n:02d}" for n in range(20)
    ]
    assert all("ACDE-FGHJ" in t for t in texts)
    assert queue.pending() == 0 and queue.run_once(printer, Receipt.from_json) == 0
    with tally.engine.connect() as conn:
        payloads = conn.execute(select(print_jobs.c.payload, print_jobs.c.state)).all()
    assert all(p is None and s == "printed" for p, s in payloads)  # tokens erased once on paper
    assert device_statuses(tally.engine)["printer"]["ok"]


def test_paper_out_keeps_the_job_until_paper_is_back(tally: Tally, clock: FakeClock) -> None:
    queue = PrintQueue(tally.engine, clock=clock)
    with PrinterEmulator(paper="out") as emulator:
        printer = open_printer(emulator.url, timeout=1)
        queue.submit("signin", "signin:1", receipt(1).to_json())
        assert queue.run_once(printer, Receipt.from_json) == 0
        assert "paper" in (queue.jobs()[0].last_error or "").lower()
        emulator.paper = "ok"
        assert queue.run_once(printer, Receipt.from_json) == 0  # still backing off
        clock.advance(seconds=3)
        assert queue.run_once(printer, Receipt.from_json) == 1
        assert len(emulator.wait_for_jobs(1)) >= 1


def test_dropped_mid_job_is_retried_whole(tally: Tally, clock: FakeClock) -> None:
    queue = PrintQueue(tally.engine, clock=clock)
    with PrinterEmulator(mode="drop", drop_after=50) as emulator:
        printer = open_printer(emulator.url, timeout=1)
        queue.submit("signin", "signin:1", receipt(1).to_json())
        assert queue.run_once(printer, Receipt.from_json) == 0
        assert "may have printed" in (queue.jobs()[0].last_error or "")
        assert queue.jobs()[0].state == "queued"


def test_crash_mid_print_is_never_printed_again_silently(tally: Tally, clock: FakeClock) -> None:
    queue = PrintQueue(tally.engine, clock=clock)
    queue.submit("signin", "signin:1", receipt(1).to_json())
    with tally.unit_of_work() as uow:  # as if the process died after claiming the job and sending bytes
        uow.execute(update(print_jobs).values(state="printing", attempts=1))
    assert queue.recover_interrupted() == 1
    [job] = queue.jobs()
    assert job.state == "failed" and "interrupted" in (job.last_error or "")
    with PrinterEmulator() as emulator:
        assert queue.run_once(open_printer(emulator.url), Receipt.from_json) == 0


def test_printing_turned_off_fails_jobs_plainly(tally: Tally, clock: FakeClock) -> None:
    queue = PrintQueue(tally.engine, clock=clock)
    queue.submit("signin", "signin:1", receipt(1).to_json())
    queue.run_once(open_printer("none"), Receipt.from_json)
    [job] = queue.jobs()
    assert job.state == "failed" and job.payload is None
    assert device_statuses(tally.engine)["printer"]["summary"].startswith("Printing is not possible: ")
    assert "turned off" in device_statuses(tally.engine)["printer"]["summary"]


def test_unreadable_job_fails_without_blocking_the_rest(tally: Tally, clock: FakeClock) -> None:
    queue = PrintQueue(tally.engine, clock=clock)
    queue.submit("tally", "bad", "not json")
    queue.submit("signin", "signin:1", receipt(1).to_json())
    printer = open_printer("console")
    assert queue.run_once(printer, Receipt.from_json) == 1
    assert [j.state for j in queue.jobs()] == ["printed", "failed"]


def test_worker_prints_as_soon_as_a_job_is_queued(tally: Tally) -> None:
    queue = PrintQueue(tally.engine)
    with PrinterEmulator() as emulator:
        worker = PrintWorker(queue, open_printer(emulator.url), Receipt.from_json, idle_poll_s=30)
        worker.start()
        try:
            queue.submit("signin", "signin:1", receipt(1).to_json())
            assert len(emulator.wait_for_jobs(1, timeout=5)) == 1
        finally:
            worker.stop()
    assert queue.pending() == 0


def test_ballot_jobs_are_forgotten_at_close(tally: Tally, clock: FakeClock) -> None:
    queue = PrintQueue(tally.engine, clock=clock)
    queue.submit("ballot", "ballot:X1", "{}", meeting_code="GA12")
    queue.submit("signin", "signin:1", receipt(1).to_json(), meeting_code="GA12")
    assert queue.forget_ballot_jobs("GA12") == 1
    assert [j.kind for j in queue.jobs()] == ["signin"]


@pytest.fixture(autouse=True)
def _quiet_printer_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("ERROR", logger="kiosk.print_queue")


def test_closing_a_meeting_forgets_its_ballot_jobs_in_the_closing_transaction(
    tally: Tally, voting_meeting: str, clock: FakeClock
) -> None:
    # The tally does not know the print queue's table: the queue's close step, registered as the wiring does
    # (kiosk.runtime.open_tally, kiosk.services.start_services), runs inside the transaction that closes.
    queue = PrintQueue(tally.engine, clock=clock)
    queue.submit("ballot", "ballot:X1", "{}", meeting_code=voting_meeting)
    queue.submit("ballot", "ballot:Y1", "{}", meeting_code="OTHER")
    queue.submit("signin", "signin:1", receipt(1).to_json(), meeting_code=voting_meeting)
    tally.on_close(forget_ballot_receipts)
    tally.on_close(forget_ballot_receipts)  # registering twice runs it once
    tally.set_state(voting_meeting, MeetingState.CLOSED)
    assert sorted((j.kind, j.meeting_code) for j in queue.jobs()) == [("ballot", "OTHER"), ("signin", voting_meeting)]


def test_a_failing_close_step_leaves_the_meeting_open(tally: Tally, voting_meeting: str, clock: FakeClock) -> None:
    queue = PrintQueue(tally.engine, clock=clock)
    queue.submit("ballot", "ballot:X1", "{}", meeting_code=voting_meeting)
    tally.on_close(forget_ballot_receipts)

    def refuse(uow: UnitOfWork, meeting_code: str) -> None:
        raise RuntimeError("the edge refuses")

    tally.on_close(refuse)
    with pytest.raises(RuntimeError):
        tally.set_state(voting_meeting, MeetingState.CLOSED)
    assert tally.meeting(voting_meeting).state is MeetingState.VOTING_OPEN
    assert [j.kind for j in queue.jobs()] == ["ballot"]  # one transaction: nothing of the close was kept


def test_every_process_closing_a_meeting_forgets_its_ballot_jobs(tmp_path: Path, planks_csv: str) -> None:
    from kiosk.runtime import open_tally

    base = Settings()
    tally = open_tally(replace(base, kiosk=replace(base.kiosk, data_dir=str(tmp_path / "data"))))
    try:
        tally.create_meeting(code="GA12", title="General Assembly", starts=upcoming_starts())
        tally.import_planks("GA12", planks_csv)
        tally.set_state("GA12", MeetingState.VOTING_OPEN)
        queue = PrintQueue(tally.engine)
        queue.submit("ballot", "ballot:X1", "{}", meeting_code="GA12")
        tally.set_state("GA12", MeetingState.CLOSED)
        assert queue.jobs() == []
    finally:
        tally.engine.dispose()
