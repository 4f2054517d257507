"""Server-side state of one kiosk screen: language, what was typed and found, the attendee's sign-in and token.

The browser holds only a random session id (a cookie); everything typed lives here, in memory, and is
forgotten when the screen is reset or has been idle for ``idle_seconds`` (the page also resets itself, with a
countdown; this is the server's half, so a screen that missed its reset still starts clean). Nothing here is
written to disk: a restart forgets every half-finished sign-in, which is what a kiosk should do.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiosk.tally import SignIn


@dataclass(frozen=True)
class Match:
    """One person a look-up found; the screen shows ``label`` and posts back only the match's index."""

    label: str
    member_id: int | None
    phone: str | None
    kind: str
    signed_in: bool


@dataclass
class KioskSession:
    lang: str
    last_seen: float
    search_by: str = "phone"
    query: str = ""
    matches: list[Match] = field(default_factory=list)
    signin: SignIn | None = None  # the attendee at this screen
    # Secrets below are kept out of the session's repr (a repr may reach a log).
    token: str | None = field(default=None, repr=False)  # shown once as the receipt would
    token_note: str | None = None  # why the token is shown: "new", "continued", "reprint"
    # The sign-in this screen session made: only it may continue or reprint without the receipt's code.
    own_signin: int | None = None
    prefill_phone: str = ""  # an RSVP'd number with no name: the walk-in form asks for the name
    ballot_token: str | None = field(default=None, repr=False)  # the token of the ballot open on this screen
    verification: str | None = field(default=None, repr=False)  # after casting

    def clear_lookup(self) -> None:
        self.query = ""
        self.matches = []


COOKIE = "kiosk_sid"  # the cookie holding a screen's session id (random; nothing else is in it)


class SessionStore:
    """Kiosk sessions by id, expired after ``idle_seconds`` without a request; at most ``capacity`` kept."""

    def __init__(
        self,
        *,
        idle_seconds: float,
        default_lang: str,
        capacity: int = 64,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.idle_seconds = idle_seconds
        self.default_lang = default_lang
        self.capacity = capacity
        self.clock = clock
        self._sessions: OrderedDict[str, KioskSession] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, sid: str | None) -> tuple[str, KioskSession]:
        """The live session for ``sid``, or a fresh one (with a new id) if it is unknown or expired."""
        now = self.clock()
        with self._lock:
            current = self._touch(sid, now)
            if current is not None:
                return sid, current  # type: ignore[return-value]
            if sid:
                self._sessions.pop(sid, None)
            new_sid = secrets.token_urlsafe(18)
            fresh = KioskSession(lang=self.default_lang, last_seen=now)
            self._sessions[new_sid] = fresh
            while len(self._sessions) > self.capacity:
                self._sessions.popitem(last=False)
            return new_sid, fresh

    def live(self, sid: str | None) -> KioskSession | None:
        """The live session for ``sid`` (kept alive like :meth:`get`), or None: never makes one."""
        now = self.clock()
        with self._lock:
            return self._touch(sid, now)

    def _touch(self, sid: str | None, now: float) -> KioskSession | None:
        """``sid``'s session if it has not expired, seen again at ``now``; the caller holds the lock."""
        current = self._sessions.get(sid) if sid else None
        if current is None or now - current.last_seen > self.idle_seconds:
            return None
        current.last_seen = now
        self._sessions.move_to_end(sid)  # type: ignore[arg-type]
        return current

    def last_used_at(self) -> float | None:
        """When (on ``clock``) any session was last seen, or None: the most recent one is kept last."""
        with self._lock:
            return next(reversed(self._sessions.values())).last_seen if self._sessions else None

    def reset(self, sid: str | None) -> None:
        with self._lock:
            if sid:
                self._sessions.pop(sid, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)
