"""The page the Pi's screen opens: `kiosk install`'s screen unit and Chromium policy, loaded in Chromium.

Installed into a temporary root (as tests/test_install.py does), with a configuration whose web app listens on
a free port; the real `kiosk serve` then runs with that same configuration, and headless Chromium loads exactly
the URL the installed unit passes to Chromium (and the policy's home page) and must find the attendee's welcome
screen, not the meetings list that ``/`` serves.
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path, PurePosixPath

import pytest
from playwright.sync_api import Page, expect

from kiosk.config import load_settings
from kiosk.install import SCREEN, Layout, run
from kiosk.runtime import open_tally
from kiosk.tally import MeetingState
from tests.conftest import stop_process, upcoming_starts

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
KIOSK = PurePosixPath(sys.prefix) / "bin" / "kiosk"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def installed_screen_urls(root: Path) -> tuple[str, dict[str, object]]:
    """The URL the installed screen unit gives Chromium (its last argument), and the installed policy.

    The unit runs Chromium from ``/bin/sh -c '…'`` so that the screen key (systemd's LoadCredential) can be read
    into the URL: Chromium's last argument is ``URL + "screen?key=$(cat …)"``; the key part is cut off here."""
    unit = (root / "etc/systemd/system" / SCREEN).read_text(encoding="utf-8").replace("$$", "$")
    exec_start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    argv = shlex.split(exec_start.removeprefix("ExecStart="))
    assert argv[:2] == ["/bin/sh", "-c"], argv
    last = shlex.split(argv[2], posix=True)[-1]
    url, sep, key = last.partition("screen?key=")
    assert sep and key.startswith("$(cat "), last
    policy = json.loads((root / "etc/chromium/policies/managed/assembly-kiosk.json").read_text(encoding="utf-8"))
    return url, policy


def wait_for_web(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"kiosk serve did not answer at {url}:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.1)


@pytest.mark.timeout(150)
def test_installed_screen_opens_the_attendee_welcome_screen(tmp_path: Path, page: Page) -> None:
    root, data, port, organizer_port = tmp_path / "root", tmp_path / "data", free_port(), free_port()
    config = root / "etc/assembly-kiosk/kiosk.toml"
    config.parent.mkdir(parents=True)
    # The installed template with this test's data folder and port; buttons and printer simulated (no Pi here).
    config.write_text(
        f'[organization]\nname = "Screen Test Assembly"\n[kiosk]\ndata_dir = "{data}"\n[server]\nport = {port}\n'
        f"[organizer]\nport = {organizer_port}\n"
        '[hardware]\nbuttons = "simulated"\n[printer]\nurl = "console"\n',
        encoding="utf-8",
    )
    run(Layout(root=root, kiosk_exe=KIOSK), systemctl=False)
    url, policy = installed_screen_urls(root)

    # The unit, Chromium's start-up page, home page and new-tab page are one URL, which the allowlist lets through.
    assert url == f"http://127.0.0.1:{port}/kiosk/"
    assert policy["RestoreOnStartupURLs"] == [url]
    assert policy["HomepageLocation"] == url and policy["NewTabPageLocation"] == url
    assert any(url.startswith(allowed + "/") for allowed in policy["URLAllowlist"])  # type: ignore[union-attr]

    # A meeting open for sign-in, as on the night.
    settings = load_settings(config, env={})
    tally = open_tally(settings)
    starts = upcoming_starts(settings.organization.timezone)
    tally.create_meeting(code="GA1", title="Screen Check", starts=starts, place="Hall", quorum="1", actor="test")
    tally.set_state("GA1", MeetingState.SIGNIN_OPEN, actor="test")
    tally.engine.dispose()

    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env["PYTHONPATH"] = str(ROOT)
    log = tmp_path / "web.log"
    with open(log, "wb") as out:
        web = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "--config", str(config), "serve"],
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_web(url, web, log)
        # Generous waits: what is checked is which page the URL shows, not how fast (start-up on a busy machine).
        # As the unit does: the key the web process wrote, traded for the screen's cookie, then the welcome screen.
        key = (data / "screen-key").read_text(encoding="utf-8").strip()
        page.goto(f"{url}screen?key={key}", timeout=30000)
        expect(page.locator("body")).to_have_attribute("data-screen", "welcome", timeout=15000)
        expect(page.locator("h1")).to_have_text("Welcome")
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
        assert page.url == url
    finally:
        stop_process(web)
