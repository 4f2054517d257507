"""The kill -9 soak test's machinery: real ``kiosk serve`` and ``kiosk sms run`` processes, attendees driving the
kiosk over HTTP, members texting in through a simulated GSM modem and Twilio's webhook, and a ledger of what
each client was told (acknowledged), checked against the database afterwards.

Nothing here mocks our own code: the processes are the real commands on a real SQLite file, the modem is
``tests.sim_modem`` on a real pseudo-terminal that the daemon opens with pyserial, and webhooks carry real
Twilio signatures. Acknowledged means what a client would rely on: a kiosk page showing the ballot token (a
sign-in) or the verification code (a ballot), a text deleted from the SIM, a webhook answered 200.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from tests.sim_modem import SimModem

ROOT = Path(__file__).resolve().parent.parent
MEETING = "SOAK"
TWILIO_TOKEN = "soak-auth-token"
PUBLIC_URL = "https://kiosk.example.org/sms/twilio"
# Each phone texts each of these once, so every (phone, answer, guests) names exactly one text.
ANSWERS = (("YES", "yes", 0), ("NO", "no", 0), ("MAYBE", "maybe", 0), ("YES +2", "yes", 2))
PLANKS = 4
CHOICES = ("yes", "no", "abstain", "")


class SoakFailure(AssertionError):
    """Something the soak must never see: a crash on restart, an unexpected page, a wedged process."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- configuration and the meeting ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    root: Path
    web_config: Path
    sms_config: Path
    web_port: int
    db_path: Path
    modem_path: str

    @property
    def spool(self) -> Path:
        return self.root / "data" / "sms-spool"


def write_configs(root: Path, modem_path: str) -> Layout:
    """Two TOML files over one data folder: the web process answers Twilio's webhook (spooling texts), the SMS
    daemon owns the modem and drains the spool. Both are the production commands with production settings."""
    web_port, organizer_port = free_port(), free_port()
    common = f"""
[organization]
name = "Soak Assembly"
timezone = "America/Los_Angeles"
[kiosk]
data_dir = "{root / "data"}"
station = "soak-kiosk"
[server]
port = {web_port}
threads = 8
[organizer]
port = {organizer_port}
[hardware]
buttons = "simulated"
[printer]
url = "console"
"""
    web = (
        common
        + f"""
[sms]
backend = "twilio"
[sms.twilio]
account_sid = "AC{"1" * 32}"
auth_token = "{TWILIO_TOKEN}"
from_number = "+15105550100"
inbound = "webhook"
public_url = "{PUBLIC_URL}"
"""
    )
    sms = (
        common
        + f"""
[sms]
backend = "modem"
rate_per_second = 200.0
replies_per_hour = 10
[sms.modem]
port = "{modem_path}"
"""
    )
    (root / "data").mkdir(parents=True, exist_ok=True)
    web_config, sms_config = root / "web.toml", root / "sms.toml"
    web_config.write_text(web, encoding="utf-8")
    sms_config.write_text(sms, encoding="utf-8")
    return Layout(root, web_config, sms_config, web_port, root / "data" / "tally.db", modem_path)


def voter_phone(i: int) -> str:
    return f"+1415{2000000 + i:07d}"


def texter_phone(i: int) -> str:
    return f"+1628{3000000 + i:07d}"


@dataclass(frozen=True)
class Meeting:
    voters: int
    texters: int
    plank_ids: tuple[int, ...]
    web_config: Path | None = None  # for the sign-in desk (an organizer's reissue)


