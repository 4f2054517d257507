"""The docs tell the truth: the `kiosk …` commands in README.md and docs/*.md run as written, and every setting
they show exists with the default they show (as Datasette tests its documentation).

The commands are taken from the fenced code blocks, in order (README.md, then docs/*.md by name), and run one
after another against a temporary data folder, as a reader following the pages would. `k` is pi-setup.md's
shortcut for the kiosk command. The files the examples name (members.csv, planks.csv, contests.csv, ...) are the
test fixtures; a file a block writes itself (a heredoc, a printf into /tmp) is written by the block's own line,
in a temporary folder instead of /tmp. Dates: the README's example meeting date becomes tomorrow, so the reply it
quotes is checked against a meeting still to come, whatever today is.
"""

from __future__ import annotations

import getpass
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kiosk import accounts, config
from kiosk.cli import main
from tests.conftest import FIXTURES, upcoming_starts

ROOT = Path(__file__).resolve().parents[1]
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

# Commands the docs show that this test does not run, each with its reason. Keep it short: every other command
# must run as written.
SKIPPED = {
    r"^kiosk serve\b": "runs until stopped, with the configured hardware (served in tests/test_cli.py and others)",
    r"^k doctor --online\b": "asks Twilio's API over the internet (tests/test_doctor.py uses a fake Twilio)",
}
PASSWORD = "a password typed twice"
README_DATE = re.compile(r"--starts (\d{4}-\d\d-\d\d)T(\d\d:\d\d)")


@dataclass(frozen=True)
class DocLine:
    """One statement of a code block: a `kiosk` command, or a line that writes a file later commands read."""

    doc: Path
    line: int
    text: str
    kind: str  # "kiosk" or "prepare"

    @property
    def where(self) -> str:
        return f"{self.doc.relative_to(ROOT)}:{self.line}"


def code_blocks(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number of the first line, lines) of every fenced code block."""
    lines = text.splitlines()
    inside, start, body = False, 0, []
    for n, line in enumerate(lines, start=1):
        if line.lstrip().startswith("```"):
            if inside:
                yield start, body
            inside, start, body = not inside, n + 1, []
        elif inside:
            body.append(line)


def doc_lines() -> list[DocLine]:
    found: list[DocLine] = []
    for doc in DOC_FILES:
        for start, body in code_blocks(doc.read_text(encoding="utf-8")):
            i = 0
            while i < len(body):
                line, n = body[i].strip(), start + i
                heredoc = re.search(r"<<'?(\w+)'?", line)
                if heredoc:  # the statement runs to the heredoc's end marker
                    end = next(j for j in range(i + 1, len(body)) if body[j].strip() == heredoc.group(1))
                    line, i = "\n".join(body[i : end + 1]), end
                first = line.split(maxsplit=1)[0] if line else ""
                if first in ("kiosk", "k"):
                    # `k audit verify && k meeting list`: two commands, run in turn
                    found += [DocLine(doc, n, part.strip(), "kiosk") for part in line.split(" && ")]
                elif re.search(r">\s*/tmp/", line.splitlines()[0] if line else ""):
                    found.append(DocLine(doc, n, line, "prepare"))
                i += 1
    return found


def skip_reason(command: str) -> str | None:
    return next((why for pattern, why in SKIPPED.items() if re.search(pattern, command)), None)


def shell_words(command: str, cwd: Path) -> list[str]:
    """The words a shell makes of the command: quotes, $(date ...) and comments as bash reads them."""
    rest = command.split(maxsplit=1)[1] if " " in command else ""
    done = subprocess.run(
        ["bash", "-c", f"printf '%s\\0' {rest}"], cwd=cwd, capture_output=True, text=True, timeout=10, check=True
    )
    return done.stdout.split("\0")[:-1]


def upcoming() -> datetime:
    """Tomorrow at 19:00 in the kiosk's default time zone: a meeting still to come, whatever today is."""
    return datetime.fromisoformat(upcoming_starts()).replace(tzinfo=ZoneInfo("America/Los_Angeles"))


def with_dates_to_come(command: str) -> str:
    return README_DATE.sub(f"--starts {upcoming():%Y-%m-%dT%H:%M}", command)


def with_real_hashes(command: str, work: Path) -> str:
    """organizer.md shortens the tally tape's hashes (3f2a...e9): the bundle's own, as the tape printed them."""
    if "..." not in command or not (work / "GA12-bundle.json").exists():
        return command
    bundle = json.loads((work / "GA12-bundle.json").read_text(encoding="utf-8"))
    command = re.sub(r"--tape-head \w+\.\.\.\w+", f"--tape-head {bundle['audit']['head']}", command)
    return re.sub(r"--ballots-hash \w+\.\.\.\w+", f"--ballots-hash {bundle['ballots_hash']}", command)


