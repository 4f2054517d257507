"""Fuzzing the ledger's imports (issue 17): hostile cells in every column of the officials, pledges and votes
files, and hostile bytes as VoteEvent files. Each import either refuses the file with one clear error
(InvalidInput) or imports what it can and reports the rest; nothing else is raised and nothing dirty is stored
(``assert_clean``). Bounded by default; ``KIOSK_SOAK=1`` runs many more examples."""

from __future__ import annotations

import csv
import io
import json

from hypothesis import given
from hypothesis import strategies as st

from kiosk.errors import InvalidInput
from kiosk.tally import Tally
from tests.fuzz_support import assert_clean, fuzz_settings, raw_values, text_values
from tests.ledger_support import adopt_platform, fixture_text

cells = st.one_of(text_values, st.sampled_from(["yes", "no", "for", "against", "absent", "GA12", "2026-03-04"]))


def as_csv(header: list[str], rows: list[list[str]], delimiter: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def test_hostile_ledger_files(tally: Tally) -> None:
    adopt_platform(tally)
    tally.import_officials(fixture_text("officials-messy.csv"))

    @fuzz_settings(25)
    @given(
        which=st.sampled_from(["officials", "pledges", "votes"]),
        rows=st.lists(st.lists(cells, min_size=0, max_size=8), max_size=4),
        delimiter=st.sampled_from([",", ";", "\t"]),
    )
    def run(which: str, rows: list[list[str]], delimiter: str) -> None:
        header = {
            "officials": ["name", "office", "body", "term_start", "term_end", "endorsed"],
            "pledges": ["name", "plank", "pledge", "date"],
            "votes": ["date", "body", "matter", "official", "vote", "plank", "yes_means"],
        }[which]
        text = as_csv(header, rows, delimiter)
        importer = {"officials": tally.import_officials, "pledges": tally.import_pledges, "votes": tally.import_votes}
        try:
            report = importer[which](text)
        except InvalidInput:
            return
        assert report.imported + len(report.refused) <= len(rows) + 1

    run()
    assert_clean(tally.engine, "after fuzzing the ledger's imports")
    tally.scorecard()  # what was stored reads back


def test_hostile_vote_event_files(tally: Tally) -> None:
    adopt_platform(tally)
    tally.import_officials(fixture_text("officials-messy.csv"))
    event = json.loads(fixture_text("ocd/vote_event_rent.json"))

    @fuzz_settings(25)
    @given(
        raw=raw_values,
        voter=text_values,
        option=text_values,
        bill=st.one_of(text_values, st.just("~{not json"), st.integers().map(str)),
    )
    def run(raw: bytes, voter: str, option: str, bill: str) -> None:
        changed = dict(event, bill=bill, votes=[{"option": option, "voter_name": voter}, *event["votes"]])
        files = [("raw.json", raw), ("changed.json", json.dumps(changed).encode("utf-8", "surrogatepass"))]
        report = tally.import_vote_events(files, fixture_text("ocd-map.csv"))  # bad files are refused, not raised
        assert report.refused

    run()
    assert_clean(tally.engine, "after fuzzing the VoteEvent import")
