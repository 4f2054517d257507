"""The receipt printer adapter: turns :mod:`kiosk.receipts` values into ESC/POS bytes and gets them onto paper.

Owns: the :class:`ReceiptPrinter` port and its implementations, the printer URL (:func:`open_printer`), the
printer exceptions (root :class:`PrinterError`), status checks, the test page, and keeping python-escpos's
import side effects out of the rest of the program.

How a job goes: the receipt is first rendered to bytes in memory with python-escpos's ``Dummy`` (the printer
profile picks code pages and whether QR codes are drawn natively), so a rendering problem never leaves half a
receipt on paper. Then a connection is opened *for this job only* with a short timeout, the paper sensor is
asked (``DLE EOT 4``) where the transport can answer, the bytes are sent, the paper sensor is asked once more
(this also notices a printer that dropped the connection mid-job), and the connection is closed. Jobs on one
printer object run one at a time. Every failure is a :class:`PrinterError` whose ``maybe_printed`` says whether
any byte of the receipt had been sent (a queue may retry freely when it is False).

Transports are our own small classes over ``socket``, pyserial and ``os`` rather than python-escpos's
``Network``/``Serial``/``File``: those default to a 60 s socket timeout, set no serial write timeout (a printer
holding flow control would hang a worker forever), read status by waiting for 16 bytes (the full timeout on a
serial line), hide refused/timeout behind one ``DeviceNotFoundError``, and log through the root logger (which
installs a root handler). USB goes through python-escpos's ``Usb`` (it needs pyusb and libusb, not installed by
default).

Printer URLs: ``usb:VID:PID`` (hex), ``serial:/dev/ttyUSB0?baudrate=19200``, ``network:HOST[:PORT]`` (port 9100
by default; ``network:[::1]:9100`` for IPv6), ``file:PATH``, ``console`` (no paper: see :class:`ConsolePrinter`),
``none``. Serial and network URLs accept ``?status=off`` for printers that never answer status queries (then
paper-out cannot be noticed).

``none`` means printing is turned off: :class:`DisabledPrinter` *raises* :class:`PrintingDisabled` on every job
(so a queue never marks a receipt printed that was not) and reports ``online=False``, detail "printing is
turned off".

Importing python-escpos (see :func:`escpos_modules`) calls ``logging.basicConfig()`` and makes a temporary
folder (``escpos.capabilities`` calls ``mkdtemp()`` and, unless ``ESCPOS_CAPABILITIES_PICKLE_DIR`` is set,
writes a pickle cache of the printer database into it; the pickle is read only during that import). We import
it lazily, once, restore the root logger's handlers and level, and remove that folder when it is the one
escpos made (under the temp dir, named ``tmp*``, holding nothing but the pickle). With the environment variable
set the empty folder escpos made cannot be told apart from others and is left alone.
"""

from __future__ import annotations

import logging
import os
import platform
import select
import shutil
import socket
import sys
import tempfile
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, Literal, Protocol, runtime_checkable
from urllib.parse import parse_qs

from hardware.codepages import PageWriter, plan_pages
from kiosk.receipts import Receipt, layout, printer_test_receipt, render_text

log = logging.getLogger(__name__)

Paper = Literal["ok", "low", "out", "unknown"]

DLE_EOT_ONLINE = b"\x10\x04\x01"
DLE_EOT_PAPER = b"\x10\x04\x04"
URL_FORMS = "usb:VID:PID (hex), serial:/dev/ttyUSB0?baudrate=19200, network:HOST[:PORT], file:PATH, console, none"


# ---------------------------------------------------------------------------------------------------------------
# Errors and status


class PrinterError(Exception):
    """Anything that kept a receipt from printing; the message is meant for an organizer to read.

    ``maybe_printed`` is False when the failure came before any byte of the receipt was sent (retrying cannot
    print it twice) and True when bytes had gone out (part or all of the receipt may be on paper).
    """

    maybe_printed: bool = False


class PrinterUnavailable(PrinterError, ConnectionError):
    """The printer cannot be reached, refused the connection, or went away during a job."""


class PrinterTimeout(PrinterError, TimeoutError):
    """The printer did not answer or accept data in time."""


class PaperOut(PrinterError):
    """The printer reports no paper."""


