"""systemd's readiness and watchdog notifications (sd_notify), written out so no dependency is needed.

A service started with ``Type=notify`` gets ``NOTIFY_SOCKET`` (a unix datagram socket; a leading ``@`` means the
abstract namespace). Outside systemd the variable is unset and every call is a no-op that returns False.
"""

from __future__ import annotations

import os
import socket


def notify(state: str, *, environ: dict[str, str] | None = None) -> bool:
    """Send ``state`` (e.g. ``READY=1``, ``WATCHDOG=1``, ``STATUS=...``); True when systemd was told."""
    address = (os.environ if environ is None else environ).get("NOTIFY_SOCKET", "")
    if not address or address[0] not in "/@":
        return False
    if address[0] == "@":
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(state.encode("utf-8"))
    except OSError:  # a notification that cannot be delivered must never stop the service
        return False
    return True
