"""The port every SMS backend implements (Twilio, GSM modem, console), its values, and the console backend.

A backend moves texts and nothing else: it never raises for provider errors on send (it classifies them into a
``SendStatus``), it hands inbound texts over with ``poll()`` and may forget one only after ``acknowledge()``
says the gateway has committed it. Storing, replying and retrying belong to the gateway.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable

log = logging.getLogger(__name__)


class SmsError(Exception):
    """Root of the SMS backends' own errors (configuration mistakes, not provider failures on send)."""


class SmsConfigError(SmsError, ValueError):
    """A backend was set up with values it cannot work with."""


class SmsInputError(SmsError, ValueError):
    """A caller passed a value the SMS code cannot use (a naive datetime, a webhook without a sender...)."""


class SendStatus(StrEnum):
    SENT = "sent"
    TRANSIENT = "transient"  # try again later: network down, rate limited, provider trouble
    PERMANENT = "permanent"  # never retry this text to this number: invalid, not mobile, refused
    OPTED_OUT = "opted_out"  # the recipient opted out at the carrier: record it, never retry
    # Handed over, then the line went quiet: it may have gone out. Never retried (a text goes at most once).
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class SendResult:
    status: SendStatus
    provider_id: str | None
    detail: str


@dataclass(frozen=True)
class InboundText:
    provider_id: str
    sender: str  # E.164
    body: str
    received_at: datetime  # timezone-aware
    # Why the body is not whole (a modem's PDU with user data shorter or longer than stated); None when sound.
    damage: str | None = None


@dataclass(frozen=True)
class Signal:
    """A modem's radio signal: ``+CSQ`` rssi (0-31), in dBm, and as 0-4 bars; None where unknown."""

    rssi: int
    dbm: int | None
    bars: int | None


@dataclass(frozen=True)
class IncompleteText:
    """A long text on the SIM still missing parts (held, never dropped)."""

    sender: str
    ref: int
    total: int
    have: tuple[int, ...]


@dataclass(frozen=True)
class SimStatus:
    """What a modem's SIM holds that the organizers may need to see."""

    storage_used: int | None
    storage_total: int | None
    incomplete_texts: tuple[IncompleteText, ...]
    undecodable: dict[int, str]  # SIM index -> why it cannot be read (left on the SIM)
    pending_acknowledgements: int  # committed texts not yet deleted from the SIM


@dataclass(frozen=True)
class BackendStatus:
    """How an SMS backend is doing, for the organizer devices page, the doctor and ``kiosk sms status``.

    One spelling for every backend. ``connected``: the provider or device answered at the last look (the modem's
    port is open and initialised; Twilio is not in its offline backoff; the console backend is not closed).
    ``fatal``: a fault no retry can fix (a SIM PIN refused); a person must act. ``sent``/``failed`` count this
    process's sends where the backend counts them. The modem adds ``signal``, ``registration``, ``operator`` and
    ``sim``; ``extra`` holds other backend-specific facts, shown as they are.
    """

    backend: str
    connected: bool
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    fatal: str | None = None
    sent: int | None = None
    failed: int | None = None
    signal: Signal | None = None
    registration: str | None = None  # "home", "roaming", "searching", "denied", "not_registered", "unknown"
    operator: str | None = None
    sim: SimStatus | None = None
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def recovered(self) -> bool:
        """No error, or a success after the last one: backends keep their last error after they recover."""
        if self.last_error_at is None:
            return True
        return self.last_success_at is not None and self.last_success_at >= self.last_error_at

    @property
    def ok(self) -> bool:
        return self.connected and self.fatal is None and self.recovered

    def as_dict(self) -> dict[str, object]:
        """JSON-ready (times as ISO 8601), for the device status table and ``--json`` output."""
        return _json_ready(asdict(self))  # type: ignore[return-value]


def _json_ready(value: object) -> object:
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


