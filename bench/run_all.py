"""Run every benchmark twice — free, then with the server/worker pinned to CPU 0 (``taskset -c 0``, a stand-in
for a Pi core) — and with ``--pi`` a third time at Pi speed (pinned, in a cgroup with a CPU quota of 1,667 µs per
10,000 µs: a sixth of a core, about one Pi 4 core), and write ``docs/benchmarks.md``: the date, the machine, each
figure against its target.

    scripts/bench [--pi] [--quick] [--only lookup,memory] [--out docs/benchmarks.md]
    .venv/bin/python bench/run_all.py [same options]

Each bench runs as its own process with ``--json``; its human output is echoed and kept in
``bench/out/run-all/`` for reading afterwards. A bench that fails is reported as failed in the table; the others
still run. ``--quick`` takes fewer samples. The page states how long its own run took (it varies with the load).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchlib import ROOT, machine

from kiosk.accounts import ARGON2_MEMORY_KIB

OUT = ROOT / "bench" / "out" / "run-all"


@dataclass(frozen=True)
class Bench:
    name: str
    script: str
    what: str
    extra: tuple[str, ...] = ()
    unpinned_flag: str | None = None  # the flag that turns pinning off, for a bench that pins by default
    timeout_s: int = 400


BENCHES = [
    Bench("press_latency", "bench_press_latency.py", "button press to the choice painted in Chromium", (), "--no-pin"),
    Bench("lookup", "bench_lookup.py", "sign-in look-up over a 10,000-member roster (HTTP)"),
    Bench("ballots", "bench_ballots.py", "durable ballot casts against plain sqlite3"),
    Bench("sms_inbound", "bench_sms_inbound.py", "inbound texts through the gateway"),
    Bench("sms_send", "bench_sms_send.py", "outbound send rate against the limit"),
    Bench("memory", "bench_memory.py", "resident memory under a meeting's load", ("--browser",)),
    Bench("coldstart", "bench_coldstart.py", "cold start to the first page"),
    Bench("buttons", "bench_buttons.py", "button contact to callback"),
    Bench("receipts", "bench_receipts.py", "receipt rendering against paper time"),
    Bench("rcv", "bench_rcv.py", "ranked-choice count: 10,000 ballots, 12 candidates, 3 seats"),
    Bench("contests", "bench_contests.py", "a meeting's contest read back from the database and counted"),
]


MODES = ("free", "pinned", "pi")
MODE_NAMES = {"free": "not pinned", "pinned": "pinned to CPU 0", "pi": "at Pi speed"}


def run_bench(bench: Bench, *, mode: str, quick: bool) -> dict[str, Any]:
    """Run one bench in ``mode`` (free, pinned or pi); its JSON figures, {"skipped": why} or {"error": ...}."""
    tag = f"{bench.name}-{mode}"
    json_path = OUT / f"{tag}.json"
    json_path.unlink(missing_ok=True)
    command = [sys.executable, str(ROOT / "bench" / bench.script), "--json", str(json_path), *bench.extra]
    if mode == "pinned":
        command.append("--pin")
    elif mode == "pi":
        command.append("--pi")
    elif bench.unpinned_flag:
        command.append(bench.unpinned_flag)
    if quick:
        command.append("--quick")
    print(f"\n=== {bench.name} ({MODE_NAMES[mode]}): {bench.what}", flush=True)
    started = time.monotonic()
    try:
        done = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, timeout=bench.timeout_s, env=dict(os.environ)
        )
        output, code = done.stdout + done.stderr, done.returncode
    except subprocess.TimeoutExpired as exc:
        output, code = f"{exc.stdout or ''}{exc.stderr or ''}\ntimed out after {bench.timeout_s} s", -1
    (OUT / f"{tag}.log").write_text(output, encoding="utf-8")
    print(output.rstrip(), flush=True)
    seconds = time.monotonic() - started
    if json_path.exists():
        data = json.loads(json_path.read_text(encoding="utf-8"))
        data["seconds"] = round(seconds, 1)
        return data
    last = output.strip().splitlines()[-1] if output.strip() else "no output"
    return {"error": f"exit {code}: {last}", "seconds": round(seconds, 1)}


# --- the table ----------------------------------------------------------------------------------------------

Figures = dict[str, Any]
Verdict = tuple[str, bool | None]  # (shown value, pass/miss/no target)


@dataclass(frozen=True)
class Row:
    bench: str
    label: str
    target: str
    read: Callable[[Figures], Verdict]


def _mb(f: Figures, name: str) -> float:
    return float(f["processes"][name]["hwm"])


ROWS = [
    Row(
        "press_latency",
        "Press to screen (button POST to the painted frame), p50 / p95",
        "p95 ≤ 50 ms",
        lambda f: (f"{f['frame']['p50_ms']:.1f} / {f['frame']['p95_ms']:.1f} ms", f["frame"]["p95_ms"] <= 50),
    ),
    Row(
        "lookup",
        "Sign-in look-up, 10,000 members, as the find page's script asks (POST /kiosk/find, JSON), p50 / p95",
        "p95 ≤ 20 ms",
        lambda f: (f"{f['lookup_ms']['p50']:.1f} / {f['lookup_ms']['p95']:.1f} ms", f["lookup_ms"]["p95"] <= 20),
    ),
    Row(
        "lookup",
        "… server CPU time per look-up (hardly moved by other load on the machine)",
        "—",
        lambda f: (f"{f['server_cpu_ms']:.1f} ms", None),
    ),
    Row(
        "lookup",
        "… the same look-ups posted as a page, no script (the whole find page), p50 / p95; CPU",
        "—",
        lambda f: (
            f"{f['page_ms']['p50']:.1f} / {f['page_ms']['p95']:.1f} ms; {f['page_server_cpu_ms']:.1f} ms"
            if "page_ms" in f
            else "—",
            None,
        ),
    ),
    Row(
        "ballots",
        "Durable ballot casts (WAL + FULL), casts/s and p99",
        "—",
        lambda f: (f"{f['casts_per_s']:.0f}/s, p99 {f['cast_p99_ms']:.1f} ms", None),
    ),
    Row(
        "ballots",
        "Plain durable sqlite3 inserts on the same disk, rows/s and p99",
        "—",
        lambda f: (f"{f['plain_per_s']:.0f}/s, p99 {f['plain_p99_ms']:.1f} ms", None),
    ),
    Row(
        "ballots",
        "Ballot casts as a share of plain sqlite3 inserts",
        "≥ 0.5×",
        lambda f: (f"{f['ratio']:.2f}×", f["ratio"] >= 0.5),
    ),
    Row(
        "sms_inbound",
        "Inbound texts through the gateway, texts/s (p95; lost)",
        "none lost",
        lambda f: (f"{f['per_s']:.0f}/s (p95 {f['p95_ms']:.1f} ms; lost {f['lost']})", f["lost"] == 0),
    ),
    Row(
        "sms_send",
        "Outbound send rate against the configured limit",
        "≥ 0.95×",
        lambda f: (f"{f['achieved_per_s']:.2f} of {f['limit_per_s']:g}/s = {f['ratio']:.3f}×", f["ratio"] >= 0.95),
    ),
    Row(
        "memory",
        "Resident memory, web process `kiosk serve` (peak, VmHWM)",
        "—",
        lambda f: (f"{_mb(f, 'kiosk serve'):.0f} MB", None),
    ),
    Row(
        "memory",
        "Resident memory, SMS daemon `kiosk sms run` (peak, VmHWM)",
        "—",
        lambda f: (f"{_mb(f, 'kiosk sms run'):.0f} MB", None),
    ),
    Row(
        "memory",
        "Resident memory, both together under a meeting's load (peaks)",
        "≤ 150 MB",
        lambda f: (f"{f['total_hwm_mb']:.0f} MB", f["total_hwm_mb"] <= 150),
    ),
    Row(
        "memory",
        "… the same, after one organizer login (argon2id)",
        "≤ 150 MB",
        lambda f: (f"{f['total_hwm_with_login_mb']:.0f} MB", f["total_hwm_with_login_mb"] <= 150),
    ),
    Row(
        "memory",
        "Headless Chromium on the kiosk page with the screen unit's flags, all its processes (PSS)",
        "—",
        lambda f: (f"{f['browser_pss_mb']:.0f} MB" if f.get("browser_pss_mb") else "not measured", None),
    ),
    Row(
        "memory",
        "The whole appliance: web + SMS + screen (PSS / as if alone on the machine)",
        "≤ 450 MB",
        lambda f: (
            (f"{f['appliance_pss_mb']:.0f} / {f['appliance_alone_mb']:.0f} MB", f["appliance_alone_mb"] <= 450)
            if f.get("appliance_alone_mb")
            else ("not measured", None)
        ),
    ),
    Row(
        "coldstart",
        "Cold start of `kiosk serve` to the first 200 of /kiosk/ (median; page cache warm; server CPU)",
        "≤ 4 s",
        lambda f: (
            f"{f['median_ms'] / 1000:.2f} s (CPU {f.get('cpu_median_ms', float('nan')) / 1000:.2f} s)",
            f["median_ms"] <= 4000,
        ),
    ),
    Row(
        "buttons",
        "Button contact to callback (mock pins), p95",
        "—",
        lambda f: (f"{f['latency']['p95_us']:.0f} µs", None),
    ),
    Row(
        "receipts",
        "Receipt render time / paper time (ballot receipt, 80 mm)",
        "< 1",
        lambda f: (f"{f['ballot_48']['ratio']:.4f}", f["ballot_48"]["ratio"] < 1),
    ),
    Row(
        "rcv",
        "Ranked-choice count (STV), 10,000 ballots, 12 candidates, 3 seats",
        "≤ 2 s",
        lambda f: (f"{f['stv_3_seats_s']:.2f} s", f["stv_3_seats_s"] <= 2.0),
    ),
    Row(
        "contests",
        "The same count through a meeting: Tally.contest_rankings + count",
        "≤ 2 s",
        lambda f: (f"{f['read_and_count_s']:.2f} s", f["read_and_count_s"] <= 2.0),
    ),
]


def cell(row: Row, result: dict[str, Any] | None) -> str:
    if result is None:
        return "not run"
    if "skipped" in result:
        return "not measured (no cgroup CPU quota here)"
    if "error" in result:
        return "**failed** (see the log)"
    try:
        shown, ok = row.read(result["figures"])
    except (KeyError, TypeError, ValueError) as exc:
        return f"**no figure** ({type(exc).__name__}: {exc})"
    if ok is None:
        return shown
    return f"{shown} — {'pass' if ok else '**miss**'}"


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def markdown(results: dict[tuple[str, str], dict[str, Any]], info: dict[str, str], meta: dict[str, str]) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Generated by `scripts/bench` (`bench/run_all.py`); do not edit by hand, run it again. "
        f"Run: {meta['date']}, {meta['mode']}, {meta['duration']}.",
        "",
        "## The machine",
        "",
        "| | |",
        "|---|---|",
    ]
    names = {
        "cpu": "CPU",
        "cores": "Cores",
        "ram": "RAM",
        "disk": "Disk (bench/out)",
        "os": "OS",
        "kernel": "Kernel",
        "python": "Python",
        "sqlite": "SQLite",
        "reference": "A reference Python loop (how fast the core was)",
    }
    lines += [f"| {label} | {info.get(key, 'unknown')} |" for key, label in names.items()]
    lines += [
        f"| Load average (1, 5, 15 min) | before {meta['load_before']}; after {meta['load_after']} |",
        "",
        "## Figures against targets",
        "",
        "Pinned: the server (or the worker, for in-process benches) runs under `taskset -c 0`, one core. A Pi 4 "
        "core runs Python about 6× slower than a core of a machine like this one, so pinned figures are not Pi "
        "figures: they show the code does not lean on a second core. **Pi speed** (`scripts/bench --pi`): pinned "
        "as well, and in a cgroup with a CPU quota of 1,667 µs per 10,000 µs period (cgroup v2 `cpu.max`, or v1 "
        "`cpu.cfs_quota_us`), a sixth of that core: a CPU loop runs about 6–7× slower, as on a Pi 4 core. The "
        "targets are met when the Pi-speed column meets them. Only our processes are limited: the load "
        "generator, Chromium and the fakes (Twilio, the printer) run free. "
        + (f"This run's cgroup: {meta['pi']}." if meta.get("pi") else ""),
        "",
        "| Figure | Target | Not pinned | Pinned to CPU 0 | Pi speed (⅙ core) |",
        "|---|---|---|---|---|",
    ]
    for row in ROWS:
        cells = " | ".join(cell(row, results.get((row.bench, mode))) for mode in MODES)
        lines.append(f"| {row.label} | {row.target} | {cells} |")
    failed = [f"{name} ({MODE_NAMES[mode]}): {r['error']}" for (name, mode), r in results.items() if "error" in r]
    if failed:
        lines += ["", "Failed runs:", ""] + [f"- {line}" for line in failed]
    lines += [
        "",
        "## How to run",
        "",
        "```sh",
        "scripts/bench            # everything, free and pinned; writes this file",
        "scripts/bench --pi       # and a third column at Pi speed (needs root for the cgroup; 2–3× as long)",
        "scripts/bench --quick    # fewer samples, a shorter run",
        "scripts/bench --only lookup,memory",
        "```",
        "",
        "Each bench is also a script of its own under `bench/` that prints its figures (`--pin`, `--quick`, "
        "`--json PATH`); each run keeps its full output in `bench/out/run-all/*.log` (one log per bench and "
        "column) on the machine that ran it: the folder is not in the repository. "
        f"The run above ({meta['mode']}) took {meta['duration']}. Run on a quiet machine: "
        "other work on the same cores shows up in every p95 and p99.",
        "",
        "## What each figure means",
        "",
        "- **Press to screen** (`bench_press_latency.py`): `kiosk demo` serves; headless Chromium shows a ballot; the "
        "page itself posts `POST /simulate/button/yes|no` and a MutationObserver stamps the next animation frame "
        "after the choice changes. Covers HTTP, the mock pin, gpiozero's callback, the press hub, the server-sent "
        "event and the page's handler. One press every 100 ms (the panel debounces each button for 50 ms).",
        "- **Sign-in look-up** (`bench_lookup.py`): a generated 10,000-member roster (accents, repeated names, "
        "households sharing a phone, phones written every which way) imported with `kiosk roster import`; "
        "`kiosk serve` (waitress); 150 people signed in first; then first-name prefixes, full names, names without "
        "accents, last names, phone numbers (on the roster or not) and names matching nobody, each timed as the "
        "find page's script makes it: the form post asking for JSON, answered with the matches alone, which the "
        "page shows in place (kiosk/web/kiosk/lookup.py; before 7 December 2026 the post was answered with the "
        "whole page, and before that with a 303 and the GET it redirected to, both timed), over keep-alive HTTP "
        "on loopback. The same kind of look-ups posted as a page, as without the script, is a figure of its own.",
        "- **Ballot casts** (`bench_ballots.py`): both sides SQLite in WAL mode with `synchronous=FULL`, one "
        "transaction per row, in `bench/out` on the same disk. The tally side casts real ballots on six planks "
        "(token spent, ballot and choices stored, audit entry, one transaction). The ratio compares casts/s with "
        "plain single-row inserts/s.",
        "- **Inbound texts** (`bench_sms_inbound.py`): a burst of texts (RSVPs, questions, STOP/START, Spanish) "
        "through the console backend and the gateway, each stored, read and answered in one transaction; counted "
        "back so none is lost.",
        "- **Outbound send rate** (`bench_sms_send.py`): the token-bucket limiter and the real twilio client "
        "against a fake Twilio API on loopback, at 20 segments/s; the rate is measured from the fake's receive "
        "times.",
        "- **The whole appliance** (`bench_memory.py --browser`): the same two processes and headless Chromium on "
        "/kiosk/ started with the screen unit's own flags (`kiosk/screen_browser.py`; the Pi's screen adds only "
        "`--ozone-platform=wayland`), after the meeting's load. PSS splits shared pages among every process that "
        'maps them, including Chromiums other people run on this machine; "as if alone" counts private pages '
        "and each shared mapping once (what a Pi running only the kiosk would hold), and is what the 450 MB target "
        "(a 1 GB Pi 3 with room) is checked against.",
        "- **Resident memory** (`bench_memory.py`): `kiosk serve` (kiosk and organizer apps, simulated buttons, "
        "the print worker printing to an ESC/POS emulator on loopback) and `kiosk sms run` (Twilio backend "
        "polling a fake Twilio API) under a meeting: a 1,000-member roster, 300 attendees signing in and voting "
        "through the pages (600 receipts printed), 200 texts in with their replies, a reminder to the YES RSVPs "
        "(120 attendees and 80 texts with `--quick`). "
        "VmHWM is the kernel's peak resident size of each process. An organizer login is measured after that: "
        f"argon2id's memory cost ({ARGON2_MEMORY_KIB // 1024} MiB, kiosk/accounts.py) is resident while a "
        "password is checked. Chromium (the "
        "screen) is reported apart.",
        "- **Cold start** (`bench_coldstart.py`): from spawning `kiosk serve` to the first 200 of `GET /kiosk/`, "
        "median of several runs after one uncounted run, so the files are in the page cache (a boot from an SD "
        "card is slower); our sources are byte-compiled first, as the Pi guide does. The server's CPU time until "
        "then is shown too: unlike the wall time it hardly moves with other load on the machine.",
        "- **Buttons** and **receipts**: our part of a press (edge handler to callback) and receipt rendering "
        "against the paper's printing time at 250 mm/s.",
        "- **Ranked-choice count** (`bench_rcv.py`): `kiosk.rcv.tabulate` on 10,000 generated ballots (four "
        "factions' orders with individual swaps, each ranking 1–12 of 12 candidates), single transferable vote "
        "for 3 seats, median of 3 runs; the script also prints the one-seat instant-runoff count and the RCTab "
        "round trip (CDF JSON export, then reading it back and counting).",
        "- **A meeting's contest** (`bench_contests.py`): the same 10,000 ballots stored as a closed meeting's "
        "rankings in SQLite, read back with `Tally.contest_rankings` and counted with `kiosk.contest_results` "
        "(what the close's first dashboard view, the tape, `kiosk results` and the bundle do); it also prints "
        "that first view and the later ones (the count of a closed meeting is kept).",
        "",
    ]
    return "\n".join(lines)


def pi_detail() -> str:
    """Which cgroup the Pi-speed column used (or why it could not), said in the table's heading."""
    from benchlib import PiSlice, PiSliceUnavailable

    try:
        piece = PiSlice()
    except PiSliceUnavailable as exc:
        return str(exc)
    piece.close()
    return piece.detail.replace(str(piece.path), str(piece.parent / "kiosk-bench-pi-PID"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer samples in every bench")
    parser.add_argument(
        "--pi", action="store_true", help="also run each bench at Pi speed (a cgroup CPU quota, a sixth of a core)"
    )
    parser.add_argument("--only", help="comma-separated bench names: " + ", ".join(b.name for b in BENCHES))
    parser.add_argument(
        "--out", type=Path, help="default: docs/benchmarks.md; with --only, bench/out/run-all/benchmarks.md"
    )
    args = parser.parse_args()
    chosen = BENCHES
    if args.only:
        wanted = {n.strip() for n in args.only.split(",") if n.strip()}
        unknown = wanted - {b.name for b in BENCHES}
        if unknown:
            parser.error(f"unknown bench: {', '.join(sorted(unknown))}")
        chosen = [b for b in BENCHES if b.name in wanted]
    if args.out is None:  # a partial run must not replace the full table in docs/
        args.out = OUT / "benchmarks.md" if args.only else ROOT / "docs" / "benchmarks.md"
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    when = datetime.now(UTC)
    load_before = load_average()
    modes = MODES if args.pi else MODES[:2]
    results: dict[tuple[str, str], dict[str, Any]] = {}
    for bench in chosen:
        for mode in modes:
            results[(bench.name, mode)] = run_bench(bench, mode=mode, quick=args.quick)
    minutes = (time.monotonic() - started) / 60
    meta = {
        "date": when.strftime("%Y-%m-%d %H:%M UTC"),
        "mode": "--quick (fewer samples)" if args.quick else "full",
        "duration": f"{minutes:.1f} minutes",
        "load_before": load_before,
        "load_after": load_average(),
        "pi": pi_detail() if args.pi else "",
    }
    (OUT / "results.json").write_text(
        json.dumps({f"{k[0]}-{k[1]}": v for k, v in results.items()}, indent=2) + "\n",
        encoding="utf-8",
    )
    args.out.write_text(markdown(results, machine(), meta), encoding="utf-8")
    failed = sum("error" in r for r in results.values())
    print(f"\nwrote {args.out} ({minutes:.1f} minutes; {failed} failed runs)")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
