"""Exports for organizers: attendance, RSVPs and results as CSV or JSON, and the meeting bundle.

CSV cells are made safe to open in a spreadsheet: a cell that starts with ``= + - @`` (or a tab or carriage
return) is prefixed with a single quote, so no cell can run as a formula.

The meeting bundle (only for a closed meeting) is one JSON document that another machine can check without
our database: the whole audit log with its hash chain and head, the meeting's ballots (verification code and
choices, nothing else, sorted by code), a SHA-256 over those sorted ballots (the closing tally tape prints it
too), the results, and what the meeting changed on the platform. ``verify_bundle`` recomputes the chain,
the ballots hash and the results from the ballots, and checks that the log recorded exactly as many cast
ballots as the bundle holds. A meeting with ranked-choice contests also carries every ballot's rankings and
every contest's rounds, recounted the same way (``kiosk.contest_bundle``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from kiosk import audit, db
from kiosk.contest_bundle import bundle_contests, contest_problems
from kiosk.errors import InvalidInput, StateError
from kiosk.live_figures import Release, ReleasedFigures, release_figures
from kiosk.results import Choice, Threshold, passes
from kiosk.schema import ballot_choices, ballots, planks
from kiosk.tally import MeetingState, Tally

BUNDLE_FORMAT = "assembly-kiosk-bundle/1"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()


def attendance_csv(tally: Tally, code: str) -> str:
    """One row per sign-in. Under an attendance rule (``kiosk.tally.attendance``), a member's row also says how
    many of the counted meetings they had attended when they signed in, of how many, and whether that met the
    rule ("met" / "not met"; empty for guests, people joining at the door, and meetings without a rule)."""
    rows = tally.signins(code)
    window = tally.attendance_window(code)

    def rule_cells(attended: int | None) -> list[Any]:
        if window is None or attended is None:
            return ["", "", ""]
        return [attended, len(window.counted), "met" if attended >= window.needed else "not met"]

    return to_csv(
        ["number", "name", "kind", "eligible", "station", "signed_in_at", "attended", "of_meetings", "attendance_rule"],
        (
            [
                r["id"],
                r["name"],
                r["kind"],
                "yes" if r["eligible"] else "no",
                r["station"],
                r["signed_in_at"],
                *rule_cells(r["attended"]),
            ]
            for r in rows
        ),
    )


def rsvps_csv(tally: Tally, code: str) -> str:
    return to_csv(
        ["name", "phone", "answer", "guests", "source", "at"],
        (
            [r.name or "", r.phone or "", str(r.answer), r.guests, r.source, r.at.isoformat()]
            for r in tally.current_rsvps(code)
        ),
    )


def _released(released: ReleasedFigures) -> ReleasedFigures:
    if released.withheld:
        raise StateError(f"meeting {released.results.meeting} hides results until voting closes")
    return released


def results_csv(released: ReleasedFigures) -> str:
    """The released figures (see ``kiosk.live_figures``): stepped before the close, exact after."""
    results = _released(released).results
    return to_csv(
        ["position", "title", "threshold", "yes", "no", "abstain", "yes_percent", "passed", "figures", "counted"],
        (
            [
                p.position,
                p.title,
                str(p.threshold),
                p.yes,
                p.no,
                p.abstain,
                p.yes_percent,
                "yes" if p.passed else "no",
                str(released.release),
                released.counted,
            ]
            for p in results.planks
        ),
    )


def results_json(tally: Tally, released: ReleasedFigures) -> str:
    data = {
        "meeting": tally.meeting(released.results.meeting).as_dict(),
        "results": _released(released).as_dict(),
    }
    return json.dumps(data, ensure_ascii=False, indent=2)


# --- the ballots hash -------------------------------------------------------------------------------------


def ballot_lines(ballot_list: Iterable[dict[str, Any]]) -> list[str]:
    """One line per ballot, ``CODE yes,no,abstain`` (choices in ballot order), sorted; a meeting with contests
    adds the ballot's rankings as compact JSON (``[["Ana","Bo"],[]]``), so the hash covers them too."""
    return sorted(f"{b['code']} {','.join(b['choices'])}{_rankings_text(b)}" for b in ballot_list)


