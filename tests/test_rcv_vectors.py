"""RCTab's own test vectors (tests/fixtures/rctab, MPL-2.0, see SOURCE.md there) pass exactly, round by round.

The whole detailed JSON report is compared, as RCTab's own TabulatorTests compare it, except the two fields
about the run rather than the count: ``generatedBy`` (which program wrote it) and ``GeneratedDate`` (when).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kiosk.cli import main
from kiosk.rcv.command import report_for_config, reports_for_config

FIXTURES = Path(__file__).parent / "fixtures" / "rctab"
IGNORED = ("generatedBy", "GeneratedDate")
VECTORS = sorted(p.name for p in FIXTURES.iterdir() if (p / f"{p.name}_expected_detailed_report.json").exists())
# multiPassIrv folders: one expected report per seat, <name>_<seat>_expected_detailed_report.json
SEQUENTIAL = sorted(p.name for p in FIXTURES.iterdir() if (p / f"{p.name}_1_expected_detailed_report.json").exists())


def without_run_fields(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_run_fields(v) for k, v in value.items() if k not in IGNORED}
    if isinstance(value, list):
        return [without_run_fields(v) for v in value]
    return value


def test_every_vector_folder_is_used() -> None:
    assert (len(VECTORS), len(SEQUENTIAL)) == (55, 3), (VECTORS, SEQUENTIAL)


@pytest.mark.parametrize("name", VECTORS)
def test_vector_matches_rctab_round_by_round(name: str) -> None:
    folder = FIXTURES / name
    expected = without_run_fields(json.loads((folder / f"{name}_expected_detailed_report.json").read_text()))
    got = without_run_fields(report_for_config(folder / f"{name}_config.json"))
    assert len(got["results"]) == len(expected["results"])
    for ours, theirs in zip(got["results"], expected["results"], strict=True):
        assert ours == theirs, f"round {theirs['round']}"
    assert got == expected


@pytest.mark.parametrize("name", SEQUENTIAL)
def test_multi_pass_vector_matches_every_pass(name: str) -> None:
    folder = FIXTURES / name
    expected = []
    while (path := folder / f"{name}_{len(expected) + 1}_expected_detailed_report.json").exists():
        expected.append(without_run_fields(json.loads(path.read_text())))
    got = [without_run_fields(report) for report in reports_for_config(folder / f"{name}_config.json")]
    assert len(got) == len(expected)
    for seat, (ours, theirs) in enumerate(zip(got, expected, strict=True), start=1):
        assert ours == theirs, f"pass {seat}"


def test_cli_prints_the_same_report(capsys: pytest.CaptureFixture[str]) -> None:
    name = "test_set_multi_winner_whole_threshold"
    assert main(["rcv", "tabulate", str(FIXTURES / name / f"{name}_config.json"), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    expected = json.loads((FIXTURES / name / f"{name}_expected_detailed_report.json").read_text())
    assert without_run_fields(printed) == without_run_fields(expected)


def test_max_ranking_enforcement_halts_as_rctab_does(capsys: pytest.CaptureFixture[str]) -> None:
    """RCTab's test expects a halting parse error: a CVR ranks deeper than maxRankingsAllowed."""
    config = FIXTURES / "max_ranking_enforcement" / "max_ranking_enforcement_config.json"
    assert main(["rcv", "tabulate", str(config), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "max_ranking_enforcement_cvr.csv: line 2: ranking 4 is beyond maxRankingsAllowed (3)" in captured.err
