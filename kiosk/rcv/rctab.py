"""Reading RCTab's contest configuration and the cast vote records it names (NIST CDF JSON or XML, generic CSV,
ES&S spreadsheets).

Everything is read and checked before anything is counted: a malformed file, an unknown candidate, a ranking
beyond ``maxRankingsAllowed`` or a rule this counter does not support raises :class:`RcvInputError` whose
message names the file and the line (CSV) or the key (JSON). The config is read here; each format of cast vote
records has its reader (:mod:`kiosk.rcv.cvr_cdf`, :mod:`kiosk.rcv.cvr_tables`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from kiosk.rcv.cvr_cdf import read_cdf_json, read_cdf_xml
from kiosk.rcv.cvr_source import CvrSource
from kiosk.rcv.cvr_tables import read_ess_xlsx, read_generic_csv
from kiosk.rcv.json_keys import JsonKeys, read_json
from kiosk.rcv.model import (
    OVERVOTE,
    UNDECLARED_WRITE_IN,
    UNSUPPORTED_TIEBREAK_MODES,
    UNSUPPORTED_WINNER_MODES,
    Ballot,
    Candidate,
    Contest,
    OvervoteRule,
    RcvInputError,
    Rules,
    TiebreakMode,
    WinnerMode,
    ballot_from_marks,
    validate_contest,
)

# Importable from here before the readers moved to their own modules; callers may go on doing so.
__all__ = [
    "MAX_RANDOM_SEED",
    "MIN_RANDOM_SEED",
    "OVERVOTE",
    "SUPPORTED_PROVIDERS",
    "UNDECLARED_WRITE_IN",
    "UNSUPPORTED_TIEBREAK_MODES",
    "UNSUPPORTED_WINNER_MODES",
    "Ballot",
    "Candidate",
    "Contest",
    "CvrSource",
    "OvervoteRule",
    "RctabConfig",
    "RcvInputError",
    "Rules",
    "TiebreakMode",
    "WinnerMode",
    "ballot_from_marks",
    "load_config",
    "read_ballots",
    "validate_contest",
]

SUPPORTED_PROVIDERS = ("cdf", "genericCsv", "ess")
MIN_RANDOM_SEED, MAX_RANDOM_SEED = -140737488355328, 140737488355327


@dataclass(frozen=True)
class RctabConfig:
    path: Path
    contest: Contest
    sources: tuple[CvrSource, ...]


def _enum(keys: JsonKeys, name: str, kind: Any, unsupported: dict[str, str] | None = None) -> Any:
    text = keys.text(name)
    if unsupported and text in unsupported:
        raise keys.fail(name, f"unsupported rule {text!r}: {unsupported[text]}")
    try:
        return kind(text)
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise keys.fail(name, f"unknown value {text!r} (supported: {allowed})") from None


def load_config(path: str | Path) -> RctabConfig:
    """Parse an RCTab contest configuration; CVR paths resolve against the config file's folder."""
    path = Path(path)
    top = JsonKeys(path, read_json(path), "")
    output = top.child("outputSettings")
    rules_keys = top.child("rules")
    rules = _rules(rules_keys)
    seats = rules_keys.integer("numberOfWinners", low=0)
    assert seats is not None
    if seats == 1 and rules.winner_mode is not WinnerMode.SINGLE_WINNER_MAJORITY:
        raise rules_keys.fail("winnerElectionMode", f"{rules.winner_mode.value} needs more than one winner")
    candidates = _candidates(top)
    sources = [_source(entry, path, rules) for entry in top.items("cvrFileSources")]
    if not sources:
        raise top.fail("cvrFileSources", "at least one cast vote record file is needed")
    contest = Contest(
        candidates=tuple(candidates),
        seats=seats,
        rules=rules,
        undeclared_write_ins=any(s.undeclared_write_in_label or s.treat_blank_as_undeclared_write_in for s in sources),
        title=output.text("contestName"),
        date=output.text("contestDate"),
        jurisdiction=output.text("contestJurisdiction"),
        office=output.text("contestOffice"),
    )
    try:
        validate_contest(contest)
    except RcvInputError as exc:
        raise RcvInputError(f"{path}: key {exc}") from None
    return RctabConfig(path, contest, tuple(sources))


