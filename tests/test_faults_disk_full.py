"""The disk fills up while the kiosk is taking sign-ins, votes, RSVP texts and print jobs.

The database and the data folder (the Twilio webhook's spool) live on a real, tiny filesystem: a 4 MiB tmpfs
mounted for the test (root may mount, as here and in CI). Where mounting is not permitted, the same SQLITE_FULL
comes from ``PRAGMA max_page_count`` and the spool's file is pointed at ``/dev/full`` (a real ENOSPC from the
kernel); the test prints which one ran and never skips. ``KIOSK_TEST_SMALL_DISK=pagecount`` forces the fallback.

While the disk is full: attendees get a plain "cannot record your vote right now / see an organizer" page (503,
translated, no traceback) and keep an unspent ballot code; the webhook answers 503 (Twilio did not hand the text
over) and leaves no torn line; the print queue, the gateway and ``kiosk doctor`` say "the disk is full". Every
acknowledged vote, sign-in and text is still there; ``PRAGMA integrity_check`` is ok; and once space is freed
the same app, engine and worker carry on without a restart.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, event, func, select, text
from twilio.request_validator import RequestValidator

from kiosk import db
from kiosk.config import Settings, TwilioSettings
from kiosk.db import CommitUnknown
from kiosk.doctor import Doctor, Options, Status
from kiosk.errors import DatabaseError, StorageProblem, describe_storage, storage_problem
from kiosk.schema import print_jobs, signins, sms_inbound
from kiosk.services import start_services
from kiosk.tally import MeetingState, Tally
from kiosk.web.app import create_app
from sms.backends import InboundText
from sms.daemon import drain_spool
from sms.gateway import Gateway
from sms.spool import Spool
from tests.conftest import FIXTURES, upcoming_starts, wait_until
from tests.printer_emulator import PrinterEmulator, decode

pytestmark = pytest.mark.sqlite_only  # the file system under an embedded database

TOKEN = "test-auth-token-123"
PUBLIC = "https://kiosk.example.org/sms/twilio"
TMPFS_SIZE = "4m"
SQLITE_MAX_PAGES = 1073741823  # SQLite's default max_page_count


@dataclass
class SmallDisk:
    """A folder on a small filesystem that ``fill()`` makes full and ``free()`` empties again."""

    root: Path
    mode: str = ""  # "tmpfs" or "max_page_count"
    filled_bytes: int = 0
    _limit: dict[str, int | None] = field(default_factory=lambda: {"pages": None})

    @property
    def filler(self) -> Path:
        return self.root / "filler.bin"

    def attach(self, engine: Engine, spool: Spool) -> None:
        self._engine, self._spool = engine, spool
        if self.mode == "max_page_count":

            @event.listens_for(engine, "checkout")
            def _limit_pages(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
                pages = self._limit["pages"] or SQLITE_MAX_PAGES
                dbapi_connection.execute(f"PRAGMA max_page_count={int(pages)}")

    def fill(self) -> None:
        if self.mode == "tmpfs":
            chunk = b"\0" * 65536
            fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                while True:
                    try:
                        self.filled_bytes += os.write(fd, chunk)
                    except OSError as exc:
                        assert exc.errno == errno.ENOSPC
                        break
            finally:
                os.close(fd)
            return
        with self._engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE faults_filler (x BLOB)")
        with self._engine.connect() as conn:
            self._limit["pages"] = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
        # Take the free pages and the room left in pages too, so that the next write needing space gets
        # SQLITE_FULL, as on a full disk.
        for size in (65536, 4096, 512, 64, 8):
            while True:
                try:
                    with self._engine.begin() as conn:
                        conn.exec_driver_sql(f"INSERT INTO faults_filler VALUES (zeroblob({size}))")
                except Exception:
                    break
                self.filled_bytes += size
        with self._engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        current = self._spool.current
        assert not current.exists() or current.stat().st_size == 0
        current.unlink(missing_ok=True)
        current.symlink_to("/dev/full")

    def free(self) -> None:
        if self.mode == "tmpfs":
            self.filler.unlink()
            return
        self._limit["pages"] = None
        with self._engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE faults_filler")
        self._spool.current.unlink()


def _mount_tmpfs(path: Path) -> bool:
    if os.environ.get("KIOSK_TEST_SMALL_DISK") == "pagecount" or os.geteuid() != 0:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE},mode=0700", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode == 0


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    root = tmp_path / "small"
    root.mkdir()
    mounted = _mount_tmpfs(root)
    disk = SmallDisk(root, mode="tmpfs" if mounted else "max_page_count")
    print(f"\nsmall disk: {disk.mode}")
    try:
        yield disk
    finally:
        if mounted and subprocess.run(["umount", str(root)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(root)], check=False)


def settings_on(disk: SmallDisk, printer_url: str) -> Settings:
    base = Settings()
    return replace(
        base,
        kiosk=replace(base.kiosk, data_dir=str(disk.root / "data")),
        database=replace(base.database, url=f"sqlite:///{disk.root / 'tally.db'}", busy_timeout_ms=2000),
        printer=replace(base.printer, url=printer_url, timeout_s=1.0),
        sms=replace(base.sms, backend="twilio"),
        twilio=replace(
            TwilioSettings(), account_sid="AC1", auth_token=TOKEN, from_number="+15105550000", inbound="webhook"
        ),
    )


def webhook(client: FlaskClient, sid: str, sender: str, body: str) -> Any:
    params = {"MessageSid": sid, "From": sender, "To": "+15105550000", "Body": body, "AccountSid": "AC1"}
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC, params)
    return client.post("/sms/twilio", data=params, headers={"X-Twilio-Signature": signature})


def notice(html: str) -> str:
    match = re.search(r'<p class="notice" role="alert">(.*?)</p>', html, re.S)
    assert match, html
    return match.group(1)


def sign_in(client: FlaskClient, name: str) -> Any:
    client.post("/kiosk/find", data={"by": "name", "q": name}, follow_redirects=True)
    return client.post("/kiosk/signin", data={"pick": "0"})


def token_of(client: FlaskClient) -> str:
    html = client.get("/kiosk/signed-in").get_data(as_text=True)
    return re.search(r'id="receipt-token">([A-Z0-9-]+)<', html).group(1)  # type: ignore[union-attr]


def cast(client: FlaskClient, tally: Tally) -> Any:
    client.post("/kiosk/vote")
    return client.post("/kiosk/ballot/cast", data={f"choice-{p.id}": "yes" for p in tally.planks("GA12")})


def verification_of(client: FlaskClient) -> str:
    html = client.get("/kiosk/done").get_data(as_text=True)
    return re.search(r'id="verification">([A-Z0-9-]+)<', html).group(1)  # type: ignore[union-attr]


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_disk_full_while_taking_votes_signins_texts_and_receipts(small_disk: SmallDisk) -> None:
    with PrinterEmulator() as printer:
        settings = settings_on(small_disk, printer.url)
        engine = db.make_engine(settings.database_url, busy_timeout_ms=2000)
        db.upgrade(engine)
        tally = Tally(engine, region="US", timezone="America/Los_Angeles")
        tally.import_roster((FIXTURES / "roster-messy.csv").read_text(encoding="utf-8"))
        # This tally keeps the wall clock (the services and the gateway read it), so the meeting is tomorrow.
        tally.create_meeting(code="GA12", title="General Assembly", starts=upcoming_starts(), quorum="20%")
        tally.import_planks("GA12", (FIXTURES / "planks.csv").read_text(encoding="utf-8"))
        tally.set_state("GA12", MeetingState.VOTING_OPEN)
        spool = Spool(settings.data_path / "sms-spool")
        small_disk.attach(engine, spool)
        settings = replace(settings, twilio=replace(settings.twilio, public_url=PUBLIC))
        services = start_services(settings, tally, simulated=False)
        app = create_app(settings, tally, test_config={"TESTING": True}, services=services)
        gateway = Gateway(tally, organization="RPA")
        try:
            _run(small_disk, settings, engine, tally, app, services, printer, spool, gateway)
        finally:
            app.extensions["kiosk"].close()
            services.stop()
            engine.dispose()


def _run(
    disk: SmallDisk,
    settings: Settings,
    engine: Engine,
    tally: Tally,
    app: Any,
    services: Any,
    printer: PrinterEmulator,
    spool: Spool,
    gateway: Gateway,
) -> None:
    voted = ("Bell", "Ramírez")
    waiting = ("Washington", "Goldberg")  # signed in with space, vote once the disk is full
    latecomers = ("Mensah", "Santos")  # arrive once the disk is full
    clients = {name: app.test_client() for name in (*voted, *waiting, *latecomers)}
    acknowledged: list[str] = []
    for name in (*voted, *waiting):
        assert sign_in(clients[name], name).status_code == 303
    tokens = {name: token_of(clients[name]) for name in waiting}
    for name in voted:
        assert cast(clients[name], tally).status_code == 303
        acknowledged.append(verification_of(clients[name]))
    assert webhook(app.test_client(), "SM-before", "+15105550101", "yes 2").status_code == 200
    assert drain_spool(spool, gateway) == 1
    assert wait_until(lambda: len(printer.jobs) == 4 + 2)  # 4 sign-in and 2 ballot receipts
    with engine.connect() as conn:  # an empty WAL: the next commit needs new blocks on the disk
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    disk.fill()
    print(f"filled: {disk.filled_bytes} bytes")

    # On tmpfs every write below needs a new block and must be refused. Under max_page_count a write whose rows
    # still fit into pages the file already has goes through: there each outcome must just be clean either way.
    strict = disk.mode == "tmpfs"
    refusals = 0

    # Votes: refused plainly, in the attendee's language, with the code still good.
    clients[waiting[1]].post("/kiosk/lang", data={"lang": "es", "next": "/kiosk/"})
    words = {waiting[0]: "cannot record your vote right now", waiting[1]: "no puede guardar su boleta ahora"}
    still_to_vote = []
    for name in waiting:
        response = cast(clients[name], tally)
        if response.status_code == 303 and not strict:
            acknowledged.append(verification_of(clients[name]))
            continue
        assert response.status_code == 503, response.status_code
        assert words[name] in notice(response.get_data(as_text=True))
        assert tally.check_token("GA12", tokens[name])  # NOT spent
        still_to_vote.append(name)
        refusals += 1
    # Sign-ins: refused, nothing half-written.
    for name in latecomers:
        signins_before = count(engine, signins)
        response = sign_in(clients[name], name)
        if response.status_code == 303 and not strict:
            continue
        assert response.status_code == 503
        assert "cannot save your sign-in right now" in notice(response.get_data(as_text=True))
        assert count(engine, signins) == signins_before
        refusals += 1

    # A text by the webhook: 503 (not taken), and the spool has no torn line.
    def spooled_bytes() -> bytes:
        return b"".join(p.read_bytes() for p in sorted(spool.folder.glob("*.jsonl")) if p.is_file())

    spooled = spooled_bytes()
    answer = webhook(app.test_client(), "SM-full", "+15105550102", "yes")
    assert answer.status_code == 503 and "disk is full" in answer.get_data(as_text=True)
    assert spooled_bytes() == spooled
    refusals += 1
    # A text from the modem: not stored, so not acknowledged (it stays on the SIM); a print job: refused.
    for attempt in (
        lambda: gateway.receive(InboundText("modem:1", "+15105550103", "yes", datetime.now(UTC))),
        lambda: services.queue.submit("test", "full", "{}"),
    ):
        try:
            attempt()
        except DatabaseError as exc:
            assert storage_problem(exc) is StorageProblem.FULL
            # SQLite refused the write or the commit: nothing was saved, and the error says so.
            assert not isinstance(exc, CommitUnknown) and "nothing was saved" in str(exc)
            assert describe_storage(exc).startswith("the disk is full")
            refusals += 1
        else:
            assert not strict
    # kiosk doctor: the disk is full (max_page_count leaves the disk itself roomy: nothing to see there).
    if strict:
        [finding] = [f for f in Doctor(Options()).check("disk", settings) if "full" in f.message]
        assert finding.status is Status.FAIL and finding.message.startswith("the disk is full")
    print(f"refused while full: {refusals} of 7")
    assert refusals == 7 if strict else refusals >= 1

    disk.free()

    # Same app, same engine, same print worker: everything refused goes through now.
    for name in still_to_vote:
        assert cast(clients[name], tally).status_code == 303
        acknowledged.append(verification_of(clients[name]))
    for name in latecomers:
        assert clients[name].post("/kiosk/signin", data={"pick": "0"}).status_code == 303
    assert webhook(app.test_client(), "SM-full", "+15105550102", "yes").status_code == 200
    assert drain_spool(spool, gateway) == 1
    gateway.receive(InboundText("modem:1", "+15105550103", "yes", datetime.now(UTC)))

    # Nothing acknowledged was lost; nothing doubled; the file is sound.
    for code in acknowledged:
        assert tally.lookup_ballot(code).verification_code == code
    results = tally.results("GA12")
    assert results.ballots_cast == 4 and results.ballots_issued == 6
    assert count(engine, sms_inbound) == 3
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
    assert tally.audit_verify().ok
    # Receipts: 6 sign-ins and 4 ballots, each printed once, none stuck mid-print.
    assert wait_until(lambda: len(printer.jobs) >= 10, timeout=15)
    time.sleep(0.3)
    texts = [decode(job).text for job in printer.jobs]
    assert len(texts) == 10, texts
    for code in acknowledged:
        assert sum(code in t for t in texts) == 1
    with engine.connect() as conn:
        query = select(print_jobs.c.state, func.count()).where(print_jobs.c.kind != "test")
        states = dict(conn.execute(query.group_by(print_jobs.c.state)).all())
    assert states.get("printing", 0) == 0 and states.get("failed", 0) == 0


def test_spool_never_glues_a_text_to_a_torn_line(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.current.write_text(
        '{"id": "SM1", "from": "+15105550101", "body": "yes", "at": "2026-12-01T10:00:00+00:00"}\n{"id": "SM2", "fro'
    )
    spool.append(InboundText("SM3", "+15105550103", "no", datetime(2026, 12, 1, 10, tzinfo=UTC)))
    [path] = spool.claim()
    assert [t.provider_id for t in spool.read(path)] == ["SM1", "SM3"]


def test_spool_on_a_full_device_raises_storage_full_and_keeps_nothing(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.current.symlink_to("/dev/full")  # the kernel answers every write with ENOSPC
    with pytest.raises(OSError) as caught:
        spool.append(InboundText("SM1", "+15105550101", "yes", datetime(2026, 12, 1, 10, tzinfo=UTC)))
    assert caught.value.errno is None or caught.value.errno == errno.ENOSPC
    assert storage_problem(caught.value) is StorageProblem.FULL
    assert "disk is full" in str(caught.value)
    with contextlib.suppress(FileNotFoundError):
        spool.current.unlink()
