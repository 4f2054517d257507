"""A meeting's contests in its files: the rankings and rounds in the meeting bundle, their check, and the RCTab export.

The bundle (``kiosk.export.meeting_bundle``) gains, when the meeting has contests:

* on every ballot, ``rankings``: one list per contest (in contest order) of the candidates' names, first choice
  first, ``[]`` for a blank ranking. Ballots stay keyed by their random verification code and sorted by it, as
  for the planks: nothing orders or links them to a voter. The ballots hash covers the rankings, so the hash on
  the tally tape seals them too;
* ``contests``: each contest's set-up (everything the count depends on: candidates in ballot order, seats,
  method, threshold, decimal places, tie-break seed) and ``results``, the count as ``kiosk results --json``
  states it (``kiosk.contest_results.ContestResult.as_dict``).

``contest_problems`` recounts every contest from the bundle's rankings alone and compares every stated round,
tally, transfer, exhausted count, threshold and winner with the recount; any difference is a problem, named by
contest, round and key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import select

from kiosk import db
from kiosk.contest_results import (
    ContestInputError,
    ContestResult,
    count_names,
    describe_contest,
    mapping_differences,
    names_from_ids,
    rcv_contest,
)
from kiosk.schema import ballot_rankings, ballots
from kiosk.tally import Contest, ContestCandidate, ContestMethod, Tally


def ballot_rankings_by_code(tally: Tally, code: str, contests: Sequence[Contest]) -> dict[str, list[list[str]]]:
    """Every ballot's rankings, by verification code: one list of names per contest (contest order)."""
    meeting = tally.meeting(code)
    index = {c.id: i for i, c in enumerate(contests)}
    name_of = {(c.id, cand.id): cand.name for c in contests for cand in c.candidates}
    by_code: dict[str, list[dict[int, str]]] = {}
    with db.read_transaction(tally.engine) as conn:
        codes = conn.execute(select(ballots.c.code).where(ballots.c.meeting_id == meeting.id)).scalars().all()
        for ballot_code in codes:
            by_code[ballot_code] = [{} for _ in contests]
        rows = conn.execute(
            select(
                ballot_rankings.c.ballot_code,
                ballot_rankings.c.contest_id,
                ballot_rankings.c.rank,
                ballot_rankings.c.candidate_id,
            )
            .join(ballots, ballots.c.code == ballot_rankings.c.ballot_code)
            .where(ballots.c.meeting_id == meeting.id)
        )
        for row in rows:
            by_code[row.ballot_code][index[row.contest_id]][row.rank] = name_of[(row.contest_id, row.candidate_id)]
    return {c: [[ranks[r] for r in sorted(ranks)] for ranks in per] for c, per in by_code.items()}


def contest_setup(contest: Contest) -> dict[str, Any]:
    """Everything a recount of ``contest`` depends on."""
    setup = {k: v for k, v in describe_contest(contest).items() if k != "candidates_count"}
    return setup | {
        "candidates": [c.name for c in sorted(contest.candidates, key=lambda c: c.position)],
        "decimal_places": contest.decimal_places,
        "tiebreak_seed": contest.tiebreak_seed,
        "no_endorsement": [c.name for c in contest.candidates if c.no_endorsement],
    }


def bundle_contests(results: Sequence[ContestResult]) -> list[dict[str, Any]]:
    return [contest_setup(r.contest) | {"results": r.as_dict()} for r in results]


def contest_from_setup(setup: Mapping[str, Any], number: int) -> Contest:
    """A contest rebuilt from a bundle's set-up (ids are made up: the bundle names candidates)."""
    try:
        threshold = setup.get("threshold_percent")
        no_endorsement = set(setup.get("no_endorsement") or ())
        return Contest(
            id=number,
            position=int(setup["position"]),
            title=str(setup["title"]),
            seats=int(setup["seats"]),
            method=ContestMethod(setup["method"]),
            threshold_percent=None if threshold is None else Decimal(str(threshold)),
            decimal_places=int(setup["decimal_places"]),
            tiebreak_seed=int(setup["tiebreak_seed"]),
            candidates=tuple(
                ContestCandidate(id=i, position=i, name=str(name), no_endorsement=name in no_endorsement)
                for i, name in enumerate(setup["candidates"], start=1)
            ),
        )
    except (KeyError, TypeError, ValueError, AttributeError, InvalidOperation) as exc:
        raise ContestInputError(f"contest {number}: its set-up is not readable ({exc!r})") from None


