"""The demo as a first user starts it: run twice, started over with --reset, a busy port, and who is on the roster."""

from __future__ import annotations

import os
import queue
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.config import Settings
from kiosk.demo import reset_demo_database
from kiosk.errors import KioskError
from tests.conftest import FIXTURES, upcoming_starts


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Demo:
    """`kiosk demo` in a subprocess, its output read line by line on a thread (so a read never hangs the test)."""

    def __init__(self, cwd: Path, *args: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "demo", *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def wait_for(self, pattern: str, timeout: float = 30.0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while True:
            for line in self.seen:
                found = re.search(pattern, line)
                if found:
                    return found
            try:
                self.seen.append(self.lines.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                raise AssertionError(f"{pattern!r} not printed; got:\n{''.join(self.seen)}") from None

    def output(self) -> str:
        return "".join(self.seen)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
        code = self.proc.wait(timeout=20)
        self.reader.join(timeout=10)  # it ends at the pipe's end of file
        if self.proc.stdout is not None and not self.reader.is_alive():
            self.proc.stdout.close()
        return code


@pytest.fixture
def demos() -> Iterator[list[Demo]]:
    started: list[Demo] = []
    yield started
    for demo in started:
        demo.stop()


def test_demo_run_again_says_how_to_get_in_and_reset_starts_over(tmp_path: Path, demos: list[Demo]) -> None:
    ports = ["--port", str(free_port()), "--organizer-port", str(free_port())]
    first = Demo(tmp_path, *ports)
    demos.append(first)
    password = first.wait_for(r"organizer login: demo / (\S+)").group(1)
    # The roster's first names and phones, so a first user knows whom to sign in as.
    first.wait_for(r"demo roster")
    first.wait_for(r"organizer pages: http://127.0.0.1:\d+/organizer/")
    banner = first.output()
    assert "Ana 510-555-0101" in banner and "Marcus 510-555-0102" in banner
    assert "Patrick 510-555-0105, lapsed" in banner
    assert first.stop() in (0, -15)

    again = Demo(tmp_path, *ports)
    demos.append(again)
    again.wait_for(r"organizer login: demo, with the password printed when this demo database was made")
    again.wait_for(r"`scripts/demo --reset` starts over")
    assert "an account exists" not in again.output() and password not in again.output()
    again.stop()

    fresh = Demo(tmp_path, *ports, "--reset")
    demos.append(fresh)
    fresh.wait_for(r"demo reset: deleted .*tally\.db")
    new_password = fresh.wait_for(r"organizer login: demo / (\S+)").group(1)
    assert new_password != password
    fresh.wait_for(r"organizer pages:")
    fresh.stop()


def test_reset_refuses_a_database_the_demo_did_not_make(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    monkeypatch.delenv("KIOSK_DATABASE_URL", raising=False)
    # A real meeting, even one coded GA12 like the demo's, made by an organizer: never deleted by --reset.
    assert main(["meeting", "create", "--code", "GA12", "--title", "Real", "--starts", upcoming_starts()]) == 0
    db_file = tmp_path / "data" / "tally.db"
    before = db_file.read_bytes()
    with pytest.raises(KioskError, match=r"holds meetings the demo did not create \(GA12\)"):
        reset_demo_database(Settings())
    assert db_file.read_bytes() == before
    capsys.readouterr()
    assert main(["demo", "--reset", "--port", str(free_port()), "--organizer-port", str(free_port())]) == 1
    assert "not a demo database, so it is not deleted" in capsys.readouterr().err
    assert db_file.exists()


def test_a_busy_port_names_the_option_that_moves_it(tmp_path: Path, demos: list[Demo]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        organizer_busy = Demo(tmp_path, "--port", str(free_port()), "--organizer-port", str(taken))
        demos.append(organizer_busy)
        organizer_busy.wait_for(rf"port {taken} on 127.0.0.1 is already in use; choose another with --organizer-port")
        organizer_busy.stop()
        kiosk_busy = Demo(tmp_path, "--port", str(taken), "--organizer-port", str(free_port()))
        demos.append(kiosk_busy)
        kiosk_busy.wait_for(rf"port {taken} on 127.0.0.1 is already in use; choose another with --port\b")
        assert kiosk_busy.proc.wait(timeout=20) == 1
    # `kiosk serve` takes the option too.
    from kiosk.cli import build_parser

    args = build_parser().parse_args(["serve", "--organizer-port", "9191"])
    assert args.organizer_port == 9191


def test_people_lists_the_roster_with_masked_phones_and_who_signed_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    monkeypatch.setenv("KIOSK_DATABASE_URL", f"sqlite:///{tmp_path / 'tally.db'}")
    assert main(["people"]) == 0
    assert "nobody on the roster yet" in capsys.readouterr().out
    assert main(["roster", "import", str(FIXTURES / "roster-messy.csv")]) == 0
    assert main(["meeting", "create", "--code", "GA12", "--title", "GA", "--starts", upcoming_starts()]) == 0
    assert main(["meeting", "open-signin", "GA12"]) == 0
    from kiosk.config import load_settings
    from kiosk.runtime import open_tally

    tally = open_tally(load_settings(None))
    ana = tally.find_people("GA12", "ana")[0]
    assert ana.member_id is not None
    tally.sign_in_member("GA12", ana.member_id)
    capsys.readouterr()

    assert main(["people", "--meeting", "GA12"]) == 0
    out = capsys.readouterr().out
    ana_line = next(line for line in out.splitlines() if line.startswith("Ana"))
    assert "•••-•••-0101" in ana_line and "member" in ana_line and ana_line.endswith("  signed in")
    assert "5550101" not in out and "555-0101" not in out  # masked: only the last four digits show
    marcus = next(line for line in out.splitlines() if line.startswith("Marcus"))
    assert marcus.endswith("not signed in")
    assert re.search(r"\d+ on the roster; signed in at GA12: 1$", out.strip())
    # Without --meeting: the one open meeting.
    assert main(["people"]) == 0
    assert "signed in at GA12: 1" in capsys.readouterr().out
    assert main(["people", "--json"]) == 0
    assert '"signed_in": true' in capsys.readouterr().out