def with_real_backup(command: str, data: Path) -> str:
    """pi-setup.md restores a backup named by its date: the newest one the earlier `k backup` made."""
    example = re.search(r"/var/lib/assembly-kiosk/backups/tally-\d{8}-\d{6}\.db", command)
    if example is None:
        return command
    if not list((data / "backups").glob("tally-*.db")):
        assert main(["backup"]) == 0  # the nightly timer's backup, which the reader restores
    newest = max((data / "backups").glob("tally-*.db"), key=lambda p: p.stat().st_mtime)
    return command.replace(example.group(0), str(newest))


@pytest.fixture
def reader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder like a reader's: the files the examples name, and a configuration with a data folder in it."""
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(FIXTURES / "roster-messy.csv", work / "members.csv")
    shutil.copy(FIXTURES / "planks.csv", work / "planks.csv")
    shutil.copy(FIXTURES / "contests.csv", work / "contests.csv")
    titles = [line.split(",")[0] for line in (FIXTURES / "planks.csv").read_text().splitlines()[1:] if line]
    (work / "deck.csv").write_text(
        ",".join(titles) + "\n" + ",".join(["yes"] * len(titles)) + "\n" + ",".join(["no"] * len(titles)) + "\n"
    )
    rcv = FIXTURES / "rctab" / "generic_csv_test"
    shutil.copy(rcv / "generic_csv_test_config.json", work / "CONFIG.json")
    shutil.copy(rcv / "generic_csv_test_cvr.csv", work / "generic_csv_test_cvr.csv")
    (work / "kiosk.toml").write_text(f'[kiosk]\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    monkeypatch.chdir(work)
    monkeypatch.setenv("KIOSK_CONFIG", str(work / "kiosk.toml"))
    monkeypatch.delenv("KIOSK_DATABASE_URL", raising=False)
    # The terminal a reader types the organizer's password into (asked twice): the rest is the real command.
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": PASSWORD)
    return work


def make_bundle(work: Path) -> None:
    """The meeting bundle organizer.md verifies: what the set-up page's export gives, for the closed GA12."""
    from kiosk import export
    from kiosk.runtime import open_tally

    tally = open_tally(config.load_settings(str(work / "kiosk.toml")))
    bundle = export.meeting_bundle(tally, "GA12", exported_at=tally.clock())
    (work / "GA12-bundle.json").write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")


def readme_reply_quote() -> str:
    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    quoted = re.search(r'for the meeting created above: "([^"]+)"', text)
    assert quoted, "README.md's Texts section no longer quotes the reply to the example text"
    return quoted.group(1)


def test_every_command_in_the_docs_runs_as_written(reader: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = doc_lines()
    commands = [d for d in lines if d.kind == "kiosk"]
    ran, skipped, replied = [], [], []
    for doc_line in lines:
        command = with_dates_to_come(doc_line.text.replace("/tmp/", f"{reader}/"))
        command = with_real_backup(command, reader.parent / "data")
        if doc_line.kind == "prepare":
            done = subprocess.run(["bash", "-c", command], cwd=reader, capture_output=True, text=True, timeout=30)
            assert done.returncode == 0, f"{doc_line.where}: {command}\n{done.stderr}"
            continue
        why = skip_reason(command)
        if why:
            skipped.append(f"{doc_line.where}: {doc_line.text}  ({why})")
            continue
        if "GA12-bundle.json" in command and not (reader / "GA12-bundle.json").exists():
            make_bundle(reader)
        words = shell_words(with_real_hashes(command, reader), reader)
        code = main(words)
        out, err = capsys.readouterr()
        assert code == 0 and "unexpected error" not in err, f"{doc_line.where}: {doc_line.text}\n{out}\n{err}"
        if words[:2] == ["sms", "receive"] and doc_line.doc.name == "README.md":
            starts = upcoming()
            from sms.replies import format_when

            quote = readme_reply_quote()
            readme_when = README_DATE.search(doc_line.doc.read_text(encoding="utf-8"))
            assert readme_when
            shown = date.fromisoformat(readme_when.group(1))
            example = datetime.fromisoformat(f"{shown}T{readme_when.group(2)}").replace(tzinfo=starts.tzinfo)
            # The quote is true of the README's own date, and the reply is the quote for a meeting still to come.
            assert format_when(example, "en") in quote, (quote, example)
            assert out.strip() == quote.replace(format_when(example, "en"), format_when(starts, "en"))
            replied.append(out.strip())
        ran.append(doc_line.where)
    print(f"ran {len(ran)} of {len(commands)} doc commands; skipped:\n  " + "\n  ".join(skipped))
    assert len(ran) + len(skipped) == len(commands)
    assert len(replied) == 1, "README.md's example text was not run"
    assert len(commands) >= 40 and len(skipped) <= 4, "the docs lost their commands, or the test skips too many"


# --- settings ---------------------------------------------------------------------------------------------


def settings_by_name() -> dict[tuple[str, str], object]:
    return {(section, key): default for section, key, default, _ in config.documented_settings()}


def test_configuration_md_shows_every_setting_with_its_default() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `\[([\w.]+)\] (\w+)` \| `(.*?)` \|", doc, re.M)
    known = settings_by_name()
    assert {(s, k) for s, k, _ in rows} == set(known)
    for section, key, shown in rows:
        assert shown == config._toml_value(known[(section, key)]), f"[{section}] {key}: the docs show {shown}"
    template = re.search(r"```toml\n(.*?)```", doc.split("## The template", 1)[1], re.S)
    assert template and template.group(1) == config.template(), "docs/configuration.md's template is out of date"


def test_every_setting_the_docs_name_exists_with_the_default_they_give() -> None:
    known = settings_by_name()
    for doc in DOC_FILES:
        text = doc.read_text(encoding="utf-8")
        for section, key in re.findall(r"`\[([a-z.]+)\] ([a-z_]+)", text):
            assert (section, key) in known, f"{doc.name}: [{section}] {key} is not a setting"
        # "`[database] close_wait_s` (30 s)", "`[kiosk] idle_seconds` (60)": the number is the default.
        for section, key, number in re.findall(r"`\[([a-z.]+)\] ([a-z_]+)` \((\d+(?:\.\d+)?)(?: ?[a-z]+)?\)", text):
            assert float(number) == float(known[(section, key)]), f"{doc.name}: [{section}] {key} ({number})"  # type: ignore[arg-type]
        # toml blocks: each key is a setting of its section (the values are examples).
        for block in re.findall(r"```toml\n(.*?)```", text, re.S):
            section = None
            for line in block.splitlines():
                line = line.split("#", 1)[0].strip()
                header = re.fullmatch(r"\[([\w.]+)\]", line)
                if header:
                    section = header.group(1)
                elif "=" in line and section:
                    key = line.split("=", 1)[0].strip()
                    assert (section, key) in known, f"{doc.name}: [{section}] {key} in a toml block is not a setting"


def test_the_login_lock_is_as_organizer_md_says() -> None:
    doc = " ".join((ROOT / "docs" / "organizer.md").read_text(encoding="utf-8").split())
    assert "the first 2 failures are free; the third and each further failure locks" in doc
    assert [accounts.lock_seconds(n) for n in (1, 2, 3, 4, 5)] == [0, 0, 2, 4, 8]
    assert "up to 15 minutes" in doc and accounts.MAX_LOCK_S == 15 * 60


def test_the_restart_limits_are_as_pi_setup_md_says() -> None:
    doc = " ".join((ROOT / "docs" / "pi-setup.md").read_text(encoding="utf-8").split())
    units = ROOT / "systemd"

    def limit(unit: str) -> tuple[int, int]:
        text = (units / f"{unit}.service.in").read_text(encoding="utf-8")
        burst = re.search(r"^StartLimitBurst=(\d+)", text, re.M)
        interval = re.search(r"^StartLimitIntervalSec=(\d+)", text, re.M)
        assert burst and interval
        return int(burst.group(1)), int(interval.group(1)) // 60

    web, sms, screen = limit("assembly-kiosk-web"), limit("assembly-kiosk-sms"), limit("assembly-kiosk-screen")
    assert web == sms
    assert f"the web app or the SMS gateway after {web[0]} starts in {web[1]} minutes" in doc
    assert f"the screen (which restarts whenever it exits) after {screen[0]} starts in {screen[1]} minutes" in doc


def test_the_benchmarks_page_quotes_the_argon2_memory_used() -> None:
    doc = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    assert f"argon2id's memory cost ({accounts.ARGON2_MEMORY_KIB // 1024} MiB" in doc
    # Run times only as measured: the header's, repeated in the text, and no fixed estimate that drifts.
    run = re.search(r"Run: [^,]+, (.+), ([\d.]+ minutes)\.", doc)
    assert run and f"The run above ({run.group(1)}) took {run.group(2)}." in doc
    assert not re.search(r"\d+(–\d+)? minutes on 2 cores|about \d+ minutes", doc)


def test_what_a_reader_met_ends_in_a_clear_error(reader: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`kiosk organizer add` with no input and a printer URL that is not one: a sentence, not "unexpected error"."""
    done = subprocess.run(
        [sys.executable, "-m", "kiosk", "organizer", "add", "rosa"],
        cwd=reader,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        start_new_session=True,  # no terminal: getpass reads the (empty) input, as under a script or cron
    )
    assert done.returncode == 1 and "unexpected error" not in done.stderr
    assert "no password was typed" in done.stderr
    assert main(["printer", "test", "--url", "bogus:x"]) == 1
    err = capsys.readouterr().err
    assert "unexpected error" not in err and "bad printer URL 'bogus:x'" in err and "network:HOST" in err
