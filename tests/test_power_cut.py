"""Power cuts at random I/O operations while the real tally signs people in, casts ballots and records RSVPs.

Each cut: copy a prepared database (roster, a meeting open for voting, some tokens already issued), run a random
mix of ``Tally.sign_in_member``, ``Tally.cast_ballot`` and inbound RSVP texts through ``Gateway.receive`` (on
a second connection, as the SMS gateway's own process has; plus the occasional WAL checkpoint and service
restart, which a short run would otherwise never reach) on SQLite
through ``tests.powercut_vfs``, which keeps every unsynced write in memory, and cut the power at a random
mutating I/O operation (a cut before a read leaves the same disk as a cut before the next write). Then, with the
stdlib ``sqlite3`` and the normal engine, as the kiosk would after the reboot: the database passes
``integrity_check`` and ``kiosk.backup.check_file`` (what ``kiosk doctor`` runs), ``kiosk.audit.verify`` (what
``kiosk audit verify`` runs) finds the chain intact, every acknowledged sign-in, token, ballot (with its
choices) and RSVP is there exactly once, and ballots equal spent tokens. Texts that were not acknowledged are
delivered again (a modem deletes a text only after it is stored) and each text is then stored exactly once.

The same harness with ``synchronous=NORMAL`` must lose acknowledged commits: that shows the VFS really drops
what was not synced, so the FULL runs prove something.

Bounded by default (``CUTS`` cuts); ``KIOSK_SOAK=1`` runs ``SOAK_CUTS``.
"""

from __future__ import annotations

import itertools
import os
import random
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import apsw
import pytest
from sqlalchemy import Engine, and_, event, func, select, text

from kiosk import audit, db
from kiosk.backup import check_file
from kiosk.schema import ballot_choices, ballot_tokens, ballots, members, rsvps, signins, sms_inbound
from kiosk.tally import MeetingState, Tally
from kiosk.tokens import normalize_code, token_hash
from sms.backends import InboundText
from sms.gateway import Gateway
from tests import powercut_dbapi
from tests.conftest import FIXTURES, FakeClock
from tests.powercut_vfs import CutMode, CutReport, PowerCutVFS

pytestmark = pytest.mark.sqlite_only

SOAK = bool(os.environ.get("KIOSK_SOAK"))
CUTS = 200  # lose mode; plus SCRAMBLE_CUTS in scramble mode
SCRAMBLE_CUTS = 50
SOAK_CUTS = 2000
NORMAL_CUTS = 40  # and as many with a lying disk
OPS_PER_RUN = 10
MEETING = "GA12"
NOT_ON_ROSTER = [f"+1510555{n:04d}" for n in range(190, 198)]
BODIES = ["yes", "yes 2", "no", "maybe", "Sí", "GA12 YES", "si 1", "No puedo"]


# --- the VFS and the prepared database ----------------------------------------------------------------------

_vfs: PowerCutVFS | None = None


@pytest.fixture(scope="module")
def vfs() -> Iterator[PowerCutVFS]:
    global _vfs
    if _vfs is None:  # a VFS is registered with SQLite for the life of the process
        powercut_dbapi.register()
        _vfs = PowerCutVFS(powercut_dbapi.VFS_NAME)
    yield _vfs
    _vfs.reset()


@dataclass(frozen=True)
class Prepared:
    path: Path
    tokens: tuple[str, ...]  # issued before the run, not yet spent
    unsigned: tuple[int, ...]  # members not signed in yet
    roster_phones: tuple[str, ...]


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    path = tmp_path_factory.mktemp("powercut") / "prepared.db"
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    tally = Tally(engine, clock=FakeClock())
    tally.import_roster((FIXTURES / "roster-messy.csv").read_text(encoding="utf-8"))
    tally.create_meeting(code=MEETING, title="General Assembly", starts="2026-12-03T19:00", quorum="20%")
    tally.import_planks(MEETING, (FIXTURES / "planks.csv").read_text(encoding="utf-8"))
    tally.set_state(MEETING, MeetingState.VOTING_OPEN)
    with engine.connect() as conn:
        people = conn.execute(select(members.c.id, members.c.phone).order_by(members.c.id)).all()
    tokens = []
    for member, _phone in people[:10]:
        signed = tally.sign_in_member(MEETING, member)
        if signed.token:
            tokens.append(signed.token)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    assert not Path(f"{path}-wal").exists()  # the run starts from the database file alone
    phones = tuple(sorted({phone for _member, phone in people if phone}))
    return Prepared(path, tuple(tokens), tuple(member for member, _phone in people[10:]), phones)


