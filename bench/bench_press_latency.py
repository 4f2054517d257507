"""Press latency: from ``POST /simulate/button/<name>`` to the choice changing on the ballot page.

Starts ``kiosk demo`` pinned to one CPU (``taskset -c 0``, a stand-in for a Pi core) in a temporary folder,
signs in a demo member in headless Chromium, opens the ballot, then presses Yes and No alternately. The page
itself sends each POST and timestamps it (``performance.now()``), and a MutationObserver timestamps the moment
the choice changes in the DOM and the next animation frame (when it is painted), so both ends use one clock.
The path measured is the whole one: HTTP request, the mock pin, gpiozero's callback, the press hub, the
server-sent event, the page's handler.

    .venv/bin/python bench/bench_press_latency.py [--presses 200] [--pin | --no-pin] [--quick] [--json PATH]

The server is pinned by default (``--no-pin`` leaves it free; ``--pi`` also gives it a sixth of the core, a cgroup
CPU quota: Pi speed); Chromium and the driver are never pinned.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import add_pi_arg, emit, pi_or_skip
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]

OBSERVE = """
() => {
  window.__marks = [];
  const status = document.getElementById('choice-status');
  new MutationObserver(() => {
    const dom = performance.now();
    requestAnimationFrame(() => window.__marks.push([dom, performance.now()]));
  }).observe(status, {attributes: true, attributeFilter: ['data-choice']});
}
"""

PRESS = """
async ([name, index]) => {
  const t0 = performance.now();
  const response = await fetch('/simulate/button/' + name, {method: 'POST'});
  const answered = performance.now();
  if (response.status !== 204) throw new Error('press refused: ' + response.status);
  const deadline = performance.now() + 2000;
  while (window.__marks.length <= index) {
    if (performance.now() > deadline) throw new Error('press ' + index + ' never reached the page');
    await new Promise(r => setTimeout(r, 0));
  }
  const [dom, frame] = window.__marks[index];
  return [dom - t0, frame - t0, answered - t0];
}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def audio_state(workdir: str) -> str:
    """The demo meeting's audio ballot: its state and how many clips are ready so far (a rate at a time)."""
    status = next(Path(workdir).glob("**/audio/meetings/*.status.json"), None)
    meetings = Path(workdir).glob("**/audio/meetings/*.json")
    manifest = next((p for p in meetings if not p.name.endswith(".status.json")), None)  # written after each rate
    state = json.loads(status.read_text()).get("state", "?") if status else "not started"
    clips = len(json.loads(manifest.read_text()).get("clips", [])) if manifest else 0
    return f"{state}, {clips} clips"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=200)
    pin = parser.add_mutually_exclusive_group()
    pin.add_argument("--pin", action="store_true", help="pin the server to CPU 0 (the default)")
    pin.add_argument("--no-pin", action="store_true", help="do not pin the server to CPU 0")
    add_pi_arg(parser)
    parser.add_argument("--quick", action="store_true", help="60 presses (a smoke run)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON to PATH")
    args = parser.parse_args()
    args.pin = not args.no_pin
    piece = pi_or_skip(args, "press_latency")
    if args.quick:
        args.presses = min(args.presses, 60)

    kiosk = Path(sys.executable).with_name("kiosk")
    port = free_port()
    command = [str(kiosk), "demo", "--port", str(port)]
    if piece is not None:
        command = piece.wrap(command)
    elif args.pin:
        if not shutil.which("taskset"):
            raise SystemExit("pinning needs taskset (util-linux); or run with --no-pin")
        command = ["taskset", "-c", "0", *command]
    workdir = tempfile.mkdtemp(prefix="kiosk-bench-")
    server = subprocess.Popen(
        command, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=dict(os.environ)
    )
    try:
        assert server.stdout is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = server.stdout.readline()
            if "open http" in line:
                break
            if not line and server.poll() is not None:
                raise SystemExit(f"the demo server did not start: exit {server.returncode}")
        url = f"http://127.0.0.1:{port}/kiosk"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 800, "height": 480})
            page.goto(url + "/find?by=name")
            page.keyboard.type("Ana\n")
            page.get_by_role("button", name="Ana R.").click()
            page.get_by_role("button", name="Vote now").click()
            page.wait_for_selector("body[data-screen=ballot][data-stream=open]")
            page.evaluate(OBSERVE)
            for i in range(5):  # warm-up, not counted
                page.evaluate(PRESS, ["yes" if i % 2 == 0 else "no", i])
                time.sleep(0.1)
            page.evaluate("() => { window.__marks = []; }")
            audio_before = audio_state(workdir)
            dom, frame, answered = [], [], []
            for i in range(args.presses):
                # The panel debounces each button for [hardware] debounce_ms (50): pace the presses like a
                # quick person (one every 100 ms, so the same button comes back after 200 ms).
                next_at = time.monotonic() + 0.1
                d, f, a = page.evaluate(PRESS, ["no" if i % 2 == 0 else "yes", i])
                time.sleep(max(0.0, next_at - time.monotonic()))
                dom.append(d)
                frame.append(f)
                answered.append(a)
            audio_after = audio_state(workdir)
            browser.close()
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)

    pinned = "server at Pi speed" if piece else "server pinned to CPU 0" if args.pin else "server not pinned"
    print(f"press latency over {args.presses} presses ({pinned}; alternating yes/no), ms:")
    for label, values in (
        ("POST answered (204)", answered),
        ("choice changed in the DOM", dom),
        ("next frame painted", frame),
    ):
        print(
            f"  {label:28s} p50 {statistics.median(values):6.1f}  p95 {percentile(values, 95):6.1f}"
            f"  max {max(values):6.1f}"
        )
    print(f"  the audio ballot's render: {audio_before} before the presses; {audio_after} after them")
    target = percentile(frame, 95)
    print(f"target p95 <= 50 ms (to the painted frame): {'met' if target <= 50 else 'NOT met'} ({target:.1f} ms)")
    emit(
        args,
        "press_latency",
        {
            label: {
                "p50_ms": round(statistics.median(values), 2),
                "p95_ms": round(percentile(values, 95), 2),
                "max_ms": round(max(values), 2),
            }
            for label, values in (("answered", answered), ("dom", dom), ("frame", frame))
        }
        | {"presses": args.presses, "audio_before": audio_before, "audio_after": audio_after},
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
