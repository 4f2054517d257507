"""Cast vote records in NIST's Common Data Format (SP 1500-103), JSON or XML, as RCTab reads them.

Each reader returns (where, ballot) pairs; ``where`` names the record in a complaint ("key CVR[3]",
"element CVR[3]"). A ballot that does not carry the contest is skipped, as RCTab skips it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

from kiosk.rcv.cvr_source import CvrSource
from kiosk.rcv.json_keys import JsonKeys, read_json
from kiosk.rcv.model import OVERVOTE, UNDECLARED_WRITE_IN, Ballot, RcvInputError, ballot_from_marks

__all__ = ["read_cdf_json", "read_cdf_xml"]

# --- NIST CDF JSON --------------------------------------------------------------------------------------------


def read_cdf_json(source: CvrSource) -> list[tuple[str, Ballot]]:
    path = source.path
    top = JsonKeys(path, read_json(path), "")
    contest, candidates = _json_contest(top, source.contest_id)
    selections = _json_selections(contest, candidates, source.overvote_label)
    contest_id = contest.text("@id")
    out: list[tuple[str, Ballot]] = []
    records = top.data.get("CVR")
    if not isinstance(records, list):
        raise top.fail("CVR", "expected a list")
    for index, record in enumerate(records):
        try:
            ballot = _cdf_ballot_fast(record, contest_id, selections)
        except (AttributeError, KeyError, TypeError, ValueError, StopIteration):
            # something is off in this record: read it again slowly, to name the key that is wrong
            ballot = _cdf_ballot_checked(JsonKeys(path, record, f"CVR[{index}]"), contest_id, selections)
        if ballot is not None:
            out.append((f"key CVR[{index}]", ballot))
    return out


def _json_contest(top: JsonKeys, name: str) -> tuple[JsonKeys, dict[str, str]]:
    """The contest named ``name``, and every election's candidates by id."""
    candidates: dict[str, str] = {}
    contest: JsonKeys | None = None
    for election in top.items("Election"):
        for candidate in election.items("Candidate") if election.raw("Candidate") is not None else []:
            cid = candidate.text("@id")
            if cid in candidates:
                raise candidate.fail("@id", f"candidate id {cid!r} appears more than once")
            candidates[cid] = candidate.text("Name")
        for entry in election.items("Contest"):
            if contest is None and entry.text("Name") == name:
                contest = entry
    if contest is None:
        raise RcvInputError(f"{top.path}: key Election[].Contest: no contest named {name!r}")
    return contest, candidates


def _json_selections(contest: JsonKeys, candidates: dict[str, str], overvote_label: str) -> dict[str, str]:
    """The contest's selections by id: a candidate's name, an undeclared write-in or the overvote label."""
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
        selections[sid] = OVERVOTE if overvote_label and name == overvote_label else name
    return selections


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


def _cdf_ballot_checked(cvr: JsonKeys, contest_id: str, selections: dict[str, str]) -> Ballot | None:
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


def _rank(keys: JsonKeys, name: str) -> int:
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


def _xml_error(path: Path, where: str, message: str) -> RcvInputError:
    return RcvInputError(f"{path}: element {where}: {message}")


def read_cdf_xml(source: CvrSource) -> list[tuple[str, Ballot]]:
    path = source.path
    try:
        root = ElementTree.parse(path).getroot()
    except OSError as exc:
        raise RcvInputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except ElementTree.ParseError as exc:
        line, column = exc.position
        raise RcvInputError(f"{path}: line {line}, column {column}: malformed XML") from exc
    for required in ("CVR", "Election", "GpUnit"):
        if not _children(root, required):
            raise _xml_error(path, required, "is missing from the CDF file")
    elections = _children(root, "Election")
    contest = next(
        (c for e in elections for c in _children(e, "Contest") if _child_text(c, "Name") == source.contest_id), None
    )
    if contest is None:
        raise _xml_error(path, "Election/Contest", f"no contest named {source.contest_id!r}")
    selections = _xml_selections(path, contest, _xml_candidates(path, elections), source.overvote_label)
    contest_id = contest.get("ObjectId", "")
    out: list[tuple[str, Ballot]] = []
    for number, cvr in enumerate(_children(root, "CVR")):
        cvr_contest = _xml_cvr_contest(cvr, contest_id)
        if cvr_contest is None:
            continue  # this ballot did not carry the contest (RCTab skips it too)
        where = f"CVR[{number}]"
        out.append((f"element {where}", ballot_from_marks(_xml_marks(path, where, cvr_contest, selections))))
    return out