class PrintingDisabled(PrinterError):
    """Printing is turned off in the configuration (printer URL ``none``)."""

    # Retrying cannot help: the print queue fails such jobs at once instead of backing off forever.
    permanent = True


@dataclass(frozen=True)
class PrinterStatus:
    online: bool | None
    paper: Paper
    detail: str


@runtime_checkable
class ReceiptPrinter(Protocol):
    @property
    def description(self) -> str: ...

    @property
    def columns(self) -> int: ...

    def print_receipt(self, receipt: Receipt) -> None: ...

    def status(self) -> PrinterStatus: ...

    def close(self) -> None: ...


# ---------------------------------------------------------------------------------------------------------------
# python-escpos, imported once and without side effects

_escpos_lock = threading.Lock()
_escpos: SimpleNamespace | None = None


@contextmanager
def _root_logger_kept() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
                handler.close()
        root.setLevel(level)


def _remove_escpos_tempdir(capabilities: Any) -> None:
    if "ESCPOS_CAPABILITIES_PICKLE_DIR" in os.environ:
        return
    folder = os.path.abspath(str(getattr(capabilities, "pickle_dir", "")))
    expected = {f"{platform.python_version()}.capabilities.pickle"}
    try:
        if (
            os.path.dirname(folder) == os.path.abspath(tempfile.gettempdir())
            and os.path.basename(folder).startswith("tmp")
            and os.path.isdir(folder)
            and not os.path.islink(folder)
            and set(os.listdir(folder)) <= expected
        ):
            shutil.rmtree(folder)
    except OSError as exc:  # only tidiness is lost
        log.debug("could not remove python-escpos's temporary folder %s: %s", folder, exc)


def escpos_modules() -> SimpleNamespace:
    """python-escpos's modules, imported on first use with its logging and temp-folder side effects undone."""
    global _escpos
    with _escpos_lock:
        if _escpos is None:
            fresh = "escpos.capabilities" not in sys.modules
            with _root_logger_kept():
                from escpos import capabilities, constants, exceptions
                from escpos.printer import Dummy, Usb
            if fresh:
                _remove_escpos_tempdir(capabilities)
            _escpos = SimpleNamespace(
                capabilities=capabilities, constants=constants, exceptions=exceptions, Dummy=Dummy, Usb=Usb
            )
        return _escpos


_profile_names: frozenset[str] | None = None


def _profiles() -> frozenset[str]:
    """The printer profiles python-escpos knows, read from its capabilities file without importing it.

    Why: importing python-escpos costs about 0.2 s of CPU (1.3 s on a Pi 4 core), and the web process checks the
    configured profile when it starts, before the screen's first page; the receipts themselves import it later.
    The file is the one python-escpos reads (``ESCPOS_CAPABILITIES_FILE`` if set, else its packaged JSON)."""
    global _profile_names
    if _profile_names is None:
        try:
            import importlib.util
            import json
            from pathlib import Path

            spec = importlib.util.find_spec("escpos")
            packaged = Path(spec.origin).with_name("capabilities.json") if spec and spec.origin else None
            path = Path(os.environ.get("ESCPOS_CAPABILITIES_FILE") or str(packaged))
            names = frozenset(json.loads(path.read_text(encoding="utf-8"))["profiles"])
        except (OSError, ValueError, KeyError, TypeError):
            names = frozenset(escpos_modules().capabilities.CAPABILITIES["profiles"])
        _profile_names = names
    return _profile_names


def known_profiles() -> list[str]:
    return sorted(_profiles())


def _check_profile(profile: str, codepage: str = "auto") -> None:
    if profile not in _profiles():
        raise ValueError(
            f"unknown printer profile {profile!r}; python-escpos knows e.g. TM-T20II, TM-T88V, TM-T20, default "
            f"({len(known_profiles())} in all)"
        )
    if codepage != "auto":
        # A page named in the configuration is checked at start-up (this imports python-escpos, which "auto"
        # leaves to the first receipt, to keep the screen's cold start short).
        plan_pages(escpos_modules().capabilities.get_profile(profile), codepage)  # ValueError names the pages


# ---------------------------------------------------------------------------------------------------------------
# Rendering


