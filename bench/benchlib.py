"""Shared plumbing for the benchmarks: percentiles, the ``--pin``/``--pi``/``--json``/``--quick`` flags, and a
real ``kiosk serve`` process on loopback in a throw-away folder (optionally pinned to CPU 0 with ``taskset -c 0``,
or run at Pi speed: pinned and in a cgroup with a sixth of a core, see :class:`PiSlice`).

Every bench prints figures for people and, with ``--json PATH``, writes the same figures as one JSON object
(``{"bench": name, "pinned": bool, "figures": {...}}``) for ``bench/run_all.py``.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the fakes under tests/ (FakeTwilio, the printer emulator) are test helpers
    sys.path.insert(0, str(ROOT))

KIOSK = Path(sys.executable).with_name("kiosk")


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile, q in [0, 1]."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))]


def spread(values: Sequence[float], scale: float = 1000.0) -> dict[str, float]:
    """p50/p95/p99/max of ``values`` (seconds), in ms by default."""
    return {
        "n": len(values),
        "p50": round(percentile(values, 0.50) * scale, 3),
        "p95": round(percentile(values, 0.95) * scale, 3),
        "p99": round(percentile(values, 0.99) * scale, 3),
        "max": round(max(values) * scale, 3) if values else float("nan"),
    }


def add_common_args(parser: argparse.ArgumentParser, *, pin_help: str = "run on CPU 0 only (a Pi stand-in)") -> None:
    parser.add_argument("--pin", action="store_true", help=pin_help)
    add_pi_arg(parser)
    parser.add_argument("--quick", action="store_true", help="fewer samples (a smoke run)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON to PATH")


def add_pi_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--pi",
        action="store_true",
        help="Pi speed: pinned to CPU 0 and in a cgroup with a CPU quota of 1,667 us per 10,000 us (a sixth of a "
        "core, about one Pi 4 core on a machine like this one); implies --pin",
    )


# --- Pi speed ----------------------------------------------------------------------------------------------

# A Pi 4 core runs Python about 6x slower than a core of this machine (FACTS.md; a CPU loop under this quota ran
# 6.8x slower here): a sixth of a core, given out every 10 ms so that a request is not held up for a whole
# 100 ms default period when the quota runs out.
PI_QUOTA_US = 1667
PI_PERIOD_US = 10_000
CGROUP_ROOT = Path("/sys/fs/cgroup")


class PiSliceUnavailable(RuntimeError):
    """Neither cgroup v2's ``cpu.max`` nor cgroup v1's ``cpu.cfs_quota_us`` can be used on this machine."""


class PiSlice:
    """A cgroup holding a sixth of a core (``cpu.max`` on cgroup v2, ``cpu.cfs_quota_us`` on v1), made for one
    bench run and removed afterwards. Processes enter it by writing their pid to its ``cgroup.procs`` before
    they exec (:meth:`wrap`), so everything they start stays inside; :meth:`join` moves the calling process."""

    def __init__(self, quota_us: int = PI_QUOTA_US, period_us: int = PI_PERIOD_US) -> None:
        self.quota_us, self.period_us = quota_us, period_us
        name = f"kiosk-bench-pi-{os.getpid()}"
        errors: list[str] = []
        for kind, parent in self._candidates():
            folder = parent / name
            try:
                folder.mkdir(exist_ok=True)
                if kind == "v2":
                    (folder / "cpu.max").write_text(f"{quota_us} {period_us}\n")
                else:
                    (folder / "cpu.cfs_period_us").write_text(f"{period_us}\n")
                    (folder / "cpu.cfs_quota_us").write_text(f"{quota_us}\n")
            except OSError as exc:
                errors.append(f"{kind} at {parent}: {exc.strerror or exc}")
                with contextlib.suppress(OSError):
                    folder.rmdir()
                continue
            self.kind, self.path, self.parent = kind, folder, parent
            return
        raise PiSliceUnavailable(
            "no cgroup CPU quota available here (cgroup v2 cpu.max nor v1 cpu.cfs_quota_us: "
            + ("; ".join(errors) if errors else "no cpu controller mounted")
            + "): the Pi-speed figures are skipped"
        )

    @staticmethod
    def _candidates() -> list[tuple[str, Path]]:
        """Where a CPU-limited cgroup could be made: v2 (the unified hierarchy, if its cpu controller is on) first."""
        found: list[tuple[str, Path]] = []
        for unified in (CGROUP_ROOT, CGROUP_ROOT / "unified"):
            controllers = unified / "cgroup.controllers"
            with contextlib.suppress(OSError):
                if "cpu" in controllers.read_text().split():
                    with contextlib.suppress(OSError):  # children need the cpu controller handed down
                        (unified / "cgroup.subtree_control").write_text("+cpu\n")
                    found.append(("v2", unified))
        v1 = CGROUP_ROOT / "cpu"
        if (v1 / "cpu.cfs_quota_us").exists():
            found.append(("v1", v1))
        return found

    @property
    def detail(self) -> str:
        files = "cpu.max" if self.kind == "v2" else "cpu.cfs_quota_us/cpu.cfs_period_us"
        return f"cgroup {self.kind} {self.path} ({files} = {self.quota_us} us per {self.period_us} us), CPU 0"

    def wrap(self, command: list[str]) -> list[str]:
        """``command`` started inside this cgroup and pinned to CPU 0."""
        if shutil.which("taskset") is None:
            raise SystemExit("--pi needs taskset (util-linux)")
        enter = 'echo $$ > "$0" && exec taskset -c 0 "$@"'
        return ["sh", "-c", enter, str(self.path / "cgroup.procs"), *command]

    def join(self) -> None:
        """Move this process (every thread of it) into the cgroup, pinned to CPU 0."""
        (self.path / "cgroup.procs").write_text(f"{os.getpid()}\n")
        os.sched_setaffinity(0, {0})

    def cpu_throttled(self) -> str:
        """The kernel's throttling counters, as a check that the quota bit (``nr_throttled`` > 0)."""
        with contextlib.suppress(OSError):
            stats = dict(line.split() for line in (self.path / "cpu.stat").read_text().splitlines() if " " in line)
            return f"{stats.get('nr_throttled', '?')} of {stats.get('nr_periods', '?')} periods throttled"
        return "throttling not readable"

    def close(self) -> None:
        """Move what is left (this process, if it joined) back to the parent, then remove the cgroup."""
        with contextlib.suppress(OSError):
            for pid in (self.path / "cgroup.procs").read_text().split():
                with contextlib.suppress(OSError):
                    (self.parent / "cgroup.procs").write_text(f"{pid}\n")
        for _ in range(50):  # processes being stopped leave a moment later
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.1)


