"""A simulated GSM modem on a real pseudo-terminal, for testing sms.gsm_modem without hardware.

The modem side runs on a thread over the pty master; pyserial opens the slave through a symlink in a temp
folder (``<dir>/ttyUSB0``), so ``unplug()``/``replug()`` can model a USB modem going away and coming back at
the same path. The SIM store (index -> PDU) survives a replug, like a real SIM card. Quirks of real models are
data (``ModemProfile``), in the spirit of python-gsmmodem's test/fakemodems.py.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import select
import threading
import tty
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sms.pdu import PduError, Submit, decode_submit, encode_deliver


@dataclass(frozen=True)
class ModemProfile:
    """How one model behaves. ``unsupported`` holds command prefixes answered with ``unsupported_reply``."""

    name: str
    echo_at_start: bool = True
    cpin_final_ok: bool = True
    unsupported: frozenset[str] = frozenset()
    unsupported_reply: str = "ERROR"
    sim_busy_count: int = 0
    urcs_mid_response: tuple[str, ...] = ()
    boot_urcs: tuple[str, ...] = ()
    pin: str | None = None


PROFILES: dict[str, ModemProfile] = {
    "generic": ModemProfile("generic"),
    # Old Wavecom serial modems: no OK after +CPIN, and a three-storage CPMS is refused.
    "wavecom": ModemProfile(
        "wavecom",
        cpin_final_ok=False,
        unsupported=frozenset({'AT+CPMS="SM","SM","SM"', "AT+CNMI=2,1,0,0,0"}),
    ),
    # Huawei E1752/E173 sticks: "COMMAND NOT SUPPORT" and chatty ^RSSI/^BOOT lines in the middle of answers.
    "huawei": ModemProfile(
        "huawei",
        unsupported=frozenset({"AT+CMEE", "AT+COPS"}),
        unsupported_reply="COMMAND NOT SUPPORT",
        urcs_mid_response=("^RSSI: 17", "^BOOT:20952017,0,0,0,72", "+CREG: 1"),
        boot_urcs=("^SIMST: 1",),
    ),
    # A modem with a PIN-locked SIM that is still busy reading the SIM for a while after power-up.
    "sim_busy_pin": ModemProfile("sim_busy_pin", sim_busy_count=3, pin="1234"),
}


@dataclass
class _State:
    echo: bool
    pin_locked: bool
    busy_left: int
    pdu_mode: bool = False


@dataclass
class SimModem:
    """Plays a modem on a pty. Use as a context manager or call ``close()``."""

    directory: Path
    profile: ModemProfile = field(default_factory=lambda: PROFILES["generic"])
    smsc: str = "+15550000000"

    def __post_init__(self) -> None:
        self.link = Path(self.directory) / "ttyUSB0"
        self.store: dict[int, tuple[int, str]] = {}  # index -> (stat, PDU hex); stat 0 unread, 1 read
        self.capacity = 30
        self.sent: list[Submit] = []
        self.commands: list[str] = []
        self.lose_notifications = False
        self.send_errors: list[int] = []  # CMS error codes for the next CMGS commands, in order
        self.inject_next: list[str] = []  # lines to slip into the middle of the next answer
        # A slow answer: the next command starting with this prefix is answered only when the following command
        # arrives (just before that one's answer), after writing ``stray_before_held`` lines at once.
        self.hold_answer_to: str | None = None
        self.stray_before_held: list[str] = []
        self._held: list[str] | None = None
        # a command prefix that makes the device vanish instead of answering
        self.unplug_on: str | None = None
        self.mute = False  # a hung firmware: commands are read but never answered
        self.csq = "17,99"
        self.creg = "0,1"
        self._mr = 0
        self._ref = 40
        self._clock = datetime(2026, 11, 29, 12, 0, 0, tzinfo=UTC)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._master = -1
        self._slave = -1
        self._plug()

    # ---------------------------------------------------------------- life cycle

    @property
    def path(self) -> str:
        return str(self.link)

    def _plug(self) -> None:
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        flags = fcntl.fcntl(self._master, fcntl.F_GETFL)
        fcntl.fcntl(self._master, fcntl.F_SETFL, flags | os.O_NONBLOCK)
        tmp = self.link.with_name(self.link.name + ".new")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        tmp.symlink_to(os.ttyname(self._slave))
        tmp.replace(self.link)  # atomic re-point: "the same device came back"
        self._state = _State(
            echo=self.profile.echo_at_start,
            pin_locked=self.profile.pin is not None,
            busy_left=self.profile.sim_busy_count,
        )
        self._stop = threading.Event()
        self._buf = bytearray()
        self._cmgs_len: int | None = None
        self._thread = threading.Thread(target=self._run, name=f"sim-modem-{self.profile.name}", daemon=True)
        self._thread.start()
        for line in self.profile.boot_urcs:
            self.emit(line)

    def unplug(self) -> None:
        """The USB device disappears: the port's reads and writes fail and the path vanishes."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
            self._thread = None
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._master = self._slave = -1
        with contextlib.suppress(FileNotFoundError):
            self.link.unlink()

    def replug(self) -> None:
        """The device comes back at the same path, freshly powered up, with the same SIM."""
        self.unplug()
        self._plug()

    def close(self) -> None:
        self.unplug()

    def __enter__(self) -> SimModem:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------- the network side

    def deliver(
        self,
        sender: str,
        text: str,
        *,
        ucs2: bool = False,
        order: Sequence[int] | None = None,
        notify: bool = True,
        ref_bits: int = 8,
    ) -> list[int]:
        """Store a text as the network would (several parts if long) and announce each part with +CMTI.

        ``order`` stores the parts in another order (indexes into the part list); returns the SIM indexes.
        """
        self._clock += timedelta(seconds=7)
        self._ref = (self._ref + 1) % 256
        pdus = encode_deliver(
            sender, text, timestamp=self._clock, smsc=self.smsc, ref=self._ref, ref_bits=ref_bits, ucs2=ucs2
        )
        indexes = []
        for i in order if order is not None else range(len(pdus)):
            indexes.append(self.store_pdu(pdus[i], notify=notify))
        return indexes

    def store_pdu(self, pdu: str, *, stat: int = 0, notify: bool = True) -> int:
        with self._lock:
            free = [i for i in range(1, self.capacity + 1) if i not in self.store]
            if not free:
                raise RuntimeError(f"the simulated SIM is full ({self.capacity} texts)")
            index = free[0]
            self.store[index] = (stat, pdu)
        if notify and not self.lose_notifications:
            self.emit(f'+CMTI: "SM",{index}')
        return index

    def emit(self, line: str) -> None:
        """An unsolicited line, written at once (possibly in the middle of an answer being read)."""
        self._write(f"\r\n{line}\r\n".encode())

    def noise(self, data: bytes) -> None:
        self._write(data)

    # ---------------------------------------------------------------- the serial side

    def _write(self, data: bytes) -> None:
        with self._lock:
            fd = self._master
            view = memoryview(data)
            while view and fd >= 0:
                try:
                    n = os.write(fd, view)
                    view = view[n:]
                except BlockingIOError:
                    # nobody reads the port: drop the rest rather than block the test
                    if not select.select([], [fd], [], 1.0)[1]:
                        return
                except OSError:
                    return

    def _run(self) -> None:
        master = self._master
        while not self._stop.is_set():
            try:
                ready = select.select([master], [], [], 0.05)[0]
                if not ready:
                    continue
                data = os.read(master, 4096)
            except OSError as exc:
                if exc.errno in (errno.EAGAIN, errno.EINTR):
                    continue
                return  # EIO: the port side is closed for now; unplug() will tidy up
            if not data:
                continue
            self._buf += data
            self._consume()

    def _consume(self) -> None:
        while True:
            if self._cmgs_len is not None:
                end = min((i for i in (self._buf.find(b"\x1a"), self._buf.find(b"\x1b")) if i >= 0), default=-1)
                if end < 0:
                    return
                body, cancelled = bytes(self._buf[:end]), self._buf[end] == 0x1B
                del self._buf[: end + 1]
                length, self._cmgs_len = self._cmgs_len, None
                if self._state.echo:
                    self._write(body)
                self._reply(["OK"] if cancelled else self._finish_cmgs(body.decode("ascii", "replace"), length))
                continue
            end = self._buf.find(b"\r")
            if end < 0:
                return
            raw = bytes(self._buf[:end])
            del self._buf[: end + 1]
            if self._state.echo:
                self._write(raw + b"\r")
            command = raw.decode("ascii", "replace").strip().lstrip("\n")
            if not command:
                continue
            self.commands.append(command)
            if self.mute:
                continue
            if self.unplug_on and command.upper().startswith(self.unplug_on.upper()):
                self.unplug_on = None
                self.unplug()  # mid-read: the backend is waiting for this answer
                return
            lines = self._answer(command)
            if lines is None:
                continue
            if self.hold_answer_to and command.upper().startswith(self.hold_answer_to.upper()):
                self.hold_answer_to, self._held = None, lines
                for stray in self.stray_before_held:
                    self.emit(stray)
                self.stray_before_held = []
                continue
            if self._held is not None:
                held, self._held = self._held, None
                self._reply(held)
            self._reply(lines)

    def _reply(self, lines: list[str]) -> None:
        mid = list(self.inject_next) + list(self.profile.urcs_mid_response)
        self.inject_next.clear()
        out: list[str] = []
        for i, line in enumerate(lines):
            if mid and (i == 1 or (i == len(lines) - 1 and len(lines) == 1)):
                out.extend(mid)  # slipped in after the first line, or before a lone final result
                mid = []
            out.append(line)
        self._write(b"".join(f"\r\n{line}\r\n".encode() for line in out))

    # ---------------------------------------------------------------- AT commands

    def _answer(self, command: str) -> list[str] | None:
        up = command.upper()
        st = self._state
        if not up.startswith("AT"):
            return ["ERROR"]
        if any(up.startswith(p.upper()) for p in self.profile.unsupported):
            return [self.profile.unsupported_reply]
        if up in ("AT", "ATZ"):
            return ["OK"]
        if up in ("ATE0", "ATE1"):
            st.echo = up == "ATE1"
            return ["OK"]
        if st.busy_left > 0:
            st.busy_left -= 1
            return ["+CME ERROR: 14"]
        if up.startswith("AT+CPIN?"):
            answer = ["+CPIN: SIM PIN" if st.pin_locked else "+CPIN: READY"]
            return [*answer, "OK"] if self.profile.cpin_final_ok else answer
        if up.startswith("AT+CPIN="):
            if command[8:].strip('"') == self.profile.pin:
                st.pin_locked = False
                return ["OK"]
            return ["+CME ERROR: 16"]
        if st.pin_locked and not up.startswith("AT+CMEE"):
            return ["+CME ERROR: 11"]
        if up.startswith(("AT+CMEE=", "AT+CNMI=", "AT+CMGF=1")):
            return ["OK"]
        if up == "AT+CMGF=0":
            st.pdu_mode = True
            return ["OK"]
        if up == "AT+CMGF?":
            return [f"+CMGF: {0 if st.pdu_mode else 1}", "OK"]
        if up.startswith("AT+CPMS="):
            used = len(self.store)
            return [f"+CPMS: {used},{self.capacity},{used},{self.capacity},{used},{self.capacity}", "OK"]
        if up == "AT+CSQ":
            return [f"+CSQ: {self.csq}", "OK"]
        if up == "AT+CREG?":
            return [f"+CREG: {self.creg}", "OK"]
        if up == "AT+COPS?":
            return ['+COPS: 0,0,"SimTel"', "OK"]
        if up.startswith("AT+CMGL="):
            return self._cmgl()
        if up.startswith("AT+CMGR="):
            return self._cmgr(up[8:])
        if up.startswith("AT+CMGD="):
            return self._cmgd(up[8:])
        if up.startswith("AT+CMGS="):
            try:
                self._cmgs_len = int(up[8:])
            except ValueError:
                return ["+CMS ERROR: 304"]
            self._write(b"\r\n> ")
            return None
        return ["ERROR"]

    def _cmgl(self) -> list[str]:
        if not self._state.pdu_mode:
            return ["+CMS ERROR: 302"]
        lines = []
        with self._lock:
            for index in sorted(self.store):
                stat, pdu = self.store[index]
                lines += [f"+CMGL: {index},{stat},,{len(pdu) // 2 - 1 - int(pdu[:2], 16)}", pdu]
                self.store[index] = (max(stat, 1) if stat < 2 else stat, pdu)
        return [*lines, "OK"]

    def _cmgr(self, arg: str) -> list[str]:
        try:
            index = int(arg)
        except ValueError:
            return ["+CMS ERROR: 321"]
        if not 1 <= index <= self.capacity:
            return ["+CMS ERROR: 321"]
        with self._lock:
            if index not in self.store:
                return ["OK"]
            stat, pdu = self.store[index]
            self.store[index] = (1 if stat == 0 else stat, pdu)
        return [f"+CMGR: {stat},,{len(pdu) // 2 - 1 - int(pdu[:2], 16)}", pdu, "OK"]

    def _cmgd(self, arg: str) -> list[str]:
        try:
            index = int(arg.split(",")[0])
        except ValueError:
            return ["+CMS ERROR: 321"]
        if not 1 <= index <= self.capacity:
            return ["+CMS ERROR: 321"]
        with self._lock:
            self.store.pop(index, None)
        return ["OK"]

    def _finish_cmgs(self, pdu: str, length: int) -> list[str]:
        if self.send_errors:
            return [f"+CMS ERROR: {self.send_errors.pop(0)}"]
        try:
            submit = decode_submit(pdu)
        except PduError:
            return ["+CMS ERROR: 304"]
        if submit.damage:  # a real modem refuses user data that does not match its length octet
            return ["+CMS ERROR: 304"]
        if len(pdu) // 2 - 1 - int(pdu[:2], 16) != length:
            return ["+CMS ERROR: 304"]
        self.sent.append(submit)
        self._mr = (self._mr + 1) % 256
        return [f"+CMGS: {self._mr}", "OK"]
