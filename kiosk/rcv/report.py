"""A count as the Universal RCV Tabulator JSON (RCTab's ``*_expected_detailed_report.json`` shape).

Numbers are strings in Java ``BigDecimal.toString()`` form (Python's ``str(Decimal)`` is the same
to-scientific-string rule, scale kept: "8", "2.1111", "2.3330"); keys are sorted, as RCTab's writer sorts them.
"""

from __future__ import annotations

import json
from typing import Any

from kiosk.rcv.model import INACTIVE_REPORTED, BallotStatus, Tabulation

GENERATED_BY = "Assembly Kiosk rcv"


def detailed_report(result: Tabulation, *, generated_by: str = GENERATED_BY) -> dict[str, Any]:
    contest = result.contest
    uses_surpluses = contest.uses_surpluses
    results: list[dict[str, Any]] = []
    last = len(result.rounds)
    for rnd in result.rounds:
        inactive = {status.value: str(rnd.inactive[status]) for status in INACTIVE_REPORTED}
        if uses_surpluses and rnd.number == last:
            inactive[BallotStatus.FINAL_ROUND_SURPLUS.value] = str(rnd.inactive[BallotStatus.FINAL_ROUND_SURPLUS])
        actions = [
            {
                ("elected" if action.elected else "eliminated"): action.candidate,
                "transfers": {target: str(value) for target, value in action.transfers.items()},
            }
            for action in rnd.results
        ]
        results.append(
            {
                "inactiveBallots": inactive,
                "round": rnd.number,
                "tally": {name: str(votes) for name, votes in rnd.tally.items()},
                "tallyResults": actions,
                "threshold": str(rnd.threshold),
            }
        )
    return {
        "config": {
            "contest": contest.title,
            "date": contest.date,
            "generatedBy": generated_by,
            "jurisdiction": contest.jurisdiction,
            "office": contest.office,
        },
        "jsonFormatVersion": "1",
        "results": results,
        "summary": {
            "finalThreshold": str(result.rounds[-1].threshold),
            "numCandidates": len(contest.candidate_names),
            "numWinners": contest.seats,
            "totalNumBallots": str(result.total_ballots),
            "undervotes": result.undervotes,
        },
    }


def dumps(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
