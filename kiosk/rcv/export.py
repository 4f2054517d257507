"""Write a contest's ballots as NIST CDF JSON cast vote records plus an RCTab config, for a recount in RCTab.

``kiosk rcv tabulate <name>_config.json`` on the written folder gives the same rounds as counting the ballots
here, and RCTab itself reads the same two files. Ballot secrecy: the records carry no ballot id, no time and no
device, and they are written in a canonical order (sorted by their rankings), so the file's order says nothing
about the order ballots were cast.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kiosk.rcv.model import OVERVOTE, Ballot, Contest, RcvInputError, WinnerMode

ELECTION_ID = "election-1"
CONTEST_ID = "contest-1"
WRITE_IN_SELECTION = "cs-write-in"
OVERVOTE_SELECTION = "cs-overvote"
# A cast vote record's explicit overvote mark (ES&S writes one) travels as a pseudo-candidate with this name,
# which the config names as its overvoteLabel. It must be "overvote" exactly: RCTab checks CDF names for unknown
# candidates after turning the label into its internal "overvote".
OVERVOTE_NAME = OVERVOTE


def _selection_id(index: int) -> str:
    return f"cs-{index}"


def cdf_cast_vote_records(contest: Contest, ballots: Iterable[Ballot]) -> dict[str, Any]:
    """The NIST SP 1500-103 cast vote record report (JSON) RCTab's ``cdf`` provider reads."""
    contest_name = contest.title or "Contest"
    selection_of: dict[str, str] = {}
    selections: list[dict[str, Any]] = []
    people: list[dict[str, Any]] = []
    for index, candidate in enumerate(contest.candidates, start=1):
        people.append({"@id": f"candidate-{index}", "Name": candidate.name})
        selections.append(
            {"@id": _selection_id(index), "@type": "CandidateSelection", "CandidateIds": [f"candidate-{index}"]}
        )
        for label in (candidate.name, *candidate.aliases):
            selection_of[label] = _selection_id(index)
    if contest.undeclared_write_ins:
        selections.append({"@id": WRITE_IN_SELECTION, "@type": "CandidateSelection", "IsWriteIn": "true"})
        selection_of["Undeclared Write-ins"] = WRITE_IN_SELECTION
    ballots = sorted(tuple(ballots))
    if _has_overvote_marks(ballots):
        people.append({"@id": "candidate-overvote", "Name": OVERVOTE_NAME})
        selections.append(
            {"@id": OVERVOTE_SELECTION, "@type": "CandidateSelection", "CandidateIds": ["candidate-overvote"]}
        )
        selection_of[OVERVOTE] = OVERVOTE_SELECTION
    records = []
    for number, ballot in enumerate(ballots, start=1):
        chosen = []
        for rank, marks in ballot:
            for mark in marks:
                if mark not in selection_of:
                    raise RcvInputError(f"ballot {number}: unknown candidate {mark!r} at rank {rank}")
                chosen.append(
                    {
                        "@type": "CVR.CVRContestSelection",
                        "ContestSelectionId": selection_of[mark],
                        "SelectionPosition": [
                            {
                                "@type": "CVR.SelectionPosition",
                                "HasIndication": "yes",
                                "IsAllocable": "yes",
                                "NumberVotes": 1,
                                "Rank": rank,
                            }
                        ],
                    }
                )
        snapshot = f"cvr-{number}"
        records.append(
            {
                "@type": "CVR.CVR",
                "CVRSnapshot": [
                    {
                        "@id": snapshot,
                        "@type": "CVR.CVRSnapshot",
                        "CVRContest": [
                            {"@type": "CVR.CVRContest", "CVRContestSelection": chosen, "ContestId": CONTEST_ID}
                        ],
                        "Type": "original",
                    }
                ],
                "CurrentSnapshotId": snapshot,
                "ElectionId": ELECTION_ID,
            }
        )
    return {
        "@type": "CVR.CastVoteRecordReport",
        "CVR": records,
        "Election": [
            {
                "@id": ELECTION_ID,
                "@type": "CVR.Election",
                "Candidate": people,
                "Contest": [
                    {
                        "@id": CONTEST_ID,
                        "@type": "CandidateContest",
                        "Name": contest_name,
                        "ContestSelection": selections,
                    }
                ],
                "ElectionScopeId": "gpu-1",
            }
        ],
        "GpUnit": [{"@id": "gpu-1", "@type": "CVR.GpUnit", "Name": contest.jurisdiction or "Meeting", "Type": "other"}],
        "ReportGeneratingDeviceIds": ["rd-1"],
        "ReportingDevice": [{"@id": "rd-1", "@type": "CVR.ReportingDevice", "Application": "Assembly Kiosk"}],
        "Version": "1.0.0",
    }