# Profiles without a cutter (python-escpos's POS-5890, NT-5890K, ...) are torn off against the tear bar: the
# last printed line must clear it. At the default line spacing (1/6 inch) 8 lines are about 34 mm, past the
# 10-15 mm from print line to tear bar of common 58 mm mechanisms with room to tear straight.
TEAR_OFF_LINES = 8
ESC_DEFAULT_SPACING = b"\x1b2"


def render_escpos(
    receipt: Receipt, *, profile: str = "TM-T20II", columns: int = 48, cut: bool = True, codepage: str = "auto"
) -> bytes:
    """The ESC/POS bytes for ``receipt`` laid out ``columns`` wide, starting with a printer reset (ESC @).

    Text is sent in the code pages :mod:`hardware.codepages` chooses for ``profile`` and ``codepage``.
    """
    es = escpos_modules()
    dummy = es.Dummy(profile=profile)
    plan = plan_pages(dummy.profile, codepage)
    pages = PageWriter(plan)
    # All our text goes through ``pages``; python-escpos itself writes only line feeds around an image QR code,
    # and with no page recorded its magic encoding would select one (ESC t 1 on the POS-5890) for them.
    dummy.magic.encoding = plan.base[0]
    native_qr = bool(dummy.profile.supports("qrCode"))
    dummy.hw("INIT")
    pages.reset()  # ESC @ puts the printer back on its own default page
    style: tuple[str, bool, int, bool] | None = None
    for line in layout(receipt, columns):
        if line.qr is not None:
            if style != ("center", False, 1, False):
                dummy.set(align="center", bold=False, normal_textsize=True)
                style = ("center", False, 1, False)
            size = line.qr.size if native_qr else _image_qr_size(line.qr.data, line.qr.size, dummy.profile)
            dummy.qr(line.qr.data, ec=es.constants.QR_ECLEVEL_M, size=size, native=native_qr)
            dummy._raw(b"\n")
            continue
        wanted = (line.align, line.bold, line.scale, line.tall)
        if wanted != style:
            # Size goes first: ESC ! (size) also clears bold on Epson printers, so bold is set again after it.
            dummy.set(
                align=line.align,
                bold=line.bold,
                double_width=line.scale == 2,
                double_height=line.tall,
                normal_textsize=line.scale == 1 and not line.tall,
            )
            style = wanted
        dummy._raw(pages.encode(line.text) + b"\n")
    dummy.set(align="left", bold=False, normal_textsize=True)
    if cut:
        if has_cutter(dummy.profile):
            dummy.cut()
        else:
            dummy._raw(ESC_DEFAULT_SPACING)
            dummy.print_and_feed(TEAR_OFF_LINES)
    return dummy.output


def has_cutter(profile: Any) -> bool:
    return bool(profile.supports("paperFullCut") or profile.supports("paperPartCut"))