def set_up_meeting(layout: Layout, *, voters: int, texters: int) -> Meeting:
    """A meeting open for voting with ``voters`` members; every other texter is a member, the rest strangers."""
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from kiosk.config import load_settings
    from kiosk.runtime import open_tally
    from kiosk.tally import MeetingState

    tally = open_tally(load_settings(layout.web_config, env={}))
    rows = ["name,phone,email,status,joined"]
    rows += [f"Voter {i:05d},{voter_phone(i)},,member,2020-01-01" for i in range(voters)]
    rows += [f"Texter {i:05d},{texter_phone(i)},,member,2020-01-01" for i in range(0, texters, 2)]
    report = tally.import_roster("\n".join(rows) + "\n", actor="soak")
    if report.refused or report.added != len(rows) - 1:
        raise SoakFailure(f"roster import: {report.summary()}")
    tz = ZoneInfo("America/Los_Angeles")
    starts = datetime.combine(datetime.now(tz).date() + timedelta(days=1), time(19, 0), tzinfo=tz)
    tally.create_meeting(code=MEETING, title="Soak Assembly", starts=starts, place="Hall", quorum="1", actor="soak")
    thresholds = ("majority", "two-thirds", "three-fifths", "majority")
    planks_csv = "title,text,threshold\n" + "".join(
        f"Plank {n},Text of plank {n},{thresholds[n % len(thresholds)]}\n" for n in range(PLANKS)
    )
    tally.import_planks(MEETING, planks_csv, actor="soak")
    tally.set_state(MEETING, MeetingState.VOTING_OPEN, actor="soak")
    plank_ids = tuple(p.id for p in tally.planks(MEETING))
    tally.engine.dispose()
    return Meeting(voters, texters, plank_ids, layout.web_config)


def desk_reissue(meeting: Meeting, phone: str) -> str | None:
    """The sign-in desk: an organizer voids the attendee's unseen code and gives a new one (None: already voted).

    Since issue 12 a kiosk screen that did not sign someone in cannot give them a new code (a stranger could),
    so an attendee whose code a kill cut off before it was shown goes to the desk."""
    from kiosk.config import load_settings
    from kiosk.errors import StateError
    from kiosk.runtime import open_tally

    assert meeting.web_config is not None
    tally = open_tally(load_settings(meeting.web_config, env={}), migrate=False)
    try:
        signin = next(s for s in tally.signins(MEETING) if s["phone"] == phone)
        return tally.reissue_token(MEETING, signin["id"], actor="desk", reason="code never shown (kiosk restart)")
    except StateError:
        return None
    finally:
        tally.engine.dispose()


# --- the processes ----------------------------------------------------------------------------------------------


