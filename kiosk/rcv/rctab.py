"""Reading RCTab's contest configuration and the cast vote records it names (NIST CDF JSON or XML, generic CSV).

Everything is read and checked before anything is counted: a malformed file, an unknown candidate, a ranking
beyond ``maxRankingsAllowed`` or a rule this counter does not support raises :class:`RcvInputError` whose
message names the file and the line (CSV) or the key (JSON).
"""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

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

SUPPORTED_PROVIDERS = ("cdf", "genericCsv", "ess")
MIN_RANDOM_SEED, MAX_RANDOM_SEED = -140737488355328, 140737488355327


@dataclass(frozen=True)
class CvrSource:
    path: Path
    provider: str
    contest_id: str = ""
    first_vote_column: int = 0  # 0-based
    first_vote_row: int = 1  # 0-based index of the first ballot row (the header is row 0)
    undeclared_write_in_label: str = ""
    overvote_label: str = ""
    overvote_delimiter: str = ""
    skipped_rank_label: str = ""
    treat_blank_as_undeclared_write_in: bool = False
    id_column: int | None = None  # 0-based; ES&S only (other columns' ids are not needed for a count)
    precinct_column: int | None = None
    batch_column: int | None = None


@dataclass(frozen=True)
class RctabConfig:
    path: Path
    contest: Contest
    sources: tuple[CvrSource, ...]