@runtime_checkable
class SmsBackend(Protocol):
    name: str

    def send(self, to: str, body: str) -> SendResult: ...  # never raises for provider errors: classifies them

    def poll(self) -> list[InboundText]: ...  # new inbound texts since last poll ([] for push-only)

    def acknowledge(self, provider_id: str) -> None: ...  # text committed; the backend may now delete it

    # Texts handed out by ``poll()`` that could not be stored (the database refused): offer them at the next poll.
    def release(self, provider_ids: Sequence[str]) -> None: ...

    def status(self) -> BackendStatus: ...  # for the organizer page, the doctor and ``kiosk sms status``

    def close(self) -> None: ...


@dataclass(frozen=True)
class SentText:
    """One text the console backend 'sent'."""

    to: str
    body: str
    provider_id: str
    sent_at: datetime


class ConsoleBackend:
    """Sends to the log and to memory; inbound texts are injected. For development, demos and tests.

    ``fail_numbers`` maps a number to the status its sends get, so the gateway's error paths can be exercised
    without a provider.
    """

    name = "console"

    def __init__(self, fail_numbers: dict[str, SendStatus] | None = None, *, keep: int = 1000) -> None:
        self._lock = threading.Lock()
        self._sent: deque[SentText] = deque(maxlen=keep)
        self._inbox: list[InboundText] = []
        self._delivered: dict[str, InboundText] = {}
        self._counter = 0
        self._fail = dict(fail_numbers or {})
        self._last_success: datetime | None = None
        self._last_error: str | None = None
        self._last_error_at: datetime | None = None
        self._closed = False

    def send(self, to: str, body: str) -> SendResult:
        with self._lock:
            if self._closed:
                return SendResult(SendStatus.TRANSIENT, None, "console backend is closed")
            failure = self._fail.get(to)
            if failure is not None and failure != SendStatus.SENT:
                self._last_error = f"{failure} for {to}"
                self._last_error_at = datetime.now(UTC)
                return SendResult(failure, None, f"console: configured to answer {failure} for {to}")
            self._counter += 1
            provider_id = f"console-out-{self._counter}"
            now = datetime.now(UTC)
            self._sent.append(SentText(to, body, provider_id, now))
            self._last_success = now
        log.info("SMS to %s (%s): %s", to, provider_id, body)
        return SendResult(SendStatus.SENT, provider_id, "logged")

    def sent(self) -> list[SentText]:
        """Texts sent so far, oldest first (the last ``keep`` of them)."""
        with self._lock:
            return list(self._sent)

    def inject(self, sender: str, body: str, received_at: datetime | None = None) -> InboundText:
        """Pretend ``sender`` texted ``body``; the next ``poll()`` returns it."""
        with self._lock:
            self._counter += 1
            text = InboundText(f"console-in-{self._counter}", sender, body, received_at or datetime.now(UTC))
            self._inbox.append(text)
            return text

    def poll(self) -> list[InboundText]:
        with self._lock:
            texts, self._inbox = self._inbox, []
            for text in texts:
                self._delivered[text.provider_id] = text
            return texts

    def acknowledge(self, provider_id: str) -> None:
        with self._lock:
            self._delivered.pop(provider_id, None)

    def release(self, provider_ids: Sequence[str]) -> None:
        with self._lock:
            back = [self._delivered.pop(pid) for pid in provider_ids if pid in self._delivered]
            self._inbox = back + self._inbox

    def unacknowledged(self) -> list[InboundText]:
        """Texts handed out by ``poll()`` and not yet acknowledged."""
        with self._lock:
            return list(self._delivered.values())

    def status(self) -> BackendStatus:
        with self._lock:
            return BackendStatus(
                backend=self.name,
                connected=not self._closed,
                last_success_at=self._last_success,
                last_error=self._last_error,
                last_error_at=self._last_error_at,
                sent=len(self._sent),
                extra={"waiting_inbound": len(self._inbox)},
            )

    def close(self) -> None:
        with self._lock:
            self._closed = True
