"""SMS through a USB/serial GSM modem: hand-written AT commands over pyserial, PDU mode, the SIM as the inbox.

This module owns the modem's serial port. One lock guards it and only the thread holding the lock reads it
(no reader thread: unsolicited lines that arrive between commands wait in the OS buffer until the next command
or poll drains them). Texts stay on the SIM until ``acknowledge()``, so a process killed between reading and
deleting reads them again on the next start, with the same provider_id (derived from the message, not from
the SIM index). python-gsmmodem is deliberately not used (it deletes before the handler runs and crashes on
emoji).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import phonenumbers
import serial

from sms.backends import InboundText, SendResult, SendStatus
from sms.pdu import (
    AddressType,
    Assembled,
    Deliver,
    Incomplete,
    PduError,
    SubmitPart,
    decode_deliver,
    encode_submit,
)
from sms.pdu import reassemble as reassemble_parts

log = logging.getLogger(__name__)

__all__ = [
    "CmeError",
    "CmsError",
    "GsmModemBackend",
    "ModemCommandError",
    "ModemDisconnected",
    "ModemError",
    "ModemTimeout",
    "SimPinError",
    "classify_cms",
    "provider_id_for",
]


# ------------------------------------------------------------------------------------------ errors


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

HUNG_AFTER = 3  # timeouts in a row before the port is reopened

_BUSY_CME = frozenset({14, 515})
_BUSY_CMS = frozenset({314})


def classify_cms(code: int | None) -> SendStatus:
    """TRANSIENT or PERMANENT for a ``+CMS ERROR`` code on send.

    >>> [str(classify_cms(code)) for code in (1, 42, None)]
    ['permanent', 'transient', 'transient']
    """
    return SendStatus.PERMANENT if code in PERMANENT_CMS else SendStatus.TRANSIENT


# --------------------------------------------------------------------------------------- parsing

_HEX = re.compile(r"(?:[0-9A-Fa-f]{2})+")
_ERROR_LINE = re.compile(r"\+(CME|CMS) ERROR:\s*(.*)")
_FINAL_ERRORS = ("ERROR", "COMMAND NOT SUPPORT", "NO CARRIER", "TOO MANY PARAMETERS", "NO DIALTONE", "BUSY")
_URC_WITH_PDU = ("+CMT:", "+CDS:")


def _fields(line: str) -> list[str]:
    """The comma-separated values after ``+XXX:``, quotes removed.

    >>> _fields('+CMTI: "SM",5')
    ['SM', '5']
    """
    _, _, rest = line.partition(":")
    return [f.strip().strip('"') for f in rest.split(",")]


def rssi_to_dbm(rssi: int) -> int | None:
    """``+CSQ`` rssi (0-31, 99 unknown) in dBm.

    >>> rssi_to_dbm(0), rssi_to_dbm(17), rssi_to_dbm(31), rssi_to_dbm(99)
    (-113, -79, -51, None)
    """
    if not 0 <= rssi <= 31:
        return None
    return -113 + 2 * rssi


def rssi_to_bars(rssi: int) -> int | None:
    """0-4 bars, as phones show them; None when unknown.

    >>> [rssi_to_bars(r) for r in (0, 5, 12, 17, 25, 99)]
    [0, 1, 2, 3, 4, None]
    """
    if not 0 <= rssi <= 31:
        return None
    return 0 if rssi < 2 else 1 if rssi < 10 else 2 if rssi < 15 else 3 if rssi < 20 else 4


REGISTRATION = {0: "not_registered", 1: "home", 2: "searching", 3: "denied", 4: "unknown", 5: "roaming"}


def provider_id_for(text: Assembled) -> str:
    """A stable id for a received text: the same on every read, across restarts and SIM index changes.

    Derived from the sender, the service-centre time stamp of the first part, the concatenation reference
    and a hash of the body. Two identical texts from one sender in the same second share an id (they are
    treated as a network re-delivery).
    """
    first = text.parts[0]
    c = first.concat
    ref = f"{c.ref_bits}:{c.ref}:{c.total}" if c else "-"
    key = "\x1f".join((text.sender, first.scts.hex(), ref, text.text))
    return "gsm-" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:24]


@dataclass(frozen=True)
class _Stored:
    pdu: str
    deliver: Deliver


# ----------------------------------------------------------------------------------------- backend


class GsmModemBackend:
    """An ``SmsBackend`` over a GSM modem on a serial port. Thread-safe; never raises for modem trouble.

    ``clock`` is a monotonic clock used only for scheduling (sweeps, reconnect backoff, re-offers), so tests
    can drive it. Un-acknowledged texts are offered again by ``poll()`` after ``reoffer_after`` seconds
    (default: ten sweep intervals); the caller dedupes by provider_id.
    """

    name = "gsm_modem"

    def __init__(
        self,
        port: str,
        *,
        baudrate: int = 115200,
        pin: str | None = None,
        timeout: float = 5.0,
        sweep_interval: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        send_timeout: float = 60.0,
        default_region: str | None = None,
        reconnect_backoff: tuple[float, float] = (1.0, 60.0),
        sim_busy_wait: float = 20.0,
        reoffer_after: float | None = None,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.port = port
        self._baudrate = baudrate
        self._pin = pin
        self._timeout = timeout
        self._sweep_interval = sweep_interval
        self._clock = clock
        self._send_timeout = send_timeout
        self._region = default_region
        self._backoff_min, self._backoff_max = reconnect_backoff
        self._busy_wait = sim_busy_wait
        self._reoffer_after = reoffer_after if reoffer_after is not None else 10 * sweep_interval
        self._wall = wall_clock

        self._lock = threading.RLock()
        self._ser: serial.Serial | None = None
        self._rbuf = bytearray()
        self._closed = False
        self._fatal: str | None = None
        self._backoff = self._backoff_min
        self._next_connect = float("-inf")
        self._last_error: str | None = None
        self._last_error_at: datetime | None = None
        self._last_success_at: datetime | None = None
        self._skipped: set[str] = set()  # optional commands this model refuses
        self._silent = 0  # timeouts in a row

        self._pdu_owner: str | None = None  # who claims the next hex line: "response", "+CMT:" or "+CDS:"
        self._resume_owner: str | None = None
        self._notified: list[int] = []  # SIM indexes announced by +CMTI, not yet read
        self._parts: dict[Hashable, _Stored] = {}  # SIM index (or ("direct", n)) -> part
        self._undecodable: dict[int, str] = {}
        self._direct_seq = 0
        self._last_sweep: float | None = None
        self._by_pid: dict[str, tuple[Hashable, ...]] = {}
        self._offered: dict[str, float] = {}
        self._pending_acks: set[str] = set()
        self._incomplete: list[Incomplete] = []
        self._storage: tuple[int, int] | None = None
        self._ref = random.randrange(256)
        self._handed_over = False  # set once a part's PDU has been written (see send)

        with self._lock:
            self._ensure_connected()

    # ------------------------------------------------------------------ the SmsBackend protocol

    def send(self, to: str, body: str) -> SendResult:
        with self._lock:
            self._ref = (self._ref + 1) % 256
            try:
                parts = encode_submit(to, body, ref=self._ref)
            except PduError as exc:
                return SendResult(SendStatus.PERMANENT, None, f"cannot encode the text: {exc}")
            if not self._ensure_connected():
                return SendResult(SendStatus.TRANSIENT, None, f"modem not connected: {self._last_error}")
            refs: list[str] = []
            self._handed_over = False
            try:
                for part in parts:
                    refs.append(self._send_part(part))
            except ModemError as exc:
                self._failed(exc)
                done = f" after {len(refs)} of {len(parts)} parts" if refs else ""
                # An error from the network says this part did not go out: sending the whole text again gives
                # the recipient all of it (at worst an earlier part twice). But a modem that had the text and
                # then went quiet or was unplugged may have sent it, and texts go at most once.
                status = classify_cms(exc.code) if isinstance(exc, CmsError) else SendStatus.TRANSIENT
                if self._handed_over and not isinstance(exc, CmsError):
                    status = SendStatus.UNKNOWN
                    done += " (the modem may have sent it; not sent again)"
                return SendResult(status, None, f"{exc}{done}")
            except Exception as exc:  # never raise to the gateway over what a modem said
                log.exception("unexpected failure while sending through the modem")
                self._failed(exc)
                return SendResult(SendStatus.TRANSIENT, None, f"unexpected modem failure: {exc}")
            self._record_success()
            return SendResult(SendStatus.SENT, "mr:" + ",".join(refs), f"sent in {len(parts)} part(s)")

    def poll(self) -> list[InboundText]:
        with self._lock:
            if not self._ensure_connected():
                return []
            try:
                self._drain()
                self._read_notified()
                if self._last_sweep is None or self._clock() - self._last_sweep >= self._sweep_interval:
                    self._sweep()
                self._flush_acks()
                self._record_success()
            except ModemDisconnected:
                return []
            except ModemError as exc:
                self._failed(exc)
            except Exception as exc:  # garbage from a modem must never take the gateway down
                log.exception("unexpected failure while polling the modem")
                self._failed(exc)
            try:
                return self._collect()
            except Exception as exc:
                log.exception("unexpected failure while assembling texts")
                self._record_error(exc)
                return []

    def release(self, provider_ids: Sequence[str]) -> None:
        with self._lock:  # still on the SIM: offered again at the next poll, not after ``reoffer_after``
            for pid in provider_ids:
                self._offered.pop(pid, None)

    def acknowledge(self, provider_id: str) -> None:
        with self._lock:
            self._pending_acks.add(provider_id)
            if not self._ensure_connected():
                return  # deleted after the modem comes back
            try:
                self._flush_acks()
            except ModemDisconnected:
                pass
            except Exception as exc:  # kept pending: deleted on a later poll
                if not isinstance(exc, ModemError):
                    log.exception("unexpected failure while deleting a text from the SIM")
                self._failed(exc)

    def status(self) -> dict[str, object]:
        with self._lock:
            info: dict[str, Any] = {
                "backend": self.name,
                "port": self.port,
                "connected": self._ensure_connected(),
                "signal": None,
                "registration": None,
                "operator": None,
            }
            if info["connected"]:
                try:
                    info.update(self._radio_status())
                except ModemDisconnected:
                    info["connected"] = False
                except ModemError as exc:
                    self._failed(exc)
            info.update(
                {
                    "storage": {"used": self._storage[0], "total": self._storage[1]} if self._storage else None,
                    "incomplete_texts": [
                        {"sender": i.sender, "ref": i.ref, "total": i.total, "have": list(i.have)}
                        for i in self._incomplete
                    ],
                    "undecodable": dict(self._undecodable),
                    "pending_acknowledgements": len(self._pending_acks),
                    "fatal": self._fatal,
                    "last_error": self._last_error,
                    "last_error_at": self._last_error_at.isoformat() if self._last_error_at else None,
                    "last_success_at": self._last_success_at.isoformat() if self._last_success_at else None,
                }
            )
            return info

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._close_port()

    def __enter__(self) -> GsmModemBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ connection

    def _ensure_connected(self) -> bool:
        if self._ser is not None:
            return True
        if self._closed or self._fatal or self._clock() < self._next_connect:
            return False
        try:
            self._ser = serial.Serial(
                self.port, self._baudrate, timeout=0.05, write_timeout=self._timeout, exclusive=True
            )
        except (serial.SerialException, OSError, ValueError) as exc:
            self._schedule_reconnect(f"cannot open {self.port}: {exc}")
            return False
        self._rbuf.clear()
        self._pdu_owner = None
        try:
            self._initialise()
        except SimPinError as exc:
            self._fatal = str(exc)
            log.error("GSM modem unusable until the SIM PIN is fixed: %s", exc)
            self._record_error(exc)
            self._close_port()
            return False
        except ModemDisconnected:
            return False
        except Exception as exc:
            if not isinstance(exc, ModemError):
                log.exception("unexpected failure while starting the modem")
            self._close_port()
            self._schedule_reconnect(f"modem start-up failed: {exc}")
            return False
        self._backoff = self._backoff_min
        self._last_sweep = None
        log.info("GSM modem ready on %s", self.port)
        self._record_success()
        return True

    def _schedule_reconnect(self, why: str) -> None:
        self._record_error(why)
        self._next_connect = self._clock() + self._backoff
        log.warning("%s; retrying in %.0f s", why, self._backoff)
        self._backoff = min(self._backoff * 2, self._backoff_max)

    def _close_port(self) -> None:
        ser, self._ser = self._ser, None
        if ser is not None:
            with contextlib.suppress(serial.SerialException, OSError):
                ser.close()

    def _lost(self, exc: BaseException) -> ModemDisconnected:
        self._close_port()
        self._schedule_reconnect(f"modem on {self.port} disconnected: {exc}")
        return ModemDisconnected(f"modem on {self.port} disconnected: {exc}")

    def _initialise(self) -> None:
        for attempt in range(3):  # a modem just powered up may miss the first command
            try:
                self._command("AT", timeout=min(self._timeout, 2.0))
                break
            except ModemTimeout:
                if attempt == 2:
                    raise
                # A gateway killed between AT+CMGS and the text's PDU leaves the modem in text-entry mode, where
                # every later command ("AT" included) becomes part of that text: ESC leaves it without sending
                # anything. The cancel's answer is read away so that it is not taken for the next command's.
                log.warning(
                    "modem on %s did not answer AT; sending ESC in case a text was left half-entered (a gateway "
                    "stopped mid-send), then trying again",
                    self.port,
                )
                self._write(b"\x1b")
                settle = time.monotonic() + min(self._timeout, 0.3)
                while self._readline(settle) is not None:
                    pass
            except ModemCommandError:
                break
        self._command("ATE0")  # echo is on at power-up on most models
        self._optional("AT+CMEE=1")  # numeric +CME ERROR codes
        self._unlock_sim()
        self._while_busy(lambda: self._command("AT+CMGF=0"))
        for cpms in ('AT+CPMS="SM","SM","SM"', 'AT+CPMS="SM","SM"', 'AT+CPMS="SM"'):
            lines = self._optional(cpms, expect=("+CPMS:",))
            if lines is not None:
                self._storage = self._parse_cpms(lines)
                break
        for cnmi in ("AT+CNMI=2,1,0,0,0", "AT+CNMI=2,1,0,0", "AT+CNMI=2,1"):
            if self._optional(cnmi) is not None:
                break
        else:
            log.warning("modem refuses every +CNMI setting: relying on the sweep alone")

    def _unlock_sim(self) -> None:
        state = self._cpin_state()
        if state == "READY":
            return
        if state != "SIM PIN":
            raise SimPinError(f"SIM reports {state!r}; it needs attention (PUK or another code)")
        if not self._pin:
            raise SimPinError("the SIM asks for a PIN and none is configured")
        try:
            self._while_busy(lambda: self._command(f'AT+CPIN="{self._pin}"', expect=("+CPIN:",)))
        except CmeError as exc:
            # A wrong PIN is never retried: three tries lock the SIM behind its PUK.
            raise SimPinError(f"the SIM refused the configured PIN ({exc}); not retrying") from None
        deadline = time.monotonic() + self._busy_wait
        while (state := self._cpin_state()) != "READY":
            if time.monotonic() > deadline:
                raise ModemTimeout(f"SIM still reports {state!r} after the PIN")
            time.sleep(0.1)

    def _cpin_state(self) -> str:
        # Some models (old Wavecoms) never send a final OK after +CPIN: READY.
        lines = self._while_busy(lambda: self._command("AT+CPIN?", expect=("+CPIN:",), final_optional=True))
        if not lines:
            raise ModemCommandError("AT+CPIN?", "no +CPIN line")
        return lines[-1].partition(":")[2].strip().upper()

    def _while_busy(self, run: Callable[[], list[str]]) -> list[str]:
        """Retry while the SIM is busy (just powered up or unlocked), with a bounded backoff."""
        deadline = time.monotonic() + self._busy_wait
        pause = 0.05
        while True:
            try:
                return run()
            except (CmeError, CmsError) as exc:
                busy = exc.code in (_BUSY_CME if isinstance(exc, CmeError) else _BUSY_CMS)
                if not busy or time.monotonic() + pause > deadline:
                    raise
                log.info("SIM busy (%s); retrying in %.2f s", exc, pause)
                time.sleep(pause)
                pause = min(pause * 2, 2.0)

    def _optional(self, command: str, expect: tuple[str, ...] = ()) -> list[str] | None:
        """Run a command some models lack: None (and a log line) when refused."""
        if command in self._skipped:
            return None
        try:
            return self._while_busy(lambda: self._command(command, expect=expect))
        except ModemCommandError as exc:
            log.info("modem does not take %s (%s); skipping", command, exc)
            self._skipped.add(command)
            self._resync()
            return None
        except ModemTimeout as exc:
            log.info("no answer to %s (%s); skipping it this time", command, exc)
            self._resync()
            return None

    # ------------------------------------------------------------------ low-level I/O

    def _write(self, data: bytes) -> None:
        if self._ser is None:
            raise ModemDisconnected(f"modem on {self.port} is not connected")
        try:
            self._ser.write(data)
        except serial.SerialTimeoutException as exc:
            raise ModemTimeout(f"writing to the modem timed out: {exc}") from None
        except (serial.SerialException, OSError) as exc:
            raise self._lost(exc) from None

    def _fill(self, wait: bool) -> None:
        if self._ser is None:
            raise ModemDisconnected(f"modem on {self.port} is not connected")
        try:
            waiting = self._ser.in_waiting
            if waiting or wait:
                self._rbuf += self._ser.read(waiting or 1)
        except (serial.SerialException, OSError) as exc:
            raise self._lost(exc) from None
        if len(self._rbuf) > 16384:  # no real answer line is this long: the modem is babbling
            log.warning("discarding %d bytes of unterminated modem output", len(self._rbuf))
            self._rbuf.clear()

    def _readline(self, deadline: float) -> str | None:
        """The next non-empty line, or None at the deadline (monotonic). Reads only while time is left."""
        while True:
            cut = [i for i in (self._rbuf.find(b"\r"), self._rbuf.find(b"\n")) if i >= 0]
            if cut:
                end = min(cut)
                line = bytes(self._rbuf[:end]).decode("ascii", "replace").strip()
                del self._rbuf[: end + 1]
                if line:
                    return line
                continue
            if time.monotonic() >= deadline:
                self._fill(wait=False)
                if not any(b in self._rbuf for b in (b"\r", b"\n")):
                    return None
                continue
            self._fill(wait=True)

    def _drain(self) -> None:
        """Handle unsolicited lines already waiting, without waiting for more."""
        while (line := self._readline(time.monotonic())) is not None:
            self._unsolicited(line)

    def _resync(self) -> None:
        """After a timeout or garbage, drop any buffered half-answer so the next command starts clean."""
        if self._ser is None:
            return
        with contextlib.suppress(ModemError):
            self._drain()
        self._pdu_owner = None

    def _command(
        self,
        command: str,
        *,
        expect: tuple[str, ...] = (),
        timeout: float | None = None,
        final_optional: bool = False,
    ) -> list[str]:
        """Send one command; return the answer lines starting with ``expect`` (each followed by its PDU line
        for +CMGL/+CMGR). Unsolicited lines met on the way are handled, never taken for the answer."""
        self._drain()
        self._write(command.encode("ascii") + b"\r")
        return self._read_answer(command, expect, time.monotonic() + (timeout or self._timeout), final_optional)

    def _read_answer(self, command: str, expect: tuple[str, ...], deadline: float, final_optional: bool) -> list[str]:
        lines: list[str] = []
        self._pdu_owner = self._resume_owner = None
        while True:
            if final_optional and lines:
                line = self._readline(min(deadline, time.monotonic() + 0.3))
                if line is None:
                    return lines
            else:
                line = self._readline(deadline)
                if line is None:
                    raise ModemTimeout(f"{command}: no answer from the modem in time")
            if line == command:
                continue  # echo
            if _HEX.fullmatch(line) and self._pdu_owner is not None:
                owner, self._pdu_owner = self._pdu_owner, None
                if owner == "response":
                    lines.append(line)
                else:
                    self._urc_pdu(owner, line)
                continue
            if line == "OK":
                return lines
            if line in _FINAL_ERRORS:
                raise ModemCommandError(command, line)
            if m := _ERROR_LINE.match(line):
                text = m.group(2).strip()
                code = int(text) if text.isdigit() else None
                raise (CmeError if m.group(1) == "CME" else CmsError)(command, code, text)
            if expect and line.startswith(expect) and self._solicited(line):
                lines.append(line)
                self._pdu_owner = "response" if line.startswith(("+CMGL:", "+CMGR:")) else None
                continue
            self._unsolicited(line)

    @staticmethod
    def _solicited(line: str) -> bool:
        if line.startswith("+CREG:"):
            # "+CREG: <n>,<stat>[,...]" answers AT+CREG?; "+CREG: <stat>[,"lac","ci"]" is unsolicited
            f = _fields(line)
            return len(f) >= 2 and f[0].isdigit() and f[1].isdigit()
        return True

    def _unsolicited(self, line: str) -> None:
        if line.startswith("+CMTI:"):
            f = _fields(line)
            if f and f[-1].isdigit():
                index = int(f[-1])
                if index not in self._notified:
                    self._notified.append(index)
                if len(f) >= 2 and f[0].upper() not in ("SM", "MT"):
                    log.warning("text stored in %s memory, not SM: the sweep may not see it", f[0])
            return
        if line.startswith(_URC_WITH_PDU):
            # the URC's PDU comes next; an answer's +CMGL/+CMGR header waiting for its own PDU resumes after it
            self._resume_owner = self._pdu_owner if self._pdu_owner == "response" else None
            self._pdu_owner = line[:5]
            return
        if _HEX.fullmatch(line) and self._pdu_owner in _URC_WITH_PDU:
            owner, self._pdu_owner = self._pdu_owner, None
            self._urc_pdu(owner or "", line)
            return
        log.debug("modem said %r outside an answer; ignored", line[:80])

    def _urc_pdu(self, owner: str, pdu: str) -> None:
        self._pdu_owner, self._resume_owner = self._resume_owner, None
        if owner != "+CMT:":
            return  # status reports are not requested; drop them
        try:
            d = decode_deliver(pdu)
        except PduError as exc:
            log.warning("undecodable text pushed by the modem: %s", exc)
            return
        log.warning("modem pushed a text without storing it (+CMT); keeping it in memory only")
        self._direct_seq += 1
        self._parts[("direct", self._direct_seq)] = _Stored(pdu, d)

    # ------------------------------------------------------------------ receiving

    def _read_notified(self) -> None:
        while self._notified:
            index = self._notified[0]
            got = self._read_index(index)
            if got is None:
                self._parts.pop(index, None)
            else:
                self._remember(index, *got)
            self._notified.pop(0)

    def _read_index(self, index: int) -> tuple[int, str] | None:
        """(stat, PDU) at a SIM index, or None when the slot is empty."""
        try:
            lines = self._command(f"AT+CMGR={index}", expect=("+CMGR:",))
        except CmsError as exc:
            if exc.code == 321:
                return None
            raise
        for header, pdu in self._pairs(lines, "+CMGR:"):
            f = _fields(header)
            if f and f[0].isdigit():
                return int(f[0]), pdu
        return None

    @staticmethod
    def _pairs(lines: list[str], prefix: str) -> Iterable[tuple[str, str]]:
        for header, pdu in itertools.pairwise(lines):
            if header.startswith(prefix) and not pdu.startswith(prefix):
                yield header, pdu

    def _sweep(self) -> None:
        lines = self._command("AT+CMGL=4", expect=("+CMGL:",), timeout=2 * self._timeout)  # SIM reads are slow
        seen: dict[int, tuple[int, str]] = {}
        for header, pdu in self._pairs(lines, "+CMGL:"):
            f = _fields(header)
            if len(f) >= 2 and f[0].isdigit() and f[1].isdigit():
                seen[int(f[0])] = (int(f[1]), pdu)
            else:
                log.warning("unreadable +CMGL line %r", header[:80])
        for key in [k for k in self._parts if isinstance(k, int) and k not in seen]:
            del self._parts[key]
        for index in [i for i in self._undecodable if i not in seen]:
            del self._undecodable[index]
        for index, (stat, pdu) in seen.items():
            self._remember(index, stat, pdu)
        self._notified = [i for i in self._notified if i not in seen]
        if self._storage:
            self._storage = (len(seen), self._storage[1])
            if self._storage[0] >= self._storage[1] - 2:
                # the network holds further texts until there is room; undecodable ones are never deleted
                log.warning("SIM storage nearly full: %d of %d", *self._storage)
        self._last_sweep = self._clock()

    def _remember(self, index: int, stat: int, pdu: str) -> None:
        known = self._parts.get(index)
        if known is not None and known.pdu == pdu:
            return
        if stat > 1:
            self._parts.pop(index, None)  # a stored outgoing text, not ours to read or delete
            return
        try:
            d = decode_deliver(pdu)
        except PduError as exc:
            if self._undecodable.get(index) != str(exc):
                log.warning("SIM index %d holds an undecodable text (kept on the SIM): %s", index, exc)
            self._undecodable[index] = str(exc)
            self._parts.pop(index, None)
            return
        self._undecodable.pop(index, None)
        self._parts[index] = _Stored(pdu, d)

    def _sender(self, d: Deliver) -> str:
        if d.sender_type is AddressType.NATIONAL and self._region:
            try:
                number = phonenumbers.parse(d.sender, self._region)
                if phonenumbers.is_possible_number(number):
                    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            except phonenumbers.NumberParseException:
                pass
        return d.sender

    def _collect(self) -> list[InboundText]:
        whole, self._incomplete = reassemble_parts((k, s.deliver) for k, s in self._parts.items())
        by_pid: dict[str, list[Hashable]] = {}
        fresh: dict[str, InboundText] = {}
        now = self._clock()
        for text in whole:
            pid = provider_id_for(text)
            by_pid.setdefault(pid, []).extend(text.keys)
            if pid in self._pending_acks or pid in fresh:
                continue
            offered = self._offered.get(pid)
            if offered is not None and now - offered < self._reoffer_after:
                continue
            first = text.parts[0]
            received = text.timestamp.astimezone(UTC) if text.timestamp else self._wall()
            if text.damage:
                log.warning("a damaged text from …%s (%s): read as far as it goes", text.sender[-4:], text.damage)
            fresh[pid] = InboundText(
                provider_id=pid, sender=self._sender(first), body=text.text, received_at=received, damage=text.damage
            )
        self._by_pid = {pid: tuple(keys) for pid, keys in by_pid.items()}
        for pid in fresh:
            self._offered[pid] = now
        for pid in [p for p in self._offered if p not in self._by_pid]:
            del self._offered[pid]
        return list(fresh.values())

    def _flush_acks(self) -> None:
        if not self._pending_acks:
            return
        if any(pid not in self._by_pid for pid in self._pending_acks):
            # not read by this process yet (e.g. acknowledged right after a restart): look at the SIM first
            self._sweep()
            self._collect_quietly()
        for pid in sorted(self._pending_acks):
            for key in self._by_pid.get(pid, ()):
                self._delete(key)
            self._pending_acks.discard(pid)
            self._offered.pop(pid, None)
            self._by_pid.pop(pid, None)

    def _collect_quietly(self) -> None:
        offered = dict(self._offered)
        self._collect()
        self._offered = offered

    def _delete(self, key: Hashable) -> None:
        stored = self._parts.get(key)
        if not isinstance(key, int):
            self._parts.pop(key, None)  # a pushed text lives only in memory
            return
        # The slot must still hold the same text: a slot freed and reused must not lose a new text.
        current = self._read_index(key)
        if current is None:
            self._parts.pop(key, None)
            return
        if stored is None or current[1] != stored.pdu:
            log.warning("SIM index %d changed since it was read; not deleting it", key)
            self._remember(key, *current)
            return
        self._command(f"AT+CMGD={key}")
        self._parts.pop(key, None)
        log.info("deleted SIM index %d", key)

    # ------------------------------------------------------------------ sending

    def _send_part(self, part: SubmitPart) -> str:
        command = f"AT+CMGS={part.tpdu_length}"
        self._drain()
        self._write(command.encode("ascii") + b"\r")
        self._wait_prompt(command, time.monotonic() + self._timeout)
        self._write(part.pdu.encode("ascii") + b"\x1a")
        self._handed_over = True  # from here a silent modem may still have sent it
        lines = self._read_answer(part.pdu, ("+CMGS:",), time.monotonic() + self._send_timeout, False)
        refs = [f[0] for f in map(_fields, lines) if f and f[0].isdigit()]
        return refs[0] if refs else "?"

    def _wait_prompt(self, command: str, deadline: float) -> None:
        """Wait for the "> " prompt, which has no line ending, handling whole lines that come before it."""
        while True:
            while self._rbuf[:1] in (b"\r", b"\n"):
                del self._rbuf[:1]
            if self._rbuf[:1] == b">":
                del self._rbuf[: 2 if self._rbuf[1:2] == b" " else 1]
                return
            cut = [i for i in (self._rbuf.find(b"\r"), self._rbuf.find(b"\n")) if i >= 0]
            if cut:
                line = self._readline(time.monotonic())
                if line is None or line == command:
                    continue
                if line in _FINAL_ERRORS:
                    raise ModemCommandError(command, line)
                if m := _ERROR_LINE.match(line):
                    text = m.group(2).strip()
                    code = int(text) if text.isdigit() else None
                    raise (CmeError if m.group(1) == "CME" else CmsError)(command, code, text)
                self._unsolicited(line)
                continue
            if time.monotonic() >= deadline:
                self._write(b"\x1b")  # leave text-entry mode in case the prompt was lost
                raise ModemTimeout(f"{command}: no '> ' prompt from the modem")
            self._fill(wait=True)

    # ------------------------------------------------------------------ status

    def _radio_status(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        lines = self._optional("AT+CSQ", expect=("+CSQ:",))
        if lines:
            f = _fields(lines[-1])
            rssi = int(f[0]) if f and f[0].isdigit() else 99
            out["signal"] = {"rssi": rssi, "dbm": rssi_to_dbm(rssi), "bars": rssi_to_bars(rssi)}
        lines = self._optional("AT+CREG?", expect=("+CREG:",))
        if lines:
            f = _fields(lines[-1])
            stat = f[1] if len(f) >= 2 else ""
            out["registration"] = REGISTRATION.get(int(stat), "unknown") if stat.isdigit() else "unknown"
        lines = self._optional("AT+COPS?", expect=("+COPS:",))
        if lines:
            f = _fields(lines[-1])
            out["operator"] = f[2] if len(f) >= 3 and f[2] else None
        return out

    @staticmethod
    def _parse_cpms(lines: list[str]) -> tuple[int, int] | None:
        f = _fields(lines[-1]) if lines else []
        if len(f) >= 2 and f[0].isdigit() and f[1].isdigit():
            return int(f[0]), int(f[1])
        return None

    # ------------------------------------------------------------------ bookkeeping

    def _record_error(self, exc: BaseException | str) -> None:
        self._last_error = str(exc)
        self._last_error_at = self._wall()

    def _record_success(self) -> None:
        self._last_success_at = self._wall()
        self._silent = 0

    def _failed(self, exc: BaseException) -> None:
        """After a failed exchange: resynchronise, and reopen the port if the modem has stopped answering."""
        self._record_error(exc)
        self._resync()
        if isinstance(exc, ModemTimeout):
            self._silent += 1
            if self._silent >= HUNG_AFTER and self._ser is not None:
                # a hung modem firmware often recovers when the port is reopened and re-initialised
                self._close_port()
                self._schedule_reconnect(f"modem stopped answering ({self._silent} timeouts in a row)")
                self._silent = 0
