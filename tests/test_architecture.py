"""Dependencies point one way (docs/architecture.md):

- the core (every module of ``kiosk`` that is not an edge: the tally, schema, db, results, roster, audit, tokens,
  receipts as values, device status, live figures, rcv, …) imports nothing of the adapters ``sms/`` and
  ``hardware/`` and nothing of the edges;
- the adapters may use the core but never the edges (the web app, the CLI, the server, the service wiring, the
  doctor, the installer): wiring happens at the edges;
- the tally core imports nothing of Flask, gpiozero, escpos, pyserial or twilio (checked in a fresh interpreter).

The direction is checked by walking the imports (the AST, so imports inside functions count too) of every module.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("kiosk", "sms", "hardware")
ADAPTERS = ("sms", "hardware")
# The edges: they wire the core to the adapters and to the world. A module is an edge when its name is one of
# these or lies under one of them.
EDGES = (
    "kiosk.web",
    "kiosk.cli",
    "kiosk.__main__",
    "kiosk.entry",  # the console script: turns the collector off, then runs kiosk.cli
    "kiosk.server",
    "kiosk.services",
    "kiosk.doctor",
    "kiosk.doctor_secrecy",  # the doctor's secrecy checks (imports kiosk.doctor's findings)
    "kiosk.install",
    # The audio ballot's wiring: the command, the doctor's findings and the background builder pick the
    # synthesizer (hardware.speech) by configuration; its core (phrases, render, synth) imports no adapter.
    "kiosk.audio.cli",
    "kiosk.audio.doctor",
    "kiosk.audio.service",
)
CORE = [
    "kiosk.tally",
    "kiosk.results",
    "kiosk.roster",
    "kiosk.audit",
    "kiosk.tokens",
    "kiosk.schema",
    "kiosk.import_report",
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
    "kiosk.contest_results",
    "kiosk.contest_bundle",
    "kiosk.rcv.export",
    "kiosk.rcv.xlsx",
    "kiosk.receipts",
    "kiosk.device_status",
    "kiosk.signin_receipts",
    "kiosk.print_queue",
    "kiosk.ledger",  # the accountability ledger's files and scorecard (issue 17)
    "kiosk.ledger.files",
    "kiosk.ledger.ocd",
    "kiosk.ledger.scorecard",
    "kiosk.ledger.render",
    "kiosk.schema_ledger",
]
FORBIDDEN = ["flask", "werkzeug", "gpiozero", "escpos", "serial", "twilio", "waitress", "jinja2"]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:  # Alembic's scripts are run by Alembic, imported by no one
                found[module_name(path)] = path
    return found


def imported_names(path: Path, module: str) -> Iterator[tuple[int, str]]:
    """Every module ``path`` imports (absolute names; ``from a import b`` yields ``a.b`` too, b may be a module)."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield node.lineno, target
            for alias in node.names:
                yield node.lineno, f"{target}.{alias.name}"


def under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def layer(name: str) -> str:
    if under(name, ADAPTERS):
        return "adapter"
    if under(name, EDGES):
        return "edge"
    if under(name, ("kiosk",)):
        return "core"
    return "outside"


MODULES = all_modules()


def test_the_walk_sees_every_layer() -> None:
    layers = {layer(m) for m in MODULES}
    assert layers == {"core", "adapter", "edge"}, layers
    assert "kiosk.device_status" in MODULES and layer("kiosk.device_status") == "core"
    assert layer("kiosk.web.organizer.views") == "edge" and layer("kiosk.doctor") == "edge"
    # a module whose name merely starts like an edge's is not one
    assert layer("kiosk.cli_helpers") == "core" and layer("kiosk.webhooks") == "core"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_dependencies_point_one_way(module: str) -> None:
    here = layer(module)
    if here == "edge":
        return  # the edges may use anything: wiring happens there
    forbidden = {"core": ("adapter", "edge"), "adapter": ("edge",)}[here]
    wrong = sorted(
        f"line {line}: {name} ({layer(name)})"
        for line, name in imported_names(MODULES[module], module)
        if layer(name) in forbidden
    )
    assert wrong == [], f"{module} ({here}) imports {wrong}"


def test_the_walk_catches_a_wrong_import(tmp_path: Path) -> None:
    bad = tmp_path / "kiosk" / "bad.py"
    bad.parent.mkdir()
    bad.write_text("def f():\n    from hardware.printer import open_printer\n    from .web import app\n")
    names = {name for _, name in imported_names(bad, "kiosk.bad")}
    assert {"hardware.printer", "kiosk.web", "kiosk.web.app"} <= names


def test_core_imports_no_edge_library() -> None:
    code = f"import json, sys\nfor m in {CORE!r}: __import__(m)\nprint(json.dumps(sorted(sys.modules)))"
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60, check=True
    )
    loaded = json.loads(proc.stdout)
    leaked = sorted({m.split(".")[0] for m in loaded} & set(FORBIDDEN))
    assert leaked == [], f"the tally core pulled in {leaked}"


