"""The print queue: receipts are stored as jobs in the database and printed by one worker, so sign-in and voting
never wait for paper, and no job is lost or printed twice across restarts.

A job's life: ``queued`` → ``printing`` (claimed and committed *before* any byte goes to the printer) →
``printed``. A printer error we can see (refused, timed out, dropped, paper out) puts the job back to ``queued``
with a backoff (2, 4, 8 … 60 s); jobs print in the order they were queued, so a printer that comes back prints
the backlog in order. A job found in ``printing`` at start-up was cut off by a crash or power cut mid-print: we
cannot know whether the paper came out, so it is marked ``failed`` ("interrupted") and shown to organizers,
who can reprint on request. That is the price of never printing a receipt twice for one token. A job that
printed while the database refused to record it (locked by another writer, disk full) keeps its outcome in
memory; the worker records it before claiming anything else, so it is neither left ``printing`` nor printed again.

A sign-in receipt carries the ballot token and a ballot receipt its verification code: the queue holds them
only until they are printed (so a receipt survives a restart while the printer is out of paper) and then
erases the payload; ballot-receipt rows are deleted when the meeting closes.

This module is core: it knows the printer only as something with ``print_receipt(receipt)`` that raises.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Engine, and_, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from kiosk import db
from kiosk.device_status import set_device_status
from kiosk.errors import KioskError, describe_storage
from kiosk.schema import print_jobs

if TYPE_CHECKING:
    from kiosk.tally import UnitOfWork

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 60.0


class Printer(Protocol):
    def print_receipt(self, receipt: Any) -> None: ...


@dataclass(frozen=True)
class PrintJob:
    id: int
    kind: str
    dedupe_key: str
    meeting_code: str | None
    payload: str | None
    reprint: bool
    state: str
    attempts: int
    last_error: str | None


def _utcnow() -> datetime:
    return datetime.now(UTC)


def backoff(attempts: int) -> float:
    """Seconds before retry number ``attempts`` (1-based): 2, 4, 8, 16, 32, 60, 60, ..."""
    return min(MAX_BACKOFF_S, 2.0 ** max(1, attempts))


class PrintQueue:
    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = _utcnow) -> None:
        self.engine = engine
        self.clock = clock
        self.wake = threading.Event()  # set when a job is queued, so the worker prints at once
        # The outcome of a job that reached the printer but could not be saved (the database locked or the disk
        # full): kept here and saved before anything else is claimed, so a printed receipt is never left
        # "printing" (restart would call it interrupted) and nothing is printed while its outcome is unsaved.
        self._unsaved: tuple[PrintJob, str | None, bool] | None = None

    def submit(
        self, kind: str, dedupe_key: str, payload: str, *, meeting_code: str | None = None, reprint: bool = False
    ) -> bool:
        """Queue a receipt; False when a job with this key exists already (it is never queued twice)."""
        now = self.clock()
        try:
            with db.write_transaction(self.engine) as conn:
                conn.execute(
                    insert(print_jobs).values(
                        kind=kind,
                        dedupe_key=dedupe_key[:100],
                        meeting_code=meeting_code,
                        payload=payload,
                        reprint=reprint,
                        state="queued",
                        attempts=0,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
        except IntegrityError:
            return False
        self.wake.set()
        return True

    def recover_interrupted(self) -> int:
        """At start-up: jobs left in ``printing`` by a crash are marked failed, never silently printed again."""
        with db.write_transaction(self.engine) as conn:
            result = conn.execute(
                update(print_jobs)
                .where(print_jobs.c.state == "printing")
                .values(state="failed", last_error="interrupted while printing (power cut or crash); reprint if needed")
            )
            return result.rowcount

    def _claim(self) -> PrintJob | None:
        now = self.clock()
        with db.write_transaction(self.engine) as conn:
            row = conn.execute(
                select(print_jobs).where(print_jobs.c.state == "queued").order_by(print_jobs.c.id).limit(1)
            ).first()
            if row is None or row.next_attempt_at > now:
                return None  # the oldest job is waiting out its backoff: keep order, print nothing newer
            conn.execute(
                update(print_jobs)
                .where(and_(print_jobs.c.id == row.id, print_jobs.c.state == "queued"))
                .values(state="printing", attempts=row.attempts + 1)
            )
            return PrintJob(
                row.id,
                row.kind,
                row.dedupe_key,
                row.meeting_code,
                row.payload,
                bool(row.reprint),
                "printing",
                row.attempts + 1,
                row.last_error,
            )

    def _finish(self, job: PrintJob, error: str | None, *, retry: bool = True) -> None:
        self._unsaved = (job, error, retry)
        self._save_outcome()

    def _save_outcome(self) -> None:
        """Save the held outcome; raises ``DatabaseError`` (and keeps it) while the database refuses."""
        if self._unsaved is None:
            return
        job, error, retry = self._unsaved
        now = self.clock()
        with db.write_transaction(self.engine) as conn:
            if error is None:
                values: dict[str, Any] = {"state": "printed", "printed_at": now, "last_error": None}
                if job.kind in ("signin", "ballot"):
                    values["payload"] = None  # once on paper, a token or verification code is kept nowhere
            elif retry:
                values = {
                    "state": "queued",
                    "last_error": error[:500],
                    "next_attempt_at": now + timedelta(seconds=backoff(job.attempts)),
                }
            else:
                values = {"state": "failed", "last_error": error[:500]}
                if job.kind in ("signin", "ballot"):
                    values["payload"] = None
            conn.execute(update(print_jobs).where(print_jobs.c.id == job.id).values(**values))
        self._unsaved = None

    def run_once(self, printer: Printer, decode: Callable[[str], Any]) -> int:
        """Print every due job in order until the queue is empty or the printer fails; returns jobs printed.

        A printer error leaves the job queued for a retry with backoff (a receipt cut off mid-job by a
        dropped connection or paper running out is printed again whole). Printing turned off (``none``) and a
        job that cannot be read fail at once: retrying cannot help them.
        """
        printed = 0
        self._save_outcome()  # a job printed while the database refused its outcome: saved first
        while True:
            job = self._claim()
            if job is None:
                break
            try:
                receipt = decode(job.payload or "{}")
            except ValueError as exc:
                log.error("print job %s cannot be read: %s", job.id, exc)
                self._finish(job, f"the receipt could not be read: {exc}", retry=False)
                continue
            try:
                printer.print_receipt(receipt)
            except Exception as exc:  # any printer failure keeps the job; the worker must not die
                message = str(exc) or type(exc).__name__
                permanent = bool(getattr(exc, "permanent", False))
                if getattr(exc, "maybe_printed", False):
                    message += " (part of it may have printed; printing it again whole)"
                log.warning("print job %s (%s) not printed: %s", job.id, job.kind, message)
                self._finish(job, message, retry=not permanent)
                if permanent:
                    self.report(ok=False, summary=f"Printing is not possible: {message}")
                    continue
                self.report(ok=False, summary=f"Printer needs attention: {message}")
                return printed
            self._finish(job, None)
            printed += 1
        if printed:  # one status write per batch, not per receipt (an SD card wears with every write)
            self.report(ok=True, summary="Printer OK")
        return printed

    def pending(self) -> int:
        with db.read_transaction(self.engine) as conn:
            return conn.execute(
                select(func.count()).select_from(print_jobs).where(print_jobs.c.state.in_(("queued", "printing")))
            ).scalar_one()

    def jobs(self, limit: int = 50) -> list[PrintJob]:
        with db.read_transaction(self.engine) as conn:
            rows = conn.execute(select(print_jobs).order_by(print_jobs.c.id.desc()).limit(limit)).all()
        return [
            PrintJob(
                r.id,
                r.kind,
                r.dedupe_key,
                r.meeting_code,
                r.payload,
                bool(r.reprint),
                r.state,
                r.attempts,
                r.last_error,
            )
            for r in rows
        ]

    def next_due_in(self) -> float | None:
        with db.read_transaction(self.engine) as conn:
            due = conn.execute(
                select(func.min(print_jobs.c.next_attempt_at)).where(print_jobs.c.state == "queued")
            ).scalar()
        if due is None:
            return None
        return max(0.0, (due - self.clock()).total_seconds())

    def forget_ballot_jobs(self, meeting_code: str) -> int:
        """When a meeting closes: delete its ballot-receipt jobs, whose order follows the order of casting."""
        with db.write_transaction(self.engine) as conn:
            return conn.execute(_ballot_jobs_of(meeting_code)).rowcount

    def report(self, *, ok: bool, summary: str, detail: dict[str, Any] | None = None) -> None:
        set_device_status(
            self.engine,
            "printer",
            ok=ok,
            summary=summary,
            detail={"queue": self.pending(), **(detail or {})},
            now=self.clock(),
        )


def _ballot_jobs_of(meeting_code: str) -> Any:
    return delete(print_jobs).where(and_(print_jobs.c.kind == "ballot", print_jobs.c.meeting_code == meeting_code))


def forget_ballot_receipts(uow: UnitOfWork, meeting_code: str) -> None:
    """The print queue's close step (``Tally.on_close``): in the transaction that closes the meeting, its queued
    ballot receipts go, since their order follows the order of casting and the files are rewritten next."""
    uow.execute(_ballot_jobs_of(meeting_code))


class PrintWorker:
    """One thread that owns the printer and drains the queue; woken at once when a job is queued."""

    def __init__(
        self, queue: PrintQueue, printer: Printer, decode: Callable[[str], Any], *, idle_poll_s: float = 5.0
    ) -> None:
        self.queue = queue
        self.printer = printer
        self.decode = decode
        self.idle_poll_s = idle_poll_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="print-worker", daemon=True)

    def start(self) -> None:
        interrupted = self.queue.recover_interrupted()
        if interrupted:
            log.warning("%d receipts were interrupted mid-print by a restart; see the organizer page", interrupted)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self.queue.wake.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.queue.wake.clear()
            try:
                self.queue.run_once(self.printer, self.decode)
                wait = self.queue.next_due_in()
            except KioskError as exc:  # a lock or a full disk: nothing is claimed until it can be saved
                log.warning("print worker paused: %s", describe_storage(exc))
                wait = 1.0
            except Exception:  # a database hiccup must not kill the worker; try again shortly
                log.exception("print worker error")
                wait = 1.0
            self.queue.wake.wait(self.idle_poll_s if wait is None else min(wait, self.idle_poll_s))
