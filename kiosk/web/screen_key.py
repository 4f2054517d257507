"""Only the kiosk's own screen receives button presses: a one-time key, exchanged for an HttpOnly cookie.

Button presses reach the page over ``GET /kiosk/events``. Without a credential any local process could open that
stream, read every Yes/No/Abstain press (the ballot, press by press) and, by opening streams, knock the screen off
the buttons. So (issue 12):

* The web process keeps a **one-time key** in ``<data_dir>/screen-key`` (mode 0600, owned by the service user).
* The screen unit (``assembly-kiosk-screen.service``, written by ``kiosk install``) has systemd hand it that file
  (``LoadCredential=``: read by the service manager, visible only to the screen's user) and starts Chromium at
  ``/kiosk/screen?key=KEY``.
* That page exchanges the key for a random **screen cookie** (HttpOnly, SameSite=Strict) and redirects to
  ``/kiosk/``. The key is then spent: a new one is written for the screen's next start, and only the newest screen
  cookie is valid (its hash is kept in ``<data_dir>/screen-session``, 0600, so a web restart keeps the screen).
* ``/kiosk/events`` and ``/kiosk/panel/lit`` answer 403 without the cookie.

Residual risk, written in docs/threat-model: Chromium's command line (and so the key) is readable in ``/proc`` by
local processes for the moment before Chromium uses it. A process that wins that race gets the buttons, and the
screen's own exchange then fails loudly ("this screen is not connected to the buttons"), which the organizer sees;
restarting the screen unit takes them back. The demo (``kiosk demo``, simulated buttons) does not use this.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
from pathlib import Path

KEY_FILE = "screen-key"
SESSION_FILE = "screen-session"
COOKIE = "kiosk_screen"


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, readable by this user only (0600 from the first byte)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii").strip()
    except (FileNotFoundError, UnicodeDecodeError):
        return ""


def _digest(cookie: str) -> str:
    return hashlib.sha256(cookie.encode("utf-8", "replace")).hexdigest()


class ScreenKeys:
    """The one-time key for the screen's start and the hash of the screen cookie now valid (see module doc)."""

    def __init__(self, data_dir: Path) -> None:
        self.key_path = Path(data_dir) / KEY_FILE
        self.session_path = Path(data_dir) / SESSION_FILE
        self._lock = threading.Lock()
        # An unspent key from the last run is kept: the screen unit may already have loaded it.
        self._key = _read(self.key_path)
        if len(self._key) < 32:
            self._key = self._new_key()
        self._session = _read(self.session_path)

    def _new_key(self) -> str:
        key = secrets.token_urlsafe(32)
        _write_private(self.key_path, key + "\n")
        return key

    def exchange(self, key: str) -> str | None:
        """The screen cookie for the current one-time key (which is then spent), or None for any other key."""
        with self._lock:
            if not key or not hmac.compare_digest(key.encode("utf-8", "replace"), self._key.encode()):
                return None
            cookie = secrets.token_urlsafe(32)
            self._session = _digest(cookie)
            _write_private(self.session_path, self._session + "\n")
            self._key = self._new_key()
            return cookie

    def allows(self, cookie: str | None) -> bool:
        """True for the newest screen cookie only."""
        with self._lock:
            session = self._session
        return bool(cookie and session) and hmac.compare_digest(_digest(cookie or ""), session)