def test_core_sources_do_not_mention_edge_libraries() -> None:
    for module in (m for m in MODULES if under(m, tuple(CORE))):
        for _, name in imported_names(MODULES[module], module):
            assert name.split(".")[0] not in FORBIDDEN, (module, name)


def test_the_tally_knows_no_edge_table_nor_package() -> None:
    # The print queue, the SMS gateway and the devices keep their own tables; the tally reaches them only
    # through hooks the wiring registers (Tally.on_close) and never hands out a connection for them.
    for file in sorted((ROOT / "kiosk" / "tally").glob("*.py")):
        source = file.read_text(encoding="utf-8")
        for name in ("print_jobs", "sms_", "device_status", "kiosk.print_queue", "from sms", "from hardware"):
            assert name not in source, (file.name, name)


def test_adapters_touch_only_their_own_tables() -> None:
    # The roster, meetings, RSVPs, sign-ins and ballots are the tally's: an adapter reads and changes them through
    # tally operations (kiosk/tally/contacts.py for phones and text languages), never with its own SQL.
    own = {"sms": ("sms_",), "hardware": ()}
    wrong = []
    for module in (m for m in MODULES if layer(m) == "adapter"):
        allowed = own[module.split(".")[0]]
        for line, name in imported_names(MODULES[module], module):
            table = name.removeprefix("kiosk.schema.")
            if name.startswith("kiosk.schema.") and not table.startswith(allowed):
                wrong.append(f"{module} line {line}: {table}")
    assert wrong == [], "go through the tally for " + "; ".join(wrong)


# --- every production module (issue 14): rooms of a size a maintainer can read ---
# Production is what the wheel ships (pyproject: kiosk, sms, hardware), Alembic's migrations aside (each is one
# schema step, run by Alembic and never changed again). bench/ and scripts/ are developer tools, not shipped.

MAX_FILE_LINES = 500
MAX_CLASS_LINES = 400
WORST_RADON_RANK = "C"  # radon cc: A-B simple, C moderate, D and worse too complex to read (issue 14)
SMS = ROOT / "sms"


def production_sources() -> Iterator[tuple[str, str]]:
    """(path relative to the repository, source) of every shipped module but the migrations."""
    for path in MODULES.values():
        yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")


def test_the_size_rules_see_every_package() -> None:
    names = [name for name, _ in production_sources()]
    assert {n.split("/")[0] for n in names} == set(PACKAGES)
    assert "kiosk/rcv/engine.py" in names and "sms/gateway.py" in names and "hardware/buttons.py" in names
    assert not any("migrations" in n for n in names)


def test_no_production_file_or_class_is_huge() -> None:
    too_big = []
    for name, source in production_sources():
        lines = source.count("\n")
        if lines > MAX_FILE_LINES:
            too_big.append(f"{name}: {lines} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ClassDef) and node.end_lineno - node.lineno + 1 > MAX_CLASS_LINES:
                too_big.append(f"{name}: class {node.name} has {node.end_lineno - node.lineno + 1} lines")
    assert too_big == [], "split these by concern (docs/architecture.md): " + "; ".join(too_big)


def test_no_production_function_is_worse_than_radon_c() -> None:
    from radon.complexity import cc_rank, cc_visit

    too_complex = [
        f"{name}:{block.lineno} {block.fullname} is radon {cc_rank(block.complexity)} ({block.complexity})"
        for name, source in production_sources()
        for block in cc_visit(source)
        if cc_rank(block.complexity) > WORST_RADON_RANK
    ]
    assert too_complex == [], "split these into well-named steps: " + "; ".join(too_complex)


def test_the_radon_rule_catches_a_complex_function() -> None:
    from radon.complexity import cc_rank, cc_visit

    branches = "".join(f"    if x == {i}:\n        return {i}\n" for i in range(25))
    (block,) = cc_visit(f"def f(x):\n{branches}    return -1\n")
    assert cc_rank(block.complexity) == "D" > WORST_RADON_RANK


# --- sms/: the modem's error lines parsed in one place ---


def test_modem_error_lines_are_parsed_in_one_place() -> None:
    parsers = [
        p.relative_to(ROOT).as_posix()
        for p in sorted(SMS.rglob("*.py"))
        if "ERROR:" in p.read_text(encoding="utf-8") and "re.compile" in p.read_text(encoding="utf-8")
    ]
    assert parsers == ["sms/modem_errors.py"], parsers


def test_the_kiosk_process_does_not_import_the_orm() -> None:
    """The tally is SQLAlchemy Core only; importing sqlalchemy.orm (for one ``aliased``) was a fifth of the imports
    of ``kiosk serve``'s start, which a Pi's screen waits for (docs/benchmarks.md, cold start)."""
    import subprocess
    import sys

    code = (
        "import sys, kiosk.cli, kiosk.web.app, kiosk.web.organizer\n"
        "print(sorted(m for m in sys.modules if m.startswith('sqlalchemy.orm')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "[]", out.stdout
