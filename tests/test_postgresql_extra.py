"""PostgreSQL is an extra (assembly-kiosk[postgresql]); a kiosk without it that is pointed at PostgreSQL says so.

The "without it" runs are real processes in which ``import psycopg`` fails as it does when the package is not
installed (``sys.modules["psycopg"] = None`` is Python's own way to make an import fail), so ``kiosk init`` and
``kiosk install`` run unchanged.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
WITHOUT_PSYCOPG = "import sys; sys.modules['psycopg'] = None; from kiosk.cli import main; sys.exit(main(sys.argv[1:]))"


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def run_without_psycopg(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    clean.update(env, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_PSYCOPG, *args],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_postgresql_driver_is_an_extra_and_the_test_extra_pulls_it() -> None:
    meta = project()
    default = [Requirement(r).name.lower() for r in meta["dependencies"]]
    assert not any(name.startswith("psycopg") for name in default)
    extras = meta["optional-dependencies"]
    postgresql = [Requirement(r) for r in extras["postgresql"]]
    assert {r.name for r in postgresql} == {"psycopg", "psycopg-binary"}
    binary = next(r for r in postgresql if r.name == "psycopg-binary")
    assert binary.marker is not None and not binary.marker.evaluate({"platform_machine": "armv7l"})
    assert binary.marker.evaluate({"platform_machine": "aarch64"})
    assert "assembly-kiosk[postgresql]" in extras["test"]  # CI (scripts/test via setup-venv test) runs PostgreSQL
    pi = [Requirement(r) for r in extras["pi"]]
    assert {r.name for r in pi} == {"lgpio", "pyusb"}
    assert all(str(r.specifier).startswith("==") for r in pi + postgresql)


def test_sqlite_only_install_pointed_at_postgresql_says_which_extra_to_install(tmp_path: Path) -> None:
    url = "postgresql+psycopg://kiosk:secret@127.0.0.1:9/assembly"
    proc = run_without_psycopg(["init"], tmp_path, KIOSK_DATABASE_URL=url)
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "install assembly-kiosk[postgresql]" in out, out
    assert "Traceback" not in out and "secret" not in out
    # SQLite needs no driver: the same installation initializes its own database.
    assert run_without_psycopg(["init"], tmp_path).returncode == 0


def test_kiosk_install_refuses_a_postgresql_configuration_without_the_driver(tmp_path: Path) -> None:
    root = tmp_path / "root"
    config = root / "etc/assembly-kiosk/kiosk.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        '[kiosk]\ndata_dir = "/var/lib/assembly-kiosk"\n[database]\nurl = "postgresql://kiosk:pw@10.0.0.2/tally"\n',
        encoding="utf-8",
    )
    proc = run_without_psycopg(["install", "--root", str(root), "--dry-run"], tmp_path)
    assert proc.returncode != 0
    assert "install assembly-kiosk[postgresql]" in proc.stdout + proc.stderr
