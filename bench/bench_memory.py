"""Resident memory of the kiosk's long-running processes under a meeting's load, against 150 MB together.

Starts what runs on a Pi (see systemd/*.in): ``kiosk serve`` (the web process: kiosk and organizer apps under
waitress, the button panel — simulated, mock pins — and the print worker thread printing to a network ESC/POS
printer emulator on 127.0.0.1) and ``kiosk sms run`` (the SMS gateway daemon, Twilio backend polling a fake
Twilio API on 127.0.0.1 through the real twilio client). Then drives a meeting: a 1,000-member roster, N
attendees signing in and voting through the kiosk pages (each gets a sign-in and a ballot receipt printed), texts
arriving (RSVPs, questions, STOP) with their replies sent, and a reminder sent to the YES RSVPs; the organizer
pages are read now and then.

Samples VmRSS of each process every 0.2 s and reads VmHWM (the kernel's peak resident size) at the end; also PSS
(shared pages split between processes) for reference. The target counts the peaks (VmHWM) of our processes
together. ``--browser`` also measures headless Chromium on the kiosk page, started with the screen unit's own
flags (``kiosk/screen_browser.py``), and the whole appliance (web + SMS + screen) against 450 MB: as PSS, and as
if alone on the machine (private pages, plus shared pages once: PSS here is lowered by other Chromiums that
other people run on the same machine, which a Pi does not have).

    .venv/bin/python bench/bench_memory.py [--attendees 300] [--texts 200] [--pin] [--browser] [--quick] [--json PATH]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import random
import re
import shutil
import sqlite3
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from bench_lookup import roster
from benchlib import (
    KIOSK,
    Client,
    add_common_args,
    config_port,
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

from kiosk.screen_browser import DISPLAY_ONLY_FLAGS, SCREEN_CHROMIUM_FLAGS

TARGET_MB = 150.0
APPLIANCE_TARGET_MB = 450.0  # web + SMS + the screen's Chromium: a 1 GB Pi 3 (64-bit Pi OS) with room to spare
FROM_NUMBER = "+15550001111"
BODIES = ["yes", "YES 2", "no", "maybe", "Sí", "si 1", "GA1 YES", "What time does it start?", "Liked “Reply YES”", "n"]
PLANKS = "title,text,threshold\n" + "".join(
    f'Plank {i},"A platform position of moderate length, number {i}.",majority\n' for i in range(1, 7)
)


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS/VmHWM in kB for one process (empty if it is gone)."""
    out = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    return out


