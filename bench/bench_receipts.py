"""Receipt rendering cost against paper time: is the printer, not our code, the limit?

For each receipt kind: render time (layout + ESC/POS bytes through python-escpos's Dummy; mean and p95 over 200
renders), job size in bytes, printed length estimated from the laid-out lines (Font A on a 203 dpi head: 1/6 inch
per line, twice that for double-height lines, the QR symbol's modules times its dot size, and the 6 lines fed
before the cut), the time a 250 mm/s printer needs for that paper, and the ratio render time / paper time.

Run: ``.venv/bin/python bench/bench_receipts.py [--pin] [--quick] [--json PATH]`` (``--pin``, like ``taskset -c 0``,
runs on one core; a Pi 4 core is about 6x slower than this machine's, per FACTS.md).
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import qrcode
from benchlib import add_common_args, emit, pin_self

from hardware.printer import escpos_modules, render_escpos
from kiosk.receipts import Receipt, ballot_receipt, layout, signin_receipt, tally_tape
from kiosk.results import Choice, MeetingResults, PlankResult, Quorum, Threshold

RUNS = 200
DPI = 203
LINE_MM = 25.4 / 6  # ESC 2 default line spacing: 1/6 inch
CUT_FEED_LINES = 6  # python-escpos's cut() feeds 6 lines first
SPEED_MM_S = 250.0
LA = ZoneInfo("America/Los_Angeles")


def receipts(columns: int) -> dict[str, Receipt]:
    when = datetime(2026, 12, 3, 19, 0, tzinfo=LA)
    planks = [
        PlankResult(i, f"Plank {i}: a platform position of moderate length for the tape", Threshold.MAJORITY, 20, 8, 3)
        for i in range(1, 7)
    ]
    results = MeetingResults("GA12", "General Assembly", "closed", Quorum(7, 31), 31, 31, planks)
    return {
        "signin": signin_receipt(
            organization="Eastside Tenants Union",
            meeting_title="General Assembly",
            starts_at=when,
            display_name="Ana R.",
            kind="member",
            token="ACD3-4EFG",
            rsvp_hint="text GA to (555) 010-2000",
            language="es",
            columns=columns,
        ),
        "ballot": ballot_receipt(
            organization="Eastside Tenants Union",
            meeting_title="General Assembly",
            verification_code="ACD3-4EFG-HJ",
            verify_url="https://kiosk.example.org/verify/ACD34EFGHJ",
            choices=[(p.title, Choice.YES) for p in planks],
            language="en",
            columns=columns,
        ),
        "tally": tally_tape(
            organization="Eastside Tenants Union",
            results=results,
            audit_head="9f" * 32,
            printed_at=when,
            language="en",
            columns=columns,
        ),
    }


def paper_mm(receipt: Receipt, columns: int) -> float:
    total = CUT_FEED_LINES * LINE_MM
    for line in layout(receipt, columns):
        if line.qr is not None:
            code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
            code.add_data(line.qr.data)
            code.make(fit=True)
            total += code.modules_count * line.qr.size / DPI * 25.4 + LINE_MM
        else:
            total += LINE_MM * (2 if line.tall else 1)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_args(parser)
    args = parser.parse_args()
    if args.pin or args.pi:
        pin_self(args)
    runs = 50 if args.quick else RUNS
    figures: dict[str, object] = {}
    start = time.perf_counter()
    escpos_modules()  # python-escpos parses its printer database (YAML) on every process start
    import_ms = (time.perf_counter() - start) * 1e3
    figures["escpos_import_ms"] = round(import_ms, 1)
    print(f"first import of python-escpos: {import_ms:.0f} ms (once per process)")
    render_escpos(receipts(48)["signin"])  # warm caches outside the timing
    print(f"{'kind':<8}{'cols':>5}{'mean ms':>9}{'p95 ms':>8}{'bytes':>7}{'paper mm':>10}{'paper s':>9}{'ratio':>8}")
    for columns in (48, 32):
        for kind, receipt in receipts(columns).items():
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                data = render_escpos(receipt, columns=columns)
                times.append(time.perf_counter() - start)
            mean = statistics.fmean(times)
            p95 = statistics.quantiles(times, n=20)[-1]
            length = paper_mm(receipt, columns)
            paper_s = length / SPEED_MM_S
            figures[f"{kind}_{columns}"] = {
                "mean_ms": round(mean * 1e3, 3),
                "p95_ms": round(p95 * 1e3, 3),
                "bytes": len(data),
                "paper_s": round(paper_s, 2),
                "ratio": round(mean / paper_s, 4),
            }
            print(
                f"{kind:<8}{columns:>5}{mean * 1e3:>9.2f}{p95 * 1e3:>8.2f}{len(data):>7}"
                f"{length:>10.0f}{paper_s:>9.2f}{mean / paper_s:>8.3f}"
            )
    print("ratio = mean render time / paper time; below 1 the paper is the limit (x6 for a Pi 4 core).")
    emit(args, "receipts", figures)


if __name__ == "__main__":
    main()
