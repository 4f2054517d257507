"""What a GSM modem's refusals mean: the error classes, the ``+CME/+CMS ERROR`` code tables, and the one
parser that turns a final error line into an exception (used by every reader of modem answers)."""

from __future__ import annotations

import re

from sms.backends import SendStatus

__all__ = [
    "CME_MEANINGS",
    "CMS_MEANINGS",
    "PERMANENT_CMS",
    "CmeError",
    "CmsError",
    "ModemCommandError",
    "ModemDisconnected",
    "ModemError",
    "ModemTimeout",
    "SimPinError",
    "classify_cms",
    "error_from_final_line",
    "is_sim_busy",
]


class ModemError(Exception):
    """Root of every error raised by the GSM modem backend."""


class ModemDisconnected(ModemError, ConnectionError):
    """The serial device went away (USB unplugged, port closed)."""


class ModemTimeout(ModemError, TimeoutError):
    """The modem gave no final answer in time."""


class SimPinError(ModemError, PermissionError):
    """The SIM needs a PIN we do not have, refused ours, or is PUK-locked. Never retried automatically."""


class ModemCommandError(ModemError):
    """The modem answered a command with ERROR, COMMAND NOT SUPPORT or similar."""

    def __init__(self, command: str, reply: str, meaning: str | None = None) -> None:
        self.command = command
        self.reply = reply
        self.meaning = meaning
        super().__init__(f"{command}: {reply}" + (f" ({meaning})" if meaning else ""))


class CmeError(ModemCommandError):
    """``+CME ERROR: n``: an equipment/SIM/network error."""

    def __init__(self, command: str, code: int | None, text: str) -> None:
        self.code = code
        super().__init__(command, f"+CME ERROR: {text}", CME_MEANINGS.get(code) if code is not None else None)


class CmsError(ModemCommandError):
    """``+CMS ERROR: n``: a short-message service error."""

    def __init__(self, command: str, code: int | None, text: str) -> None:
        self.code = code
        super().__init__(command, f"+CMS ERROR: {text}", CMS_MEANINGS.get(code) if code is not None else None)


CME_MEANINGS: dict[int, str] = {
    3: "operation not allowed",
    4: "operation not supported",
    10: "SIM not inserted",
    11: "SIM PIN required",
    12: "SIM PUK required",
    13: "SIM failure",
    14: "SIM busy",
    15: "wrong SIM",
    16: "incorrect PIN",
    17: "SIM PIN2 required",
    18: "SIM PUK2 required",
    20: "memory full",
    21: "invalid index",
    22: "not found",
    30: "no network service",
    31: "network timeout",
    32: "network not allowed, emergency calls only",
    100: "unknown error",
    515: "modem busy, please wait",
}

CMS_MEANINGS: dict[int, str] = {
    1: "unassigned number",
    8: "operator barred the number",
    10: "call barred",
    21: "text rejected by the network",
    27: "destination out of service",
    28: "unidentified subscriber",
    29: "facility rejected",
    30: "unknown subscriber",
    38: "network out of order",
    41: "temporary network failure",
    42: "network congestion",
    47: "network resources unavailable",
    50: "service not subscribed",
    69: "service not implemented",
    96: "invalid message",
    111: "protocol error",
    300: "modem failure",
    301: "SMS service of the modem reserved",
    302: "operation not allowed",
    303: "operation not supported",
    304: "invalid PDU",
    305: "invalid text mode parameter",
    310: "SIM not inserted",
    311: "SIM PIN required",
    313: "SIM failure",
    314: "SIM busy",
    315: "wrong SIM",
    316: "SIM PUK required",
    320: "memory failure",
    321: "invalid memory index",
    322: "SIM memory full",
    330: "SMS centre address unknown",
    331: "no network service",
    332: "network timeout",
    500: "unknown error",
}

# Codes where retrying the same text to the same number cannot help; everything else (network, SIM, modem
# trouble) may pass once the modem or network recovers.
PERMANENT_CMS = frozenset({1, 8, 10, 21, 28, 29, 30, 50, 69, 96, 97, 99, 304, 305})

_BUSY_CME = frozenset({14, 515})
_BUSY_CMS = frozenset({314})

_FINAL_ERRORS = ("ERROR", "COMMAND NOT SUPPORT", "NO CARRIER", "TOO MANY PARAMETERS", "NO DIALTONE", "BUSY")
_ERROR_LINE = re.compile(r"\+(CME|CMS) ERROR:\s*(.*)")


def classify_cms(code: int | None) -> SendStatus:
    """TRANSIENT or PERMANENT for a ``+CMS ERROR`` code on send.

    >>> [str(classify_cms(code)) for code in (1, 42, None)]
    ['permanent', 'transient', 'transient']
    """
    return SendStatus.PERMANENT if code in PERMANENT_CMS else SendStatus.TRANSIENT


def error_from_final_line(command: str, line: str) -> ModemCommandError | None:
    """The error a final answer line means, or None when the line is not a final error.

    >>> error_from_final_line("AT+CMGS=20", "+CMS ERROR: 42").code
    42
    >>> type(error_from_final_line("AT", "+CME ERROR: SIM busy")).__name__, error_from_final_line("AT", "OK")
    ('CmeError', None)
    >>> str(error_from_final_line("AT+X", "COMMAND NOT SUPPORT"))
    'AT+X: COMMAND NOT SUPPORT'
    """
    if line in _FINAL_ERRORS:
        return ModemCommandError(command, line)
    if m := _ERROR_LINE.match(line):
        text = m.group(2).strip()
        code = int(text) if text.isdigit() else None
        return (CmeError if m.group(1) == "CME" else CmsError)(command, code, text)
    return None


def is_sim_busy(exc: ModemCommandError) -> bool:
    """A refusal that means "wait": the SIM is still starting up or busy with another request."""
    if isinstance(exc, CmeError):
        return exc.code in _BUSY_CME
    if isinstance(exc, CmsError):
        return exc.code in _BUSY_CMS
    return False
