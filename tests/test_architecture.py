"""The tally core imports nothing of Flask, gpiozero, escpos, pyserial or twilio (checked in a fresh interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE = [
    "kiosk.tally",
    "kiosk.results",
    "kiosk.roster",
    "kiosk.audit",
    "kiosk.tokens",
    "kiosk.schema",
    "kiosk.db",
    "kiosk.config",
    "kiosk.errors",
    "kiosk.testdeck",
    "kiosk.runtime",
    "kiosk.live_figures",
]
FORBIDDEN = ["flask", "werkzeug", "gpiozero", "escpos", "serial", "twilio", "waitress", "jinja2"]


def test_core_imports_no_edge_library() -> None:
    code = f"import json, sys\nfor m in {CORE!r}: __import__(m)\nprint(json.dumps(sorted(sys.modules)))"
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60, check=True
    )
    loaded = json.loads(proc.stdout)
    leaked = sorted({m.split(".")[0] for m in loaded} & set(FORBIDDEN))
    assert leaked == [], f"the tally core pulled in {leaked}"


def test_core_sources_do_not_mention_edge_libraries() -> None:
    for module in CORE:
        source = (ROOT / (module.replace(".", "/") + ".py")).read_text(encoding="utf-8")
        for name in FORBIDDEN:
            assert f"import {name}" not in source and f"from {name}" not in source, (module, name)
