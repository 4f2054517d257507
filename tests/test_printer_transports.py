"""The printer adapter against real transports: a TCP printer emulator, a serial printer on a pseudo-terminal,
files, the console printer and printing turned off; fault modes end in our exceptions, quickly."""

from __future__ import annotations

import logging
import os
import re
import time
from pathlib import Path

import pytest

from hardware.printer import (
    ConsolePrinter,
    DisabledPrinter,
    EscposPrinter,
    PaperOut,
    PrinterError,
    PrinterStatus,
    PrinterTimeout,
    PrinterUnavailable,
    PrintingDisabled,
    ReceiptPrinter,
    open_printer,
    print_test_page,
)
from tests.printer_emulator import PrinterEmulator, PtyPrinter, decode
from tests.test_receipts import ballot, signin, tally


def test_network_printer_prints_a_receipt() -> None:
    with PrinterEmulator() as emulator:
        printer = open_printer(emulator.url, columns=32)
        assert isinstance(printer, ReceiptPrinter)
        printer.print_receipt(signin("es", 32))
        (job,) = emulator.wait_for_jobs(1)
    decoded = decode(job)
    assert "Hola, Ana R." in decoded.text
    assert decoded.qr == ["ACD3-4EFG"] and decoded.cuts == 1
    assert decoded.status_queries == [4, 4]  # paper checked before and after
    assert all(line.width <= 32 for line in decoded.lines)


def test_one_connection_per_job() -> None:
    with PrinterEmulator() as emulator:
        printer = open_printer(emulator.url)
        for build in (signin, ballot, tally):
            printer.print_receipt(build("en", 48))
        jobs = emulator.wait_for_jobs(3)
        printer.close()
    assert emulator.connections == 3
    assert ["Welcome" in decode(j).text for j in jobs] == [True, False, False]
    assert "RESULTS" in decode(jobs[2]).text


def test_status_reports_online_and_paper() -> None:
    with PrinterEmulator(paper="low") as emulator:
        printer = open_printer(emulator.url)
        assert printer.status() == PrinterStatus(True, "low", f"127.0.0.1:{emulator.port}: online, paper running low")
        printer.print_receipt(signin())  # low paper still prints (a warning is logged)
        emulator.paper = "out"
        state = printer.status()
        assert (state.online, state.paper) == (False, "out")


def test_paper_out_refuses_the_job_before_sending_it() -> None:
    with PrinterEmulator(paper="out") as emulator:
        printer = open_printer(emulator.url)
        with pytest.raises(PaperOut, match=r"out of paper\. Load a new roll"):
            printer.print_receipt(signin())
        (job,) = emulator.wait_for_jobs(1)
    assert decode(job).lines == []  # only the status query went out


def test_refused_connection_is_unavailable_at_once() -> None:
    with PrinterEmulator(mode="refuse") as emulator:
        printer = open_printer(emulator.url, timeout=2)
        start = time.monotonic()
        with pytest.raises(PrinterUnavailable, match="refused the connection") as caught:
            printer.print_receipt(signin())
        assert time.monotonic() - start < 1
        assert isinstance(caught.value, ConnectionError)
        state = printer.status()
        assert state.online is False and "refused" in state.detail


def test_stalled_printer_times_out_within_the_timeout_not_60s() -> None:
    with PrinterEmulator(mode="stall") as emulator:
        printer = open_printer(emulator.url, timeout=0.5)
        start = time.monotonic()
        with pytest.raises(PrinterTimeout, match=r"did not respond within 0.5 s") as caught:
            printer.print_receipt(signin())
        elapsed = time.monotonic() - start
        assert isinstance(caught.value, TimeoutError)
        assert 0.4 < elapsed < 1.5


def test_stalled_printer_without_status_times_out_while_sending() -> None:
    # With status queries off only the send can notice; a job bigger than the socket buffers must block.
    with PrinterEmulator(mode="stall") as emulator:
        printer = open_printer(emulator.url + "?status=off", timeout=0.5)
        assert isinstance(printer, EscposPrinter)
        big = tally("en", 48)
        receipt = type(big)(big.kind, big.language, big.columns, big.blocks * 100)
        start = time.monotonic()
        with pytest.raises(PrinterTimeout, match="while printing"):
            printer.print_receipt(receipt)
        assert time.monotonic() - start < 3


def test_dropped_connection_mid_job_is_noticed() -> None:
    with PrinterEmulator(mode="drop", drop_after=200) as emulator:
        printer = open_printer(emulator.url, timeout=1)
        start = time.monotonic()
        with pytest.raises(PrinterUnavailable, match="dropped while printing; the receipt may be incomplete"):
            printer.print_receipt(tally("en", 48))
        assert time.monotonic() - start < 1.5
        (job,) = emulator.wait_for_jobs(1)
        assert len(job) == 200