def _image_qr_size(data: str, wanted: int, profile: Any) -> int:
    """Module size for a QR code drawn as an image, shrunk so it fits the paper (escpos refuses wider images)."""
    import qrcode

    code = qrcode.QRCode(version=None, error_correction=qrcode.constants.ERROR_CORRECT_M, border=1)
    code.add_data(data)
    code.make(fit=True)
    pixels = profile.profile_data.get("media", {}).get("width", {}).get("pixels")
    width = pixels if isinstance(pixels, int) else 384  # 58 mm paper: the narrowest we expect
    return max(1, min(wanted, width // (code.modules_count + 2)))


# ---------------------------------------------------------------------------------------------------------------
# Transports ("links"): one per job


class _Link(Protocol):
    can_query: bool

    def send(self, data: bytes) -> None: ...

    def query(self, command: bytes, wait: float | None = None) -> bytes: ...

    def close(self) -> None: ...


class _SocketLink:
    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.can_query = True
        self.sock = socket.create_connection((host, port), timeout=timeout)
        # A small send buffer keeps "sent" close to "taken by the printer", so a stalled printer shows up as a
        # send timeout instead of megabytes vanishing into kernel buffers. Receipts are a few kilobytes.
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16384)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def query(self, command: bytes, wait: float | None = None) -> bytes:
        self.sock.sendall(command)
        if wait is not None:
            self.sock.settimeout(wait)
        answer = self.sock.recv(1)
        if not answer:
            raise ConnectionResetError("the printer closed the connection")
        return answer

    def close(self) -> None:
        with suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


class _SerialLink:
    def __init__(self, port: str, baudrate: int, timeout: float, rtscts: bool, query: bool) -> None:
        import serial  # pyserial; kept out of module import so console/none need nothing

        self.can_query = query
        self.port = serial.Serial(port, baudrate=baudrate, timeout=timeout, write_timeout=timeout, rtscts=rtscts)

    def send(self, data: bytes) -> None:
        self.port.write(data)
        self.port.flush()

    def query(self, command: bytes, wait: float | None = None) -> bytes:
        self.port.reset_input_buffer()
        self.port.write(command)
        self.port.flush()
        if wait is not None:
            self.port.timeout = wait
        answer = self.port.read(1)
        if not answer:
            raise TimeoutError("no answer to a status query")
        return bytes(answer)

    def close(self) -> None:
        self.port.close()


class _FileLink:
    can_query = False

    def __init__(self, path: str, timeout: float) -> None:
        self.timeout = timeout
        # Non-blocking, so a device file whose printer is off cannot hold the worker past the timeout.
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK, 0o644)

    def send(self, data: bytes) -> None:
        view = memoryview(data)
        poller = select.poll()
        poller.register(self.fd, select.POLLOUT)
        while view:
            if not poller.poll(self.timeout * 1000):
                raise TimeoutError("the device did not accept data")
            try:
                view = view[os.write(self.fd, view) :]
            except BlockingIOError:
                continue

    def query(self, command: bytes, wait: float | None = None) -> bytes:
        raise NotImplementedError

    def close(self) -> None:
        os.close(self.fd)


class _UsbLink:
    def __init__(self, vendor: int, product: int, timeout: float, in_ep: int, out_ep: int, profile: str) -> None:
        es = escpos_modules()
        if not es.Usb.is_usable():
            raise PrinterUnavailable(
                "USB printing needs the pyusb package and libusb, which are not installed; "
                "install pyusb, or connect the printer by network or serial"
            )
        self.can_query = True
        self.printer = es.Usb(vendor, product, timeout=int(timeout * 1000), in_ep=in_ep, out_ep=out_ep, profile=profile)
        with _root_logger_kept():
            self.printer.open()

    def send(self, data: bytes) -> None:
        self.printer._raw(data)

    def query(self, command: bytes, wait: float | None = None) -> bytes:
        self.printer._raw(command)
        answer = bytes(self.printer._read())
        if not answer:
            raise TimeoutError("no answer to a status query")
        return answer[:1]

    def close(self) -> None:
        with _root_logger_kept():
            self.printer.close()


# ---------------------------------------------------------------------------------------------------------------
# Printers


def _paper_from(byte: int) -> Paper:
    # Bits of the DLE EOT 4 answer: 2-3 paper near end, 5-6 paper end (python-escpos's masks agree).
    if byte & 0x60:
        return "out"
    if byte & 0x0C:
        return "low"
    return "ok"