def _stated_round_problems(stated: list[Any], recount: list[dict[str, Any]], where: str) -> list[str]:
    if len(stated) != len(recount):
        return [f"{where}: {len(stated)} rounds stated, the rankings give {len(recount)}"]
    problems = []
    for number, (shown, counted) in enumerate(zip(stated, recount, strict=True), start=1):
        if not isinstance(shown, dict):
            problems.append(f"{where}, round {number}: not a round")
            continue
        problems += mapping_differences(shown, counted, f"{where}, round {number}")
    return problems


def contest_problems(contests: list[Any], ballot_list: list[dict[str, Any]]) -> list[str]:
    """Recount every contest from the ballots' rankings and compare with what the bundle states."""
    problems = _shape_problems(contests, ballot_list)
    if problems:
        return problems[:50]
    for number, entry in enumerate(contests, start=1):
        problems += _one_contest_problems(number, entry, ballot_list)
    return problems


def _shape_problems(contests: list[Any], ballot_list: list[dict[str, Any]]) -> list[str]:
    """Every ballot holds one ranking per contest (and none when there are no contests)."""
    problems = []
    for ballot in ballot_list:
        held = ballot.get("rankings") if isinstance(ballot, dict) else None
        if (held is not None or contests) and (not isinstance(held, list) or len(held) != len(contests)):
            count = len(held) if isinstance(held, list) else 0
            code = ballot.get("code") if isinstance(ballot, dict) else "?"
            problems.append(f"ballot {code}: {count} rankings for {len(contests)} contests")
    return problems


def _one_contest_problems(number: int, entry: Any, ballot_list: list[dict[str, Any]]) -> list[str]:
    where = f"contest {number}"
    if not isinstance(entry, dict):
        return [f"{where}: not a contest"]
    try:
        contest = contest_from_setup(entry, number)
        where = f"contest {contest.position} ({contest.title})"
        recount = count_names(contest, _rankings_of(ballot_list, number - 1, where)).as_dict()
    except ValueError as exc:  # ContestInputError, or the engine refusing the set-up (RcvInputError)
        return [f"{where}: {exc}"]
    stated = entry.get("results")
    if not isinstance(stated, dict) or not isinstance(stated.get("rounds", []), list):
        return [f"{where}: no readable stated results"]
    problems = _stated_round_problems(stated.get("rounds", []), recount["rounds"], where)
    summary = {k: v for k, v in stated.items() if k != "rounds"}
    return problems + mapping_differences(summary, {k: v for k, v in recount.items() if k != "rounds"}, where)


def _rankings_of(ballot_list: list[dict[str, Any]], i: int, where: str) -> list[tuple[str, ...]]:
    rankings = []
    for ballot in ballot_list:
        per_contest = ballot.get("rankings")
        if not isinstance(per_contest, list) or i >= len(per_contest) or not isinstance(per_contest[i], list):
            raise ContestInputError(f"ballot {ballot.get('code')} has no ranking for this contest")
        rankings.append(tuple(str(name) for name in per_contest[i]))
    return rankings


def export_contest_rctab(tally: Tally, code: str, contest: Contest, folder: str | Path) -> Path:
    """Write one contest of a closed meeting as ``<CODE>-contest-<n>_cvr.json`` (NIST CDF JSON cast vote records,
    sorted by their rankings: no ballot code, time or order) and ``<CODE>-contest-<n>_config.json`` (RCTab's
    config with the same rules), so RCTab itself or ``kiosk rcv tabulate`` recounts the same rounds."""
    from kiosk.rcv.export import export_rctab
    from kiosk.rcv.model import ballot_from_order

    meeting = tally.meeting(code)
    rankings = names_from_ids(contest, tally.contest_rankings(meeting.code, contest.id))
    engine_contest = rcv_contest(contest, date=meeting.local_start.date().isoformat(), jurisdiction=meeting.title)
    ballot_list = [ballot_from_order(ranking) for ranking in rankings]
    return export_rctab(engine_contest, ballot_list, folder, f"{meeting.code}-contest-{contest.position}")
