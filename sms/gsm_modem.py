"""SMS through a USB/serial GSM modem: hand-written AT commands over pyserial, PDU mode, the SIM as the inbox.

This module is the backend facade: it brings the modem up (open, echo off, SIM PIN, PDU mode, storage,
notifications), reconnects with backoff, sends texts part by part, and reports status. The AT channel
(``sms.modem_at``) owns the serial port and the reading of answers; the SIM inbox (``sms.modem_inbox``) owns
the texts on the SIM, their reassembly and their deletion after commit; ``sms.modem_errors`` says what the
modem's refusals mean. One lock guards all of it. python-gsmmodem is deliberately not used (it deletes before
the handler runs and crashes on emoji).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import serial

from sms.backends import BackendStatus, InboundText, SendResult, SendStatus, Signal
from sms.modem_at import AtChannel, fields
from sms.modem_errors import (
    CmeError,
    CmsError,
    ModemCommandError,
    ModemDisconnected,
    ModemError,
    ModemTimeout,
    SimPinError,
    classify_cms,
)
from sms.modem_inbox import SimInbox, provider_id_for
from sms.pdu import PduError, SubmitPart, encode_submit

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

HUNG_AFTER = 3  # timeouts in a row before the port is reopened


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


@dataclass(frozen=True)
class RadioStatus:
    """What the modem says of the network; None for what it would not say."""

    signal: Signal | None = None
    registration: str | None = None
    operator: str | None = None


def _parse_cpms(lines: list[str]) -> tuple[int, int] | None:
    f = fields(lines[-1]) if lines else []
    if len(f) >= 2 and f[0].isdigit() and f[1].isdigit():
        return int(f[0]), int(f[1])
    return None


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
        self._pin = pin
        self._timeout = timeout
        self._clock = clock
        self._send_timeout = send_timeout
        self._backoff_min, self._backoff_max = reconnect_backoff
        self._busy_wait = sim_busy_wait
        self._wall = wall_clock

        self._lock = threading.RLock()
        self._inbox = SimInbox(
            clock=clock,
            wall_clock=wall_clock,
            sweep_interval=sweep_interval,
            reoffer_after=reoffer_after if reoffer_after is not None else 10 * sweep_interval,
            default_region=default_region,
        )
        self._at = AtChannel(
            port,
            baudrate=baudrate,
            timeout=timeout,
            busy_wait=sim_busy_wait,
            on_unsolicited=self._inbox.on_unsolicited,
            on_pushed_text=self._inbox.on_pushed_text,
            on_lost=self._schedule_reconnect,
        )
        self._closed = False
        self._fatal: str | None = None
        self._backoff = self._backoff_min
        self._next_connect = float("-inf")
        self._last_error: str | None = None
        self._last_error_at: datetime | None = None
        self._last_success_at: datetime | None = None
        self._silent = 0  # timeouts in a row
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
                self._at.drain()
                self._inbox.refresh(self._at)
                self._inbox.flush_acks(self._at)
                self._record_success()
            except ModemDisconnected:
                return []  # already logged and recorded by the AT channel's on_lost; reconnects with backoff
            except ModemError as exc:
                self._failed(exc)
            except Exception as exc:  # garbage from a modem must never take the gateway down
                log.exception("unexpected failure while polling the modem")
                self._failed(exc)
            try:
                return self._inbox.collect()
            except Exception as exc:
                log.exception("unexpected failure while assembling texts")
                self._record_error(exc)
                return []

    def release(self, provider_ids: Sequence[str]) -> None:
        with self._lock:
            self._inbox.release(provider_ids)

    def acknowledge(self, provider_id: str) -> None:
        with self._lock:
            self._inbox.pending_acks.add(provider_id)
            if not self._ensure_connected():
                return  # deleted after the modem comes back
            try:
                self._inbox.flush_acks(self._at)
            except ModemDisconnected:
                log.info("modem went away while deleting a text; it stays pending until the modem is back")
            except Exception as exc:  # kept pending: deleted on a later poll
                if not isinstance(exc, ModemError):
                    log.exception("unexpected failure while deleting a text from the SIM")
                self._failed(exc)

    def status(self) -> BackendStatus:
        with self._lock:
            connected = self._ensure_connected()
            radio = RadioStatus()
            if connected:
                try:
                    radio = self._radio_status()
                except ModemDisconnected:
                    connected = False
                except ModemError as exc:
                    self._failed(exc)
            return BackendStatus(
                backend=self.name,
                connected=connected,
                last_success_at=self._last_success_at,
                last_error=self._last_error,
                last_error_at=self._last_error_at,
                fatal=self._fatal,
                signal=radio.signal,
                registration=radio.registration,
                operator=radio.operator,
                sim=self._inbox.status(),
                extra={"port": self.port},
            )

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._at.close()

    def __enter__(self) -> GsmModemBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ connection

    def _ensure_connected(self) -> bool:
        if self._at.is_open:
            return True
        if self._closed or self._fatal or self._clock() < self._next_connect:
            return False
        try:
            self._at.open()
        except (serial.SerialException, OSError, ValueError) as exc:
            self._schedule_reconnect(f"cannot open {self.port}: {exc}")
            return False
        try:
            self._initialise()
        except SimPinError as exc:
            self._fatal = str(exc)
            log.error("GSM modem unusable until the SIM PIN is fixed: %s", exc)
            self._record_error(exc)
            self._at.close()
            return False
        except ModemDisconnected:
            return False
        except Exception as exc:
            if not isinstance(exc, ModemError):
                log.exception("unexpected failure while starting the modem")
            self._at.close()
            self._schedule_reconnect(f"modem start-up failed: {exc}")
            return False
        self._backoff = self._backoff_min
        self._inbox.connected()
        log.info("GSM modem ready on %s", self.port)
        self._record_success()
        return True

    def _schedule_reconnect(self, why: str) -> None:
        self._record_error(why)
        self._next_connect = self._clock() + self._backoff
        log.warning("%s; retrying in %.0f s", why, self._backoff)
        self._backoff = min(self._backoff * 2, self._backoff_max)

    def _initialise(self) -> None:
        at = self._at
        self._wake()
        at.command("ATE0")  # echo is on at power-up on most models
        at.optional("AT+CMEE=1")  # numeric +CME ERROR codes
        self._unlock_sim()
        at.while_busy(lambda: at.command("AT+CMGF=0"))
        at.markers_enabled = True  # SIM unlocked, not busy, AT+CMGF taken: the AT+CMGF? marker will be answered
        for cpms in ('AT+CPMS="SM","SM","SM"', 'AT+CPMS="SM","SM"', 'AT+CPMS="SM"'):
            lines = at.optional(cpms, expect=("+CPMS:",))
            if lines is not None:
                self._inbox.storage = _parse_cpms(lines)
                break
        for cnmi in ("AT+CNMI=2,1,0,0,0", "AT+CNMI=2,1,0,0", "AT+CNMI=2,1"):
            if at.optional(cnmi) is not None:
                break
        else:
            log.warning("modem refuses every +CNMI setting: relying on the sweep alone")

    def _wake(self) -> None:
        """Get a first answer to ``AT``; a modem just powered up may miss the first command."""
        for attempt in range(3):
            try:
                self._at.command("AT", timeout=min(self._timeout, 2.0))
                return
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
                self._at.write(b"\x1b")
                settle = time.monotonic() + min(self._timeout, 0.3)
                while self._at.readline(settle) is not None:
                    pass
            except ModemCommandError:
                return  # it answers, if only to refuse

    def _unlock_sim(self) -> None:
        state = self._cpin_state()
        if state == "READY":
            return
        if state != "SIM PIN":
            raise SimPinError(f"SIM reports {state!r}; it needs attention (PUK or another code)")
        if not self._pin:
            raise SimPinError("the SIM asks for a PIN and none is configured")
        try:
            self._at.while_busy(lambda: self._at.command(f'AT+CPIN="{self._pin}"', expect=("+CPIN:",)))
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
        at = self._at
        lines = at.while_busy(lambda: at.command("AT+CPIN?", expect=("+CPIN:",), final_optional=True))
        if not lines:
            raise ModemCommandError("AT+CPIN?", "no +CPIN line")
        return lines[-1].partition(":")[2].strip().upper()

    # ------------------------------------------------------------------ sending

    def _send_part(self, part: SubmitPart) -> str:
        command = f"AT+CMGS={part.tpdu_length}"
        self._at.start_command()
        self._at.write(command.encode("ascii") + b"\r")
        self._at.wait_prompt(command, time.monotonic() + self._timeout)
        self._at.write(part.pdu.encode("ascii") + b"\x1a")
        self._handed_over = True  # from here a silent modem may still have sent it
        lines = self._at.read_answer(part.pdu, ("+CMGS:",), time.monotonic() + self._send_timeout)
        refs = [f[0] for f in map(fields, lines) if f and f[0].isdigit()]
        return refs[0] if refs else "?"

    # ------------------------------------------------------------------ status

    def _radio_status(self) -> RadioStatus:
        signal = registration = operator = None
        lines = self._at.optional("AT+CSQ", expect=("+CSQ:",))
        if lines:
            f = fields(lines[-1])
            rssi = int(f[0]) if f and f[0].isdigit() else 99
            signal = Signal(rssi=rssi, dbm=rssi_to_dbm(rssi), bars=rssi_to_bars(rssi))
        lines = self._at.optional("AT+CREG?", expect=("+CREG:",))
        if lines:
            f = fields(lines[-1])
            stat = f[1] if len(f) >= 2 else ""
            registration = REGISTRATION.get(int(stat), "unknown") if stat.isdigit() else "unknown"
        lines = self._at.optional("AT+COPS?", expect=("+COPS:",))
        if lines:
            f = fields(lines[-1])
            operator = f[2] if len(f) >= 3 and f[2] else None
        return RadioStatus(signal, registration, operator)

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
        self._at.resync()
        if isinstance(exc, ModemTimeout):
            self._silent += 1
            if self._silent >= HUNG_AFTER and self._at.is_open:
                # a hung modem firmware often recovers when the port is reopened and re-initialised
                self._at.close()
                self._schedule_reconnect(f"modem stopped answering ({self._silent} timeouts in a row)")
                self._silent = 0