class EscposPrinter:
    """A real ESC/POS printer behind one transport; connects per job."""

    def __init__(
        self,
        description: str,
        connect: Any,
        *,
        profile: str,
        columns: int,
        timeout: float,
        query: bool,
        codepage: str = "auto",
    ) -> None:
        self._description = description
        self._connect = connect
        self.profile = profile
        self.codepage = codepage
        self._columns = columns
        self.timeout = timeout
        self.query_status = query
        # One job at a time per printer: many printers take a single connection, and jobs must not interleave.
        self._lock = threading.Lock()

    @property
    def description(self) -> str:
        return self._description

    @property
    def columns(self) -> int:
        return self._columns

    def __repr__(self) -> str:
        return f"<EscposPrinter {self._description} profile={self.profile} columns={self._columns}>"

    @contextmanager
    def _plain_errors(self, doing: str, seconds: float | None = None) -> Iterator[None]:
        where = self._description
        try:
            yield
        except PrinterError:
            raise
        except Exception as exc:
            raise self._translate(exc, doing, where, self.timeout if seconds is None else seconds) from exc

    def _translate(self, exc: Exception, doing: str, where: str, seconds: float) -> PrinterError:
        t = f"{seconds:g}"
        name = type(exc).__name__
        if name == "SerialTimeoutException" or isinstance(exc, TimeoutError):
            return PrinterTimeout(f"The printer at {where} did not respond within {t} s while {doing}.")
        if isinstance(exc, ConnectionRefusedError):
            return PrinterUnavailable(
                f"The printer at {where} refused the connection. Is it switched on, and is the address right?"
            )
        if isinstance(exc, ConnectionResetError | BrokenPipeError | ConnectionAbortedError):
            return PrinterUnavailable(
                f"The connection to the printer at {where} dropped while {doing}; the receipt may be incomplete."
            )
        if name == "SerialException" or isinstance(exc, OSError):
            reason = getattr(exc, "strerror", None) or str(exc) or name
            return PrinterUnavailable(f"Cannot reach the printer at {where} ({reason}).")
        es_errors = escpos_modules().exceptions
        if isinstance(exc, es_errors.DeviceNotFoundError):
            return PrinterUnavailable(f"Cannot find the printer at {where}. Is it plugged in and switched on?")
        return PrinterError(f"The printer at {where} failed while {doing}: {exc}")

    def _paper(self, link: _Link, wait: float | None = None) -> Paper:
        return _paper_from(link.query(DLE_EOT_PAPER, wait)[0])

    def print_receipt(self, receipt: Receipt) -> None:
        try:
            data = render_escpos(receipt, profile=self.profile, columns=self._columns, codepage=self.codepage)
        except escpos_modules().exceptions.Error as exc:
            raise PrinterError(f"The receipt cannot be prepared for a {self.profile} printer: {exc}") from exc
        with self._lock:
            self._print(receipt, data)

    def _print(self, receipt: Receipt, data: bytes) -> None:
        with self._plain_errors("connecting"):
            link = self._connect()
        try:
            check = self.query_status and link.can_query
            if check:
                with self._plain_errors("checking the paper"):
                    paper = self._paper(link)
                if paper == "out":
                    raise PaperOut(f"The printer at {self._description} is out of paper. Load a new roll.")
                if paper == "low":
                    log.warning("printer %s: paper is running low", self._description)
            try:
                with self._plain_errors("printing"):
                    link.send(data)
                if check:
                    self._confirm(link)
            except PrinterError as exc:
                exc.maybe_printed = True
                raise
        finally:
            try:
                link.close()
            except OSError as exc:
                log.debug("closing printer %s: %s", self._description, exc)
        log.info("printed a %s receipt (%d bytes) on %s", receipt.kind, len(data), self._description)

    def _confirm(self, link: _Link) -> None:
        """Ask for the paper once more: notices paper running out mid-job and a connection that dropped."""
        # The answer can queue behind data still in the printer's buffer: allow a few seconds of paper.
        wait = max(3 * self.timeout, 5.0)
        with self._plain_errors("printing", wait):
            paper = self._paper(link, wait)
        if paper == "out":
            raise PaperOut(
                f"The printer at {self._description} ran out of paper while printing; "
                "the receipt may be incomplete. Load a new roll and reprint."
            )

    def status(self) -> PrinterStatus:
        """Never raises for printer trouble: an unreachable printer is ``online=False`` with the reason."""
        with self._lock:
            return self._status()

    def _status(self) -> PrinterStatus:
        try:
            with self._plain_errors("connecting"):
                link = self._connect()
        except PrinterError as exc:
            return PrinterStatus(False, "unknown", str(exc))
        try:
            if not (self.query_status and link.can_query):
                return PrinterStatus(
                    None, "unknown", f"{self._description}: reachable; paper status is not available on this connection"
                )
            with self._plain_errors("answering a status query"):
                online_byte = link.query(DLE_EOT_ONLINE)[0]
                paper = self._paper(link)
            online = not online_byte & 0x08
            detail = {"ok": "paper ok", "low": "paper running low", "out": "out of paper"}[paper]
            return PrinterStatus(online, paper, f"{self._description}: {'online' if online else 'offline'}, {detail}")
        except PrinterError as exc:
            return PrinterStatus(False, "unknown", str(exc))
        finally:
            with suppress(OSError):
                link.close()

    def close(self) -> None:
        """Nothing stays open between jobs."""