def _has_overvote_marks(ballots: list[Ballot]) -> bool:
    return any(OVERVOTE in marks for ballot in ballots for _, marks in ballot)


def rctab_config(contest: Contest, cvr_file_name: str, *, overvote_label: bool = False) -> dict[str, Any]:
    """An RCTab contest configuration for ``contest`` reading ``cvr_file_name`` (beside the config)."""
    rules = contest.rules
    notes = []
    if contest.endorsement_threshold is not None:
        notes.append(f"endorsement needs {contest.endorsement_threshold * 100}% of the final round (kiosk rule)")
    if contest.no_endorsement:
        notes.append(f"{contest.no_endorsement!r} winning means no endorsement (kiosk rule)")
    percentage = rules.bottoms_up_percentage_threshold
    return {
        "tabulatorVersion": "2.0.0",
        "outputSettings": {
            "contestName": contest.title or "Contest",
            "outputDirectory": "output",
            "contestDate": contest.date,
            "contestJurisdiction": contest.jurisdiction,
            "contestOffice": contest.office,
            "tabulateByBatch": False,
            "tabulateByPrecinct": False,
            "generateCdfJson": False,
        },
        "cvrFileSources": [
            {
                "filePath": cvr_file_name,
                "contestId": contest.title or "Contest",
                "firstVoteColumnIndex": "",
                "firstVoteRowIndex": "",
                "idColumnIndex": "",
                "batchColumnIndex": "",
                "precinctColumnIndex": "",
                "overvoteDelimiter": "",
                "provider": "cdf",
                "overvoteLabel": OVERVOTE_NAME if overvote_label else "",
                "skippedRankLabel": "",
                "undeclaredWriteInLabel": "Undeclared Write-ins" if contest.undeclared_write_ins else "",
                "treatBlankAsUndeclaredWriteIn": False,
            }
        ],
        "candidates": [
            {"name": c.name, "excluded": c.excluded, "aliases": list(c.aliases)} for c in contest.candidates
        ],
        "rules": {
            "tiebreakMode": rules.tiebreak_mode.value,
            "overvoteRule": rules.overvote_rule.value,
            "winnerElectionMode": rules.winner_mode.value,
            "randomSeed": "" if rules.random_seed is None else str(rules.random_seed),
            "numberOfWinners": str(contest.seats),
            "multiSeatBottomsUpPercentageThreshold": "" if percentage is None else str(percentage.scaleb(2)),
            "decimalPlacesForVoteArithmetic": str(rules.decimal_places),
            "minimumVoteThreshold": "0",
            "maxSkippedRanksAllowed": (
                "unlimited" if rules.max_skipped_ranks_allowed is None else str(rules.max_skipped_ranks_allowed)
            ),
            "maxRankingsAllowed": "max" if rules.max_rankings_allowed is None else str(rules.max_rankings_allowed),
            "nonIntegerWinningThreshold": rules.non_integer_winning_threshold,
            "doesFirstRoundDetermineThreshold": rules.first_round_determines_threshold,
            "hareQuota": rules.hare_quota,
            "batchElimination": rules.batch_elimination,
            "cutoffElimination": rules.cutoff_elimination,
            "continueUntilTwoCandidatesRemain": rules.continue_until_two_candidates_remain,
            "stopTabulationEarlyAfterRound": (
                "" if rules.stop_tabulation_early_after_round is None else str(rules.stop_tabulation_early_after_round)
            ),
            "exhaustOnDuplicateCandidate": rules.exhaust_on_duplicate_candidate,
            "rulesDescription": "; ".join(notes) or "Exported by Assembly Kiosk",
            "treatBlankAsUndeclaredWriteIn": False,
        },
    }


def export_rctab(contest: Contest, ballots: Iterable[Ballot], folder: str | Path, name: str = "contest") -> Path:
    """Write ``<name>_cvr.json`` and ``<name>_config.json`` into ``folder``; returns the config's path."""
    if contest.rules.winner_mode is WinnerMode.BOTTOMS_UP_PERCENTAGE and contest.seats != 0:
        raise RcvInputError("bottomsUpUsingPercentageThreshold contests have no fixed number of seats")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    cvr_name = f"{name}_cvr.json"
    ballots = list(ballots)
    records = cdf_cast_vote_records(contest, ballots)
    # compact: an indented dump goes through json's pure-Python encoder, ~20x slower on 10,000 ballots
    compact = json.dumps(records, ensure_ascii=False, separators=(",", ":"))
    (folder / cvr_name).write_text(compact + "\n", encoding="utf-8")
    config_path = folder / f"{name}_config.json"
    config = rctab_config(contest, cvr_name, overvote_label=_has_overvote_marks(ballots))
    config_path.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return config_path
