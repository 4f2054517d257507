"""sd_notify over a real unix datagram socket, and the SMS gateway's READY=1 and watchdog pings."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from kiosk.config import parse_settings
from kiosk.runtime import open_tally
from kiosk.sdnotify import notify
from sms.backends import ConsoleBackend
from sms.daemon import run_gateway


@pytest.fixture
def notify_socket(tmp_path: Path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = tmp_path / "notify"
    sock.bind(str(path))
    sock.settimeout(5)
    yield sock, str(path)
    sock.close()


def test_notify_sends_datagrams_and_is_silent_outside_systemd(notify_socket) -> None:
    sock, path = notify_socket
    assert notify("READY=1", environ={"NOTIFY_SOCKET": path})
    assert sock.recv(4096) == b"READY=1"
    assert not notify("READY=1", environ={})
    assert not notify("READY=1", environ={"NOTIFY_SOCKET": "relative/path"})
    assert not notify("READY=1", environ={"NOTIFY_SOCKET": path + "-gone"})  # never raises


def test_abstract_namespace_socket() -> None:
    name = f"assembly-kiosk-test-{threading.get_ident()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(5)
        assert notify("WATCHDOG=1", environ={"NOTIFY_SOCKET": "@" + name})
        assert sock.recv(4096) == b"WATCHDOG=1"


def test_gateway_says_ready_then_pings_the_watchdog(
    notify_socket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sock, path = notify_socket
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    settings = parse_settings(f'[kiosk]\ndata_dir = "{tmp_path / "data"}"\n', "test.toml")
    tally = open_tally(settings)
    stop = threading.Event()
    thread = threading.Thread(
        target=run_gateway, args=(settings, tally, ConsoleBackend()), kwargs={"stop": stop, "poll_interval": 0.05}
    )
    thread.start()
    try:
        got = [sock.recv(4096) for _ in range(4)]
    finally:
        stop.set()
        thread.join(timeout=10)
        tally.engine.dispose()
    assert got[0] == b"READY=1"
    assert set(got[1:]) == {b"WATCHDOG=1"}
    assert not thread.is_alive()