def _candidates(top: JsonKeys) -> list[Candidate]:
    """The candidates with their aliases (an older config's candidate code is one); no name or alias twice."""
    candidates: list[Candidate] = []
    seen: set[str] = set()
    for entry in top.items("candidates"):
        name = entry.text("name")
        if not name:
            raise entry.fail("name", "a candidate needs a name")
        aliases_raw = entry.raw("aliases") or []
        if not isinstance(aliases_raw, list) or not all(isinstance(a, str) for a in aliases_raw):
            raise entry.fail("aliases", "expected a list of names")
        code = entry.text("code")
        aliases = tuple(a.strip() for a in aliases_raw if a.strip()) + ((code,) if code else ())
        for label in (name, *aliases):
            if label in seen:
                raise entry.fail("name", f"duplicate candidate name or alias {label!r}")
            seen.add(label)
        candidates.append(Candidate(name, aliases, entry.flag("excluded")))
    return candidates


def _source(entry: JsonKeys, config_path: Path, rules: Rules) -> CvrSource:
    """One entry of cvrFileSources, checked for its provider."""
    provider = entry.text("provider")
    if provider not in SUPPORTED_PROVIDERS:
        raise entry.fail(
            "provider", f"unsupported CVR provider {provider!r} (supported: {', '.join(SUPPORTED_PROVIDERS)})"
        )
    file_path = entry.text("filePath")
    if not file_path:
        raise entry.fail("filePath", "is required")
    resolved = Path(file_path) if Path(file_path).is_absolute() else config_path.parent / file_path
    if provider == "cdf" and resolved.suffix.lower() not in (".json", ".xml"):
        raise entry.fail("filePath", "a CDF file must end in .json or .xml")
    if entry.flag("treatBlankAsUndeclaredWriteIn") and provider != "ess":
        raise entry.fail("treatBlankAsUndeclaredWriteIn", "only ES&S sources can treat blanks as write-ins")
    if provider == "ess":
        return _ess_source(entry, resolved, rules)
    if provider == "genericCsv":
        column, row = _first_vote_cell(entry)
        return CvrSource(
            resolved,
            provider,
            first_vote_column=column - 1,
            first_vote_row=max(row - 1, 1),
            undeclared_write_in_label=entry.text("undeclaredWriteInLabel"),
        )
    contest_id = entry.text("contestId")
    if not contest_id:
        raise entry.fail("contestId", "a CDF source needs the contest's name")
    return CvrSource(
        resolved,
        provider,
        contest_id=contest_id,
        undeclared_write_in_label=entry.text("undeclaredWriteInLabel"),
        overvote_label=entry.text("overvoteLabel"),
    )


def _first_vote_cell(entry: JsonKeys) -> tuple[int, int]:
    """firstVoteColumnIndex and firstVoteRowIndex, 1-based as the config gives them."""
    column = entry.integer("firstVoteColumnIndex", low=1, high=1000)
    row = entry.integer("firstVoteRowIndex", low=1, high=100000)
    assert column is not None and row is not None
    return column, row


def _ess_source(entry: JsonKeys, resolved: Path, rules: Rules) -> CvrSource:
    column, row = _first_vote_cell(entry)
    label = entry.text("overvoteLabel")
    delimiter = entry.text("overvoteDelimiter")
    if label and delimiter:
        raise entry.fail("overvoteDelimiter", "give an overvote label or a delimiter, not both")
    if label and rules.overvote_rule is OvervoteRule.EXHAUST_IF_MULTIPLE_CONTINUING:
        raise entry.fail("overvoteLabel", "cannot be used with overvoteRule exhaustIfMultipleContinuing")
    return CvrSource(
        resolved,
        "ess",
        first_vote_column=column - 1,
        first_vote_row=row - 1,
        undeclared_write_in_label=entry.text("undeclaredWriteInLabel"),
        overvote_label=label,
        overvote_delimiter=delimiter,
        skipped_rank_label=entry.text("skippedRankLabel"),
        treat_blank_as_undeclared_write_in=entry.flag("treatBlankAsUndeclaredWriteIn"),
        id_column=_column(entry, "idColumnIndex"),
        precinct_column=_column(entry, "precinctColumnIndex"),
        batch_column=_column(entry, "batchColumnIndex"),
    )


def _column(keys: JsonKeys, name: str) -> int | None:
    value = keys.integer(name, low=1, high=1000, blank=-1)
    return None if value is None else value - 1


