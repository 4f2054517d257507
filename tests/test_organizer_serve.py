"""`kiosk demo` runs two listeners: the kiosk app and the organizer app, each with only its own routes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def status(url: str, host: str | None = None) -> int:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def test_demo_serves_kiosk_and_organizer_apps_apart(tmp_path: Path) -> None:
    kiosk_port, organizer_port = free_port(), free_port()
    config = tmp_path / "kiosk.toml"
    config.write_text(f"[organizer]\nport = {organizer_port}\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env["KIOSK_CONFIG"] = str(config)
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "demo", "--port", str(kiosk_port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        organizer = f"http://127.0.0.1:{organizer_port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                assert status(f"{organizer}/organizer/login") == 200
                break
            except (OSError, AssertionError):
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.1)
        kiosk = f"http://127.0.0.1:{kiosk_port}"
        while True:  # the kiosk listener starts a moment after the organizer one
            try:
                assert status(f"{kiosk}/results/GA12.json") == 200
                break
            except OSError:
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.1)
        assert status(f"{kiosk}/organizer/login") == 404  # organizer pages only on their own listener
        assert status(f"{organizer}/results/GA12.json") == 404  # nothing of the kiosk on the organizer app
        assert status(f"{organizer}/organizer/") == 302  # to the login page
        assert status(f"{organizer}/organizer/login", host="attacker.example") == 400  # DNS rebinding
        assert (tmp_path / "data" / "organizer-secret").stat().st_mode & 0o077 == 0
    finally:
        proc.terminate()
        proc.communicate(timeout=20)
