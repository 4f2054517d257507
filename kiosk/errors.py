"""The one exception root of Assembly Kiosk; each failure a person can cause or fix has its own subclass.

Messages are plain words for the person who sees them (an organizer at the CLI, an attendee's screen via the
web layer's translation), never a traceback.
"""

from __future__ import annotations


class KioskError(Exception):
    """Anything the kiosk reports to a person in one line."""


class ConfigError(KioskError, ValueError):
    """The configuration file or an option is wrong; the message names the file and the key."""


class NotFound(KioskError, LookupError):
    """A meeting, person, plank or ballot that does not exist."""


class InvalidInput(KioskError, ValueError):
    """Input that cannot be used as given (a bad phone number, an unknown threshold, ...)."""


class StateError(KioskError):
    """The action is not allowed in the meeting's current state (e.g. voting before voting opens)."""


class TokenRejected(KioskError):
    """A ballot token that cannot be spent; ``reason`` says why: unknown, spent, void, other_meeting, closed."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class DatabaseError(KioskError):
    """The database cannot be reached or written; nothing was half-written."""