class Proc:
    """One production command, restartable; SIGKILLed by the chaos and always killed at the end."""

    def __init__(self, name: str, argv: list[str], root: Path) -> None:
        self.name = name
        self.argv = argv
        self.root = root
        self.log_path = root / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.kills = 0
        self.lock = threading.Lock()

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
        env["PYTHONPATH"] = str(ROOT)
        with open(self.log_path, "ab") as log:
            log.write(f"\n=== start {self.starts + 1} at {time.time():.3f}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "kiosk", *self.argv],
                cwd=self.root,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.starts += 1

    def check_alive(self) -> None:
        """A process that exited without being killed crashed (e.g. on restart): the soak fails."""
        with self.lock:
            if self.proc is not None and self.proc.poll() is not None:
                raise SoakFailure(f"{self.name} exited by itself with {self.proc.returncode}:\n{self.tail()}")

    def sigkill(self) -> None:
        with self.lock:
            if self.proc is None:
                return
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
            if self.proc.returncode != -signal.SIGKILL:
                raise SoakFailure(f"{self.name} had exited by itself ({self.proc.returncode}):\n{self.tail()}")
            self.kills += 1
            self.proc = None

    def restart(self) -> None:
        with self.lock:
            self.start()

    def terminate(self, timeout: float = 10.0) -> int | None:
        """SIGTERM and wait (the clean stop systemd does); SIGKILL if it does not stop in time."""
        with self.lock:
            if self.proc is None:
                return None
            self.proc.terminate()
            try:
                return self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
                raise SoakFailure(f"{self.name} did not stop on SIGTERM:\n{self.tail()}") from None
            finally:
                self.proc = None

    def kill_quietly(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(10)
            self.proc = None

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"


def wait_web(port: int, web: Proc, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            try:
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            finally:
                conn.close()
        except (OSError, http.client.HTTPException):
            pass
        proc = web.proc  # the chaos thread may swap it meanwhile
        if proc is not None and proc.poll() is not None and proc.returncode != -signal.SIGKILL:
            web.check_alive()
        time.sleep(0.05)
    raise SoakFailure(f"the web process did not answer within {timeout} s:\n{web.tail()}")


# --- the ledger -------------------------------------------------------------------------------------------------


@dataclass
class Ledger:
    """What clients were told. Written by several threads; read after they have all finished."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    signins: set[int] = field(default_factory=set)  # voters whose sign-in a kiosk page acknowledged
    ballots: dict[str, tuple[int, dict[int, str]]] = field(default_factory=dict)  # code -> (voter, choices)
    cast_unacknowledged: set[int] = field(default_factory=set)  # voters told "already used / already voted"
    ballots_attempted: int = 0
    lost_requests: int = 0  # HTTP requests cut off by a kill
    busy_pages: int = 0  # 503 pages (database busy or commit unknown): the attendee tries again
    texts_modem: list[tuple[str, str]] = field(default_factory=list)  # (phone, body) delivered to the SIM
    texts_modem_acked: int = 0
    texts_webhook: dict[str, tuple[str, str]] = field(default_factory=dict)  # sid -> (phone, body), answered 200
    webhook_redeliveries: int = 0
    errors: list[str] = field(default_factory=list)

    def note(self, **changes: Any) -> None:
        with self.lock:
            for key, value in changes.items():
                setattr(self, key, getattr(self, key) + value)


class Lost(Exception):
    """The connection to the web process broke mid-request (it was killed): the outcome is unknown."""


class Browser:
    """The kiosk's browser, one attendee at a time: a cookie, redirects followed by hand, pages as text."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookie: str | None = None
        self.conn: http.client.HTTPConnection | None = None
        self.busy = False

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
        headers = {"Connection": "keep-alive"}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookie:
            headers["Cookie"] = f"kiosk_sid={self.cookie}"
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise Lost(f"{method} {path}: {exc!r}") from None
        for value in response.headers.get_all("Set-Cookie") or []:
            m = re.match(r"kiosk_sid=([^;]*)", value)
            if m:
                self.cookie = m.group(1) or None
        location = response.headers.get("Location", "")
        if response.status == 503:  # the database was busy (or a commit's fate unknown): the attendee tries again
            self.busy = True
            raise Lost(f"{method} {path}: 503")
        return response.status, location, text


def _expect(condition: bool, what: str, page: str) -> None:
    if not condition:
        raise SoakFailure(f"{what}; page was:\n{page[:2000]}")


TOKEN_RE = re.compile(r'id="receipt-token">([A-Z0-9-]+)<')
CODE_RE = re.compile(r'id="verification">([A-Z0-9-]+)<')


class Attendee:
    """One voter: signs in by phone, votes, and starts over (as a person would) when the kiosk restarts."""

    def __init__(self, voter: int, meeting: Meeting, port: int, ledger: Ledger, rng: random.Random) -> None:
        self.voter = voter
        self.phone = voter_phone(voter)
        self.meeting = meeting
        self.port = port
        self.ledger = ledger
        self.rng = rng
        self.token: str | None = None  # the token a kiosk page showed: the attendee has it on the receipt
        self.choices = {pid: rng.choice(CHOICES) for pid in meeting.plank_ids}

    def run(self, web: Proc) -> None:
        for _ in range(200):
            browser = Browser(self.port)  # a restarted kiosk has forgotten every session
            try:
                if self._attempt(browser):
                    return
            except Lost:
                if browser.busy:
                    self.ledger.note(busy_pages=1)
                else:
                    self.ledger.note(lost_requests=1)
                wait_web(self.port, web)
            finally:
                browser.close()
        raise SoakFailure(f"voter {self.voter} could not vote in 200 attempts")

    def _attempt(self, b: Browser) -> bool:
        if self.token is None:
            page = self._sign_in(b)
            if "You have already voted" in page:
                self._cast_elsewhere()
                return True
            if self.token is None:  # signed in before, code never seen (a kill cut it off): the desk reissues
                _expect("sign-in desk" in page, "no word of the desk for a code never seen", page)
                self.token = desk_reissue(self.meeting, self.phone)
                if self.token is None:
                    self._cast_elsewhere()
                    return True
                status, location, page = b.request("POST", "/kiosk/token", {"token": self.token})
                _expect(status == 303 and location.endswith("/kiosk/ballot"), f"desk code refused ({status})", page)
                return self._vote(b)
            status, location, page = b.request("POST", "/kiosk/vote")
            _expect(status == 303 and location.endswith("/kiosk/ballot"), "vote now failed", page)
            return self._vote(b)
        # The receipt's code, typed at the kiosk after a restart.
        status, location, page = b.request("POST", "/kiosk/token", {"token": self.token})
        if status == 409 and "already been used" in page:
            self._cast_elsewhere()
            return True
        _expect(status == 303 and location.endswith("/kiosk/ballot"), f"token refused ({status})", page)
        return self._vote(b)

    def _sign_in(self, b: Browser) -> str:
        # The post answers with the matches itself; the page's reload URL (a GET, no query) shows them again.
        status, _, page = b.request("POST", "/kiosk/find", {"by": "phone", "q": self.phone})
        _expect(status == 200 and page.count('name="pick"') == 1, f"find answered {status}, not one person", page)
        _expect('data-replace-url="/kiosk/find?by=phone"' in page, "find page has no reload URL", page)
        status, _, page = b.request("GET", "/kiosk/find?by=phone")
        _expect(status == 200 and page.count('name="pick"') == 1, "reloaded find did not list exactly one person", page)
        status, location, page = b.request("POST", "/kiosk/signin", {"pick": "0"})
        _expect(status == 303 and location.endswith("/kiosk/signed-in"), f"sign-in answered {status}", page)
        status, location, page = b.request("GET", "/kiosk/signed-in")
        if status == 303 and location.endswith("/kiosk/"):
            # Killed and restarted between the sign-in and its page (as between a cast and /kiosk/done): the
            # session, and the code it was to show, went with the old process. The attendee starts over; the
            # kiosk then says "already signed in" and the desk reissues the code never seen.
            raise Lost("GET /kiosk/signed-in: the session went with a restart")
        _expect(status == 200 and "Voter" in page, "no signed-in page", page)
        _expect("You are already signed in" in page or "receipt-token" in page, "sign-in not confirmed", page)
        with self.ledger.lock:
            self.ledger.signins.add(self.voter)
        self._take_token(page)
        return page

    def _take_token(self, page: str) -> None:
        m = TOKEN_RE.search(page)
        if m:
            self.token = m.group(1)

    def _vote(self, b: Browser) -> bool:
        status, _, page = b.request("GET", "/kiosk/ballot")
        if status == 409 and "already been used" in page:
            self._cast_elsewhere()
            return True
        _expect(status == 200 and all(f'name="choice-{p}"' in page for p in self.choices), "no ballot", page)
        form = {f"choice-{pid}": choice for pid, choice in self.choices.items()}
        status, location, page = b.request("POST", "/kiosk/ballot/cast", form)
        if status == 409 and "already been used" in page:
            self._cast_elsewhere()
            return True
        _expect(status == 303 and location.endswith("/kiosk/done"), f"cast answered {status}", page)
        status, location, page = b.request("GET", "/kiosk/done")
        if status == 303 and location.endswith("/kiosk/"):
            # The kiosk was killed and restarted between the cast and this page: sessions live in the web
            # process, so the code shown on it is gone. The attendee starts over with the receipt's token.
            raise Lost("GET /kiosk/done: the session went with a restart")
        m = CODE_RE.search(page)
        _expect(status == 200 and m is not None, "no verification code shown", page)
        assert m is not None
        with self.ledger.lock:
            if m.group(1) in self.ledger.ballots:
                raise SoakFailure(f"verification code {m.group(1)} shown twice")
            self.ledger.ballots[m.group(1)] = (self.voter, dict(self.choices))
        return True

    def _cast_elsewhere(self) -> None:
        """The kiosk says this attendee's ballot is in, but no page showed its code (cut off by a kill)."""
        with self.ledger.lock:
            self.ledger.cast_unacknowledged.add(self.voter)


# --- texts ------------------------------------------------------------------------------------------------------


def text_plan(count: int, texters: int) -> list[tuple[str, str, str]]:
    """(channel, phone, body) for each text: each phone sends each answer once, alternately by modem and webhook."""
    plan = []
    for i in range(count):
        phone = texter_phone(i % texters)
        body = ANSWERS[i // texters][0]
        plan.append(("modem" if i % 2 == 0 else "webhook", phone, body))
    return plan


class ModemNetwork:
    """The mobile network in front of the simulated modem: delivers texts when the SIM has room and watches the
    daemon delete them (the acknowledgement after commit)."""

    def __init__(self, sim: SimModem, ledger: Ledger) -> None:
        self.sim = sim
        self.ledger = ledger
        self.pending: list[dict[int, str]] = []  # SIM index -> PDU of each delivered, undeleted text

    def deliver(self, phone: str, body: str, deadline: float) -> None:
        while True:
            self.reap()
            with self.sim._lock:
                room = len(self.sim.store) < self.sim.capacity
            if room:
                break
            if time.monotonic() > deadline:
                raise SoakFailure("the SIM stayed full for a minute: the SMS daemon stopped deleting (sms-daemon.log)")
            time.sleep(0.02)
        indexes = self.sim.deliver(phone, body)
        with self.sim._lock:
            stored = {i: self.sim.store[i][1] for i in indexes}
        self.pending.append(stored)
        with self.ledger.lock:
            self.ledger.texts_modem.append((phone, body))

    def reap(self) -> None:
        with self.sim._lock:
            store = dict(self.sim.store)
        still = [p for p in self.pending if any(store.get(i, (0, None))[1] == pdu for i, pdu in p.items())]
        self.ledger.note(texts_modem_acked=len(self.pending) - len(still))
        self.pending = still


class Webhook:
    """Twilio calling the kiosk's webhook: signed requests, the same MessageSid again until answered 200."""

    def __init__(self, port: int, ledger: Ledger, rng: random.Random) -> None:
        self.port = port
        self.ledger = ledger
        self.rng = rng
        self.validator = RequestValidator(TWILIO_TOKEN)

    def send(self, phone: str, body: str, web: Proc) -> None:
        sid = "SM" + "".join(self.rng.choice("0123456789abcdef") for _ in range(32))
        params = {
            "MessageSid": sid,
            "SmsSid": sid,
            "AccountSid": "AC" + "1" * 32,
            "From": phone,
            "To": "+15105550100",
            "Body": body,
            "NumMedia": "0",
        }
        signature = self.validator.compute_signature(PUBLIC_URL, params)
        for attempt in range(100):
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
            try:
                conn.request(
                    "POST",
                    "/sms/twilio",
                    body=urlencode(params),
                    headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature},
                )
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    raise SoakFailure(f"webhook answered {response.status}")
                with self.ledger.lock:
                    self.ledger.texts_webhook[sid] = (phone, body)
                    self.ledger.webhook_redeliveries += attempt
                return
            except (OSError, http.client.HTTPException):
                self.ledger.note(lost_requests=1)
                wait_web(self.port, web)
            finally:
                conn.close()
        raise SoakFailure(f"webhook {sid} never answered")


# --- the checks -------------------------------------------------------------------------------------------------


@dataclass
class Findings:
    ballots: int
    spent_tokens: int
    signins: int
    inbound: int
    rsvps: int
    problems: list[str]


def check_database(layout: Layout, meeting: Meeting, ledger: Ledger) -> Findings:
    """Everything acknowledged is stored exactly once; nothing stored that no client could have caused."""
    from kiosk.tokens import normalize_code

    problems: list[str] = []
    db = sqlite3.connect(f"file:{layout.db_path}?mode=ro", uri=True)
    try:
        integrity = db.execute("PRAGMA integrity_check").fetchall()
        if integrity != [("ok",)]:
            problems.append(f"integrity_check: {integrity[:5]}")
        fk = db.execute("PRAGMA foreign_key_check").fetchall()
        if fk:
            problems.append(f"foreign_key_check: {fk[:5]}")
        meeting_id = db.execute("SELECT id FROM meetings WHERE code = ?", (MEETING,)).fetchone()[0]

        # Ballots: each acknowledged code exactly once, with its choices; ballots == spent tokens.
        stored = Counter(code for (code,) in db.execute("SELECT code FROM ballots WHERE meeting_id = ?", (meeting_id,)))
        choices: dict[str, dict[int, str]] = {}
        for code, plank, choice in db.execute("SELECT ballot_code, plank_id, choice FROM ballot_choices"):
            if plank in choices.setdefault(code, {}):
                problems.append(f"ballot {code} has two choices for plank {plank}")
            choices[code][plank] = choice
        for shown, (voter, chosen) in ledger.ballots.items():
            code = normalize_code(shown)
            if stored.get(code) != 1:
                problems.append(f"acknowledged ballot {shown} (voter {voter}) stored {stored.get(code, 0)} times")
                continue
            expected = {pid: (c or "abstain") for pid, c in chosen.items()}
            if choices.get(code) != expected:
                problems.append(f"ballot {shown}: stored {choices.get(code)}, cast {expected}")
        if set(choices) - set(stored):
            problems.append(f"choices without a ballot: {sorted(set(choices) - set(stored))[:5]}")
        spent = db.execute(
            "SELECT count(*) FROM ballot_tokens WHERE meeting_id = ? AND state = 'spent'", (meeting_id,)
        ).fetchone()[0]
        total = sum(stored.values())
        if total != spent:
            problems.append(f"{total} ballots but {spent} spent tokens")
        expected_total = len(ledger.ballots) + len(ledger.cast_unacknowledged)
        if total != expected_total:
            problems.append(
                f"{total} ballots stored; {len(ledger.ballots)} acknowledged + "
                f"{len(ledger.cast_unacknowledged)} cast but cut off = {expected_total}"
            )
        voters_acked = [v for v, _ in ledger.ballots.values()]
        if len(set(voters_acked)) != len(voters_acked) or set(voters_acked) & ledger.cast_unacknowledged:
            problems.append("a voter was acknowledged two ballots")
        live = db.execute(
            "SELECT signin_id, count(*) FROM ballot_tokens WHERE meeting_id = ? AND state != 'void' "
            "GROUP BY signin_id HAVING count(*) > 1",
            (meeting_id,),
        ).fetchall()
        if live:
            problems.append(f"sign-ins with two live tokens: {live[:5]}")

        # Sign-ins: each acknowledged one exactly once.
        per_key = Counter(
            key for (key,) in db.execute("SELECT person_key FROM signins WHERE meeting_id = ?", (meeting_id,))
        )
        member_of = {phone: mid for mid, phone in db.execute("SELECT id, phone FROM members WHERE name LIKE 'Voter %'")}
        for voter in ledger.signins:
            key = f"m:{member_of[voter_phone(voter)]}"
            if per_key.get(key) != 1:
                problems.append(f"acknowledged sign-in of voter {voter} stored {per_key.get(key, 0)} times")
        if any(n > 1 for n in per_key.values()):
            problems.append("a person signed in twice")

        # Texts: every acknowledged text stored once and its RSVP recorded exactly once.
        inbound = db.execute("SELECT provider_id, sender, body FROM sms_inbound").fetchall()
        by_sid = {pid: (sender, body) for pid, sender, body in inbound}
        for sid, (phone, body) in ledger.texts_webhook.items():
            if by_sid.get(sid) != (phone, body):
                problems.append(f"webhook text {sid} from {phone} ({body}) stored as {by_sid.get(sid)}")
        modem_rows = Counter((s, b) for pid, s, b in inbound if pid.startswith("gsm-"))
        if modem_rows != Counter(ledger.texts_modem):
            missing = Counter(ledger.texts_modem) - modem_rows
            extra = modem_rows - Counter(ledger.texts_modem)
            problems.append(f"modem texts: missing {list(missing.items())[:5]}, extra {list(extra.items())[:5]}")
        expected_rsvps: Counter[tuple[str, str, int]] = Counter()
        for phone, body in [*ledger.texts_modem, *ledger.texts_webhook.values()]:
            _, answer, guests = next(a for a in ANSWERS if a[0] == body)
            expected_rsvps[(phone, answer, guests)] += 1
        if any(n > 1 for n in expected_rsvps.values()):
            problems.append("the plan sent one (phone, answer) twice: the check would be blind")
        stored_rsvps = Counter(
            (phone, answer, guests)
            for phone, answer, guests in db.execute(
                "SELECT phone, answer, guests FROM rsvps WHERE meeting_id = ? AND source = 'sms'", (meeting_id,)
            )
        )
        if stored_rsvps != expected_rsvps:
            missing = expected_rsvps - stored_rsvps
            extra = stored_rsvps - expected_rsvps
            problems.append(f"RSVPs: missing {list(missing.items())[:5]}, duplicated/extra {list(extra.items())[:5]}")
        replies = Counter(
            key for (key,) in db.execute("SELECT dedupe_key FROM sms_outbound WHERE dedupe_key LIKE 'reply:%'")
        )
        if any(n > 1 for n in replies.values()):
            problems.append("a text was answered twice")
        signins_total = sum(per_key.values())
        rsvps_total = sum(stored_rsvps.values())
    finally:
        db.close()
    return Findings(total, spent, signins_total, len(inbound), rsvps_total, problems)


def audit_verify(layout: Layout) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "kiosk", "--config", str(layout.web_config), "audit", "verify"],
        cwd=layout.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