def test_serial_printer_over_a_pseudo_terminal() -> None:
    with PtyPrinter() as pty:
        printer = open_printer(pty.url, columns=32, timeout=1)
        printer.print_receipt(ballot("es", 32))
        data = pty.wait_for(b"\x1dV\x00")
        assert printer.status() == PrinterStatus(True, "ok", f"{pty.device}: online, paper ok")
    decoded = decode(data)
    assert "RECIBO DE SU BOLETA" in decoded.text and decoded.qr == ["https://kiosk.example.org/verify/ACD34EFGHJ"]
    assert all(line.width <= 32 for line in decoded.lines)


def test_serial_paper_out_and_silent_serial_printer() -> None:
    with PtyPrinter(paper="out") as pty, pytest.raises(PaperOut):
        open_printer(pty.url, timeout=0.5).print_receipt(signin())
    with PtyPrinter(answer=False) as pty:
        start = time.monotonic()
        with pytest.raises(PrinterTimeout, match=r"within 0\.5 s"):
            open_printer(pty.url, timeout=0.5).print_receipt(signin())
        assert time.monotonic() - start < 1.5
        open_printer(pty.url + "&status=off", timeout=0.5).print_receipt(signin())  # told not to ask: prints
        assert b"Welcome" in pty.wait_for(b"\x1dV\x00")


def test_missing_serial_device_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(PrinterUnavailable, match="Cannot reach the printer"):
        open_printer(f"serial:{tmp_path}/ttyUSB9").print_receipt(signin())


def test_file_printer_appends_jobs(tmp_path: Path) -> None:
    target = tmp_path / "receipts.bin"
    printer = open_printer(f"file:{target}")
    printer.print_receipt(signin())
    printer.print_receipt(ballot())
    data = target.read_bytes()
    assert data.count(b"\x1dV\x00") == 2 and "Welcome, Ana R." in decode(data).text
    assert printer.status().online is None
    with pytest.raises(PrinterUnavailable, match="Cannot reach"):
        open_printer(f"file:{tmp_path}/no/such/dir/x").print_receipt(signin())


def test_file_printer_times_out_on_a_full_pipe(tmp_path: Path) -> None:
    fifo = tmp_path / "lp0"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a device that never reads
    try:
        big = tally("en", 48)
        receipt = type(big)(big.kind, big.language, big.columns, big.blocks * 100)
        start = time.monotonic()
        with pytest.raises(PrinterTimeout):
            open_printer(f"file:{fifo}", timeout=0.3).print_receipt(receipt)
        assert time.monotonic() - start < 2
    finally:
        os.close(reader)


def test_console_printer_keeps_the_last_fifty_and_logs_no_receipt(caplog: pytest.LogCaptureFixture) -> None:
    # Issue 12: a logged sign-in receipt ("Welcome, Ana R.") followed by a ballot receipt linked a name to a code.
    printer = open_printer("console", columns=32)
    assert isinstance(printer, ConsolePrinter)
    with caplog.at_level(logging.DEBUG, logger="hardware.printer"):
        printer.print_receipt(signin("en", 32))
        printer.print_receipt(ballot("en", 32))
    assert caplog.text  # it says a receipt was made...
    assert "Ana" not in caplog.text and "ACD3" not in caplog.text and "Welcome" not in caplog.text  # ...nothing more
    ballot_text = printer.recent()[-1][1]
    code = re.search(r"[A-Z0-9]{4} ?-? ?[A-Z0-9]{4}", ballot_text.replace(" ", ""))
    assert code is not None and code.group(0) not in caplog.text.replace(" ", "")
    for _ in range(60):
        printer.print_receipt(ballot("en", 32))
    recent = printer.recent()
    assert len(recent) == 50 and all("BALLOT RECEIPT" in text for _, text in recent)
    assert recent[0][0] <= recent[-1][0] and recent[0][0].tzinfo is not None
    printer2 = open_printer("console")
    printer2.print_receipt(signin())
    assert "A C D 3 - 4 E F G" in printer2.recent()[0][1]  # the demo's preview page shows the token, the log never
    assert printer.status().online is True
    no_preview = open_printer("console", preview=False)  # `kiosk serve` with no printer: kept nowhere
    no_preview.print_receipt(signin())
    assert no_preview.recent() == []


def test_printing_turned_off_says_so() -> None:
    printer = open_printer("none")
    assert isinstance(printer, DisabledPrinter)
    with pytest.raises(PrintingDisabled, match="printing is turned off") as caught:
        printer.print_receipt(signin())
    assert isinstance(caught.value, PrinterError)
    assert printer.status() == PrinterStatus(False, "unknown", "printing is turned off")


