"""Printer URLs: :func:`open_printer` reads one into a printer, through one small parser per scheme.

``usb:VID:PID`` (hex), ``serial:/dev/ttyUSB0?baudrate=19200``, ``network:HOST[:PORT]`` (port 9100 by default;
``network:[::1]:9100`` for IPv6), ``file:PATH``, ``console`` (no paper: see
:class:`~hardware.printer.console.ConsolePrinter`), ``none`` (printing turned off). Serial and network URLs accept
``?status=off`` for printers that never answer status queries (then paper-out cannot be noticed); USB accepts
``?in_ep=82&out_ep=01``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs

from hardware.printer.console import ConsolePrinter, DisabledPrinter
from hardware.printer.escpos_lib import check_profile
from hardware.printer.escpos_printer import EscposPrinter
from hardware.printer.port import ReceiptPrinter
from hardware.printer.transports import FileLink, Link, SerialLink, SocketLink, UsbLink

URL_FORMS = "usb:VID:PID (hex), serial:/dev/ttyUSB0?baudrate=19200, network:HOST[:PORT], file:PATH, console, none"
BAUDRATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)


@dataclass(frozen=True)
class PrinterSettings:
    """The ``[printer]`` settings that go with the URL."""

    profile: str
    columns: int
    timeout: float
    codepage: str
    preview: bool


@dataclass(frozen=True)
class Connection:
    """What an ESC/POS URL names: where the printer is, how to connect to it, and whether it answers status."""

    description: str
    connect: Callable[[], Link]
    query: bool


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


def _host_and_port(url: str, target: str) -> tuple[str, int]:
    """``HOST``, ``HOST:PORT`` or ``[IPv6]:PORT`` (port 9100 by default)."""
    port_text: str | None
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
    return host, port


def _network(url: str, rest: str, settings: PrinterSettings) -> Connection:
    target, _, query = rest.partition("?")
    options = _options(url, query, {"status"})
    host, port = _host_and_port(url, target)
    query_on = _switch(url, options, "status", True)
    return Connection(f"{host}:{port}", lambda: SocketLink(host, port, settings.timeout), query_on)


def _serial(url: str, rest: str, settings: PrinterSettings) -> Connection:
    device, _, query = rest.partition("?")
    options = _options(url, query, {"baudrate", "status", "rtscts"})
    if not device:
        raise _bad(url, "expected serial:/dev/ttyUSB0?baudrate=19200")
    try:
        baudrate = int(options.get("baudrate", "9600"))
    except ValueError:
        raise _bad(url, "baudrate must be a number such as 9600 or 19200") from None
    if baudrate not in BAUDRATES:
        raise _bad(url, f"baudrate {baudrate} is not one a receipt printer uses (9600, 19200, 38400, ...)")
    query_on = _switch(url, options, "status", True)
    rtscts = _switch(url, options, "rtscts", False)
    return Connection(device, lambda: SerialLink(device, baudrate, settings.timeout, rtscts, query_on), query_on)


def _file(url: str, rest: str, settings: PrinterSettings) -> Connection:
    if not rest:
        raise _bad(url, "expected file:PATH")
    return Connection(rest, lambda: FileLink(rest, settings.timeout), query=False)


def _usb(url: str, rest: str, settings: PrinterSettings) -> Connection:
    ids, _, query = rest.partition("?")
    options = _options(url, query, {"in_ep", "out_ep"})
    vid_text, sep, pid_text = ids.partition(":")
    if not sep or not vid_text or not pid_text:
        raise _bad(url, "expected usb:VID:PID in hexadecimal, e.g. usb:04b8:0e15")
    vid, pid = _hex16(url, vid_text, "vendor id"), _hex16(url, pid_text, "product id")
    in_ep = _hex16(url, options.get("in_ep", "82"), "in_ep")
    out_ep = _hex16(url, options.get("out_ep", "01"), "out_ep")
    return Connection(
        f"usb:{vid:04x}:{pid:04x}",
        lambda: UsbLink(vid, pid, settings.timeout, in_ep, out_ep, settings.profile),
        query=True,
    )


# The printers without paper take no address: ``console`` and ``none`` only, nothing after them.
PAPERLESS: dict[str, Callable[[PrinterSettings], ReceiptPrinter]] = {
    "console": lambda s: ConsolePrinter(s.columns, preview=s.preview),
    "none": lambda s: DisabledPrinter(s.columns),
}
ESCPOS_SCHEMES: dict[str, Callable[[str, str, PrinterSettings], Connection]] = {
    "network": _network,
    "serial": _serial,
    "file": _file,
    "usb": _usb,
}


def _check_settings(columns: int, timeout: float) -> None:
    if isinstance(columns, bool) or not isinstance(columns, int) or not 16 <= columns <= 96:
        raise ValueError("columns must be a whole number from 16 to 96 (48 for 80 mm paper, 32 for 58 mm)")
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 60:
        raise ValueError("timeout must be a number of seconds above 0 and at most 60")


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
    _check_settings(columns, timeout)
    settings = PrinterSettings(profile, columns, float(timeout), codepage, preview)
    scheme, _, rest = url.strip().partition(":")
    scheme = scheme.lower()
    if scheme in PAPERLESS and not rest:
        return PAPERLESS[scheme](settings)
    parse = ESCPOS_SCHEMES.get(scheme)
    if parse is None:
        raise _bad(url, "unknown kind of printer")
    connection = parse(url, rest, settings)
    check_profile(profile, codepage)
    return EscposPrinter(
        connection.description,
        connection.connect,
        profile=profile,
        columns=columns,
        timeout=settings.timeout,
        query=connection.query,
        codepage=codepage,
    )
