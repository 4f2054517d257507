"""Issue 12, item 2: the log never links a name to a ballot.

The attack: run the real ``kiosk serve`` (default settings, so the ``console`` printer) for a 30-member meeting,
sign in and vote 30 times over HTTP as attendees would, then search everything the process wrote (stdout,
stderr, and a file printer's output is not a log) for every ballot token, every verification code, and every
attendee's name. Before the fix, the console printer logged each sign-in receipt ("Welcome, Priya J.") followed
by the ballot receipt with its code: 30 of 30 codes were found. Now: 0 tokens, 0 codes, 0 names, for every
printer backend (console, file, network, usb, none).
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from kiosk import db
from kiosk.tally import MeetingState, Tally
from tests.conftest import upcoming_starts
from tests.printer_emulator import PrinterEmulator

MEMBERS = 30
SURNAMES = [f"Zq{chr(97 + i // 26)}{chr(97 + i % 26)}ovich" for i in range(MEMBERS)]  # each found by its own name
FIRST = ["Priya", "José", "Ana", "Wei", "Fatima", "Tomás"]
# Contest candidates with names found nowhere else: a ranking (or a receipt showing one) in the log would show them.
CANDIDATES = ["Xochitl Qwertyson", "Bartholomew Zyxwvut", "Ingeborg Plkjhgf"]
CONTESTS = "contest,seats,candidate,no_endorsement\n" + "".join(
    f"{title},{seats},{name},\n" for title, seats in (("Treasurer", 1), ("Steering", 2)) for name in CANDIDATES
)


class BallotShape(NamedTuple):
    planks: list[int]
    contests: dict[int, list[int]]  # contest id -> candidate ids in ballot order


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def roster() -> str:
    lines = ["name,phone,email,status,joined"]
    for i, surname in enumerate(SURNAMES):
        lines.append(f"{FIRST[i % len(FIRST)]} {surname},+1510555{i:04d},,member,2020-01-01")
    return "\n".join(lines) + "\n"


def prepare(tmp_path: Path, printer_url: str) -> tuple[Path, BallotShape]:
    data = tmp_path / "data"
    data.mkdir()
    config = tmp_path / "kiosk.toml"
    config.write_text(
        f'[kiosk]\ndata_dir = "{data}"\n[printer]\nurl = "{printer_url}"\ntimeout_s = 1.0\n'
        f"[organizer]\nport = {free_port()}\n",
        encoding="utf-8",
    )
    engine = db.make_engine(f"sqlite:///{data / 'tally.db'}")
    db.upgrade(engine)
    tally = Tally(engine, region="US", timezone="America/Los_Angeles")
    tally.import_roster(roster())
    tally.create_meeting(code="GA12", title="General Assembly", starts=upcoming_starts(), quorum="20%")
    tally.import_planks("GA12", "title,text,threshold\nParks,More parks,majority\nRent,Rent control,majority\n")
    tally.import_contests("GA12", CONTESTS)
    # The most a receipt can say: choices and rankings printed (and, with the console printer, shown).
    tally.update_meeting("GA12", show_choices_on_receipt=True)
    tally.set_state("GA12", MeetingState.VOTING_OPEN)
    shape = BallotShape(
        [p.id for p in tally.planks("GA12")], {c.id: [x.id for x in c.candidates] for c in tally.contests("GA12")}
    )
    engine.dispose()
    return config, shape


class Attendee:
    """One person at the kiosk: their own browser session (cookie), no redirects hidden from the test."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=10) as response:
            return str(response.read().decode())

    def post(self, path: str, form: dict[str, str]) -> str:
        body = urllib.parse.urlencode(form).encode()
        with self.opener.open(self.base + path, data=body, timeout=10) as response:
            return str(response.read().decode())


@pytest.fixture
def served(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[str, BallotShape, subprocess.Popen[str]]]:
    printer_url: str = request.param
    command, verbose = "serve", []
    if printer_url == "console -v":  # kiosk serve -v: debug logging, the most a log ever holds
        printer_url, verbose = "console", ["-v"]
    if printer_url == "demo":  # kiosk demo: the console printer with its on-screen preview page
        command, printer_url = "demo", "console"
    emulator = None
    if printer_url == "network":
        emulator = PrinterEmulator().__enter__()
        printer_url = emulator.url
    elif printer_url == "file":
        printer_url = f"file:{tmp_path / 'printer.bin'}"
    config, ballot = prepare(tmp_path, printer_url)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env["KIOSK_CONFIG"] = str(config)
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk", command, *verbose, "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2):
                    break
            except OSError:
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < deadline, "kiosk serve did not start"
                time.sleep(0.1)
        yield base, ballot, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.communicate(timeout=20)
        if emulator is not None:
            emulator.stop()


