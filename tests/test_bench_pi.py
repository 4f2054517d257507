"""The benches' Pi-speed slice (bench/benchlib.py ``PiSlice``): which cgroup files it writes, how a server is
started inside it, and the plain message when the machine has no cgroup CPU quota (the column is then skipped).
A fake cgroup tree in a temporary folder stands in for /sys/fs/cgroup (the real one needs root)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import benchlib


def test_cgroup_v1_gets_a_sixth_of_a_core_per_10_ms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("-1\n")
    monkeypatch.setattr(benchlib, "CGROUP_ROOT", tmp_path)
    piece = benchlib.PiSlice()
    assert piece.kind == "v1"
    assert (piece.path / "cpu.cfs_period_us").read_text() == "10000\n"
    assert (piece.path / "cpu.cfs_quota_us").read_text() == "1667\n"
    command = piece.wrap(["kiosk", "serve"])
    assert command[:2] == ["sh", "-c"] and "taskset -c 0" in command[2]
    assert command[3] == str(piece.path / "cgroup.procs") and command[4:] == ["kiosk", "serve"]
    for name in ("cpu.cfs_period_us", "cpu.cfs_quota_us"):  # a real cgroup's files vanish with it
        (piece.path / name).unlink()
    piece.close()
    assert not piece.path.exists()


def test_cgroup_v2_is_preferred_when_its_cpu_controller_is_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("-1\n")
    monkeypatch.setattr(benchlib, "CGROUP_ROOT", tmp_path)
    piece = benchlib.PiSlice()
    assert piece.kind == "v2" and piece.path.parent == tmp_path
    assert (piece.path / "cpu.max").read_text() == "1667 10000\n"
    assert "cpu.max = 1667 us per 10000 us" in piece.detail


def test_no_cgroup_says_so_plainly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(benchlib, "CGROUP_ROOT", tmp_path)
    with pytest.raises(benchlib.PiSliceUnavailable, match=r"no cgroup CPU quota available here.*skipped"):
        benchlib.PiSlice()


def test_the_reference_loop_says_how_fast_the_core_is() -> None:
    # Printed with every --pi run and in docs/benchmarks.md's machine table: the Pi-speed quota is a share of
    # this core, so a slower core that day shows in every Pi-speed figure.
    cpu, wall = benchlib.reference_loop_ms()
    assert 0 < cpu <= wall < 60_000  # the wall time also starts Python
    assert benchlib.machine()["reference"].endswith("ms of CPU on CPU 0 (benchlib._REFERENCE_LOOP)")