_slice: PiSlice | None = None


def pi_slice() -> PiSlice:
    """This run's Pi-speed cgroup, made on first use and removed when the bench exits. Exits the bench with a
    plain message (and, with ``--json``, a ``skipped`` record) when the machine has no usable cgroup."""
    global _slice
    if _slice is None:
        _slice = PiSlice()
        atexit.register(_slice.close)
    return _slice


# A fixed piece of pure-Python work (dict, string and integer operations, as a request does), timed in a process of
# its own: how fast this machine's core is today. The Pi-speed quota is a share of that core, so when the core is
# slower (another tenant, a different host) every Pi-speed figure is slower too: on 6 and 7 December 2026 the same
# tree's pinned start-up took 0.63 s of CPU one day and 0.45 s the next. Printed with every --pi run.
_REFERENCE_LOOP = """
import time
t0 = time.process_time()
d = {}
for i in range(300_000):
    k = "k" + str(i % 5000)
    d[k] = d.get(k, 0) + i * 3 // 7
print((time.process_time() - t0) * 1000)
"""


def reference_loop_ms(piece: PiSlice | None = None) -> tuple[float, float]:
    """The reference loop's CPU time and wall time in ms (best of 3 each), pinned to CPU 0; inside ``piece`` (at
    Pi speed) when given. The wall time includes starting Python."""
    command = [sys.executable, "-c", _REFERENCE_LOOP]
    command = piece.wrap(command) if piece is not None else ["taskset", "-c", "0", *command]
    cpu = wall = float("inf")
    for _ in range(3):
        started = time.monotonic()
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
        wall = min(wall, (time.monotonic() - started) * 1000)
        cpu = min(cpu, float(done.stdout.split()[-1]))
    return cpu, wall