def _xml_candidates(path: Path, elections: list[ElementTree.Element]) -> dict[str, str]:
    candidates: dict[str, str] = {}
    for election in elections:
        for candidate in _children(election, "Candidate"):
            object_id = candidate.get("ObjectId", "")
            if object_id in candidates:
                raise _xml_error(path, "Candidate", f"ObjectId {object_id!r} appears more than once")
            candidates[object_id] = _child_text(candidate, "Name") or ""
    return candidates


def _xml_selections(
    path: Path, contest: ElementTree.Element, candidates: dict[str, str], overvote_label: str
) -> dict[str, str]:
    """The contest's selections by ObjectId: a candidate's name, an undeclared write-in or the overvote label."""
    selections: dict[str, str] = {}
    for selection in _children(contest, "ContestSelection"):
        object_id = selection.get("ObjectId", "")
        if object_id in selections:
            raise _xml_error(path, "ContestSelection", f"ObjectId {object_id!r} appears more than once")
        if (_child_text(selection, "IsWriteIn") or "").lower() == "true":
            selections[object_id] = UNDECLARED_WRITE_IN
            continue
        ids = [c.text.strip() for c in _children(selection, "CandidateIds") if c.text]
        where = f"ContestSelection[@ObjectId={object_id!r}]"
        if not ids:
            raise _xml_error(path, where, "has no CandidateIds")
        name = candidates.get(ids[0].split()[0])
        if name is None:
            raise _xml_error(path, where, f"candidate {ids[0]!r} is not in the list")
        selections[object_id] = OVERVOTE if overvote_label and name == overvote_label else name
    return selections


def _xml_cvr_contest(cvr: ElementTree.Element, contest_id: str) -> ElementTree.Element | None:
    """The record's current snapshot's entry for the contest, if it has one."""
    current = _child_text(cvr, "CurrentSnapshotId")
    snapshot = next((s for s in _children(cvr, "CVRSnapshot") if s.get("ObjectId") == current), None)
    if snapshot is None:
        return None
    return next((c for c in _children(snapshot, "CVRContest") if _child_text(c, "ContestId") == contest_id), None)


def _xml_marks(
    path: Path, where: str, cvr_contest: ElementTree.Element, selections: dict[str, str]
) -> list[tuple[int, str]]:
    marks: list[tuple[int, str]] = []
    for selection in _children(cvr_contest, "CVRContestSelection"):
        if _child_text(selection, "Status") == "needs-adjudication":
            continue
        selection_id = _child_text(selection, "ContestSelectionId") or ""
        if selection_id not in selections:
            raise _xml_error(path, where, f"unknown contest selection {selection_id!r}")
        name = selections[selection_id]
        rank_text = _child_text(selection, "Rank")
        if rank_text is not None:
            marks.append((_xml_rank(path, where, rank_text), name))
            continue
        for position in _children(selection, "SelectionPosition"):
            mark = UNDECLARED_WRITE_IN if _children(position, "CVRWriteIn") else name
            if _child_text(position, "HasIndication") == "no" or _child_text(position, "IsAllocable") == "no":
                continue
            position_rank = _child_text(position, "Rank")
            if position_rank is None:
                raise _xml_error(path, where, f"no Rank for contest selection {selection_id!r}")
            marks.append((_xml_rank(path, where, position_rank), mark))
    return marks


def _xml_rank(path: Path, where: str, text: str) -> int:
    try:
        rank = int(text)
    except ValueError:
        raise _xml_error(path, where, f"expected a whole rank, got {text!r}") from None
    if rank < 1:
        raise _xml_error(path, where, f"rank {rank} is not positive")
    return rank
