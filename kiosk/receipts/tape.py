"""The tally tape: the results on paper, with the audit log's head hash."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from kiosk.contest_results import ContestResult
from kiosk.receipts.blocks import Feed, Heading, Line, Receipt, ReceiptKind, Row, Rule, check_columns, check_language
from kiosk.receipts.charset import safe
from kiosk.receipts.contest_tape import contest_blocks
from kiosk.receipts.wording import format_when, header, words
from kiosk.results import MeetingResults, Threshold


def tally_tape(
    *,
    organization: str,
    results: MeetingResults,
    audit_head: str,
    printed_at: datetime,
    language: str,
    columns: int,
    contests: Sequence[ContestResult] = (),
) -> Receipt:
    """The results on paper: every plank's counts and outcome, every contest round by round
    (:mod:`kiosk.receipts.contest_tape`), quorum, ballots, and the audit log head hash."""
    check_language(language)
    check_columns(columns)
    blocks = header(organization, results.title, language, reprint=False)
    blocks += [
        Heading(words(language, "tally_title")),
        Line(f"{safe(results.meeting, limit=40)}", align="center"),
        Line(words(language, "printed_at", when=format_when(printed_at, language)), align="center"),
        Rule(),
        Line(words(language, "quorum"), bold=True),
        Row(words(language, "required"), str(results.quorum.required)),
        Row(words(language, "present"), str(results.quorum.present)),
        Line(words(language, "quorum_met" if results.quorum.met else "quorum_not_met"), bold=True),
        Row(words(language, "issued"), str(results.ballots_issued)),
        Row(words(language, "cast"), str(results.ballots_cast)),
        Rule(),
    ]
    if not results.planks and not contests:
        blocks.append(Line(words(language, "no_planks")))
    for plank in results.planks:
        threshold = words(language, Threshold(plank.threshold).value)
        blocks += [
            Line(f"{plank.position}. {safe(plank.title)}", bold=True),
            Line(words(language, "threshold", threshold=threshold)),
            Row(words(language, "yes"), str(plank.yes)),
            Row(words(language, "no"), str(plank.no)),
            Row(words(language, "abstain"), str(plank.abstain)),
        ]
        share = plank.yes_percent
        outcome = words(language, "passed" if plank.passed else "failed")
        right = words(language, "yes_share", pct=f"{share:g}") if share is not None else ""
        blocks += [Row(outcome, right, bold=True), Feed(1)]
    blocks += contest_blocks(contests, language)
    head = safe(audit_head, limit=128).replace(" ", "")
    blocks += [
        Rule(),
        Line(words(language, "audit"), bold=True),
        Line(head or "?"),
        Line(words(language, "audit_note")),
        Feed(1),
        Row(words(language, "signed") + ":", "_" * 16),
    ]
    return Receipt(ReceiptKind.TALLY, language, columns, tuple(blocks))