def pi_or_skip(args: argparse.Namespace, bench: str) -> PiSlice | None:
    """With ``--pi``: the slice (and ``--pin`` set too); without: None. Says so and exits when unavailable."""
    if not getattr(args, "pi", False):
        return None
    args.pin = True
    try:
        piece = pi_slice()
    except PiSliceUnavailable as exc:
        print(f"Pi speed not measured: {exc}")
        if args.json:
            data = {"bench": bench, "pi": True, "skipped": str(exc)}
            Path(args.json).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        raise SystemExit(0) from None
    print(f"Pi speed: {piece.detail}")
    free, slowed = reference_loop_ms()[0], reference_loop_ms(piece)[1]
    print(
        f"this core today: a reference Python loop takes {free:.0f} ms of CPU on CPU 0 and {slowed:.0f} ms at Pi "
        f"speed ({slowed / free:.1f}x; Python start-up included in the latter)"
    )
    return piece


def pin_self(args: argparse.Namespace | None = None) -> None:
    """Pin this process (and threads it starts later) to CPU 0, as ``taskset -c 0`` would; with ``--pi`` also
    move it into the Pi-speed cgroup."""
    if args is not None and getattr(args, "pi", False):
        pi_slice().join()
        return
    os.sched_setaffinity(0, {0})


def taskset(command: list[str], pin: bool, pi: bool = False) -> list[str]:
    """``command`` as given, pinned to CPU 0 (``pin``), or pinned and in the Pi-speed cgroup (``pi``)."""
    if pi:
        return pi_slice().wrap(command)
    if not pin:
        return command
    if shutil.which("taskset") is None:
        raise SystemExit("--pin needs taskset (util-linux)")
    return ["taskset", "-c", "0", *command]


def emit(args: argparse.Namespace, bench: str, figures: dict[str, Any]) -> None:
    pi = bool(getattr(args, "pi", False))
    if pi and _slice is not None:
        print(f"Pi-speed cgroup: {_slice.cpu_throttled()}")
    if args.json:
        data = {"bench": bench, "pinned": bool(args.pin), "pi": pi, "quick": bool(args.quick), "figures": figures}
        Path(args.json).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (from /proc), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value))


def write_config(folder: Path, sections: dict[str, dict[str, Any]]) -> Path:
    """A kiosk.toml in ``folder``: data in ``folder/data``, free ports, simulated buttons, then ``sections``."""
    base: dict[str, dict[str, Any]] = {
        "kiosk": {"data_dir": str(folder / "data")},
        "server": {"host": "127.0.0.1", "port": free_port()},
        "organizer": {"host": "127.0.0.1", "port": free_port()},
        "hardware": {"buttons": "simulated"},
        "printer": {"url": "none"},
        "sms": {"backend": "console"},
    }
    for name, values in sections.items():
        base.setdefault(name, {}).update(values)
    lines = []
    for name, values in base.items():
        lines.append(f"[{name}]")
        lines += [f"{key} = {toml_value(value)}" for key, value in values.items()]
        lines.append("")
    path = folder / "kiosk.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    (folder / "data").mkdir(exist_ok=True)
    return path


