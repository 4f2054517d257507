"""Open Civic Data VoteEvent files, as Open States' and Councilmatic-style scrapers (pupa) write them, read into
recorded votes through a map from matters to platform planks.

A VoteEvent is a JSON object (one per file, or a list of them in one file) with ``motion_text``,
``start_date`` (``2026-03-04`` or a date and time), the bill it is on (``bill_identifier``, ``bill`` as an object
with an ``identifier``, or pupa's pseudo-id ``~{"identifier": "HB 1"}``), ``organization`` and ``votes``: a list
of ``{"option": ..., "voter_name": ...}``. The map is a CSV ``matter, plank, yes_means`` (and optionally
``body``): a VoteEvent is on a matter when its bill identifier or its motion text matches the map's ``matter``,
ignoring case, accents, spaces and punctuation (``AB-123`` is ``ab 123``). One matter may touch several planks.

Options: ``yes``, ``no``, ``abstain`` as such; ``absent``, ``excused`` and ``not voting`` (didn't vote) as
absent; ``paired`` and ``other`` say nothing clear, so each such vote is refused and reported. A file that is
not JSON, not UTF-8 or not VoteEvents is refused as a whole; VoteEvents on matters not in the map are counted
in a note, not refused.

>>> matter_key("Res. 2026-14"), matter_key("RES 2026 14")
('res202614', 'res202614')
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.errors import InvalidInput
from kiosk.ledger.files import MAX_MATTER, text_cell, vote_key, vote_row
from kiosk.ledger.model import Refusal, VoteRow, YesMeans
from kiosk.ledger.table import read_table
from kiosk.roster import fold

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_FILES = 10_000
OPTIONS = {
    "yes": "yes",
    "no": "no",
    "abstain": "abstain",
    "absent": "absent",
    "excused": "absent",
    "not voting": "absent",
}


def matter_key(text: str) -> str:
    """How a matter is matched: folded, letters and digits only."""
    return "".join(ch for ch in fold(text) if ch.isalnum())


@dataclass(frozen=True)
class MatterLink:
    """One line of the map: a matter, the platform plank it touches, what a yes means, and the body's name."""

    matter: str
    plank: str
    yes_means: YesMeans
    body: str


def parse_map(text: str) -> tuple[dict[str, list[MatterLink]], list[Refusal]]:
    table = read_table(text, "map", required=("matter", "plank", "yes_means"), optional=("body",))
    links: dict[str, list[MatterLink]] = {}
    refused = [Refusal(r.line, r.reason, "map") for r in table.refused]
    for line, cells in table.rows:
        try:
            matter = text_cell(cells, "matter", MAX_MATTER)
            plank = text_cell(cells, "plank", MAX_MATTER)
            body = text_cell(cells, "body", 200, required=False)
            means = fold(cells.get("yes_means", ""))
            if means not in (YesMeans.FOR, YesMeans.AGAINST):
                raise InvalidInput(f"yes_means {cells.get('yes_means', '')[:20]!r} is not one of for, against")
        except InvalidInput as exc:
            refused.append(Refusal(line, str(exc), "map"))
            continue
        links.setdefault(matter_key(matter), []).append(MatterLink(matter, plank, YesMeans(means), body))
    return links, refused


def read_directory(directory: Path) -> list[tuple[str, bytes]]:
    """The ``*.json`` files of ``directory`` (and below), by name; InvalidInput when there is nothing to read."""
    if not directory.is_dir():
        raise InvalidInput(f"{directory}: not a directory of VoteEvent JSON files")
    paths = sorted(p for p in directory.rglob("*.json") if p.is_file())
    if not paths:
        raise InvalidInput(f"{directory}: no .json files in it")
    if len(paths) > MAX_FILES:
        raise InvalidInput(f"{directory}: more than {MAX_FILES} files")
    found = []
    for path in paths:
        size = path.stat().st_size
        name = str(path.relative_to(directory))
        found.append((name, b"" if size > MAX_FILE_BYTES else path.read_bytes()))
    return found


def _bill_identifier(event: dict[str, Any]) -> str:
    bill = event.get("bill")
    if isinstance(event.get("bill_identifier"), str):
        return event["bill_identifier"]
    if isinstance(bill, dict) and isinstance(bill.get("identifier"), str):
        return bill["identifier"]
    if isinstance(bill, str) and bill.startswith("~"):  # pupa's pseudo-id: "~" and a JSON object
        try:
            pseudo = json.loads(bill[1:])
        except ValueError:
            return ""
        return pseudo.get("identifier", "") if isinstance(pseudo, dict) else ""
    return bill if isinstance(bill, str) and not bill.startswith("ocd-") else ""


def _events(name: str, data: bytes) -> list[dict[str, Any]]:
    if not data:
        raise InvalidInput(f"empty, or larger than {MAX_FILE_BYTES // 1024 // 1024} MB")
    try:
        parsed = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InvalidInput("not UTF-8 text") from None
    except (ValueError, RecursionError) as exc:
        raise InvalidInput(f"not JSON ({str(exc)[:80]})") from None
    events = parsed if isinstance(parsed, list) else [parsed]
    if not events or not all(isinstance(e, dict) and isinstance(e.get("votes"), list) for e in events):
        raise InvalidInput("not a VoteEvent (an object with a list of votes)")
    return events


def _organization(event: dict[str, Any]) -> str:
    org = event.get("organization")
    return org if isinstance(org, str) and not org.startswith(("~", "ocd-")) else ""


def _event_votes(name: str, event: dict[str, Any], link: MatterLink, refused: list[Refusal]) -> Iterable[VoteRow]:
    matter = _bill_identifier(event) or str(event.get("motion_text") or "")
    for number, vote in enumerate(event["votes"], start=1):
        voter = vote.get("voter_name") if isinstance(vote, dict) else None
        option = vote.get("option") if isinstance(vote, dict) else None
        cells = {
            "date": str(event.get("start_date") or "")[:10],
            "body": link.body or _organization(event),
            "matter": matter[:MAX_MATTER],
            "official": voter if isinstance(voter, str) else "",
            "vote": OPTIONS.get(fold(option) if isinstance(option, str) else "", str(option)[:20]),
            "plank": link.plank,
            "yes_means": link.yes_means.value,
        }
        try:
            yield vote_row(number, cells, source=name)
        except InvalidInput as exc:
            refused.append(Refusal(number, str(exc), name, unit="vote"))


def parse_vote_events(files: list[tuple[str, bytes]], map_text: str) -> tuple[list[VoteRow], list[Refusal], list[str]]:
    """The recorded votes in ``files`` (name, bytes) on the matters of the map."""
    links, refused = parse_map(map_text)
    rows: dict[tuple[str, ...], VoteRow] = {}  # a matter mapped twice (by bill and by motion) is one vote
    unmatched = 0
    for name, data in files:
        try:
            events = _events(name, data)
        except InvalidInput as exc:
            refused.append(Refusal(0, str(exc), name))
            continue
        for event in events:
            keys = {matter_key(_bill_identifier(event)), matter_key(str(event.get("motion_text") or ""))} - {""}
            matched = [link for key in sorted(keys) for link in links.get(key, [])]
            if not matched:
                unmatched += 1
            for link in matched:
                rows.update((vote_key(row), row) for row in _event_votes(name, event, link, refused))
    notes = [f"{unmatched} VoteEvents are on matters not in the map and were skipped"] if unmatched else []
    return list(rows.values()), refused, notes
