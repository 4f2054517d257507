"""The AT channel: one GSM modem's serial port, spoken to one command at a time.

It owns the port, the read buffer and the question of which line answers which command: echoes are skipped,
final ``OK``/error lines end an answer (errors parsed in ``sms.modem_errors``), a ``+CMGL``/``+CMGR`` header
claims the hex line after it, and unsolicited lines met on the way are handed to the callbacks, never taken
for the answer. No reader thread: the caller holds the backend's lock, and unsolicited lines that arrive
between commands wait in the OS buffer until the next command or ``drain()``.

After a command times out or ends in an error line, the channel may be out of step with the modem: a late
answer, or the real answer behind a stray final-looking line (a CMS error 500 out of nowhere), is still
on its way and would be read as the answer to the next command (``AT+CMGR=7`` answered with slot 6's text).
So the next command is preceded by a marker, ``AT+CMGF?``, whose ``+CMGF:`` answer no other command we send
gives: everything before it is the old answer and is read away.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import Callable

import serial

from sms.modem_errors import (
    ModemCommandError,
    ModemDisconnected,
    ModemError,
    ModemTimeout,
    error_from_final_line,
    is_sim_busy,
)

log = logging.getLogger(__name__)

__all__ = ["AtChannel", "fields"]

_HEX = re.compile(r"(?:[0-9A-Fa-f]{2})+")
_URC_WITH_PDU = ("+CMT:", "+CDS:")
_MAX_UNTERMINATED = 16384  # no real answer line is this long: the modem is babbling
# Resynchronises the channel: answered "+CMGF: <mode>" then OK (27.005, mandatory wherever PDU mode is).
_MARKER = "AT+CMGF?"


def fields(line: str) -> list[str]:
    """The comma-separated values after ``+XXX:``, quotes removed.

    >>> fields('+CMTI: "SM",5')
    ['SM', '5']
    """
    _, _, rest = line.partition(":")
    return [f.strip().strip('"') for f in rest.split(",")]


def _solicited(line: str) -> bool:
    if line.startswith("+CREG:"):
        # "+CREG: <n>,<stat>[,...]" answers AT+CREG?; "+CREG: <stat>[,"lac","ci"]" is unsolicited
        f = fields(line)
        return len(f) >= 2 and f[0].isdigit() and f[1].isdigit()
    return True


class AtChannel:
    """Commands and answers over one serial port. Not thread-safe: the caller serialises every call.

    ``on_unsolicited(line)`` gets every unsolicited line that carries no PDU (``+CMTI`` and the like) and
    returns whether it understood it; ``on_pushed_text(pdu)`` gets the PDU of a text the modem pushed with
    ``+CMT`` instead of storing it; ``on_lost(why)`` hears that the port went away (it has been closed).
    """

    def __init__(
        self,
        port: str,
        *,
        baudrate: int,
        timeout: float,
        busy_wait: float,
        on_unsolicited: Callable[[str], bool],
        on_pushed_text: Callable[[str], None],
        on_lost: Callable[[str], None],
    ) -> None:
        self.port = port
        self._baudrate = baudrate
        self.timeout = timeout
        self._busy_wait = busy_wait
        self._on_unsolicited = on_unsolicited
        self._on_pushed_text = on_pushed_text
        self._on_lost = on_lost
        self._ser: serial.Serial | None = None
        self._rbuf = bytearray()
        self._pdu_owner: str | None = None  # who claims the next hex line: "response", "+CMT:" or "+CDS:"
        self._resume_owner: str | None = None
        self._skipped: set[str] = set()  # optional commands this model refuses
        # True once the modem is set up (SIM unlocked, PDU mode), so that the marker is sure to be answered
        self.markers_enabled = False
        self._out_of_step = False  # a command failed: its answer may still be on its way
        self._markers_owed = 0  # markers written whose answer has not been read yet

    # ------------------------------------------------------------------ the port

    @property
    def is_open(self) -> bool:
        return self._ser is not None

    def open(self) -> None:
        """Open the port; raises ``serial.SerialException``, ``OSError`` or ``ValueError`` when it cannot."""
        self._ser = serial.Serial(self.port, self._baudrate, timeout=0.05, write_timeout=self.timeout, exclusive=True)
        self._rbuf.clear()
        self._pdu_owner = None
        self.markers_enabled = self._out_of_step = False
        self._markers_owed = 0

    def close(self) -> None:
        self.markers_enabled = self._out_of_step = False
        self._markers_owed = 0
        ser, self._ser = self._ser, None
        if ser is not None:
            with contextlib.suppress(serial.SerialException, OSError):
                ser.close()  # the port is being given up (often because it already went away)

    def _lost(self, exc: BaseException) -> ModemDisconnected:
        why = f"modem on {self.port} disconnected: {exc}"
        self.close()
        self._on_lost(why)
        return ModemDisconnected(why)

    # ------------------------------------------------------------------ commands

    def command(
        self,
        command: str,
        *,
        expect: tuple[str, ...] = (),
        timeout: float | None = None,
        final_optional: bool = False,
    ) -> list[str]:
        """Send one command; return the answer lines starting with ``expect`` (each followed by its PDU line
        for +CMGL/+CMGR). Unsolicited lines met on the way are handled, never taken for the answer."""
        self.start_command()
        self.write(command.encode("ascii") + b"\r")
        return self.read_answer(command, expect, time.monotonic() + (timeout or self.timeout), final_optional)

    def start_command(self) -> None:
        """Before writing a command: handle what is waiting, and get back in step if the last command failed."""
        self.drain()
        if self._out_of_step and self.markers_enabled:
            self._realign()

    def _realign(self) -> None:
        """Send the marker and read away everything before its answer (the late answer of a failed command).

        Raises ``ModemTimeout`` when the marker is not answered in time; the channel stays out of step and the
        unanswered marker is owed, so the next try reads its late answer too before trusting the line again."""
        self._markers_owed += 1
        self.write(_MARKER.encode("ascii") + b"\r")
        deadline = time.monotonic() + self.timeout
        self._pdu_owner = self._resume_owner = None
        in_marker_answer = False
        while True:
            line = self.readline(deadline)
            if line is None:
                raise ModemTimeout(f"{_MARKER}: no answer from the modem in time (resynchronising)")
            if line == _MARKER:
                continue  # echo
            if in_marker_answer and (line == "OK" or error_from_final_line(_MARKER, line)):
                in_marker_answer = False
                self._markers_owed -= 1
                if self._markers_owed == 0:
                    self._out_of_step = False
                    self._pdu_owner = self._resume_owner = None
                    return
                continue
            if line.startswith("+CMGF:"):
                in_marker_answer = True
                continue
            self.unsolicited(line)  # a late answer's lines are ignored there; URCs (+CMTI, +CMT) still count

    def read_answer(
        self, command: str, expect: tuple[str, ...], deadline: float, final_optional: bool = False
    ) -> list[str]:
        try:
            return self._read_answer(command, expect, deadline, final_optional)
        except (ModemTimeout, ModemCommandError):
            # a late answer, or the real one behind a stray error line, may still come: realign before the next
            self._out_of_step = True
            raise

    def _read_answer(self, command: str, expect: tuple[str, ...], deadline: float, final_optional: bool) -> list[str]:
        lines: list[str] = []
        self._pdu_owner = self._resume_owner = None
        while True:
            line = self._next_answer_line(command, deadline, quiet_ends=final_optional and bool(lines))
            if line is None:
                return lines
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
            if error := error_from_final_line(command, line):
                raise error
            if expect and line.startswith(expect) and _solicited(line):
                lines.append(line)
                self._pdu_owner = "response" if line.startswith(("+CMGL:", "+CMGR:")) else None
                continue
            self.unsolicited(line)

    def _next_answer_line(self, command: str, deadline: float, quiet_ends: bool) -> str | None:
        """The next line of an answer; None when ``quiet_ends`` and the modem has gone quiet (models that omit
        the final OK), ``ModemTimeout`` at the deadline otherwise."""
        if quiet_ends:
            return self.readline(min(deadline, time.monotonic() + 0.3))
        line = self.readline(deadline)
        if line is None:
            raise ModemTimeout(f"{command}: no answer from the modem in time")
        return line

    def wait_prompt(self, command: str, deadline: float) -> None:
        """Wait for the "> " prompt, which has no line ending, handling whole lines that come before it."""
        try:
            self._wait_prompt(command, deadline)
        except (ModemTimeout, ModemCommandError):
            self._out_of_step = True
            raise

    def _wait_prompt(self, command: str, deadline: float) -> None:
        while True:
            while self._rbuf[:1] in (b"\r", b"\n"):
                del self._rbuf[:1]
            if self._rbuf[:1] == b">":
                del self._rbuf[: 2 if self._rbuf[1:2] == b" " else 1]
                return
            if self._has_line():
                line = self.readline(time.monotonic())
                if line is None or line == command:
                    continue
                if error := error_from_final_line(command, line):
                    raise error
                self.unsolicited(line)
                continue
            if time.monotonic() >= deadline:
                self.write(b"\x1b")  # leave text-entry mode in case the prompt was lost
                raise ModemTimeout(f"{command}: no '> ' prompt from the modem")
            self._fill(wait=True)

    def while_busy(self, run: Callable[[], list[str]]) -> list[str]:
        """Retry while the SIM is busy (just powered up or unlocked), with a bounded backoff."""
        deadline = time.monotonic() + self._busy_wait
        pause = 0.05
        while True:
            try:
                return run()
            except ModemCommandError as exc:
                if not is_sim_busy(exc) or time.monotonic() + pause > deadline:
                    raise
                log.info("SIM busy (%s); retrying in %.2f s", exc, pause)
                time.sleep(pause)
                pause = min(pause * 2, 2.0)

    def optional(self, command: str, expect: tuple[str, ...] = ()) -> list[str] | None:
        """Run a command some models lack: None (and a log line) when refused."""
        if command in self._skipped:
            return None
        try:
            return self.while_busy(lambda: self.command(command, expect=expect))
        except ModemCommandError as exc:
            log.info("modem does not take %s (%s); skipping", command, exc)
            self._skipped.add(command)
            self.resync()
            return None
        except ModemTimeout as exc:
            log.info("no answer to %s (%s); skipping it this time", command, exc)
            self.resync()
            return None

    # ------------------------------------------------------------------ unsolicited lines

    def unsolicited(self, line: str) -> None:
        if line.startswith(_URC_WITH_PDU):
            # the URC's PDU comes next; an answer's +CMGL/+CMGR header waiting for its own PDU resumes after it
            self._resume_owner = self._pdu_owner if self._pdu_owner == "response" else None
            self._pdu_owner = line[:5]
            return
        if _HEX.fullmatch(line) and self._pdu_owner in _URC_WITH_PDU:
            owner, self._pdu_owner = self._pdu_owner, None
            self._urc_pdu(owner or "", line)
            return
        if not self._on_unsolicited(line):
            log.debug("modem said %r outside an answer; ignored", line[:80])

    def _urc_pdu(self, owner: str, pdu: str) -> None:
        self._pdu_owner, self._resume_owner = self._resume_owner, None
        if owner == "+CMT:":
            self._on_pushed_text(pdu)
        # +CDS: status reports are not requested; dropped

    # ------------------------------------------------------------------ low-level I/O

    def write(self, data: bytes) -> None:
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
        if len(self._rbuf) > _MAX_UNTERMINATED:
            log.warning("discarding %d bytes of unterminated modem output", len(self._rbuf))
            self._rbuf.clear()

    def _has_line(self) -> bool:
        return b"\r" in self._rbuf or b"\n" in self._rbuf

    def readline(self, deadline: float) -> str | None:
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
                if not self._has_line():
                    return None
                continue
            self._fill(wait=True)

    def drain(self) -> None:
        """Handle unsolicited lines already waiting, without waiting for more."""
        while (line := self.readline(time.monotonic())) is not None:
            self.unsolicited(line)

    def resync(self) -> None:
        """After a timeout or garbage, drop any buffered half-answer so the next command starts clean (and
        realign with the marker before it, once the modem is set up)."""
        if self._ser is None:
            return
        self._out_of_step = True
        try:
            self.drain()
        except ModemError as exc:
            # the caller is already handling a failure; the next command meets whatever is left
            log.debug("could not drain the modem while resynchronising: %s", exc)
        self._pdu_owner = None
