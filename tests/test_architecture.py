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
    "kiosk.rcv.engine",
    "kiosk.rcv.model",
    "kiosk.rcv.javarandom",
    "kiosk.rcv.rctab",
    "kiosk.rcv.report",
    "kiosk.rcv.command",
    "kiosk.live_figures",
    "kiosk.rcv.export",
    "kiosk.rcv.xlsx",
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


def core_sources() -> dict[str, str]:
    """Each core module's source; a package (kiosk.tally) counts with every module in it."""
    out: dict[str, str] = {}
    for module in CORE:
        path = ROOT / module.replace(".", "/")
        files = sorted(path.glob("*.py")) if path.is_dir() else [path.with_suffix(".py")]
        for file in files:
            out[str(file.relative_to(ROOT))] = file.read_text(encoding="utf-8")
    return out


def test_core_sources_do_not_mention_edge_libraries() -> None:
    sources = core_sources()
    assert "kiosk/tally/__init__.py" in sources and "kiosk/tally/ballots.py" in sources
    for module, source in sources.items():
        for name in FORBIDDEN:
            assert f"import {name}" not in source and f"from {name}" not in source, (module, name)


def test_the_tally_knows_no_edge_table_nor_package() -> None:
    # The print queue, the SMS gateway and the devices keep their own tables; the tally reaches them only
    # through hooks the wiring registers (Tally.on_close) and never hands out a connection for them.
    for file in sorted((ROOT / "kiosk" / "tally").glob("*.py")):
        source = file.read_text(encoding="utf-8")
        for name in ("print_jobs", "sms_", "device_status", "kiosk.print_queue", "from sms", "from hardware"):
            assert name not in source, (file.name, name)


def test_no_tally_file_or_class_is_huge() -> None:
    import ast

    for file in sorted((ROOT / "kiosk" / "tally").glob("*.py")):
        source = file.read_text(encoding="utf-8")
        assert source.count("\n") <= 500, file.name
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ClassDef):
                assert (node.end_lineno or 0) - node.lineno < 400, (file.name, node.name)


# --- sms/ (issue 14): rooms of a size a maintainer can read, and the modem's error lines parsed in one place ---

SMS = ROOT / "sms"
MAX_FILE_LINES = 500
MAX_CLASS_LINES = 400


def test_sms_files_and_classes_stay_small() -> None:
    import ast

    too_big = []
    for path in sorted(SMS.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        name = path.relative_to(ROOT).as_posix()
        if source.count("\n") > MAX_FILE_LINES:
            too_big.append(f"{name}: {source.count(chr(10))} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ClassDef) and node.end_lineno - node.lineno + 1 > MAX_CLASS_LINES:
                too_big.append(f"{name}: class {node.name} has {node.end_lineno - node.lineno + 1} lines")
    assert too_big == [], "split these by concept: " + "; ".join(too_big)


def test_modem_error_lines_are_parsed_in_one_place() -> None:
    parsers = [
        p.relative_to(ROOT).as_posix()
        for p in sorted(SMS.rglob("*.py"))
        if "ERROR:" in p.read_text(encoding="utf-8") and "re.compile" in p.read_text(encoding="utf-8")
    ]
    assert parsers == ["sms/modem_errors.py"], parsers
