"""The scorecard as text (``kiosk scorecard``), JSON and CSV.

JSON is ``{"officials": [{"name", "for", "against", "abstain", "absent", "alignment", "planks": [...],
"broken_pledges": [...], ...}]}`` (``alignment`` rounded down to 3 decimals, ``alignment_exact`` as a fraction,
see ``kiosk.ledger.scorecard``). CSV cells are safe to open in a spreadsheet (``kiosk.export.safe_cell``): a
name someone typed as ``=HYPERLINK(...)`` comes out as text.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from kiosk.export import safe_cell
from kiosk.ledger.scorecard import OfficialScore, alignment_percent

CSV_COLUMNS = (
    "name",
    "office",
    "body",
    "endorsed",
    "for",
    "against",
    "abstain",
    "absent",
    "alignment",
    "alignment_exact",
    "broken_pledges",
)


def scorecard_json(scores: list[OfficialScore]) -> dict[str, Any]:
    return {"officials": [s.as_dict() for s in scores]}


def scorecard_csv(scores: list[OfficialScore]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for score in scores:
        row = score.as_dict()
        row["endorsed"] = "yes" if score.endorsed else "no"
        row["broken_pledges"] = len(score.broken_pledges)
        writer.writerow([safe_cell(row[c]) for c in CSV_COLUMNS])
    return out.getvalue()


def _share(score: Any) -> str:
    percent = alignment_percent(score.alignment)
    if percent is None:
        return "alignment: no votes for or against yet"
    return f"alignment {percent}% ({score.for_}/{score.for_ + score.against}, rounded down)"


def scorecard_text(scores: list[OfficialScore]) -> str:
    if not scores:
        return "no officials yet: `kiosk officials import officials.csv` adds them"
    lines: list[str] = []
    for s in scores:
        what = ", ".join(x for x in (s.office, s.body) if x)
        lines.append(f"{s.name}" + (f" ({what})" if what else "") + ("  endorsed" if s.endorsed else ""))
        c = s.counts
        lines.append(f"  for {c.for_}, against {c.against}, abstained {c.abstain}, absent {c.absent}; {_share(c)}")
        for p in s.planks:
            pledge = f"; pledged {p.pledge.answer.value}" if p.pledge else ""
            pc = p.counts
            counted = f"for {pc.for_}, against {pc.against}, abstained {pc.abstain}, absent {pc.absent}"
            lines.append(f"    {p.plank}: {counted}{pledge}")
        for b in s.broken_pledges:
            since = f" on {b.pledged_on.isoformat()}" if b.pledged_on else ""
            votes = "; ".join(f"{v.voted_on.isoformat()} {v.matter} ({v.vote.value})" for v in b.votes_against)
            lines.append(f"  broken pledge: {b.plank} (pledged yes{since}), then voted against: {votes}")
        for n in s.pledged_no:
            lines.append(f"  pledged no: {n.plank}")
    return "\n".join(lines)
