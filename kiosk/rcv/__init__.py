"""Ranked-choice counting: instant-runoff and single transferable vote, counted exactly as RCTab counts.

Pure Python (``decimal``), no web, hardware or SMS imports: :func:`tabulate` takes a :class:`Contest`
(candidates, seats, :class:`Rules`) and ballots as rankings and returns every round and the winners.
:mod:`kiosk.rcv.rctab` reads RCTab configs and cast vote records, :mod:`kiosk.rcv.report` writes RCTab's
detailed JSON report, :mod:`kiosk.rcv.export` writes ballots for a recount with RCTab itself.

The names below load on first use, so registering ``kiosk rcv`` on the command line costs every other
command nothing at start-up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.rcv.engine import tabulate
    from kiosk.rcv.model import (
        Ballot,
        BallotStatus,
        Candidate,
        Contest,
        OvervoteRule,
        RcvInputError,
        Round,
        Rules,
        Tabulation,
        TallyResult,
        TiebreakMode,
        WinnerMode,
        ballot_from_marks,
        ballot_from_order,
    )

_FROM = {"tabulate": "kiosk.rcv.engine"}
__all__ = [
    "Ballot",
    "BallotStatus",
    "Candidate",
    "Contest",
    "OvervoteRule",
    "RcvInputError",
    "Round",
    "Rules",
    "Tabulation",
    "TallyResult",
    "TiebreakMode",
    "WinnerMode",
    "ballot_from_marks",
    "ballot_from_order",
    "tabulate",
]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'kiosk.rcv' has no attribute {name!r}")
    return getattr(importlib.import_module(_FROM.get(name, "kiosk.rcv.model")), name)