def kiosk_cli(config: Path, *args: str, stdin: str | None = None) -> str:
    """Run one ``kiosk`` command against ``config``; its output, or SystemExit with its error."""
    done = subprocess.run(
        [str(KIOSK), "--config", str(config), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=config.parent,
    )
    if done.returncode != 0:
        raise SystemExit(f"kiosk {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def create_meeting_tomorrow(config: Path, code: str = "GA1", title: str = "General Assembly") -> None:
    """A meeting tomorrow at 19:00 local time, through the CLI as an organizer would make it."""
    from datetime import datetime, timedelta

    starts = (datetime.now() + timedelta(days=1)).replace(hour=19, minute=0, second=0, microsecond=0)
    kiosk_cli(config, "meeting", "create", "--code", code, "--title", title, "--starts", f"{starts:%Y-%m-%dT%H:%M}")


def config_port(config: Path, section: str = "server") -> int:
    import tomllib

    return int(tomllib.loads(config.read_text(encoding="utf-8"))[section]["port"])


def wait_http(port: int, path: str = "/kiosk/", timeout: float = 60.0, proc: subprocess.Popen | None = None) -> float:
    """Poll until GET ``path`` answers 200; returns time.monotonic() of that answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode} before serving {path}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status == 200:
                return time.monotonic()
        except OSError:
            pass
        time.sleep(0.005)
    raise SystemExit(f"nothing answered 200 on 127.0.0.1:{port}{path} within {timeout:.0f} s")


def start_process(command: list[str], cwd: Path, log: Path) -> subprocess.Popen:
    out = log.open("w", encoding="utf-8")
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env)


def stop_process(proc: subprocess.Popen, timeout: float = 15.0) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@contextlib.contextmanager
def kiosk_server(
    config: Path, *, pin: bool, args: Sequence[str] = ("serve",), pi: bool = False
) -> Iterator[subprocess.Popen]:
    """``kiosk serve`` (or another long-running command) for ``config``, stopped (SIGTERM) on exit."""
    log = config.parent / f"{args[0]}{'-' + args[1] if len(args) > 1 else ''}.log"
    proc = start_process(taskset([str(KIOSK), "--config", str(config), *args], pin, pi), config.parent, log)
    try:
        yield proc
    except BaseException:
        print_log_tail(log)
        raise
    finally:
        stop_process(proc)


def print_log_tail(log: Path, lines: int = 30) -> None:
    """The end of a server's log on stderr (the scratch folder holding it is removed afterwards)."""
    with contextlib.suppress(OSError):
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
        print(f"--- last lines of {log.name}:", *tail, sep="\n", file=sys.stderr)


@contextlib.contextmanager
def scratch(prefix: str) -> Iterator[Path]:
    """A temporary folder on the same disk as the repository (bench/out), removed afterwards."""
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=out))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class Client:
    """A minimal keep-alive HTTP/1.1 client with one cookie jar (the kiosk's session cookie), like a browser
    tab: little client-side overhead, so the figures are the server's."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None, *, accept: str | None = None
    ) -> tuple[int, str, str]:
        """(status, location, body)."""
        from urllib.parse import urlencode

        headers = {"Accept": accept} if accept else {}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt == 2:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in header or "expires=Thu, 01 Jan 1970" in header:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response.status, response.headers.get("Location", ""), text

    def follow(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str]:
        """A form post and the redirect the browser follows: (final status, final body)."""
        status, location, text = self.request(method, path, form)
        hops = 0
        while status in (301, 302, 303) and hops < 5:
            from urllib.parse import urlsplit

            parts = urlsplit(location)
            status, location, text = self.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
            hops += 1
        return status, text

    def close(self) -> None:
        self.conn.close()


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    import platform
    import sqlite3

    info: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    info["cores"] = str(os.cpu_count())
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["ram"] = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    info["disk"] = disk_of(ROOT / "bench")
    info["kernel"] = platform.release()
    info["os"] = _os_name()
    info["python"] = platform.python_version()
    with contextlib.suppress(OSError, subprocess.SubprocessError, ValueError):
        info["reference"] = f"{reference_loop_ms()[0]:.0f} ms of CPU on CPU 0 (benchlib._REFERENCE_LOOP)"
    info["sqlite"] = sqlite3.sqlite_version
    return info


def _os_name() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    return "unknown"


def disk_of(path: Path) -> str:
    """The filesystem and device under ``path`` (where the benches write their databases)."""
    try:
        out = subprocess.run(
            ["df", "-h", "--output=source,fstype,size", str(path)], capture_output=True, text=True, timeout=10
        ).stdout.splitlines()
        source, fstype, size = out[1].split()
    except (OSError, IndexError, ValueError, subprocess.TimeoutExpired):
        return "unknown"
    kind = ""
    dev = Path(source).name
    base = dev.rstrip("0123456789")
    if base.endswith("p") and base[:-1].startswith("nvme"):
        base = base[:-1]
    rotational = Path(f"/sys/block/{base}/queue/rotational")
    with contextlib.suppress(OSError):
        kind = ", rotational" if rotational.read_text().strip() == "1" else ", non-rotational"
    model = Path(f"/sys/block/{base}/device/model")
    with contextlib.suppress(OSError):
        kind += f", {model.read_text().strip()}"
    return f"{source} ({fstype}, {size}{kind})"