class ConsolePrinter:
    """No paper: receipts are kept in memory for the demo's on-screen preview page, and never logged.

    A receipt holds a ballot token or a verification code, and the sign-in receipt before it names the attendee:
    logged, the two together would link a name to a ballot (issue 12). So the log says only that a receipt was
    made. ``preview=False`` (``kiosk serve``, which has no preview page) keeps nothing either: with no printer
    configured the receipt exists only on the kiosk screen.
    """

    KEEP = 50

    def __init__(self, columns: int = 48, *, preview: bool = True) -> None:
        self._columns = columns
        self._preview = preview
        self._recent: deque[tuple[datetime, str]] = deque(maxlen=self.KEEP if preview else 0)
        self._lock = threading.Lock()

    @property
    def description(self) -> str:
        return "console"

    @property
    def columns(self) -> int:
        return self._columns

    def print_receipt(self, receipt: Receipt) -> None:
        if self._preview:
            text = render_text(receipt, self._columns)
            with self._lock:
                self._recent.append((datetime.now(UTC), text))
        log.debug("a %s receipt was made (no printer: shown on screen only, never logged)", receipt.kind)

    def recent(self) -> list[tuple[datetime, str]]:
        """The last 50 receipts as (UTC time, text), oldest first (none without the preview)."""
        with self._lock:
            return list(self._recent)

    def status(self) -> PrinterStatus:
        where = "the on-screen preview page" if self._preview else "the kiosk screen only (no printer configured)"
        return PrinterStatus(True, "ok", f"console printer: receipts go to {where}, never to the log")

    def close(self) -> None:
        pass


class DisabledPrinter:
    """Printing turned off: every job raises :class:`PrintingDisabled`, so nothing is dropped silently."""

    MESSAGE = "printing is turned off"

    def __init__(self, columns: int = 48) -> None:
        self._columns = columns

    @property
    def description(self) -> str:
        return "none"

    @property
    def columns(self) -> int:
        return self._columns

    def print_receipt(self, receipt: Receipt) -> None:
        raise PrintingDisabled(f"Cannot print the {receipt.kind} receipt: {self.MESSAGE} (printer URL 'none').")

    def status(self) -> PrinterStatus:
        return PrinterStatus(False, "unknown", self.MESSAGE)

    def close(self) -> None:
        pass


# ---------------------------------------------------------------------------------------------------------------
# URLs


def _bad(url: str, why: str) -> ValueError:
    return ValueError(f"bad printer URL {url!r}: {why}. Allowed: {URL_FORMS}")