def vote_everyone(base: str, ballot: BallotShape) -> tuple[list[str], list[str], list[str]]:
    tokens, codes, names = [], [], []
    for i, surname in enumerate(SURNAMES):
        person = Attendee(base)
        person.get("/kiosk/")
        person.post("/kiosk/find", {"by": "name", "q": surname})
        html = person.post("/kiosk/signin", {"pick": "0"})
        token = re.search(r'id="receipt-token">([A-Z0-9-]+)<', html)
        assert token is not None, html
        tokens.append(token.group(1))
        names.append(f"{FIRST[i % len(FIRST)]} {surname[0]}.")
        person.post("/kiosk/vote", {})
        form = {f"choice-{plank}": ("yes", "no", "abstain")[(i + n) % 3] for n, plank in enumerate(ballot.planks)}
        for contest, candidates in ballot.contests.items():  # rotate who is ranked first; some rank nobody
            order = candidates[i % len(candidates) :] + candidates[: i % len(candidates)]
            form[f"rank-{contest}"] = "" if i % 7 == 0 else ",".join(str(c) for c in order[: 1 + i % 3])
        done = person.post("/kiosk/ballot/cast", form)
        code = re.search(r'id="verification">([A-Z0-9-]+)<', done)
        assert code is not None, done
        codes.append(code.group(1))
    return tokens, codes, names


def found(text: str, secrets: list[str]) -> int:
    bare = text.replace("-", "")
    return sum(1 for s in secrets if s in text or s.replace("-", "") in bare)


@pytest.mark.parametrize("served", ["console", "console -v", "file", "network", "usb:04b8:0e15", "none"], indirect=True)
def test_no_token_code_or_name_reaches_the_log(served: tuple[str, BallotShape, subprocess.Popen[str]]) -> None:
    base, ballot, proc = served
    tokens, codes, names = vote_everyone(base, ballot)
    assert len(set(tokens)) == len(set(codes)) == MEMBERS
    time.sleep(1.0)  # the print worker has handled (or failed) the receipts and logged what it logs
    proc.terminate()
    out, err = proc.communicate(timeout=20)
    log = out + err
    assert "print worker started" in log  # the process did log: the search below searched something
    if "-v" in proc.args:  # type: ignore[operator]
        assert "DEBUG" in log and "receipt was made" in log
    assert found(log, tokens) == 0, "ballot tokens in the log"
    assert found(log, codes) == 0, "verification codes in the log"
    assert sum(1 for n in names if n in log) == 0, "attendee names in the log"
    assert "Welcome" not in log and "Bienvenid" not in log  # no receipt text at all
    assert [c for c in CANDIDATES if c in log] == [], "contest candidates (a ranking) in the log"
    assert "rankings" not in log.lower() and "Treasurer" not in log


def test_redaction_filter_blanks_token_and_code_shapes(caplog: pytest.LogCaptureFixture) -> None:
    """The second line of defence: an exception's text or a URL that slipped into a log line is blanked."""
    import doctest
    import logging

    from kiosk import log_redaction

    assert doctest.testmod(log_redaction).failed == 0
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "cast %s at /verify?code=%s", ("ACD3-4EFG",), None)
    record.args = ("ACD3-4EFG", "uyuxajkgwx")
    try:
        raise ValueError("token acd34efg refused")
    except ValueError:
        record.exc_info = sys.exc_info()
    assert log_redaction.RedactSecrets().filter(record)
    assert "ACD3" not in record.getMessage() and "uyux" not in record.getMessage()
    assert "acd34efg" not in (record.exc_text or "") and "[redacted]" in (record.exc_text or "")


@pytest.mark.parametrize("served", ["demo"], indirect=True)
def test_the_demo_shows_receipts_on_screen_but_not_in_the_log(
    served: tuple[str, BallotShape, subprocess.Popen[str]],
) -> None:
    base, ballot, proc = served
    tokens, codes, names = vote_everyone(base, ballot)
    time.sleep(1.0)
    with urllib.request.urlopen(base + "/simulate/receipts", timeout=10) as response:
        preview = response.read().decode()
    squeezed = re.sub(r"\s+", "", preview)  # big text is spaced out letter by letter on the preview
    # The on-screen printer keeps the last 50 receipts: sign-in and ballot receipts of the last 25 attendees.
    assert sum(1 for c in codes if c in squeezed) == 25
    assert sum(1 for t in tokens if t in squeezed) == 25
    proc.terminate()
    out, err = proc.communicate(timeout=20)
    log = out + err
    assert "demo" in log
    assert found(log, tokens) == 0 and found(log, codes) == 0
    assert sum(1 for n in names if n in log) == 0