def pss_kb(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


def alone_kb(pids: list[int]) -> int:
    """A group of processes' memory as if nothing else ran on the machine: private pages summed, pages shared
    counted once per mapping (the largest share any of them maps).

    Why not PSS alone: PSS splits a shared page among every process mapping it, other engineers' Chromiums on this
    machine included, so a Chromium's PSS here is lower than on a Pi where it runs alone. File mappings are keyed
    by file, offset and size; anonymous ones by address (a zygote's children keep its addresses)."""
    private = 0
    shared: dict[tuple[str, str, str], int] = {}
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/smaps").read_text()
        except OSError:
            continue
        mine: dict[tuple[str, str, str], int] = {}
        key = ("", "", "")
        for line in text.splitlines():
            fields = line.split()
            if not fields:
                continue
            if not fields[0].endswith(":"):  # a mapping's header: address range, perms, offset, dev, inode, path
                span, offset = fields[0], fields[2]
                path = fields[5] if len(fields) > 5 else ""
                if path.startswith("/") and "(deleted)" not in line:
                    low, high = (int(x, 16) for x in span.split("-"))
                    key = (path, offset, str(high - low))
                else:
                    key = (path or "[anon]", offset, span)
            elif fields[0] in ("Private_Clean:", "Private_Dirty:"):
                private += int(fields[1])
            elif fields[0] in ("Shared_Clean:", "Shared_Dirty:"):
                mine[key] = mine.get(key, 0) + int(fields[1])
        for k, kb in mine.items():
            shared[k] = max(shared.get(k, 0), kb)
    return private + sum(shared.values())


def descendants(root: int) -> list[int]:
    """``root`` and every process below it (Chromium's renderers, GPU and utility processes)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            text = stat.read_text()
            ppid = int(text.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(stat.parent.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


class Sampler:
    """Samples VmRSS of named processes in the background; keeps each one's highest sample."""

    def __init__(self, pids: dict[str, int], interval: float = 0.2) -> None:
        self.pids = pids
        self.peak_rss: dict[str, int] = dict.fromkeys(pids, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self.interval = interval

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            for name, pid in self.pids.items():
                rss = proc_status(pid).get("VmRSS", 0)
                self.peak_rss[name] = max(self.peak_rss[name], rss)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


def attend(client: Client, name: str) -> tuple[bool, bool]:
    """One attendee at the kiosk: find by name, sign in, and (if eligible) vote. (signed in, voted)."""
    client.request("POST", "/kiosk/reset", {})
    client.follow("POST", "/kiosk/find", {"by": "name", "q": name})
    status, location, _ = client.request("POST", "/kiosk/signin", {"pick": "0"})
    if status != 303 or "signed-in" not in location:
        return False, False
    status, page = client.follow("GET", urlsplit(location).path)
    if 'action="/kiosk/vote"' not in page:
        return True, False  # not eligible, or already signed in
    status, ballot = client.follow("POST", "/kiosk/vote", {})
    planks = re.findall(r'name="choice-(\d+)"', ballot)
    if not planks:
        return True, False
    rng = random.Random(name)
    form = {f"choice-{p}": rng.choice(["yes", "no", "abstain", ""]) for p in planks}
    status, done = client.follow("POST", "/kiosk/ballot/cast", form)
    return True, status == 200 and "done" in done


def pending(database: Path) -> int:
    """Receipts and texts still waiting to go out."""
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10)) as conn:
        jobs = conn.execute("SELECT count(*) FROM print_jobs WHERE state IN ('queued', 'printing')").fetchone()[0]
        texts = conn.execute("SELECT count(*) FROM sms_outbound WHERE state IN ('queued', 'sending')").fetchone()[0]
    return int(jobs) + int(texts)