# --- one run ------------------------------------------------------------------------------------------------


@dataclass
class Acknowledged:
    """What the tally returned successfully before the cut: each must be in the database afterwards."""

    signins: list[tuple[int, int, str | None]] = field(default_factory=list)  # signin id, member id, token
    ballots: list[tuple[str, dict[str, str], str]] = field(default_factory=list)  # code, {plank: choice}, token
    rsvps: list[tuple[str, str, datetime, str]] = field(default_factory=list)  # provider id, phone, at, answer
    texts: list[InboundText] = field(default_factory=list)  # every text handed to the gateway
    texts_stored: set[str] = field(default_factory=set)  # provider ids whose receive() returned

    @property
    def count(self) -> int:
        return len(self.signins) + len(self.ballots) + len(self.rsvps)


@dataclass(frozen=True)
class RunResult:
    acknowledged: Acknowledged
    cut_at: int  # the mutating I/O operation the power went at (or after the last one)
    report: CutReport
    lost: list[str]  # acknowledged items missing afterwards (must stay empty with synchronous=FULL)


def _synchronous_normal(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.cursor().execute("PRAGMA synchronous=NORMAL")


class Engines:
    """One database path for every run, so each engine (and its compiled-SQL cache) serves all the runs.

    ``kiosk`` and ``sms``: production settings on the apsw driver and the power-cut VFS, one for the kiosk and one
    for the SMS gateway (its own process on a Pi, with its own connection); with ``sync_normal``, one more connect
    hook sets ``synchronous=NORMAL`` after kiosk.db's. ``after``: the normal engine (stdlib ``sqlite3``).
    """

    def __init__(self, workdir: Path, *, sync_normal: bool) -> None:
        self.path = workdir / "tally.db"
        self.kiosk = db.make_engine(f"sqlite+powercut:///{self.path}")
        self.sms = db.make_engine(f"sqlite+powercut:///{self.path}")
        if sync_normal:
            for engine in (self.kiosk, self.sms):
                event.listen(engine, "connect", _synchronous_normal)
        self.after = db.make_engine(f"sqlite:///{self.path}")

    def dispose(self) -> None:
        self.kiosk.dispose()
        self.sms.dispose()

    def remove_files(self) -> None:
        self.dispose()
        self.after.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)


