"""The ranked-choice engine beyond RCTab's vectors: hand-checked counts, java.util.Random, the meeting's
endorsement rules, the RCTab export round trip, and bad input (a clear error naming file/line/key, exit 2)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.rcv import Contest, RcvInputError, Rules, TiebreakMode, WinnerMode, ballot_from_order, tabulate
from kiosk.rcv.command import report_for_config
from kiosk.rcv.export import export_rctab
from kiosk.rcv.javarandom import JavaRandom, java_hash_set_order, java_string_hash, java_string_key
from kiosk.rcv.rctab import load_config, read_ballots
from kiosk.rcv.report import detailed_report

FIXTURES = Path(__file__).parent / "fixtures" / "rctab"


def ballots(*spec: tuple[int, str]) -> list:
    """(count, "ABC") → that many ballots ranking A, B, C."""
    return [ballot_from_order(order) for count, order in spec for _ in range(count)]


# --- counts checked by hand -------------------------------------------------------------------------------------


def test_instant_runoff_by_hand() -> None:
    result = tabulate(Contest.of("ABC"), ballots((4, "A"), (3, "BC"), (2, "CB")))
    assert [r.tally for r in result.rounds] == [
        {"A": 4, "B": 3, "C": 2},
        {"A": 4, "B": 5},
    ]
    assert result.rounds[0].eliminated == ["C"] and result.rounds[0].results[0].transfers == {"B": 2}
    assert result.rounds[1].threshold == 5 and result.winners == ("B",)


def test_stv_surplus_moves_at_a_fraction_rounded_down() -> None:
    rules = Rules(winner_mode=WinnerMode.MULTI_WINNER_MANY_PER_ROUND, decimal_places=4)
    result = tabulate(Contest.of("ABC", seats=2, rules=rules), ballots((7, "AB"), (2, "B"), (3, "C")))
    first = result.rounds[0]
    assert first.threshold == 5 and first.elected == ["A"]  # floor(12 / 3) + 1
    # A's surplus 2 of 7: each ballot moves 0.2857 (2/7 rounded down), 7 x 0.2857 = 1.9999, residual 0.0001
    assert first.results[0].transfers == {"B": Decimal("1.9999"), "residual surplus": Decimal("0.0001")}
    assert result.rounds[1].tally["B"] == Decimal("3.9999")
    assert result.winners == ("A", "B")


def test_java_random_matches_the_jdk() -> None:
    # Values printed by OpenJDK: new Random(42).nextInt(), new Random(0).nextDouble(), new Random(42).nextInt(10)
    assert JavaRandom(42).next_int() == -1170105035
    assert JavaRandom(0).next_double() == 0.730967787376657
    r = JavaRandom(42)
    assert [r.next_int(10) for _ in range(5)] == [0, 3, 8, 4, 0]
    assert sorted(["b", "B", "a", "é"], key=java_string_key) == ["B", "a", "b", "é"]
    assert java_string_hash("hello") == 99162322  # "hello".hashCode()
    # new HashSet<>(List.of("Dopey", "Sneezy")) iterates Sneezy first (bucket 5 before bucket 11)
    assert java_hash_set_order(["Dopey", "Sneezy"]) == ["Sneezy", "Dopey"]


def test_seeded_random_tiebreak_is_reproducible() -> None:
    rules = Rules(tiebreak_mode=TiebreakMode.RANDOM, random_seed=7)
    tied = ballots((2, "A"), (2, "B"), (2, "C"), (3, "D"))
    losers = {tabulate(Contest.of("ABCD", rules=rules), tied).rounds[0].eliminated[0] for _ in range(3)}
    assert len(losers) == 1
    # sorted tie [A, B, C], index floor(nextDouble() * 3) of Random(7)
    assert losers == {"ABC"[int(JavaRandom(7).next_double() * 3)]}


def test_endorsement_threshold_and_no_endorsement() -> None:
    votes = ballots((5, "A"), (4, "B"), (1, "N"))
    plain = tabulate(Contest.of(["A", "B", "N"], endorsement_threshold=Decimal("0.5")), votes)
    assert plain.winners == ("A",) and plain.endorsed == ("A",)  # 5 of 9 continuing in the final round
    strict = tabulate(Contest.of(["A", "B", "N"], endorsement_threshold=Decimal("0.6")), votes)
    assert strict.winners == ("A",) and strict.endorsed == ()
    none = tabulate(Contest.of(["A", "B", "N"], no_endorsement="N"), ballots((2, "A"), (5, "N"), (1, "B")))
    assert none.winners == ("N",) and none.endorsed == ()


# --- export for a recount with RCTab --------------------------------------------------------------------------


def input_bytes(folder: Path) -> int:
    return sum(source.path.stat().st_size for source in load_config(folder / f"{folder.name}_config.json").sources)


# The round trip on every vector except the three whose CVRs are a 2 MB real election (kept for time in CI)
VECTORS = sorted(
    p.name
    for p in FIXTURES.iterdir()
    if (p / f"{p.name}_expected_detailed_report.json").exists() and input_bytes(p) < 1_000_000
)


@pytest.mark.parametrize("name", VECTORS)
def test_export_reads_back_to_the_same_rounds(name: str, tmp_path: Path) -> None:
    config = load_config(FIXTURES / name / f"{name}_config.json")
    votes = read_ballots(config)
    direct = detailed_report(tabulate(config.contest, votes))
    exported = export_rctab(config.contest, votes, tmp_path, name)
    assert report_for_config(exported) == direct


def test_export_hides_the_cast_order(tmp_path: Path) -> None:
    contest = Contest.of("ABC", title="Chair")
    one = export_rctab(contest, ballots((1, "CA"), (1, "AB"), (1, "B")), tmp_path / "one")
    two = export_rctab(contest, ballots((1, "B"), (1, "AB"), (1, "CA")), tmp_path / "two")
    assert (one.parent / "contest_cvr.json").read_bytes() == (two.parent / "contest_cvr.json").read_bytes()
    assert "BallotPrePrintedId" not in (one.parent / "contest_cvr.json").read_text()


# --- bad input ------------------------------------------------------------------------------------------------


def copy_vector(name: str, tmp_path: Path) -> Path:
    for f in (FIXTURES / name).iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    return tmp_path / f"{name}_config.json"


def edit_config(path: Path, **rules: object) -> None:
    data = json.loads(path.read_text())
    data["rules"].update(rules)
    path.write_text(json.dumps(data))


def run_cli(config: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["rcv", "tabulate", str(config), "--json"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"tiebreakMode": "stopCountingAndAsk"}, "key rules.tiebreakMode: unsupported rule 'stopCountingAndAsk'"),
        ({"winnerElectionMode": "instantWin"}, "key rules.winnerElectionMode: unknown value 'instantWin'"),
        ({"overvoteRule": "sometimes"}, "key rules.overvoteRule: unknown value 'sometimes'"),
        ({"decimalPlacesForVoteArithmetic": "x"}, "key rules.decimalPlacesForVoteArithmetic: expected a whole number"),
        ({"randomSeed": ""}, "key rules.randomSeed: is required"),
        ({"minimumVoteThreshold": "5"}, "key rules.minimumVoteThreshold: unsupported rule"),
    ],
)
def test_bad_rules_name_the_key(
    rules: dict[str, str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = copy_vector("test_set_0_skipped_first_choice", tmp_path)
    edit_config(config, **rules)
    code, out, err = run_cli(config, capsys)
    assert (code, out) == (2, "")
    assert str(config) in err and message in err, err


def test_malformed_config_names_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "c_config.json"
    config.write_text('{\n  "rules": {\n    "tiebreakMode": "random",,\n  }\n}\n')
    code, out, err = run_cli(config, capsys)
    assert (code, out) == (2, "") and f"{config}: line 3: malformed JSON" in err


def test_bad_csv_rank_names_line_and_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = copy_vector("generic_csv_test", tmp_path)
    cvr = tmp_path / "generic_csv_test_cvr.csv"
    lines = cvr.read_text().splitlines()
    lines[5] = lines[5].replace(",1,3,2,", ",1,third,2,")
    cvr.write_text("\n".join(lines) + "\n")
    code, out, err = run_cli(config, capsys)
    assert (code, out) == (2, "")
    assert f"{cvr}: line 6: expected a rank number in column 5, got 'third'" in err, err


def test_unknown_candidate_in_csv_names_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = copy_vector("generic_csv_test", tmp_path)
    cvr = tmp_path / "generic_csv_test_cvr.csv"
    cvr.write_text(cvr.read_text().replace("Broccoli", "Kale", 1))
    code, out, err = run_cli(config, capsys)
    assert (code, out) == (2, "") and f"{cvr}: line 2: unknown candidate 'Kale' at rank 2" in err, err


def test_unknown_candidate_in_cdf_names_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = copy_vector("test_set_1_exhaust_at_overvote", tmp_path)
    data = json.loads(config.read_text())
    data["candidates"] = data["candidates"][:3]  # Candidate D Name is no longer declared
    config.write_text(json.dumps(data))
    code, out, err = run_cli(config, capsys)
    assert (code, out) == (2, "")
    assert "test_set_1_exhaust_at_overvote_cvr.json: key CVR[0]: unknown candidate 'Candidate D Name'" in err, err


def test_missing_cdf_contest_and_bad_rank(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = copy_vector("test_set_6_duplicate_exhaust", tmp_path)
    cvr = tmp_path / "test_set_6_duplicate_exhaust_cvr.json"
    data = json.loads(cvr.read_text())
    data["CVR"][2]["CVRSnapshot"][0]["CVRContest"][0]["CVRContestSelection"][0]["SelectionPosition"][0]["Rank"] = "1"
    cvr.write_text(json.dumps(data))
    code, out, err = run_cli(config, capsys)
    assert (code, out) == (2, "")
    assert "key CVR[2].CVRSnapshot[0].CVRContest[0].CVRContestSelection[0].SelectionPosition[0].Rank" in err, err


def test_unsupported_provider_and_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = copy_vector("test_set_0_skipped_first_choice", tmp_path)
    data = json.loads(config.read_text())
    data["cvrFileSources"][0]["provider"] = "dominion"
    config.write_text(json.dumps(data))
    code, _, err = run_cli(config, capsys)
    assert code == 2 and "key cvrFileSources[0].provider: unsupported CVR provider 'dominion'" in err
    data["cvrFileSources"][0].update(provider="cdf", filePath="gone.json")
    config.write_text(json.dumps(data))
    code, _, err = run_cli(config, capsys)
    assert code == 2 and f"{tmp_path / 'gone.json'}: cannot read" in err


def test_engine_rejects_unknown_candidates_and_falling_ranks() -> None:
    with pytest.raises(RcvInputError, match="ballot 2: unknown candidate 'Z'"):
        tabulate(Contest.of("AB"), [ballot_from_order("A"), ballot_from_order("Z")])
    with pytest.raises(RcvInputError, match="ranks must rise"):
        tabulate(Contest.of("AB"), [((2, ("A",)), (1, ("B",)))])


def test_malformed_cdf_xml_names_line_and_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = copy_vector("nist_xml_cdf_2", tmp_path)
    xml = tmp_path / "nist_xml_cdf_2.xml"
    lines = xml.read_text().splitlines()
    lines[3] = lines[3].replace("</cdf:BallotStyleId>", "</cdf:BallotStyle>")
    xml.write_text("\n".join(lines) + "\n")
    code, out, err = run_cli(config, capsys)
    assert (code, out) == (2, "") and f"{xml}: line 4, column" in err and "malformed XML" in err, err


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"batchElimination": True}, "key rules.batchElimination: cannot be used with several seats"),
        ({"hareQuota": True, "nonIntegerWinningThreshold": True}, "key rules.hareQuota: cannot be used with"),
        ({"numberOfWinners": "0"}, "key rules.numberOfWinners: must be at least 1"),
    ],
)
def test_rule_combinations_rctab_refuses(
    rules: dict[str, object], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = copy_vector("test_set_multi_winner_whole_threshold", tmp_path)
    edit_config(config, **rules)
    code, out, err = run_cli(config, capsys)
    assert (code, out) == (2, "") and message in err, err


def test_not_an_xlsx_names_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = copy_vector("duplicate_test", tmp_path)
    (tmp_path / "duplicate_test_cvr.xlsx").write_text("Cast Vote Record,Precinct\n1,A\n")
    code, out, err = run_cli(config, capsys)
    assert (code, out) == (2, "") and "duplicate_test_cvr.xlsx: not an .xlsx workbook" in err, err