def organizer_login(client: Client, name: str, password: str) -> bool:
    """Log in to the organizer pages as a person would (the form with its CSRF token); True when it worked."""
    _status, _loc, page = client.request("GET", "/organizer/login")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    if not found:
        return False
    form = {"csrf_token": found.group(1), "next": "", "name": name, "password": password}
    status, location, _ = client.request("POST", "/organizer/login", form)
    if status not in (302, 303) or "login" in location:
        return False
    status, _page = client.follow("GET", "/organizer/")
    return status == 200


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--attendees", type=int, default=300)
    parser.add_argument("--texts", type=int, default=200)
    parser.add_argument("--browser", action="store_true", help="also measure headless Chromium (reported apart)")
    add_common_args(parser, pin_help="pin both processes to CPU 0 (taskset -c 0), a Pi stand-in")
    args = parser.parse_args()
    pi_or_skip(args, "memory")
    # Test helpers, importable once benchlib has put the repository on sys.path.
    from tests.fake_twilio import FakeTwilio
    from tests.printer_emulator import PrinterEmulator

    if args.quick:
        args.attendees, args.texts = min(args.attendees, 120), min(args.texts, 80)

    text, people = roster(args.members, seed=3)
    rows = list(csv.reader(io.StringIO(text)))
    for row in rows[1:]:
        row[3] = "member"  # everyone at this meeting may vote, so every attendee casts a ballot
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    phones = [f"+1{digits}" for _name, digits in people if digits]
    rng = random.Random(9)

    with scratch("memory-") as folder, FakeTwilio() as fake, PrinterEmulator() as printer:
        config = write_config(
            folder,
            {
                "printer": {"url": printer.url},
                "sms": {"backend": "twilio", "rate_per_second": 20.0, "replies_per_hour": 10},
                "sms.twilio": {
                    "account_sid": fake.account_sid,
                    "auth_token": fake.auth_token,
                    "from_number": FROM_NUMBER,
                    "inbound": "poll",
                    "api_base": fake.base_url,
                },
            },
        )
        (folder / "members.csv").write_text(out.getvalue(), encoding="utf-8")
        (folder / "planks.csv").write_text(PLANKS, encoding="utf-8")
        kiosk_cli(config, "init")
        kiosk_cli(config, "roster", "import", str(folder / "members.csv"))
        create_meeting_tomorrow(config)
        kiosk_cli(config, "planks", "import", "GA1", str(folder / "planks.csv"))
        kiosk_cli(config, "meeting", "open-voting", "GA1")
        kiosk_cli(config, "organizer", "add", "chair", "--password-stdin", stdin="bench-password-123\n")
        port = config_port(config)
        org_port = config_port(config, "organizer")

        procs: dict[str, subprocess.Popen] = {}
        browser_pid: int | None = None
        chromium: subprocess.Popen | None = None
        try:
            for name, command in (("kiosk serve", ["serve"]), ("kiosk sms run", ["sms", "run"])):
                cmd = taskset([str(KIOSK), "--config", str(config), *command], args.pin, args.pi)
                procs[name] = start_process(cmd, folder, folder / f"{command[-1]}.log")
            wait_http(port, proc=procs["kiosk serve"])
            time.sleep(2.0)  # both settled (the SMS daemon's first poll)
            idle = {name: proc_status(p.pid).get("VmRSS", 0) for name, p in procs.items()}
            if args.browser and shutil.which("chromium"):
                # The screen unit's own flags (kiosk/screen_browser.py), headless here: no display, no Wayland.
                screen = [f for f in SCREEN_CHROMIUM_FLAGS if f not in DISPLAY_ONLY_FLAGS]
                chromium = subprocess.Popen(
                    [
                        "chromium",
                        "--headless",
                        "--no-sandbox",  # the bench runs as root here; the screen runs as its own user
                        "--window-size=800,480",
                        *screen,
                        f"--user-data-dir={folder / 'chromium'}",
                        f"http://127.0.0.1:{port}/kiosk/",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                browser_pid = chromium.pid

            began = time.monotonic()
            with Sampler({name: p.pid for name, p in procs.items()}) as sampler:
                # Texts arrive while people sign in: half from members, half from numbers not on the roster.
                def texting() -> None:
                    for i in range(args.texts):
                        sender = rng.choice(phones) if i % 2 == 0 else f"+1415555{i:04d}"
                        body = "STOP" if i % 37 == 36 else rng.choice(BODIES)
                        fake.add_inbound(sender, body, FROM_NUMBER)
                        time.sleep(0.05)

                texter = threading.Thread(target=texting, name="texting")
                texter.start()
                client = Client(port)
                organizer = Client(org_port)
                signed = voted = 0
                for i, (name, _digits) in enumerate(random.Random(4).sample(people, args.attendees)):
                    s, v = attend(client, name)
                    signed += s
                    voted += v
                    if i % 25 == 0:
                        organizer.request("GET", "/organizer/login")
                        client.request("GET", "/results/GA1.json")
                client.close()
                organizer.close()
                texter.join()
                # A reminder to everyone who said YES, queued the way an organizer does it.
                kiosk_cli(
                    config,
                    "sms",
                    "send",
                    "--meeting",
                    "GA1",
                    "--reminder",
                    "--audience",
                    "yes",
                    "--key",
                    "bench",
                    "--yes",
                )
                # Wait until the printer and the SMS queue are done (read straight from the database).
                deadline = time.monotonic() + 180
                while time.monotonic() < deadline and pending(folder / "data" / "tally.db"):
                    time.sleep(0.5)
                receipts = sum(b"\x1dV" in job for job in printer.jobs)
                time.sleep(1.0)
            load_s = time.monotonic() - began
            final = {name: proc_status(p.pid) for name, p in procs.items()}
            pss = {name: pss_kb(p.pid) for name, p in procs.items()}
            # Then an organizer logs in (argon2id verifies the password: memory_cost, 64 MiB by default).
            organizer = Client(org_port)
            logged_in = organizer_login(organizer, "chair", "bench-password-123")
            organizer.close()
            time.sleep(0.5)
            login_hwm = proc_status(procs["kiosk serve"].pid).get("VmHWM", 0) / 1024
            browser_kb = browser_alone_kb = 0
            if browser_pid is not None:
                browser_procs = descendants(browser_pid)
                browser_kb = sum(pss_kb(pid) for pid in browser_procs)
                browser_alone_kb = alone_kb(browser_procs)
                appliance_alone_kb = alone_kb([p.pid for p in procs.values()] + browser_procs)
            for name, p in procs.items():
                if p.poll() is not None:
                    raise SystemExit(f"{name} exited with {p.returncode} during the load")
            sent = len(fake.sent())
        except BaseException:
            for log in sorted(folder.glob("*.log")):
                print_log_tail(log)
            raise
        finally:
            if chromium is not None:
                stop_process(chromium)
            for p in procs.values():
                stop_process(p)

    where = "both at Pi speed" if args.pi else "both processes pinned to CPU 0" if args.pin else "not pinned"
    print(
        f"meeting load ({where}): {args.members} members, {signed} signed in, {voted} ballots cast, "
        f"{receipts} receipts printed, {args.texts} texts in, {sent} texts out, in {load_s:.0f} s"
    )
    print(f"{'process':16s}{'idle RSS':>10s}{'peak RSS':>10s}{'VmHWM':>9s}{'end RSS':>9s}{'end PSS':>9s}  (MB)")
    figures: dict[str, dict[str, float]] = {}
    for name in procs:
        mb = {
            "idle_rss": idle[name] / 1024,
            "peak_rss": sampler.peak_rss[name] / 1024,
            "hwm": final[name].get("VmHWM", 0) / 1024,
            "end_rss": final[name].get("VmRSS", 0) / 1024,
            "end_pss": pss[name] / 1024,
        }
        figures[name] = {k: round(v, 1) for k, v in mb.items()}
        print(
            f"{name:16s}"
            + "".join(
                f"{mb[k]:>{w}.1f}"
                for k, w in (("idle_rss", 10), ("peak_rss", 10), ("hwm", 9), ("end_rss", 9), ("end_pss", 9))
            )
        )
    total = sum(f["hwm"] for f in figures.values())
    with_login = total - figures["kiosk serve"]["hwm"] + login_hwm
    print(
        f"{'together':16s}{sum(f['idle_rss'] for f in figures.values()):>10.1f}"
        f"{sum(f['peak_rss'] for f in figures.values()):>10.1f}{total:>9.1f}"
        f"{sum(f['end_rss'] for f in figures.values()):>9.1f}{sum(f['end_pss'] for f in figures.values()):>9.1f}"
    )
    print(f"target: peaks together <= {TARGET_MB:g} MB: {'met' if total <= TARGET_MB else 'NOT met'} ({total:.1f} MB)")
    print(
        f"then one organizer login ({'ok' if logged_in else 'FAILED'}): kiosk serve peak {login_hwm:.1f} MB, "
        f"together {with_login:.1f} MB ({'met' if with_login <= TARGET_MB else 'NOT met'})"
    )
    appliance_pss = appliance_alone = None
    if browser_kb:
        print(
            f"headless Chromium on /kiosk/ with the screen unit's flags (all its processes): PSS "
            f"{browser_kb / 1024:.0f} MB; as if alone on the machine {browser_alone_kb / 1024:.0f} MB"
        )
        appliance_pss = sum(f["end_pss"] for f in figures.values()) + browser_kb / 1024
        appliance_alone = appliance_alone_kb / 1024
        verdict = "met" if appliance_alone <= APPLIANCE_TARGET_MB else "NOT met"
        print(
            f"the whole appliance (web + SMS + screen) after the meeting: PSS {appliance_pss:.0f} MB; as if alone "
            f"{appliance_alone:.0f} MB; target <= {APPLIANCE_TARGET_MB:g} MB: {verdict}"
        )
    emit(
        args,
        "memory",
        {
            "processes": figures,
            "total_hwm_mb": round(total, 1),
            "serve_hwm_after_login_mb": round(login_hwm, 1),
            "total_hwm_with_login_mb": round(with_login, 1),
            "organizer_login_ok": logged_in,
            "target_mb": TARGET_MB,
            "signed_in": signed,
            "ballots": voted,
            "receipts": receipts,
            "texts_in": args.texts,
            "texts_out": sent,
            "browser_pss_mb": round(browser_kb / 1024, 1) if browser_kb else None,
            "browser_alone_mb": round(browser_alone_kb / 1024, 1) if browser_kb else None,
            "appliance_pss_mb": round(appliance_pss, 1) if appliance_pss else None,
            "appliance_alone_mb": round(appliance_alone, 1) if appliance_alone else None,
            "appliance_target_mb": APPLIANCE_TARGET_MB,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
