"""The `kiosk` command end to end: each subcommand, JSON/CSV output, one-line errors, the demo server."""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from kiosk.cli import main
from tests.conftest import FIXTURES

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def kiosk(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    monkeypatch.setenv("KIOSK_DATABASE_URL", db_url)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def setup_meeting(kiosk) -> None:  # type: ignore[no-untyped-def]
    assert kiosk("init")[0] == 0
    assert kiosk("roster", "import", str(FIXTURES / "roster-messy.csv"))[0] == 0
    assert (
        kiosk(
            "meeting",
            "create",
            "--code",
            "GA12",
            "--title",
            "General Assembly",
            "--starts",
            "2026-12-03T19:00",
            "--quorum",
            "20%",
            "--place",
            "Hall",
        )[0]
        == 0
    )
    assert kiosk("planks", "import", "GA12", str(FIXTURES / "planks.csv"))[0] == 0


def test_full_cli_flow(kiosk, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    setup_meeting(kiosk)
    code, out, _ = kiosk("meeting", "list")
    assert "GA12" in out and "draft" in out
    assert kiosk("meeting", "open-signin", "GA12")[1].strip() == "meeting GA12 is now signin_open"
    assert kiosk("meeting", "open-voting", "GA12")[0] == 0
    code, out, _ = kiosk("results", "GA12", "--json")
    results = json.loads(out)
    assert results["meeting"] == "GA12" and results["quorum"] == {"required": 5, "present": 0, "met": False}
    assert {"ballots_issued", "ballots_cast", "planks"} <= results.keys()
    assert set(results["planks"][0]) >= {"title", "threshold", "yes", "no", "abstain", "passed"}
    code, out, _ = kiosk("results", "GA12", "--csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 6 and rows[1]["plank"] == "No corporate money" and rows[1]["threshold"] == "two-thirds"
    code, out, _ = kiosk("meeting", "show", "GA12", "--json")
    assert json.loads(out)["place"] == "Hall"
    code, out, _ = kiosk("rsvps", "GA12", "--json")
    assert json.loads(out) == []
    code, out, _ = kiosk("audit", "verify")
    # 5 entries of set-up and state changes, and the three exports above (results twice, RSVPs): audited.
    assert code == 0 and out.startswith("audit log OK: 8 entries")
    assert kiosk("meeting", "close", "GA12")[0] == 0
    code, _, err = kiosk("meeting", "open-voting", "GA12")
    assert code == 1 and err.strip() == "kiosk: error: meeting GA12 is closed; a closed meeting cannot be reopened"


def test_rsvps_json_shape(kiosk) -> None:  # type: ignore[no-untyped-def]
    setup_meeting(kiosk)
    from kiosk.config import load_settings
    from kiosk.runtime import open_tally

    tally = open_tally(load_settings())
    tally.record_rsvp("GA12", phone="5105550101", answer="yes", guests=2)
    tally.record_rsvp("GA12", phone="4155550199", answer="maybe")
    tally.engine.dispose()
    _code, out, _ = kiosk("rsvps", "GA12", "--json")
    assert json.loads(out) == [
        {"phone": "+15105550101", "name": "Ana Ramírez", "answer": "yes", "guests": 2, "source": "sms"},
        {"phone": "+14155550199", "name": None, "answer": "maybe", "guests": 0, "source": "sms"},
    ]


def test_test_deck_never_touches_the_real_meeting(kiosk, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    setup_meeting(kiosk)
    deck = tmp_path / "deck.csv"
    deck.write_text(
        "Rent control and just-cause eviction,No corporate money,Public bank\n"
        "yes,yes,no\nyes,no,\nno,yes,abstain\nyes,yes,yes\n"
    )
    code, out, err = kiosk("test-deck", "GA12", str(deck), "--json")
    assert code == 0, err
    results = json.loads(out)
    by_title = {p["title"]: p for p in results["planks"]}
    assert results["ballots_cast"] == 4
    assert (
        by_title["Rent control and just-cause eviction"]["yes"],
        by_title["Rent control and just-cause eviction"]["no"],
    ) == (3, 1)
    assert by_title["No corporate money"]["passed"] is True  # 3 of 4: at least two thirds
    assert (by_title["Public bank"]["yes"], by_title["Public bank"]["no"], by_title["Public bank"]["abstain"]) == (
        1,
        1,
        2,
    )
    assert by_title["Participatory budgeting"]["abstain"] == 4  # not in the deck: blank
    real = json.loads(kiosk("results", "GA12", "--json")[1])
    assert real["ballots_cast"] == 0 and real["state"] == "draft"
    bad = tmp_path / "bad.csv"
    bad.write_text("Not a plank\nyes\n")
    code, _, err = kiosk("test-deck", "GA12", str(bad), "--json")
    assert code == 1 and "is not a plank title" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["results", "NOPE"], "kiosk: error: no meeting with code 'NOPE'"),
        (["roster", "import", "missing.csv"], "kiosk: error: missing.csv: file not found"),
        (["meeting", "create", "--code", "GA1", "--title", "x", "--starts", "soon"], "is not a date and time"),
        (["--config", "nope.toml", "init"], "nope.toml: configuration file not found"),
    ],
)
def test_errors_are_one_line(kiosk, argv: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    code, _out, err = kiosk(*argv)
    assert code == 1 and message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_non_utf8_csv_is_a_clear_error(kiosk, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    kiosk("init")
    path = tmp_path / "latin1.csv"
    path.write_bytes("name\nJosé\n".encode("latin-1"))
    code, _, err = kiosk("roster", "import", str(path))
    assert code == 1 and "not UTF-8" in err


def test_help_on_every_command() -> None:
    for argv in [
        [],
        ["roster", "import"],
        ["meeting", "create"],
        ["results"],
        ["test-deck"],
        ["audit", "verify"],
        ["demo"],
        ["serve"],
        ["planks", "import"],
        ["rsvps"],
        ["init"],
        ["config", "template"],
    ]:
        proc = subprocess.run(
            [sys.executable, "-m", "kiosk", *argv, "--help"], capture_output=True, text=True, cwd=ROOT, timeout=30
        )
        assert proc.returncode == 0 and "usage: kiosk" in proc.stdout, argv


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_serves_the_seeded_meeting(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "demo", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in line
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/results/GA12.json", timeout=5) as response:
                    results = json.load(response)
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert results["meeting"] == "GA12" and len(results["planks"]) == 6
        assert (tmp_path / "data" / "tally.db").exists()
    finally:
        proc.terminate()
        proc.communicate(timeout=20)