@pytest.mark.parametrize(
    "url",
    [
        "",
        "lpt1",
        "network:",
        "network:host:notaport",
        "network:host:70000",
        "network:host?color=red",
        "serial:",
        "serial:/dev/ttyS0?baudrate=fast",
        "serial:/dev/ttyS0?baudrate=12345",
        "serial:/dev/ttyS0?status=maybe",
        "usb:04b8",
        "usb:zz:0202",
        "usb:04b8:10000",
        "file:",
        "console:x",
        "none:please",
    ],
)
def test_bad_urls_name_what_is_allowed(url: str) -> None:
    with pytest.raises(ValueError, match=r"Allowed: usb:VID:PID \(hex\), serial:/dev/ttyUSB0\?baudrate=19200"):
        open_printer(url)


def test_good_urls_parse_without_connecting() -> None:
    for url, description in [
        ("network:10.0.0.5", "10.0.0.5:9100"),
        ("network:printer.local:9101", "printer.local:9101"),
        ("network:[::1]:9100", "::1:9100"),
        ("serial:/dev/ttyUSB0?baudrate=19200", "/dev/ttyUSB0"),
        ("usb:04B8:0e15", "usb:04b8:0e15"),
        ("file:/dev/usb/lp0", "/dev/usb/lp0"),
    ]:
        assert open_printer(url).description == description
    with pytest.raises(ValueError, match="columns"):
        open_printer("console", columns=200)
    with pytest.raises(ValueError, match="timeout"):
        open_printer("console", timeout=0)


def test_usb_without_pyusb_or_device_is_unavailable() -> None:
    with pytest.raises(PrinterUnavailable):
        open_printer("usb:04b8:0e15", timeout=0.5).print_receipt(signin())


def test_print_test_page() -> None:
    with PrinterEmulator() as emulator:
        summary = print_test_page(open_printer(emulator.url, columns=32))
        assert summary.startswith(f"Printed a test page on 127.0.0.1:{emulator.port} (32 columns).")
        assert "paper ok" in summary
        job = emulator.wait_for_jobs(2)[0]  # the page, then the status check
    decoded = decode(job)
    assert "PRINTER TEST" in decoded.text and "12345678901234567890123456789012" in decoded.text
    with PrinterEmulator(mode="refuse") as emulator, pytest.raises(PrinterUnavailable, match="refused"):
        print_test_page(open_printer(emulator.url))
    assert "console" in print_test_page(open_printer("console"))
    with pytest.raises(PrintingDisabled):
        print_test_page(open_printer("none"))


def test_no_threads_or_sockets_left_behind() -> None:
    import threading

    before = threading.active_count()
    with PrinterEmulator() as emulator:
        open_printer(emulator.url).print_receipt(signin())
        emulator.wait_for_jobs(1)
    assert threading.active_count() == before
    assert emulator._listener is not None and emulator._listener.fileno() == -1  # its port is released


def test_concurrent_jobs_on_one_printer_do_not_interleave() -> None:
    import threading

    with PrinterEmulator() as emulator:
        printer = open_printer(emulator.url)
        workers = [threading.Thread(target=printer.print_receipt, args=(tally("en", 48),)) for _ in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=10)
        jobs = emulator.wait_for_jobs(4)
    assert [decode(job).cuts for job in jobs] == [1, 1, 1, 1]
    assert len({len(job) for job in jobs}) == 1


def test_status_off_sends_no_queries() -> None:
    with PrinterEmulator(paper="out") as emulator:
        printer = open_printer(emulator.url + "?status=off")
        state = printer.status()
        assert state.online is None and "reachable" in state.detail
        printer.print_receipt(signin())  # nobody asked, so paper-out cannot be noticed: documented trade-off
        jobs = emulator.wait_for_jobs(2)
    assert all(decode(job).status_queries == [] for job in jobs)


def test_errors_say_whether_anything_may_be_on_paper() -> None:
    def failure(url: str, receipt=None, timeout: float = 0.5) -> PrinterError:
        with pytest.raises(PrinterError) as caught:
            open_printer(url, timeout=timeout).print_receipt(receipt or signin())
        return caught.value

    with PrinterEmulator(mode="refuse") as emulator:
        assert failure(emulator.url).maybe_printed is False
    with PrinterEmulator(paper="out") as emulator:
        assert failure(emulator.url).maybe_printed is False
    with PrinterEmulator(mode="stall") as emulator:
        assert failure(emulator.url).maybe_printed is False  # stopped at the paper check, before the receipt
    with PrinterEmulator(mode="drop", drop_after=200) as emulator:
        assert failure(emulator.url, tally("en", 48)).maybe_printed is True
    assert failure("none").maybe_printed is False
