"""The host names a listener answers to (Flask's ``TRUSTED_HOSTS``): any other ``Host`` header gets 400.

Against DNS rebinding: a web page elsewhere that points its own name at 127.0.0.1 (or at the kiosk's LAN address)
would otherwise reach our pages from the attendee's or organizer's browser. Both listeners use this one rule:
the organizer app (``[organizer] trusted_hosts``, or the machine's own names) and the kiosk app (the machine's
own names, the address it listens on, and the host of ``[sms.twilio] public_url``, since Twilio's webhook is on it).
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

WILDCARDS = ("", "0.0.0.0", "::")


def own_host_names() -> list[str]:
    """This machine's names: loopback in its spellings, the host name and its mDNS ``.local`` name."""
    name = socket.gethostname()
    return ["localhost", "127.0.0.1", "::1", "[::1]", name, f"{name}.local"]


def host_names(configured: str = "", *, also: tuple[str | None, ...] = ()) -> list[str]:
    """``configured`` (comma-separated) if given, else :func:`own_host_names`; plus each non-wildcard ``also``
    entry, which may be a bare host or a URL (its host is taken)."""
    names = [h.strip() for h in configured.split(",") if h.strip()] or own_host_names()
    for extra in also:
        host = (urlsplit(extra).hostname if extra and "://" in extra else extra) or ""
        if host not in WILDCARDS and host not in names:
            names.append(f"[{host}]" if ":" in host else host)
    return names
