"""The screen's Chromium, started with the screen unit's own flags (kiosk/screen_browser.py), runs one renderer
for the one page: nothing of its own (the address bar's suggestion popup, which Chromium 156 preloads as pages of
its own in a second renderer, about 43 MB) comes up beside the kiosk page. Headless here, as the memory bench runs
it; the Pi adds only the Wayland flag."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from kiosk.screen_browser import DISPLAY_ONLY_FLAGS, SCREEN_CHROMIUM_FLAGS
from tests.conftest import CHROMIUM, stop_process
from tests.test_demo_start import free_port

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")]

PAGE = "data:text/html,<title>kiosk</title><p>The kiosk page</p>"


def targets(port: int) -> list[dict[str, str]]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as answer:
        return list(json.load(answer))


def renderers(browser_pid: int) -> list[str]:
    """The command lines of the renderer processes below ``browser_pid``."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
            stat = (cmdline.parent / "stat").read_text()
        except OSError:
            continue
        if "--type=renderer" in text and str(browser_pid) in _ancestors(stat):
            found.append(text)
    return found


def _ancestors(stat: str) -> list[str]:
    chain = []
    ppid = stat.rsplit(")", 1)[1].split()[1]
    while ppid not in ("0", "1"):
        chain.append(ppid)
        try:
            ppid = Path(f"/proc/{ppid}/stat").read_text().rsplit(")", 1)[1].split()[1]
        except OSError:
            break
    return chain


def test_the_screen_flags_give_the_kiosk_page_the_only_renderer(tmp_path: Path) -> None:
    port = free_port()
    flags = [f for f in SCREEN_CHROMIUM_FLAGS if f not in DISPLAY_ONLY_FLAGS]
    sandbox = ["--no-sandbox"] if os.geteuid() == 0 else []  # the screen runs as its own user, not root
    browser = subprocess.Popen(
        [
            str(CHROMIUM),
            "--headless",
            *sandbox,
            "--window-size=800,480",
            *flags,
            f"--remote-debugging-port={port}",
            f"--user-data-dir={tmp_path / 'chromium'}",
            PAGE,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        pages: list[dict[str, str]] = []
        while time.monotonic() < deadline:
            try:
                pages = targets(port)
            except OSError:
                pages = []
            if any(p.get("title") == "kiosk" for p in pages):
                break
            time.sleep(0.1)
        assert any(p.get("title") == "kiosk" for p in pages), pages
        time.sleep(2.0)  # Chromium preloads its own pages within a second of starting (0.3 s measured)
        pages = targets(port)
        assert [p["url"] for p in pages] == [PAGE], [(p["type"], p["url"]) for p in pages]
        assert len(renderers(browser.pid)) == 1
    finally:
        stop_process(browser)
        shutil.rmtree(tmp_path / "chromium", ignore_errors=True)