class Run:
    def __init__(self, vfs: PowerCutVFS, prepared: Prepared, engines: Engines, seed: int) -> None:
        self.vfs = vfs
        self.prepared = prepared
        self.engines = engines
        self.path = engines.path
        self.rng = random.Random(seed)
        self.seed = seed
        self.clock = FakeClock(datetime(2026, 12, 4, 3, 0, tzinfo=UTC) + timedelta(hours=seed))
        self.ack = Acknowledged()
        self.tokens = list(prepared.tokens)
        self.unsigned = list(prepared.unsigned)
        self.rng.shuffle(self.tokens)
        self.rng.shuffle(self.unsigned)
        self.text_ids = itertools.count(1)

    def workload(self, tally: Tally, gateway: Gateway, planks: list[Any]) -> None:
        for _ in range(OPS_PER_RUN):
            self.clock.advance(seconds=1)
            roll = self.rng.random()
            if roll < 0.40 and self.tokens:
                token = self.tokens.pop()
                wanted = {p.id: self.rng.choice(["yes", "no", "abstain", None]) for p in planks}
                cast = tally.cast_ballot(MEETING, token, wanted)
                self.ack.ballots.append((cast.verification_code, {t: str(c) for t, c in cast.choices}, token))
            elif roll < 0.65 and self.unsigned:
                member = self.unsigned.pop()
                signed = tally.sign_in_member(MEETING, member)
                assert not signed.already
                self.ack.signins.append((signed.id, member, signed.token))
                if signed.token:
                    self.tokens.insert(0, signed.token)  # cast later in this run, if there is time
            elif roll < 0.92:
                phone = self.rng.choice(self.prepared.roster_phones + tuple(NOT_ON_ROSTER))
                inbound = InboundText(
                    f"SM{self.seed}x{next(self.text_ids)}", phone, self.rng.choice(BODIES), self.clock()
                )
                self.ack.texts.append(inbound)
                handled = gateway.receive(inbound)
                assert not handled.duplicate
                self.ack.texts_stored.add(inbound.provider_id)
                if handled.intent in ("yes", "no", "maybe") and handled.meeting == MEETING:
                    self.ack.rsvps.append((inbound.provider_id, phone, self.clock(), handled.intent))
            elif roll < 0.96:
                # What the automatic checkpoint does every 1,000 pages (a short run never gets there).
                with self.rng.choice([tally, gateway.tally]).engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").all()
            else:
                # A service restarts; when both have, the last connection closed: checkpoint, the WAL is deleted.
                self.rng.choice([tally, gateway.tally]).engine.dispose()
                if self.rng.random() < 0.5:
                    self.engines.dispose()

    def run(self, cut_at: int | None, mode: CutMode, kind: str | None = None, *, lying: bool = False) -> CutReport:
        """Run the workload with a cut at mutating operation ``cut_at`` (of ``kind``, if given)."""
        self.engines.remove_files()
        shutil.copyfile(self.prepared.path, self.path)
        self.vfs.arm(cut_at, kind=kind, mode=mode, seed=self.seed, lying=lying)
        tally = Tally(self.engines.kiosk, region="US", timezone="America/Los_Angeles", clock=self.clock)
        sms_tally = Tally(self.engines.sms, region="US", timezone="America/Los_Angeles", clock=self.clock)
        gateway = Gateway(sms_tally, organization="Test Org", clock=self.clock)
        try:
            planks = tally.planks(MEETING)
            self.workload(tally, gateway, planks)
        except Exception:
            if not self.vfs.dead:
                raise  # only the cut may stop a run
        finally:
            report = self.vfs.cut()  # a run that finished before its cut point is cut now
            self.engines.dispose()
            self.vfs.reset()
        return report

    # --- after the reboot ---------------------------------------------------------------------------------

    def check(self) -> list[str]:
        """Open the files left on the disk as the kiosk would and return what was lost (raise if inconsistent)."""
        assert check_file(self.path) is None  # kiosk doctor's check
        engine = self.engines.after
        try:
            with engine.connect() as conn:
                assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
                report = audit.verify(conn)  # kiosk audit verify
                assert report.ok, report.problems
                lost = self._lost(conn)
                spent = conn.execute(
                    select(func.count()).select_from(ballot_tokens).where(ballot_tokens.c.state == "spent")
                ).scalar_one()
                assert conn.execute(select(func.count()).select_from(ballots)).scalar_one() == spent
            lost += self._redeliver(engine)
        finally:
            engine.dispose()
        return lost

    def _lost(self, conn: Any) -> list[str]:
        lost: list[str] = []
        for signin_id, member, token in self.ack.signins:
            found = conn.execute(
                select(func.count()).where(and_(signins.c.id == signin_id, signins.c.member_id == member))
            ).scalar_one()
            assert found <= 1
            if not found:
                lost.append(f"sign-in {signin_id} of member {member}")
            elif token is not None:
                state = conn.execute(
                    select(ballot_tokens.c.state).where(ballot_tokens.c.token_hash == token_hash(token, None))
                ).scalar()
                if state not in ("issued", "spent"):
                    lost.append(f"the token of sign-in {signin_id} ({state})")
        for code, choices, token in self.ack.ballots:
            stored = normalize_code(code)
            rows = conn.execute(
                select(ballot_choices.c.choice, text("planks.title"))
                .select_from(ballot_choices.join(text("planks"), text("planks.id = ballot_choices.plank_id")))
                .where(ballot_choices.c.ballot_code == stored)
            ).all()
            present = conn.execute(select(func.count()).where(ballots.c.code == stored)).scalar_one()
            if not present:
                lost.append(f"ballot {code}")
                continue
            assert {title: choice for choice, title in rows} == choices, f"ballot {code} changed"
            state = conn.execute(
                select(ballot_tokens.c.state).where(ballot_tokens.c.token_hash == token_hash(token, None))
            ).scalar()
            assert state == "spent"
        for provider_id, phone, at, answer in self.ack.rsvps:
            texts = conn.execute(select(func.count()).where(sms_inbound.c.provider_id == provider_id)).scalar_one()
            found = conn.execute(
                select(rsvps.c.answer).where(and_(rsvps.c.phone == phone, rsvps.c.created_at == at))
            ).all()
            assert texts <= 1 and len(found) <= 1
            if not texts or not found:
                lost.append(f"RSVP {provider_id}")
            else:
                assert found[0].answer == answer
        return lost

    def _redeliver(self, engine: Engine) -> list[str]:
        """The modem still holds every text not acknowledged: the gateway gets them again; each is stored once."""
        tally = Tally(engine, region="US", timezone="America/Los_Angeles", clock=self.clock)
        gateway = Gateway(tally, organization="Test Org", clock=self.clock)
        for inbound in self.ack.texts:
            if inbound.provider_id not in self.ack.texts_stored:
                self.clock.advance(seconds=1)
                gateway.receive(inbound)
        with engine.connect() as conn:
            stored = conn.execute(select(sms_inbound.c.provider_id)).scalars().all()
        mine = [p for p in stored if p.startswith(f"SM{self.seed}x")]
        assert len(mine) == len(set(mine))
        # An acknowledged text the database lost is lost for good: the modem has deleted it.
        return [f"text {p}" for p in sorted({t.provider_id for t in self.ack.texts} - set(mine))]