def _options(url: str, query: str, allowed: set[str]) -> dict[str, str]:
    if not query:
        return {}
    try:
        parsed = parse_qs(query, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise _bad(url, f"cannot read the options {query!r}") from None
    unknown = set(parsed) - allowed
    if unknown:
        raise _bad(url, f"unknown option(s) {', '.join(sorted(unknown))} (known: {', '.join(sorted(allowed))})")
    return {k: v[-1] for k, v in parsed.items()}


def _switch(url: str, options: dict[str, str], name: str, default: bool) -> bool:
    value = options.get(name)
    if value is None:
        return default
    if value.lower() in ("on", "1", "true", "yes"):
        return True
    if value.lower() in ("off", "0", "false", "no"):
        return False
    raise _bad(url, f"{name} must be on or off")


def _hex16(url: str, text: str, what: str) -> int:
    try:
        value = int(text, 16)
    except ValueError:
        raise _bad(url, f"{what} {text!r} is not hexadecimal") from None
    if not 0 <= value <= 0xFFFF:
        raise _bad(url, f"{what} {text!r} is out of range")
    return value


def open_printer(
    url: str,
    *,
    profile: str = "TM-T20II",
    columns: int = 48,
    timeout: float = 3.0,
    codepage: str = "auto",
    preview: bool = True,
) -> ReceiptPrinter:
    """A printer for ``url`` (see the module docstring). Nothing connects until the first job or status call.

    ``codepage`` is the ``[printer] codepage`` setting (see :mod:`hardware.codepages`); ``preview`` is for
    ``console`` only: keep recent receipts in memory for the demo's preview page."""
    if not isinstance(url, str):
        raise _bad(str(url), "not text")
    if isinstance(columns, bool) or not isinstance(columns, int) or not 16 <= columns <= 96:
        raise ValueError("columns must be a whole number from 16 to 96 (48 for 80 mm paper, 32 for 58 mm)")
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 60:
        raise ValueError("timeout must be a number of seconds above 0 and at most 60")
    text = url.strip()
    scheme, _, rest = text.partition(":")
    scheme = scheme.lower()
    if scheme == "console" and not rest:
        return ConsolePrinter(columns, preview=preview)
    if scheme == "none" and not rest:
        return DisabledPrinter(columns)
    common = {"profile": profile, "columns": columns, "timeout": float(timeout), "codepage": codepage}
    if scheme == "network":
        target, _, query = rest.partition("?")
        options = _options(url, query, {"status"})
        if target.startswith("["):
            host, _, tail = target[1:].partition("]")
            port_text = tail[1:] if tail.startswith(":") else ("" if not tail else None)
        else:
            host, _, port_text = target.partition(":")
        if not host or port_text is None or any(c.isspace() or c in "/@" for c in host):
            raise _bad(url, "expected network:HOST or network:HOST:PORT")
        try:
            port = int(port_text) if port_text else 9100
        except ValueError:
            raise _bad(url, f"port {port_text!r} is not a number") from None
        if not 0 < port < 65536:
            raise _bad(url, f"port {port} is out of range")
        query_on = _switch(url, options, "status", True)
        _check_profile(profile, codepage)
        return EscposPrinter(
            f"{host}:{port}", lambda: _SocketLink(host, port, float(timeout)), query=query_on, **common
        )
    if scheme == "serial":
        device, _, query = rest.partition("?")
        options = _options(url, query, {"baudrate", "status", "rtscts"})
        if not device:
            raise _bad(url, "expected serial:/dev/ttyUSB0?baudrate=19200")
        try:
            baudrate = int(options.get("baudrate", "9600"))
        except ValueError:
            raise _bad(url, "baudrate must be a number such as 9600 or 19200") from None
        if baudrate not in (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200):
            raise _bad(url, f"baudrate {baudrate} is not one a receipt printer uses (9600, 19200, 38400, ...)")
        query_on = _switch(url, options, "status", True)
        rtscts = _switch(url, options, "rtscts", False)
        _check_profile(profile, codepage)
        return EscposPrinter(
            device,
            lambda: _SerialLink(device, baudrate, float(timeout), rtscts, query_on),
            query=query_on,
            **common,
        )
    if scheme == "file":
        if not rest:
            raise _bad(url, "expected file:PATH")
        _check_profile(profile, codepage)
        return EscposPrinter(rest, lambda: _FileLink(rest, float(timeout)), query=False, **common)
    if scheme == "usb":
        ids, _, query = rest.partition("?")
        options = _options(url, query, {"in_ep", "out_ep"})
        vid_text, sep, pid_text = ids.partition(":")
        if not sep or not vid_text or not pid_text:
            raise _bad(url, "expected usb:VID:PID in hexadecimal, e.g. usb:04b8:0e15")
        vid, pid = _hex16(url, vid_text, "vendor id"), _hex16(url, pid_text, "product id")
        in_ep = _hex16(url, options.get("in_ep", "82"), "in_ep")
        out_ep = _hex16(url, options.get("out_ep", "01"), "out_ep")
        _check_profile(profile, codepage)
        return EscposPrinter(
            f"usb:{vid:04x}:{pid:04x}",
            lambda: _UsbLink(vid, pid, float(timeout), in_ep, out_ep, profile),
            query=True,
            **common,
        )
    raise _bad(url, "unknown kind of printer")


def print_test_page(printer: ReceiptPrinter, *, language: str = "en") -> str:
    """Print a short test page; return a plain-words summary. Raises :class:`PrinterError` on failure."""
    receipt = printer_test_receipt(
        target=printer.description, printed_at=datetime.now().astimezone(), language=language, columns=printer.columns
    )
    try:
        printer.print_receipt(receipt)
    except PrinterError:
        raise
    except Exception as exc:  # a bug or an unexpected library error still gets plain words
        raise PrinterError(f"The test page could not be printed on {printer.description}: {exc}") from exc
    state = printer.status()
    return f"Printed a test page on {printer.description} ({printer.columns} columns). Status: {state.detail}."
