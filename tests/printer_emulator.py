"""Test helpers for the printer: a threaded TCP ESC/POS printer emulator and a strict ESC/POS decoder.

The emulator listens on 127.0.0.1 on a port the OS picks, records the bytes of each connection (one job per
connection, as the adapter connects per job), answers ``DLE EOT n`` status queries, and has fault modes:

* ``refuse``: nothing listens on the port (connections are refused);
* ``stall``: connections are accepted but never read and status queries never answered;
* ``drop``: the connection is reset after ``drop_after`` bytes;
* paper ``out`` / ``low``: status answers say so (``paper`` may be changed while running).

The decoder turns ESC/POS bytes back into printed lines with their style, QR codes and cuts. It knows only the
commands our adapter emits and raises on any other control byte, so a control byte smuggled in by user text
fails a test instead of hiding.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading
from dataclasses import dataclass, field
from typing import Literal

from hardware.printer import escpos_modules

Mode = Literal["ok", "refuse", "stall", "drop"]

ESC, GS, DLE, EOT, LF = 0x1B, 0x1D, 0x10, 0x04, 0x0A


# ---------------------------------------------------------------------------------------------------------------
# Tokenizer


class Incomplete(Exception):
    """The buffer ends inside a command."""


def _need(data: bytes, i: int, n: int) -> None:
    if i + n > len(data):
        raise Incomplete


def next_token(data: bytes, i: int) -> tuple[tuple, int]:
    """One token at ``data[i]``: ("text", bytes) | ("lf",) | (command name, args...). Raises on unknown bytes."""
    b = data[i]
    if b == LF:
        return ("lf",), i + 1
    if b >= 0x20 and b != 0x7F:
        j = i
        while j < len(data) and data[j] >= 0x20 and data[j] != 0x7F:
            j += 1
        return ("text", data[i:j]), j
    if b == DLE:
        _need(data, i, 3)
        if data[i + 1] != EOT:
            raise ValueError(f"unknown DLE command at offset {i}: {data[i : i + 3]!r}")
        return ("status", data[i + 2]), i + 3
    if b == ESC:
        _need(data, i, 2)
        c = data[i + 1]
        if c == ord("@"):
            return ("init",), i + 2
        if c in b"!EatdM-G{3":
            _need(data, i, 3)
            return (f"ESC {chr(c)}", data[i + 2]), i + 3
        if c == ord("2"):
            return ("ESC 2",), i + 2
        raise ValueError(f"unknown ESC command at offset {i}: {data[i : i + 3]!r}")
    if b == GS:
        _need(data, i, 2)
        c = data[i + 1]
        if c in b"!Bb":
            _need(data, i, 3)
            return (f"GS {chr(c)}", data[i + 2]), i + 3
        if c == ord("V"):
            _need(data, i, 3)
            m = data[i + 2]
            if m in (65, 66):
                _need(data, i, 4)
                return ("cut", m, data[i + 3]), i + 4
            return ("cut", m), i + 3
        if c == ord("("):
            _need(data, i, 5)
            kind = data[i + 2]
            (length,) = struct.unpack("<H", data[i + 3 : i + 5])
            _need(data, i, 5 + length)
            return (f"GS ( {chr(kind)}", data[i + 5 : i + 5 + length]), i + 5 + length
        if c == ord("v"):
            _need(data, i, 8)
            xl, xh, yl, yh = data[i + 4 : i + 8]
            size = (xl + 256 * xh) * (yl + 256 * yh)
            _need(data, i, 8 + size)
            return ("raster", xl + 256 * xh, yl + 256 * yh), i + 8 + size
        raise ValueError(f"unknown GS command at offset {i}: {data[i : i + 3]!r}")
    raise ValueError(f"stray control byte 0x{b:02x} at offset {i}")


def tokens(data: bytes) -> list[tuple]:
    out, i = [], 0
    while i < len(data):
        token, i = next_token(data, i)
        out.append(token)
    return out


# ---------------------------------------------------------------------------------------------------------------
# Decoder


@dataclass(frozen=True)
class PrintedLine:
    text: str
    scale: int = 1
    tall: bool = False
    bold: bool = False
    align: str = "left"

    @property
    def width(self) -> int:
        return len(self.text) * self.scale


@dataclass
class Decoded:
    lines: list[PrintedLine] = field(default_factory=list)
    qr: list[str] = field(default_factory=list)
    cuts: int = 0
    resets: int = 0
    status_queries: list[int] = field(default_factory=list)
    codepages: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


def decode(data: bytes, profile: str = "TM-T20II") -> Decoded:
    """Printed lines, QR codes and cuts from ESC/POS bytes, decoding text through the selected code page."""
    es = escpos_modules()
    from escpos.magicencode import Encoder  # escpos is already imported (quietly) by escpos_modules()

    pages = es.capabilities.get_profile(profile).codePages
    out = Decoded()
    page = "CP437"
    size = 0
    bold, align = False, "left"
    current: list[str] = []
    qr_data = ""

    def flush() -> None:
        out.lines.append(
            PrintedLine("".join(current), 2 if size & 0x20 else 1, bool(size & 0x10), bold or bool(size & 0x08), align)
        )
        current.clear()

    for token in tokens(data):
        match token:
            case ("text", raw):
                chars = Encoder._get_codepage_char_list(page)
                current.append("".join(chr(c) if c < 0x80 else chars[c - 0x80] for c in raw))
            case ("lf",):
                flush()
            case ("init",):
                out.resets += 1
                size, bold, align, page = 0, False, "left", "CP437"
            case ("ESC !", n):
                size = n
            case ("ESC E", n):
                bold = bool(n & 1)
            case ("ESC a", n):
                align = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}[n]
            case ("ESC t", n):
                page = pages[str(n)]
                out.codepages.append(page)
            case ("ESC d", n):
                if current:
                    flush()
            case ("cut", *_):
                out.cuts += 1
            case ("status", n):
                out.status_queries.append(n)
            case ("GS ( k", body):
                fn = body[1]
                if fn == ord("P"):
                    qr_data = body[3:].decode("utf-8")
                elif fn == ord("Q"):
                    out.qr.append(qr_data)
            case _:
                pass
    if current:
        flush()
    return out


# ---------------------------------------------------------------------------------------------------------------
# Emulator

_ONLINE, _OFFLINE = 0x16, 0x1E
_PAPER = {"ok": 0x12, "low": 0x1E, "out": 0x72}


class PrinterEmulator:
    """A network ESC/POS printer on 127.0.0.1. Use as a context manager; ``url`` is ready for open_printer."""

    def __init__(self, *, mode: Mode = "ok", paper: str = "ok", drop_after: int = 100, port: int = 0) -> None:
        self.mode = mode
        self.paper = paper
        self.drop_after = drop_after
        self._finished: dict[int, bytes] = {}  # by connection number, so order is arrival order
        self.connections = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._socks: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self.port = port  # 0: chosen by the OS; a given port lets a test bring "the same printer" back

    @property
    def url(self) -> str:
        return f"network:127.0.0.1:{self.port}"

    def __enter__(self) -> PrinterEmulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if self.mode == "stall":
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a printer's small buffer
        listener.bind(("127.0.0.1", self.port))
        self.port = listener.getsockname()[1]
        if self.mode == "refuse":
            # Bound but not listening: the kernel refuses connections, and the port stays ours until stop().
            self._listener = listener
            return
        listener.listen(8)
        self._listener = listener
        self._spawn(self._accept_loop)

    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True, name="printer-emulator")
        self._threads.append(thread)
        thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        if self._listener is not None:
            self._listener.close()
        for sock in self._socks:
            with contextlib.suppress(OSError):
                sock.close()
        alive = [t for t in self._threads if t.is_alive()]
        assert not alive, f"emulator threads did not stop: {alive}"

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            ready, _, _ = select.select([self._listener], [], [], 0.05)
            if not ready:
                continue
            conn, _ = self._listener.accept()
            with self._lock:
                self.connections += 1
                number = self.connections
                self._socks.append(conn)
            self._spawn(self._serve, conn, number)

    def _answer(self, n: int) -> bytes:
        if n == 1:
            return bytes([_OFFLINE if self.paper == "out" else _ONLINE])
        if n == 4:
            return bytes([_PAPER[self.paper]])
        return b"\x12"

    @property
    def jobs(self) -> list[bytes]:
        """Bytes of each finished connection, in the order the connections arrived."""
        with self._lock:
            return [self._finished[n] for n in sorted(self._finished)]

    def _serve(self, conn: socket.socket, number: int) -> None:
        data = bytearray()
        parsed = 0
        try:
            while not self._stop.is_set():
                if self.mode == "stall":
                    self._stop.wait(0.05)
                    continue
                ready, _, _ = select.select([conn], [], [], 0.05)
                if not ready:
                    continue
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
                if self.mode == "drop" and len(data) >= self.drop_after:
                    del data[self.drop_after :]
                    # Linger 0: close sends RST at once, like a printer losing power.
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    break
                while parsed < len(data):
                    try:
                        token, end = next_token(bytes(data), parsed)
                    except Incomplete:
                        break
                    except ValueError:
                        end = parsed + 1  # a real printer prints junk; we skip it
                        token = ("junk",)
                    if token[0] == "status":
                        conn.sendall(self._answer(token[1]))
                    parsed = end
        except OSError:
            pass
        finally:
            with self._lock:
                self._finished[number] = bytes(data)
            conn.close()

    def wait_for_jobs(self, count: int, timeout: float = 3.0) -> list[bytes]:
        """The recorded connections (in arrival order) once at least ``count`` have closed."""
        pause = threading.Event()
        for _ in range(int(timeout / 0.01)):
            jobs = self.jobs
            if len(jobs) >= count:
                return jobs
            pause.wait(0.01)
        raise AssertionError(f"expected {count} finished connections, have {len(self.jobs)}")


class PtyPrinter:
    """A serial ESC/POS printer behind a real pseudo-terminal: pyserial opens ``device`` (the slave side)."""

    def __init__(self, *, paper: str = "ok", answer: bool = True) -> None:
        self.paper = paper
        self.answer = answer
        self.received = bytearray()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.master = -1
        self.slave = -1
        self.device = ""

    @property
    def url(self) -> str:
        return f"serial:{self.device}?baudrate=19200"

    def __enter__(self) -> PtyPrinter:
        import os
        import tty

        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)  # no echo or line discipline before pyserial configures it
        self.device = os.ttyname(self.slave)
        self._thread = threading.Thread(target=self._serve, daemon=True, name="pty-printer")
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        import os

        self._stop.set()
        assert self._thread is not None
        self._thread.join(timeout=5)
        assert not self._thread.is_alive()
        os.close(self.master)
        os.close(self.slave)

    def _serve(self) -> None:
        import os

        parsed = 0
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                return
            self.received += chunk
            while parsed < len(self.received):
                try:
                    token, end = next_token(bytes(self.received), parsed)
                except Incomplete:
                    break
                except ValueError:
                    end, token = parsed + 1, ("junk",)
                if token[0] == "status" and self.answer:
                    reply = bytes([_PAPER[self.paper]]) if token[1] == 4 else bytes([_ONLINE])
                    os.write(self.master, reply)
                parsed = end

    def wait_for(self, marker: bytes, timeout: float = 3.0) -> bytes:
        waiter = threading.Event()
        for _ in range(int(timeout / 0.01)):
            if marker in self.received:
                return bytes(self.received)
            waiter.wait(0.01)
        raise AssertionError(f"{marker!r} never arrived; got {len(self.received)} bytes")
