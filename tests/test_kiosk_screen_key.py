"""Issue 12, item 7: only the kiosk's own screen receives button presses, and the kiosk answers only its own names.

The attack: ``GET /kiosk/events`` needed no credential, so any local process (or a page the screen's browser was
tricked into) received every Yes/No/Abstain press and could knock the screen off the buttons by opening streams.
Now the web process keeps a one-time key (0600) in the data folder, the screen unit starts Chromium at
``/kiosk/screen?key=...`` (the key handed over by systemd's LoadCredential), the page trades it for an HttpOnly
cookie, and the stream and the LED route refuse (403) anyone without that cookie. A foreign ``Host`` header is
refused (400) as on the organizer listener. The demo (simulated buttons) skips the key.
"""

from __future__ import annotations

import configparser
import os
import shlex
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from flask import Flask

from hardware.buttons import DEFAULT_BUTTON_PINS, DEFAULT_LED_PINS, ButtonName, SimulatedButtonPanel
from kiosk.config import Settings
from kiosk.install import SCREEN, Layout, render_units
from kiosk.tally import Tally
from kiosk.web.app import create_app
from kiosk.web.screen_key import COOKIE, ScreenKeys
from tests.conftest import CHROMIUM, LiveServer, member_id, stop_process


@pytest.fixture
def panel() -> Iterator[SimulatedButtonPanel]:
    p = SimulatedButtonPanel(DEFAULT_BUTTON_PINS, DEFAULT_LED_PINS, debounce_s=0.02)
    yield p
    p.close()


@pytest.fixture
def screen_app(tally: Tally, voting_meeting: str, tmp_path: Path, panel: SimulatedButtonPanel) -> Iterator[Flask]:
    """The kiosk app as ``kiosk serve`` makes it (not simulated), on a simulated panel we can press."""
    app = create_app(
        Settings(),
        tally,
        simulated=False,
        test_config={"TESTING": True},
        panel=panel,
        screen_keys=ScreenKeys(tmp_path / "data"),
    )
    yield app
    app.extensions["kiosk"].close()


def key_of(tmp_path: Path) -> str:
    return (tmp_path / "data" / "screen-key").read_text(encoding="ascii").strip()


def test_the_button_stream_is_the_screens_alone(screen_app: Flask, tmp_path: Path) -> None:
    key_file = tmp_path / "data" / "screen-key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    attacker = screen_app.test_client()
    assert attacker.get("/kiosk/events").status_code == 403  # before the fix: 200, every press
    attacker.set_cookie(COOKIE, "guessed", path="/kiosk/")
    assert attacker.get("/kiosk/events").status_code == 403
    assert attacker.post("/kiosk/panel/lit", json={"lit": ["yes"]}).status_code == 403
    assert attacker.get("/kiosk/screen?key=wrong").status_code == 403
    assert "not connected to the buttons" in attacker.get("/kiosk/screen?key=").get_data(as_text=True)

    key = key_of(tmp_path)
    screen = screen_app.test_client()
    response = screen.get(f"/kiosk/screen?key={key}")
    assert response.status_code == 303 and response.headers["Location"].endswith("/kiosk/")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    stream = screen.get("/kiosk/events", buffered=False)
    assert stream.status_code == 200 and stream.mimetype == "text/event-stream"
    stream.close()
    assert screen.post("/kiosk/panel/lit", json={"lit": ["yes"]}).status_code == 204

    # The key was spent: the next start of the screen gets a new one; the old one is refused.
    assert key_of(tmp_path) != key and (tmp_path / "data" / "screen-session").stat().st_mode & 0o777 == 0o600
    assert attacker.get(f"/kiosk/screen?key={key}").status_code == 403
    # A restarted web process keeps the screen (the cookie's hash is on disk) and the unspent key.
    restarted = ScreenKeys(tmp_path / "data")
    value = next(c.value for c in screen._cookies.values() if c.key == COOKIE)  # type: ignore[attr-defined]
    assert restarted.allows(value) and key_of(tmp_path) == restarted._key
    # A newer screen takes over; the older cookie no longer reads presses.
    newer = screen_app.test_client()
    assert newer.get(f"/kiosk/screen?key={key_of(tmp_path)}").status_code == 303
    assert screen.get("/kiosk/events").status_code == 403


def test_the_kiosk_answers_only_its_own_host_names(screen_app: Flask) -> None:
    client = screen_app.test_client()
    assert client.get("/kiosk/", headers={"Host": "attacker.example"}).status_code == 400  # DNS rebinding
    assert client.get("/kiosk/events", headers={"Host": "attacker.example:8080"}).status_code == 400
    assert client.get("/kiosk/", headers={"Host": "127.0.0.1:8080"}).status_code == 200
    assert client.get("/kiosk/", headers={"Host": "localhost"}).status_code == 200