def _rules(keys: JsonKeys) -> Rules:
    winner_mode = _enum(keys, "winnerElectionMode", WinnerMode, UNSUPPORTED_WINNER_MODES)
    tiebreak = _enum(keys, "tiebreakMode", TiebreakMode, UNSUPPORTED_TIEBREAK_MODES)
    overvote = _enum(keys, "overvoteRule", OvervoteRule)
    if keys.text("minimumVoteThreshold") not in ("", "0"):
        raise keys.fail("minimumVoteThreshold", "unsupported rule (only 0 is supported)")
    needs_seed = tiebreak in (
        TiebreakMode.RANDOM,
        TiebreakMode.PREVIOUS_ROUND_COUNTS_THEN_RANDOM,
        TiebreakMode.GENERATE_PERMUTATION,
    )
    seed = keys.integer("randomSeed", low=MIN_RANDOM_SEED, high=MAX_RANDOM_SEED, blank=None if needs_seed else -1)
    max_rankings_text = keys.text("maxRankingsAllowed")
    max_rankings = None if max_rankings_text == "max" else keys.integer("maxRankingsAllowed", low=1)
    skips_text = keys.text("maxSkippedRanksAllowed")
    max_skips = None if skips_text == "unlimited" else keys.integer("maxSkippedRanksAllowed", low=0)
    places = keys.integer("decimalPlacesForVoteArithmetic", low=1, high=20)
    assert places is not None
    percentage: Decimal | None = None
    if winner_mode is WinnerMode.BOTTOMS_UP_PERCENTAGE:
        text = keys.text("multiSeatBottomsUpPercentageThreshold")
        try:
            percentage = Decimal(text).scaleb(-2)
        except InvalidOperation:
            raise keys.fail("multiSeatBottomsUpPercentageThreshold", f"expected a percentage, got {text!r}") from None
        if not 0 < percentage <= 1:
            raise keys.fail("multiSeatBottomsUpPercentageThreshold", "must be above 0 and at most 100")
    return Rules(
        winner_mode=winner_mode,
        overvote_rule=overvote,
        tiebreak_mode=tiebreak,
        random_seed=seed,
        max_rankings_allowed=max_rankings,
        max_skipped_ranks_allowed=max_skips,
        decimal_places=places,
        exhaust_on_duplicate_candidate=keys.flag("exhaustOnDuplicateCandidate"),
        batch_elimination=keys.flag("batchElimination"),
        continue_until_two_candidates_remain=keys.flag("continueUntilTwoCandidatesRemain"),
        first_round_determines_threshold=keys.flag("doesFirstRoundDetermineThreshold"),
        hare_quota=keys.flag("hareQuota"),
        non_integer_winning_threshold=keys.flag("nonIntegerWinningThreshold"),
        cutoff_elimination=keys.flag("cutoffElimination"),
        stop_tabulation_early_after_round=keys.integer("stopTabulationEarlyAfterRound", low=1, blank=-1),
        bottoms_up_percentage_threshold=percentage,
    )


# --- cast vote records ----------------------------------------------------------------------------------------


def read_ballots(config: RctabConfig) -> list[Ballot]:
    """Every ballot of every source, checked against the contest's candidates and maxRankingsAllowed."""
    known = {c.name for c in config.contest.candidates} | {a for c in config.contest.candidates for a in c.aliases}
    if config.contest.undeclared_write_ins:
        known.add(UNDECLARED_WRITE_IN)
    ballots: list[Ballot] = []
    for source in config.sources:
        for where, ballot in _read_source(source, config.contest.rules.max_rankings_allowed):
            for rank, marks in ballot:
                for mark in marks:
                    if mark != OVERVOTE and mark not in known:
                        raise RcvInputError(f"{source.path}: {where}: unknown candidate {mark!r} at rank {rank}")
            limit = config.contest.rules.max_rankings_allowed
            if ballot and limit is not None and ballot[-1][0] > limit:
                raise RcvInputError(
                    f"{source.path}: {where}: ranking {ballot[-1][0]} is beyond maxRankingsAllowed ({limit})"
                )
            ballots.append(ballot)
    if not ballots:
        raise RcvInputError(f"{config.path}: no cast vote records found")
    return ballots


def _read_source(source: CvrSource, max_rankings: int | None) -> list[tuple[str, Ballot]]:
    if source.provider == "genericCsv":
        return read_generic_csv(source)
    if source.provider == "ess":
        return read_ess_xlsx(source, max_rankings)
    if source.path.suffix.lower() == ".xml":
        return read_cdf_xml(source)
    return read_cdf_json(source)