def _rankings_text(ballot: dict[str, Any]) -> str:
    if "rankings" not in ballot:
        return ""
    return " " + json.dumps(ballot["rankings"], ensure_ascii=False, separators=(",", ":"))


def ballots_hash(ballot_list: Iterable[dict[str, Any]]) -> str:
    return hashlib.sha256("\n".join(ballot_lines(ballot_list)).encode("utf-8")).hexdigest()


def meeting_ballots(tally: Tally, code: str) -> list[dict[str, Any]]:
    """Every ballot of a meeting as ``{"code", "choices"}`` (choices in plank order), sorted by code."""
    meeting = tally.meeting(code)
    with db.read_transaction(tally.engine) as conn:
        plank_ids = list(
            conn.execute(select(planks.c.id).where(planks.c.meeting_id == meeting.id).order_by(planks.c.position))
            .scalars()
            .all()
        )
        codes = (
            conn.execute(select(ballots.c.code).where(ballots.c.meeting_id == meeting.id).order_by(ballots.c.code))
            .scalars()
            .all()
        )
        choices: dict[str, dict[int, str]] = {c: {} for c in codes}
        rows = conn.execute(
            select(ballot_choices.c.ballot_code, ballot_choices.c.plank_id, ballot_choices.c.choice)
            .join(ballots, ballots.c.code == ballot_choices.c.ballot_code)
            .where(ballots.c.meeting_id == meeting.id)
        )
        for row in rows:
            choices[row.ballot_code][row.plank_id] = row.choice
    out: list[dict[str, Any]] = [
        {"code": c, "choices": [choices[c].get(pid, "abstain") for pid in plank_ids]} for c in codes
    ]
    contests = tally.contests(code)
    if contests:  # only then: a meeting without contests keeps the same ballots hash as before contests existed
        from kiosk.contest_bundle import ballot_rankings_by_code

        rankings = ballot_rankings_by_code(tally, code, contests)
        for ballot in out:
            ballot["rankings"] = rankings.get(ballot["code"], [[] for _ in contests])
    return out


# --- the bundle -------------------------------------------------------------------------------------------


