"""Stand-in for sms/backends.py: the SMS backend port and its value types.

Copied verbatim from the task brief so the GSM modem backend can be written before sms/backends.py lands;
the lead replaces imports of this module by sms.backends and deletes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class SendStatus(StrEnum):
    SENT = "sent"
    TRANSIENT = "transient"
    PERMANENT = "permanent"
    OPTED_OUT = "opted_out"


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
    received_at: datetime


class SmsBackend(Protocol):
    name: str

    def send(self, to: str, body: str) -> SendResult: ...  # never raises for provider errors: classifies them

    def poll(self) -> list[InboundText]: ...  # new inbound texts since last poll

    def acknowledge(
        self, provider_id: str
    ) -> None: ...  # the text is committed; the backend may now delete it

    def status(self) -> dict[str, object]: ...  # signal, registration, last error, ...

    def close(self) -> None: ...