def test_the_demo_needs_no_screen_key(client: Any) -> None:
    stream = client.get("/kiosk/events", buffered=False)
    assert stream.status_code == 200
    stream.close()


def test_a_second_local_client_gets_no_presses(
    screen_app: Flask, live_server_factory: Any, panel: SimulatedButtonPanel
) -> None:
    """Over a real socket, as a local process would try it: 403, and nothing of a press."""
    server: LiveServer = live_server_factory(screen_app)
    try:
        with urllib.request.urlopen(f"{server.url}/kiosk/events", timeout=5):
            pytest.fail("the stream opened without the screen's cookie")
    except urllib.error.HTTPError as exc:
        assert exc.code == 403
        panel.press(ButtonName.YES)
        assert b"press" not in exc.read()
        exc.close()
    request = urllib.request.Request(f"{server.url}/kiosk/", headers={"Host": "evil.example"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 400
    refused.value.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def unit_command(port: int, data: Path) -> str:
    """The screen unit's ExecStart shell script, as ``kiosk install`` writes it for this port and data folder."""
    base = Settings()
    from dataclasses import replace

    settings = replace(base, server=replace(base.server, port=port), kiosk=replace(base.kiosk, data_dir=str(data)))
    layout = Layout(root=Path("/"), data=PurePosixPath(data))
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.read_string(render_units(settings, layout)[SCREEN])
    assert unit["Service"]["LoadCredential"] == f"screen-key:{data}/screen-key"
    argv = shlex.split(unit["Service"]["ExecStart"])
    assert argv[:2] == ["/bin/sh", "-c"]
    return argv[2].replace("$$", "$")  # systemd's own escape for a literal $


@pytest.mark.browser
def test_the_real_screen_gets_presses(
    screen_app: Flask,
    live_server_factory: Any,
    browser: Any,
    tally: Tally,
    tmp_path: Path,
    panel: SimulatedButtonPanel,
) -> None:
    """Chromium started by the screen unit's own command line (cage left out, headless) gets the presses."""
    if not CHROMIUM.exists():
        pytest.skip("needs Chromium")
    server: LiveServer = live_server_factory(screen_app)
    port = int(server.url.rsplit(":", 1)[1])
    script = unit_command(port, tmp_path / "data")
    cage = next(word for word in shlex.split(script) if word.endswith("/cage"))
    assert f"exec {cage} -d -- " in script
    debug_port = free_port()
    script = script.replace(f"exec {cage} -d -- ", "exec ").replace("--ozone-platform=wayland ", "")
    script = script.replace(
        "--kiosk ",
        f"--kiosk --headless=new --no-sandbox --disable-gpu --remote-debugging-port={debug_port} ",
    ).replace(f"--user-data-dir={Layout().screen_home}/chromium", f"--user-data-dir={tmp_path / 'profile'}")
    credentials = tmp_path / "credentials"  # what LoadCredential= gives the unit: a private copy of the key file
    credentials.mkdir(mode=0o700)
    shutil.copy(tmp_path / "data" / "screen-key", credentials / "screen-key")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "CREDENTIALS_DIRECTORY": str(credentials),
    }
    proc = subprocess.Popen(["/bin/sh", "-c", script], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        screen = None
        while screen is None:
            try:
                screen = browser.browser_type.connect_over_cdp(f"http://127.0.0.1:{debug_port}")
            except Exception:
                assert time.monotonic() < deadline and proc.poll() is None, "Chromium did not start"
                time.sleep(0.2)
        from playwright.sync_api import expect

        page = next(p for c in screen.contexts for p in c.pages if "/kiosk" in p.url or p.url != "about:blank")
        page.set_default_timeout(8000)
        page.wait_for_url(f"{server.url}/kiosk/")  # the key was traded for the cookie, and left out of the URL
        expect(page.locator("body")).to_have_attribute("data-stream", "open")
        signin = tally.sign_in_member("GA12", member_id(tally, "GA12", "Keisha"))
        page.goto(f"{server.url}/kiosk/token")
        page.wait_for_selector("body[data-ready]", state="attached")
        page.keyboard.type(f"{signin.token}\n")
        expect(page.locator("body")).to_have_attribute("data-screen", "ballot")
        expect(page.locator("body")).to_have_attribute("data-stream", "open")
        panel.press(ButtonName.YES)  # the physical Yes button
        expect(page.get_by_text("Your choice: Yes")).to_be_visible()
        screen.close()
    finally:
        stop_process(proc)