def _json_file(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise RcvInputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise RcvInputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise RcvInputError(f"{path}: line {exc.lineno}: malformed JSON: {exc.msg}") from exc


class _Keys:
    """Typed access to a JSON object that names the file and key path in every complaint."""

    def __init__(self, path: Path, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise RcvInputError(f"{path}: {where or 'the file'} must be a JSON object")
        self.path, self.data, self.where = path, data, where

    def key(self, name: str) -> str:
        return f"{self.where}.{name}" if self.where else name

    def fail(self, name: str, message: str) -> RcvInputError:
        return RcvInputError(f"{self.path}: key {self.key(name)}: {message}")

    def raw(self, name: str, default: Any = None) -> Any:
        return self.data.get(name, default)

    def text(self, name: str, default: str = "") -> str:
        value = self.data.get(name, default)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise self.fail(name, f"expected text, got {value!r}")
        return str(value).strip()

    def flag(self, name: str) -> bool:
        value = self.data.get(name, False)
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise self.fail(name, f"expected true or false, got {value!r}")

    def integer(self, name: str, *, low: int, high: int | None = None, blank: int | None = None) -> int | None:
        text = self.text(name)
        if text == "":
            if blank is None:
                raise self.fail(name, "is required")
            return None if blank == -1 else blank
        try:
            value = int(text)
        except ValueError:
            raise self.fail(name, f"expected a whole number, got {text!r}") from None
        if value < low or (high is not None and value > high):
            raise self.fail(name, f"{value} is out of range ({low}..{high if high is not None else 'any'})")
        return value

    def child(self, name: str) -> _Keys:
        return _Keys(self.path, self.data.get(name), self.key(name))

    def items(self, name: str) -> list[_Keys]:
        value = self.data.get(name)
        if not isinstance(value, list):
            raise self.fail(name, "expected a list")
        return [_Keys(self.path, item, f"{self.key(name)}[{i}]") for i, item in enumerate(value)]


def _enum(keys: _Keys, name: str, kind: Any, unsupported: dict[str, str] | None = None) -> Any:
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
    top = _Keys(path, _json_file(path), "")
    output = top.child("outputSettings")
    rules_keys = top.child("rules")
    rules = _rules(rules_keys)
    seats = rules_keys.integer("numberOfWinners", low=0)
    assert seats is not None
    if seats == 1 and rules.winner_mode is not WinnerMode.SINGLE_WINNER_MAJORITY:
        raise rules_keys.fail("winnerElectionMode", f"{rules.winner_mode.value} needs more than one winner")

    candidates: list[Candidate] = []
    seen: set[str] = set()
    for entry in top.items("candidates"):
        name = entry.text("name")
        if not name:
            raise entry.fail("name", "a candidate needs a name")
        aliases_raw = entry.raw("aliases") or []
        if not isinstance(aliases_raw, list) or not all(isinstance(a, str) for a in aliases_raw):
            raise entry.fail("aliases", "expected a list of names")
        code = entry.text("code")  # older configs: a candidate code is an alias
        aliases = tuple(a.strip() for a in aliases_raw if a.strip()) + ((code,) if code else ())
        for label in (name, *aliases):
            if label in seen:
                raise entry.fail("name", f"duplicate candidate name or alias {label!r}")
            seen.add(label)
        candidates.append(Candidate(name, aliases, entry.flag("excluded")))

    sources = []
    for entry in top.items("cvrFileSources"):
        provider = entry.text("provider")
        if provider not in SUPPORTED_PROVIDERS:
            raise entry.fail(
                "provider", f"unsupported CVR provider {provider!r} (supported: {', '.join(SUPPORTED_PROVIDERS)})"
            )
        file_path = entry.text("filePath")
        if not file_path:
            raise entry.fail("filePath", "is required")
        resolved = Path(file_path) if Path(file_path).is_absolute() else path.parent / file_path
        if provider == "cdf" and resolved.suffix.lower() not in (".json", ".xml"):
            raise entry.fail("filePath", "a CDF file must end in .json or .xml")
        if entry.flag("treatBlankAsUndeclaredWriteIn") and provider != "ess":
            raise entry.fail("treatBlankAsUndeclaredWriteIn", "only ES&S sources can treat blanks as write-ins")
        if provider == "ess":
            column = entry.integer("firstVoteColumnIndex", low=1, high=1000)
            row = entry.integer("firstVoteRowIndex", low=1, high=100000)
            assert column is not None and row is not None
            label = entry.text("overvoteLabel")
            delimiter = entry.text("overvoteDelimiter")
            if label and delimiter:
                raise entry.fail("overvoteDelimiter", "give an overvote label or a delimiter, not both")
            if label and rules.overvote_rule is OvervoteRule.EXHAUST_IF_MULTIPLE_CONTINUING:
                raise entry.fail("overvoteLabel", "cannot be used with overvoteRule exhaustIfMultipleContinuing")
            sources.append(
                CvrSource(
                    resolved,
                    provider,
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
            )
        elif provider == "genericCsv":
            column = entry.integer("firstVoteColumnIndex", low=1, high=1000)
            row = entry.integer("firstVoteRowIndex", low=1, high=100000)
            assert column is not None and row is not None
            sources.append(
                CvrSource(
                    resolved,
                    provider,
                    first_vote_column=column - 1,
                    first_vote_row=max(row - 1, 1),
                    undeclared_write_in_label=entry.text("undeclaredWriteInLabel"),
                )
            )
        else:
            contest_id = entry.text("contestId")
            if not contest_id:
                raise entry.fail("contestId", "a CDF source needs the contest's name")
            sources.append(
                CvrSource(
                    resolved,
                    provider,
                    contest_id=contest_id,
                    undeclared_write_in_label=entry.text("undeclaredWriteInLabel"),
                    overvote_label=entry.text("overvoteLabel"),
                )
            )
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


def _column(keys: _Keys, name: str) -> int | None:
    value = keys.integer(name, low=1, high=1000, blank=-1)
    return None if value is None else value - 1


def _rules(keys: _Keys) -> Rules:
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
        if source.provider == "genericCsv":
            read = _read_generic_csv(source)
        elif source.provider == "ess":
            read = _read_ess_xlsx(source, config.contest.rules.max_rankings_allowed)
        elif source.path.suffix.lower() == ".xml":
            read = _read_cdf_xml(source)
        else:
            read = _read_cdf_json(source)
        for where, ballot in read:
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


def _read_generic_csv(source: CvrSource) -> list[tuple[str, Ballot]]:
    path = source.path
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise RcvInputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    out: list[tuple[str, Ballot]] = []
    try:
        with handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise RcvInputError(f"{path}: line 1: the file is empty (expected a header of candidate names)")
            names = header[source.first_vote_column :]
            for offset, name in enumerate(names):
                if not name.strip():
                    column = source.first_vote_column + offset + 1
                    raise RcvInputError(f"{path}: line 1: the candidate name in column {column} is empty")
            for _ in range(source.first_vote_row - 1):  # rows between the header and the first ballot
                next(reader, None)
            for row in reader:
                line = reader.line_num
                marks: list[tuple[int, str]] = []
                for col in range(source.first_vote_column, len(row)):
                    cell = row[col].strip()
                    if not cell:
                        continue
                    index = col - source.first_vote_column
                    if index >= len(names):
                        raise RcvInputError(f"{path}: line {line}: a ranking in column {col + 1}, which has no name")
                    try:
                        rank = int(cell)
                    except ValueError:
                        raise RcvInputError(
                            f"{path}: line {line}: expected a rank number in column {col + 1}, got {cell!r}"
                        ) from None
                    if rank < 1:
                        raise RcvInputError(f"{path}: line {line}: rank {rank} in column {col + 1} is not positive")
                    name = names[index]
                    if source.undeclared_write_in_label and name == source.undeclared_write_in_label:
                        name = UNDECLARED_WRITE_IN
                    marks.append((rank, name))
                out.append((f"line {line}", ballot_from_marks(marks)))
    except UnicodeDecodeError as exc:
        raise RcvInputError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    except csv.Error as exc:
        raise RcvInputError(f"{path}: line {reader.line_num}: malformed CSV: {exc}") from exc
    return out


def _read_cdf_json(source: CvrSource) -> list[tuple[str, Ballot]]:
    path = source.path
    top = _Keys(path, _json_file(path), "")
    candidates: dict[str, str] = {}
    contest: _Keys | None = None
    for election in top.items("Election"):
        for candidate in election.items("Candidate") if election.raw("Candidate") is not None else []:
            cid = candidate.text("@id")
            if cid in candidates:
                raise candidate.fail("@id", f"candidate id {cid!r} appears more than once")
            candidates[cid] = candidate.text("Name")
        for entry in election.items("Contest"):
            if contest is None and entry.text("Name") == source.contest_id:
                contest = entry
    if contest is None:
        raise RcvInputError(f"{path}: key Election[].Contest: no contest named {source.contest_id!r}")
    contest_id = contest.text("@id")
    selections: dict[str, str] = {}
    for selection in contest.items("ContestSelection"):
        sid = selection.text("@id")
        if sid in selections:
            raise selection.fail("@id", f"contest selection {sid!r} appears more than once")
        if str(selection.raw("IsWriteIn", "")).lower() == "true":
            selections[sid] = UNDECLARED_WRITE_IN
            continue
        ids = selection.raw("CandidateIds")
        if not isinstance(ids, list) or not ids:
            raise selection.fail("CandidateIds", "a candidate selection needs a candidate id")
        name = candidates.get(str(ids[0]))
        if name is None:
            raise selection.fail("CandidateIds", f"candidate id {ids[0]!r} is not in the candidate list")
        selections[sid] = OVERVOTE if source.overvote_label and name == source.overvote_label else name
    out: list[tuple[str, Ballot]] = []
    records = top.data.get("CVR")
    if not isinstance(records, list):
        raise top.fail("CVR", "expected a list")
    for index, record in enumerate(records):
        try:
            ballot = _cdf_ballot_fast(record, contest_id, selections)
        except (AttributeError, KeyError, TypeError, ValueError, StopIteration):
            # something is off in this record: read it again slowly, to name the key that is wrong
            ballot = _cdf_ballot_checked(_Keys(path, record, f"CVR[{index}]"), contest_id, selections)
        if ballot is not None:
            out.append((f"key CVR[{index}]", ballot))
    return out


def _cdf_ballot_fast(record: dict[str, Any], contest_id: str, selections: dict[str, str]) -> Ballot | None:
    """One CVR read with plain dict access (any surprise raises, and the checked reader explains it)."""
    current = record["CurrentSnapshotId"]
    snapshot = next(s for s in record["CVRSnapshot"] if s["@id"] == current)
    cvr_contest = next((c for c in snapshot["CVRContest"] if c["ContestId"] == contest_id), None)
    if cvr_contest is None:
        raise KeyError(contest_id)  # a ballot without the contest: the checked reader decides (ids may be padded)
    marks: list[tuple[int, str]] = []
    for selection in cvr_contest.get("CVRContestSelection") or ():
        name = selections[selection["ContestSelectionId"]]
        rank = selection.get("Rank")
        if rank is not None:
            if type(rank) is not int or rank < 1:
                raise ValueError(rank)
            marks.append((rank, name))
            continue
        for position in selection["SelectionPosition"]:
            if position.get("HasIndication") == "no" or position.get("IsAllocable") == "no":
                continue
            rank = position["Rank"]
            if type(rank) is not int or rank < 1:
                raise ValueError(rank)
            marks.append((rank, UNDECLARED_WRITE_IN if position.get("CVRWriteIn") is not None else name))
    return ballot_from_marks(marks)


def _cdf_ballot_checked(cvr: _Keys, contest_id: str, selections: dict[str, str]) -> Ballot | None:
    current = cvr.text("CurrentSnapshotId")
    snapshot = next((s for s in cvr.items("CVRSnapshot") if s.text("@id") == current), None)
    if snapshot is None:
        raise cvr.fail("CurrentSnapshotId", f"no CVRSnapshot has the id {current!r}")
    cvr_contest = next(
        (c for c in snapshot.items("CVRContest") if c.text("ContestId") == contest_id),
        None,
    )
    if cvr_contest is None:
        return None  # this ballot did not carry the contest
    marks: list[tuple[int, str]] = []
    selections_here = cvr_contest.items("CVRContestSelection") if cvr_contest.raw("CVRContestSelection") else []
    for selection in selections_here:
        sid = selection.text("ContestSelectionId")
        if sid not in selections:
            raise selection.fail("ContestSelectionId", f"unknown contest selection {sid!r}")
        name = selections[sid]
        if selection.raw("Rank") is not None:
            marks.append((_rank(selection, "Rank"), name))
            continue
        for position in selection.items("SelectionPosition"):
            mark = UNDECLARED_WRITE_IN if position.raw("CVRWriteIn") is not None else name
            if position.raw("HasIndication") == "no" or position.raw("IsAllocable") == "no":
                continue
            marks.append((_rank(position, "Rank"), mark))
    return ballot_from_marks(marks)


def _rank(keys: _Keys, name: str) -> int:
    value = keys.raw(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise keys.fail(name, f"expected a positive whole rank, got {value!r}")
    return value


# --- NIST CDF XML (as RCTab's XmlMapper reads it: elements by local name, ObjectId attributes) ---------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: ElementTree.Element, name: str) -> list[ElementTree.Element]:
    return [child for child in element if _local(child.tag) == name]


def _child_text(element: ElementTree.Element, name: str) -> str | None:
    found = _children(element, name)
    return None if not found or found[0].text is None else found[0].text.strip()


def _read_cdf_xml(source: CvrSource) -> list[tuple[str, Ballot]]:
    path = source.path
    try:
        root = ElementTree.parse(path).getroot()
    except OSError as exc:
        raise RcvInputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except ElementTree.ParseError as exc:
        line, column = exc.position
        raise RcvInputError(f"{path}: line {line}, column {column}: malformed XML") from exc

    def fail(where: str, message: str) -> RcvInputError:
        return RcvInputError(f"{path}: element {where}: {message}")

    for required in ("CVR", "Election", "GpUnit"):
        if not _children(root, required):
            raise fail(required, "is missing from the CDF file")
    elections = _children(root, "Election")
    contest = next(
        (c for e in elections for c in _children(e, "Contest") if _child_text(c, "Name") == source.contest_id), None
    )
    if contest is None:
        raise fail("Election/Contest", f"no contest named {source.contest_id!r}")
    candidates: dict[str, str] = {}
    for election in elections:
        for candidate in _children(election, "Candidate"):
            object_id = candidate.get("ObjectId", "")
            if object_id in candidates:
                raise fail("Candidate", f"ObjectId {object_id!r} appears more than once")
            candidates[object_id] = _child_text(candidate, "Name") or ""
    selections: dict[str, str] = {}
    for selection in _children(contest, "ContestSelection"):
        object_id = selection.get("ObjectId", "")
        if object_id in selections:
            raise fail("ContestSelection", f"ObjectId {object_id!r} appears more than once")
        if (_child_text(selection, "IsWriteIn") or "").lower() == "true":
            selections[object_id] = UNDECLARED_WRITE_IN
            continue
        ids = [c.text.strip() for c in _children(selection, "CandidateIds") if c.text]
        if not ids:
            raise fail(f"ContestSelection[@ObjectId={object_id!r}]", "has no CandidateIds")
        name = candidates.get(ids[0].split()[0])
        if name is None:
            raise fail(f"ContestSelection[@ObjectId={object_id!r}]", f"candidate {ids[0]!r} is not in the list")
        selections[object_id] = OVERVOTE if source.overvote_label and name == source.overvote_label else name
    contest_id = contest.get("ObjectId", "")
    out: list[tuple[str, Ballot]] = []
    for number, cvr in enumerate(_children(root, "CVR")):
        where = f"CVR[{number}]"
        current = _child_text(cvr, "CurrentSnapshotId")
        snapshot = next((s for s in _children(cvr, "CVRSnapshot") if s.get("ObjectId") == current), None)
        cvr_contest = None
        if snapshot is not None:
            cvr_contest = next(
                (c for c in _children(snapshot, "CVRContest") if _child_text(c, "ContestId") == contest_id), None
            )
        if cvr_contest is None:
            continue  # this ballot did not carry the contest (RCTab skips it too)
        marks: list[tuple[int, str]] = []
        for selection in _children(cvr_contest, "CVRContestSelection"):
            if _child_text(selection, "Status") == "needs-adjudication":
                continue
            selection_id = _child_text(selection, "ContestSelectionId") or ""
            if selection_id not in selections:
                raise fail(where, f"unknown contest selection {selection_id!r}")
            name = selections[selection_id]
            rank_text = _child_text(selection, "Rank")
            if rank_text is not None:
                marks.append((_xml_rank(rank_text, fail, where), name))
                continue
            for position in _children(selection, "SelectionPosition"):
                mark = UNDECLARED_WRITE_IN if _children(position, "CVRWriteIn") else name
                if _child_text(position, "HasIndication") == "no" or _child_text(position, "IsAllocable") == "no":
                    continue
                position_rank = _child_text(position, "Rank")
                if position_rank is None:
                    raise fail(where, f"no Rank for contest selection {selection_id!r}")
                marks.append((_xml_rank(position_rank, fail, where), mark))
        out.append((f"element {where}", ballot_from_marks(marks)))
    return out


def _xml_rank(text: str, fail: Any, where: str) -> int:
    try:
        rank = int(text)
    except ValueError:
        raise fail(where, f"expected a whole rank, got {text!r}") from None
    if rank < 1:
        raise fail(where, f"rank {rank} is not positive")
    return rank


# --- ES&S cast vote records (.xlsx), as RCTab's StreamingCvrReader reads them -----------------------------------


def _read_ess_xlsx(source: CvrSource, max_rankings: int | None) -> list[tuple[str, Ballot]]:
    from kiosk.rcv.xlsx import XlsxError, read_rows

    path = source.path
    first_column = source.first_vote_column
    out: list[tuple[str, Ballot]] = []
    try:
        for row_index, cells in read_rows(path):
            if row_index < source.first_vote_row:
                continue
            where = f"row {row_index + 1}"
            marks: list[tuple[int, str]] = []
            last_rank = 0
            # rankings left empty between two filled ones (or after the last) may count as write-ins
            blank_is_write_in = source.treat_blank_as_undeclared_write_in
            for column, text in cells:
                if column in (source.precinct_column, source.batch_column, source.id_column):
                    continue
                if column < first_column or (max_rankings is not None and column >= first_column + max_rankings):
                    continue
                rank = column - first_column + 1
                if blank_is_write_in:
                    marks.extend((r, UNDECLARED_WRITE_IN) for r in range(last_rank + 1, rank))
                cell = text.strip()
                parts = cell.split(source.overvote_delimiter) if source.overvote_delimiter else [cell]
                for part in parts:
                    candidate = part.strip()
                    if len(parts) > 1 and (not candidate or candidate == source.skipped_rank_label):
                        raise RcvInputError(
                            f"{path}: {where}: a cell split by the overvote delimiter has a blank or skipped part"
                        )
                    if candidate == source.skipped_rank_label:
                        continue
                    if source.overvote_label and candidate == source.overvote_label:
                        candidate = OVERVOTE
                    elif source.undeclared_write_in_label and candidate == source.undeclared_write_in_label:
                        candidate = UNDECLARED_WRITE_IN
                    marks.append((rank, candidate))
                last_rank = rank
            if max_rankings is not None and blank_is_write_in:
                marks.extend((r, UNDECLARED_WRITE_IN) for r in range(last_rank + 1, max_rankings + 1))
            out.append((where, ballot_from_marks(marks)))
    except XlsxError as exc:
        raise RcvInputError(f"{path}: {exc}") from exc
    return out