def cut_many(
    vfs: PowerCutVFS,
    prepared: Prepared,
    workdir: Path,
    cuts: int,
    *,
    mode: CutMode,
    sync_normal: bool,
    first: int,
    lying: bool = False,
) -> list[RunResult]:
    engines = Engines(workdir, sync_normal=sync_normal)
    try:
        # The cut points are drawn from the operations of a whole run (the most of three uncut runs): any mutating
        # operation, or (as test6.c) the N-th sync, truncate or delete, rare among the writes but the edges.
        spans: Counter[str | None] = Counter()
        for i in range(3):
            uncut = Run(vfs, prepared, engines, 10_000 + i).run(None, CutMode.LOSE)
            spans[None] = max(spans[None], uncut.cut_at)
            for kind, n in uncut.ops_by_kind.items():
                spans[kind] = max(spans[kind], n)
        results = []
        for seed in range(first, first + cuts):
            run = Run(vfs, prepared, engines, seed)
            pick = random.Random(seed)
            kind = pick.choices([None, "sync", "truncate", "delete"], weights=[60, 30, 5, 5])[0]
            report = run.run(pick.randint(1, max(spans[kind], 1)), mode, kind, lying=lying)
            lost = run.check()
            results.append(RunResult(run.ack, report.cut_at, report, lost))
    finally:
        engines.remove_files()
    return results


def summary(results: list[RunResult], seconds: float) -> str:
    during = Counter(r.report.during for r in results)
    return (
        f"{len(results)} cuts in {seconds:.1f} s (the power went during: "
        f"{', '.join(f'{kind} {n}' for kind, n in during.most_common())}); "
        f"acknowledged items checked: {sum(r.acknowledged.count for r in results)}; "
        f"cuts that dropped unsynced writes: {sum(1 for r in results if r.report.unsynced_writes)} "
        f"({sum(r.report.unsynced_writes for r in results)} writes, "
        f"{sum(r.report.written_anyway for r in results)} written anyway, "
        f"{sum(r.report.trashed for r in results)} as garbage); "
        f"cuts that lost acknowledged items: {sum(1 for r in results if r.lost)}"
    )


# --- the tests ----------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.timeout(1800 if SOAK else 120)
def test_power_cuts_lose_nothing_acknowledged(vfs: PowerCutVFS, prepared: Prepared, tmp_path: Path) -> None:
    started = time.monotonic()
    results = cut_many(
        vfs, prepared, tmp_path, SOAK_CUTS if SOAK else CUTS, mode=CutMode.LOSE, sync_normal=False, first=1
    )
    print(summary(results, time.monotonic() - started))
    assert [r.lost for r in results if r.lost] == []
    assert sum(r.acknowledged.count for r in results) >= len(results) * 2  # the runs did acknowledge things
    assert sum(1 for r in results if r.report.unsynced_writes) >= len(results) // 3  # and the cuts did drop writes
    assert sum(1 for r in results if r.report.during == "sync") >= len(results) // 10  # some in a commit's sync


