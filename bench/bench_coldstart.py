"""Cold start: from starting ``kiosk serve`` to the first ``200`` of ``GET /kiosk/`` (the page the screen opens).

A database with a 1,000-member roster and a meeting with sign-in open is made first, with a network printer
(an ESC/POS emulator on 127.0.0.1) and simulated buttons configured. Then ``kiosk serve`` is started N times; for
each run the clock starts just before the process is spawned and stops when ``GET /kiosk/`` first answers 200
(polled every 5 ms). One run is made first and not counted, so Python's files, the venv and the database are in
the page cache: this is a warm start of the process, not a boot from a cold SD card (which is slower). Our
sources are byte-compiled first (``compileall``), as docs/pi-setup.md has the Pi do: the services cannot write
``__pycache__`` there, and a shell with ``PYTHONDONTWRITEBYTECODE`` would otherwise compile ~40 modules per start.

    .venv/bin/python bench/bench_coldstart.py [--runs 7] [--pin] [--quick] [--json PATH]

``--pin`` runs the server under ``taskset -c 0`` (a Pi stand-in), ``--pi`` also with a sixth of that core (a
cgroup CPU quota: Pi speed); the poller stays unpinned.
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench_lookup import roster
from benchlib import (
    KIOSK,
    ROOT,
    add_common_args,
    config_port,
    cpu_seconds,
    create_meeting_tomorrow,
    emit,
    kiosk_cli,
    pi_or_skip,
    print_log_tail,
    scratch,
    start_process,
    stop_process,
    taskset,
    wait_http,
    write_config,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    add_common_args(parser, pin_help="pin the server to CPU 0 (taskset -c 0), a Pi stand-in")
    args = parser.parse_args()
    pi_or_skip(args, "coldstart")
    if args.quick:
        args.runs = min(args.runs, 3)
    import compileall

    from tests.printer_emulator import PrinterEmulator  # importable once benchlib has set sys.path

    for package in ("kiosk", "sms", "hardware"):
        compileall.compile_dir(str(ROOT / package), quiet=1)
    times: list[float] = []
    cpu: list[float] = []
    with scratch("coldstart-") as folder, PrinterEmulator() as printer:
        config = write_config(folder, {"printer": {"url": printer.url}})
        text, _people = roster(1000, seed=1)
        (folder / "members.csv").write_text(text, encoding="utf-8")
        kiosk_cli(config, "init")
        kiosk_cli(config, "roster", "import", str(folder / "members.csv"))
        create_meeting_tomorrow(config)
        kiosk_cli(config, "meeting", "open-signin", "GA1")
        port = config_port(config)
        command = taskset([str(KIOSK), "--config", str(config), "serve"], args.pin, args.pi)
        for run in range(args.runs + 1):
            started = time.monotonic()
            proc = start_process(command, folder, folder / f"serve-{run}.log")
            try:
                answered = wait_http(port, "/kiosk/", timeout=60, proc=proc)
                used = cpu_seconds(proc.pid)
            except BaseException:
                print_log_tail(folder / f"serve-{run}.log")
                raise
            finally:
                stop_process(proc)
            if run:  # the first run only warms the page cache
                times.append(answered - started)
                cpu.append(used)

    where = "server at Pi speed" if args.pi else "server pinned to CPU 0" if args.pin else "server not pinned"
    ms = [t * 1000 for t in times]
    print(f"cold start of `kiosk serve` to the first 200 of /kiosk/ ({where}; page cache warm), {len(ms)} runs:")
    print(f"  median {statistics.median(ms):.0f} ms  min {min(ms):.0f} ms  max {max(ms):.0f} ms")
    print(f"  CPU time of the server until then: median {statistics.median(cpu) * 1000:.0f} ms (hardly moved by load)")
    emit(
        args,
        "coldstart",
        {
            "runs": len(ms),
            "median_ms": round(statistics.median(ms), 1),
            "min_ms": round(min(ms), 1),
            "max_ms": round(max(ms), 1),
            "cpu_median_ms": round(statistics.median(cpu) * 1000, 1),
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