def _entry_dict(entry: audit.AuditEntry) -> dict[str, Any]:
    # The detail is kept as the exact text that was hashed, so the chain can be recomputed byte for byte.
    return {
        "seq": entry.seq,
        "at": entry.at.isoformat(timespec="microseconds"),
        "actor": entry.actor,
        "action": entry.action,
        "meeting": entry.meeting_code,
        "detail": entry.detail,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


def meeting_bundle(tally: Tally, code: str, *, exported_at: datetime) -> dict[str, Any]:
    meeting = tally.meeting(code)
    if meeting.state is not MeetingState.CLOSED:
        raise StateError(f"meeting {meeting.code} is not closed yet; the bundle is made after voting closes")
    released = release_figures(tally, code, step=1, live=False)
    if released.release is not Release.FINAL:  # the state was read above; the figures' own read decides
        raise StateError(f"meeting {meeting.code} is not closed yet; the bundle is made after voting closes")
    ballot_list = meeting_ballots(tally, code)
    entries = tally.audit_entries()
    report = tally.audit_verify()
    return {
        "format": BUNDLE_FORMAT,
        "exported_at": exported_at.isoformat(),
        "meeting": meeting.as_dict(),
        "planks": [
            {"position": p.position, "title": p.title, "threshold": str(p.threshold)} for p in tally.planks(code)
        ],
        "results": released.results.as_dict(),
        # What this meeting adopted, amended or repealed on the platform (kiosk.tally.platform).
        "platform": [
            p.as_dict()
            for p in tally.platform(history=True)
            if meeting.code in (p.adopted.meeting_code, p.ended.meeting_code if p.ended else None)
        ],
        "ballots": ballot_list,
        "ballots_hash": ballots_hash(ballot_list),
        "contests": bundle_contests(released.contests),
        "audit": {"head": report.head, "entries": [_entry_dict(e) for e in entries]},
    }


@dataclass(frozen=True)
class BundleReport:
    meeting: str
    entries: int
    ballots: int
    audit_head: str
    ballots_hash: str
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _entries_from(data: list[dict[str, Any]]) -> list[audit.AuditEntry]:
    out = []
    for e in data:
        out.append(
            audit.AuditEntry(
                seq=int(e["seq"]),
                at=datetime.fromisoformat(e["at"]),
                actor=str(e["actor"]),
                action=str(e["action"]),
                meeting_code=e.get("meeting"),
                detail=str(e["detail"]),
                prev_hash=str(e["prev_hash"]),
                hash=str(e["hash"]),
            )
        )
    return out


@dataclass(frozen=True)
class _Bundle:
    """The parts of a bundle's JSON that verification reads."""

    code: str
    ballots: list[dict[str, Any]]
    planks: list[dict[str, Any]]
    results: dict[str, Any]
    entries: list[audit.AuditEntry]
    head: str
    ballots_hash: Any
    contests: list[Any]


def _parse_bundle(text: str | bytes) -> _Bundle:
    try:
        data = json.loads(text)
        if data.get("format") != BUNDLE_FORMAT:
            raise InvalidInput(f"this is not a meeting bundle (format {data.get('format')!r})")
        return _Bundle(
            code=str(data["meeting"]["code"]),
            ballots=list(data["ballots"]),
            planks=list(data["planks"]),
            results=data["results"],
            entries=_entries_from(data["audit"]["entries"]),
            head=str(data["audit"]["head"]),
            ballots_hash=data.get("ballots_hash"),
            contests=list(data.get("contests") or []),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        if isinstance(exc, InvalidInput):
            raise
        raise InvalidInput(f"the bundle is not readable: {exc}") from None


def verify_bundle(
    text: str | bytes, *, tape_head: str | None = None, tape_ballots_hash: str | None = None
) -> BundleReport:
    """Check a bundle on its own: audit chain, ballots hash, and results recomputed from the ballots.

    ``tape_head`` is the audit hash printed on the tally tape: the head when the tape was printed, so it must
    be the hash of one of the bundle's entries (entries written after printing come later in the chain).
    ``tape_ballots_hash`` is the ballots hash printed on the tape: it must be the hash of the bundle's ballots.
    """
    bundle = _parse_bundle(text)
    chain = audit.verify_entries(bundle.entries, expected_head=bundle.head)
    problems = [f"audit log: {p}" for p in chain.problems]
    if tape_head is not None and tape_head.strip().lower() not in {e.hash for e in bundle.entries}:
        problems.append("audit log: the tally tape's audit hash is not an entry of this log")
    recomputed_hash = ballots_hash(bundle.ballots)
    if recomputed_hash != bundle.ballots_hash:
        problems.append("ballots: the ballots hash does not match the ballots in the bundle")
    if tape_ballots_hash is not None and tape_ballots_hash.strip().lower() != recomputed_hash:
        problems.append("ballots: the tally tape's ballots hash is not the hash of the ballots in the bundle")
    problems += _count_problems(bundle)
    problems += _plank_problems(bundle)
    problems += contest_problems(bundle.contests, bundle.ballots)
    return BundleReport(bundle.code, len(bundle.entries), len(bundle.ballots), chain.head, recomputed_hash, problems)


def _count_problems(bundle: _Bundle) -> list[str]:
    """The number of ballots agrees between the audit log, the stated results and the ballots; codes are unique."""
    problems = []
    held = len(bundle.ballots)
    cast_entries = sum(1 for e in bundle.entries if e.action == "ballot_cast" and e.meeting_code == bundle.code)
    if cast_entries != held:
        problems.append(f"ballots: the audit log records {cast_entries} ballots cast, the bundle holds {held}")
    if bundle.results.get("ballots_cast") != held:
        problems.append(f"results: {bundle.results.get('ballots_cast')} ballots cast stated, {held} in the bundle")
    if len({b["code"] for b in bundle.ballots}) != held:
        problems.append("ballots: a verification code appears twice")
    return problems


def _plank_problems(bundle: _Bundle) -> list[str]:
    """Each plank's stated counts and outcome follow from the ballots."""
    stated = bundle.results.get("planks", [])
    problems = [] if len(stated) == len(bundle.planks) else ["results: not one result per plank"]
    for i, plank in enumerate(bundle.planks):
        counts = _count_choices(bundle.ballots, i, problems)
        if i < len(stated):
            problems += _stated_result_problems(i, plank, stated[i], counts)
    return problems


def _count_choices(ballots: list[dict[str, Any]], i: int, problems: list[str]) -> dict[str, int]:
    """The ballots' choices on plank ``i`` (a ballot without one abstains); unknown choices go to ``problems``."""
    counts = {c.value: 0 for c in Choice}
    for b in ballots:
        choice = b["choices"][i] if i < len(b["choices"]) else "abstain"
        if choice not in counts:
            problems.append(f"ballot {b['code']}: {choice!r} is not a choice")
            continue
        counts[choice] += 1
    return counts


def _stated_result_problems(i: int, plank: dict[str, Any], shown: dict[str, Any], counts: dict[str, int]) -> list[str]:
    problems = []
    if (shown.get("yes"), shown.get("no"), shown.get("abstain")) != (counts["yes"], counts["no"], counts["abstain"]):
        problems.append(
            f"plank {i + 1} ({plank['title']}): stated {shown.get('yes')}/{shown.get('no')}/{shown.get('abstain')}"
            f", the ballots give {counts['yes']}/{counts['no']}/{counts['abstain']} (yes/no/abstain)"
        )
    try:
        outcome = passes(Threshold(plank["threshold"]), yes=counts["yes"], no=counts["no"])
    except ValueError:
        problems.append(f"plank {i + 1}: unknown threshold {plank['threshold']!r}")
        return problems
    if bool(shown.get("passed")) != outcome:
        problems.append(f"plank {i + 1} ({plank['title']}): the stated outcome does not follow from the ballots")
    return problems


# --- the closing tally tape -------------------------------------------------------------------------------


def closing_tape(
    tally: Tally, code: str, *, organization: str, columns: int, printed_at: datetime, language: str = "en"
) -> tuple[str, Any]:
    """The tally tape with the ballots hash added; returns (print-queue dedupe key, receipt).

    Only once voting has closed: a tape's figures are exact, so before the close they are withheld (the
    dashboard shows live figures in steps). The step does not matter here, the answer is final or nothing.
    """
    from kiosk.receipts import Line, Rule, tally_tape

    released = release_figures(tally, code, step=1, live=False)
    if released.release is not Release.FINAL:
        raise StateError(
            f"meeting {released.results.meeting} is still {released.results.state}: the tally tape is printed "
            "after voting closes"
        )
    results = released.results
    head = tally.audit_verify().head
    tape = tally_tape(
        organization=organization,
        results=results,
        audit_head=head,
        # printed as the hall's clock reads: the organization's time zone (the tally keeps UTC)
        printed_at=printed_at.astimezone(ZoneInfo(tally.timezone)),
        language=language,
        columns=columns,
        contests=released.contests,
    )
    digest = ballots_hash(meeting_ballots(tally, code))
    label = "Ballots hash (sorted codes + choices):" if language == "en" else "Hash de las boletas (ordenadas):"
    tape = replace(tape, blocks=(*tape.blocks, Rule(), Line(label, bold=True), Line(digest)))
    return f"tally:{results.meeting}:{head}", tape
