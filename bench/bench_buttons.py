"""Button latency: time from a contact closing (``SimulatedButtonPanel.press()``) to the ``on_press`` callback.

This is our part of "the page updates within tens of ms": edge handler, lock, queue, dispatcher thread wake-up.
On a Pi, lgpio's edge detection and callback thread come before it (not measured here: mock pins only).

``latency``: 1,000 presses, spread over the five buttons (with a fresh debounce window each time, so every press is
accepted), one at a time: press, wait for the callback, record; p50/p95/max in microseconds. ``latency-busy``: the
same while another thread flips LEDs with ``set_lit`` as fast as it can (the page redrawing choices).

Run: ``.venv/bin/python bench/bench_buttons.py [--pin] [--quick] [--json PATH]`` (``--pin``, like ``taskset -c 0``,
runs on one core; a Pi 4 core is about 6x slower than this machine's, per FACTS.md).
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

from benchlib import add_common_args, emit, pin_self
from gpiozero.pins.mock import MockFactory

from hardware.buttons import ButtonName, SimulatedButtonPanel

PRESSES = 1_000
NAMES = list(ButtonName)


def measure(busy: bool, presses: int = PRESSES) -> list[float]:
    arrived = threading.Event()
    stamp: list[float] = []

    def on_press(name: ButtonName) -> None:
        stamp.append(time.perf_counter())
        arrived.set()

    # debounce_s=0: the bench presses far faster than a human; the debounce check itself still runs.
    panel = SimulatedButtonPanel(pin_factory=MockFactory(), debounce_s=0.0, stuck_after_s=60.0)
    panel.start(on_press)
    stop = threading.Event()

    def flip() -> None:
        i = 0
        while not stop.is_set():
            panel.set_lit({NAMES[i % 5]})
            i += 1

    flipper = threading.Thread(target=flip) if busy else None
    if flipper:
        flipper.start()
    samples: list[float] = []
    try:
        for i in range(presses):
            arrived.clear()
            t0 = time.perf_counter()
            panel.press(NAMES[i % 5])
            if not arrived.wait(5.0):
                raise SystemExit(f"press {i} never arrived")
            samples.append(stamp[-1] - t0)
    finally:
        stop.set()
        if flipper:
            flipper.join()
        panel.close()
    return samples


def report(label: str, samples: list[float]) -> dict[str, float]:
    us = sorted(s * 1e6 for s in samples)
    p95 = us[int(len(us) * 0.95) - 1]
    print(f"{label:<14} n={len(us)}  p50 {statistics.median(us):7.1f} us  p95 {p95:7.1f} us  max {us[-1]:8.1f} us")
    return {
        "n": len(us),
        "p50_us": round(statistics.median(us), 1),
        "p95_us": round(p95, 1),
        "max_us": round(us[-1], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_args(parser)
    args = parser.parse_args()
    if args.pin or args.pi:
        pin_self(args)
    presses = 300 if args.quick else PRESSES
    measure(busy=False, presses=presses // 5)  # warm-up
    figures = {
        "latency": report("latency", measure(busy=False, presses=presses)),
        "latency_busy": report("latency-busy", measure(busy=True, presses=presses)),
    }
    emit(args, "buttons", figures)


if __name__ == "__main__":
    main()