@pytest.mark.slow
@pytest.mark.timeout(1800 if SOAK else 120)
def test_power_cuts_with_scrambled_unsynced_writes(vfs: PowerCutVFS, prepared: Prepared, tmp_path: Path) -> None:
    """test6.c's crash: each unsynced write reaches the disk, or not, or as garbage, in any order."""
    started = time.monotonic()
    cuts = SOAK_CUTS // 4 if SOAK else SCRAMBLE_CUTS
    results = cut_many(vfs, prepared, tmp_path, cuts, mode=CutMode.SCRAMBLE, sync_normal=False, first=50_001)
    print(summary(results, time.monotonic() - started))
    assert [r.lost for r in results if r.lost] == []


def test_synchronous_normal_loses_acknowledged_commits(vfs: PowerCutVFS, prepared: Prepared, tmp_path: Path) -> None:
    """The harness has teeth: without a sync at each commit, the cut takes acknowledged ballots with it."""
    started = time.monotonic()
    results = cut_many(vfs, prepared, tmp_path, NORMAL_CUTS, mode=CutMode.LOSE, sync_normal=True, first=90_001)
    print(summary(results, time.monotonic() - started))
    losing = [r for r in results if r.lost]
    assert len(losing) >= NORMAL_CUTS // 4, summary(results, 0)


def test_a_disk_that_lies_about_syncing_loses_acknowledged_commits(
    vfs: PowerCutVFS, prepared: Prepared, tmp_path: Path
) -> None:
    """synchronous=FULL, but every sync is answered without keeping anything (a card's volatile cache)."""
    started = time.monotonic()
    results = cut_many(
        vfs, prepared, tmp_path, NORMAL_CUTS, mode=CutMode.LOSE, sync_normal=False, first=95_001, lying=True
    )
    print(summary(results, time.monotonic() - started))
    losing = [r for r in results if r.lost]
    assert len(losing) >= NORMAL_CUTS // 4, summary(results, 0)


# --- the VFS's own model ------------------------------------------------------------------------------------

_WAL = apsw.SQLITE_OPEN_WAL | apsw.SQLITE_OPEN_READWRITE | apsw.SQLITE_OPEN_CREATE
_MAIN = apsw.SQLITE_OPEN_MAIN_DB | apsw.SQLITE_OPEN_READWRITE | apsw.SQLITE_OPEN_CREATE


def test_vfs_keeps_only_synced_writes_and_durable_directory_entries(vfs: PowerCutVFS, tmp_path: Path) -> None:
    main, fresh = tmp_path / "main.db", tmp_path / "fresh.db-wal"
    main.write_bytes(b"old" * 10)
    (tmp_path / "fresh.db").touch()  # SQLite's unix VFS opens a WAL only beside its database
    vfs.arm(None)
    old = vfs.xOpen(str(main), [_MAIN, 0])
    old.xWrite(b"NEW", 0)
    assert old.xRead(6, 0) == b"NEWold"  # reads see the page cache
    assert main.read_bytes().startswith(b"oldold")  # the disk does not
    old.xSync(apsw.SQLITE_SYNC_FULL)
    old.xWrite(b"XXX", 3)
    old.xTruncate(6)
    new = vfs.xOpen(str(fresh), [_WAL, 0])
    new.xWrite(b"frame", 0)
    report = vfs.cut()
    assert report.unsynced_writes == 3
    with pytest.raises(apsw.IOError):
        old.xWrite(b"late", 0)
    old.xClose()
    new.xClose()
    assert main.read_bytes() == b"NEW" + b"old" * 9  # synced kept, unsynced write and truncate lost
    assert not fresh.exists()  # created, never synced: the directory entry never reached the disk
    vfs.reset()


def test_vfs_deletes_are_volatile_until_the_directory_is_synced(vfs: PowerCutVFS, tmp_path: Path) -> None:
    wal, other = tmp_path / "a.db-wal", tmp_path / "b.db-wal"
    wal.write_bytes(b"frames")
    (tmp_path / "b.db").touch()
    vfs.arm(None)
    vfs.xDelete(str(wal), False)
    assert not vfs.xAccess(str(wal), apsw.SQLITE_ACCESS_EXISTS)
    vfs.cut()
    assert wal.read_bytes() == b"frames"  # the delete was never made durable
    vfs.arm(None)
    vfs.xDelete(str(wal), False)
    created = vfs.xOpen(str(other), [_WAL, 0])
    created.xWrite(b"x", 0)
    created.xSync(apsw.SQLITE_SYNC_NORMAL)  # the first sync of a new WAL syncs the directory (like os_unix.c)
    vfs.cut()
    created.xClose()
    assert not wal.exists() and other.read_bytes() == b"x"
    vfs.reset()
