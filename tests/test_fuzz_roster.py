"""Fuzzing the roster import: random bytes and random CSV structure through ``parse_roster``,
``Tally.import_roster`` (SQLite and PostgreSQL) and the organizer's upload route.

Whatever the file, the answer is a report (or one plain error for a file that is unusable as a whole), never a
crash, and what is stored is clean: names trimmed without control characters, phones in E.164, emails trimmed
and lower-cased (see ``tests.fuzz_support.stored_garbage``).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from kiosk import accounts
from kiosk.errors import InvalidInput
from kiosk.roster import MAX_FIELD, parse_roster
from kiosk.schema import MEMBER_STATUSES
from kiosk.tally import Tally
from kiosk.web.organizer import create_organizer_app
from tests.fuzz_support import E164, NASTY, SOAK, assert_clean, fuzz_settings, text_values
from tests.test_organizer import PASSWORD, logged_in, organizer_settings

# A soak run (KIOSK_SOAK=1) takes minutes per test: lift pytest-timeout's 120 s for it.
pytestmark = pytest.mark.timeout(3600) if SOAK else []

COLUMNS = ["name", "phone", "email", "status", "joined", "Name", " PHONE ", "E-mail", "notes", "", "name"]

HOSTILE_CHARS = [
    "\x00",
    "\x07",
    "\x1b",
    "\t",
    "\r",
    "\n",
    "\u200b",
    "\u200f",
    "\u202e",
    "\ufeff",
    "\u2028",
    "\xa0",
    '"',
    ",",
]

VALID = {
    "name": ["Ana Ramírez", " José  Hernández ", "Nguyễn Thị Lan", "O'Brien-Smith", "Li", "王小明"],
    "phone": ["(510) 555-0101", "+34 600 111 222", "510.555.0102", "5105550103", "", "+1 (510) 555 0104"],
    "email": ["ana@example.org", " ANA@EXAMPLE.ORG ", "x@y", ""],
    "status": ["member", "Lapsed ", "GUEST", "pending", ""],
    "joined": ["2020-01-01", "1/2/2020", "2024-02-30", "2020/12/31", ""],
}


@st.composite
def mutated(draw: st.DrawFn, column: str) -> str:
    """A valid-looking value of the column, often with a hostile character or text spliced in."""
    value = draw(st.sampled_from(VALID.get(column, ["x"])))
    for _ in range(draw(st.sampled_from([1, 1, 2]))):
        at = draw(st.integers(0, len(value)))
        piece = draw(st.one_of(st.sampled_from(HOSTILE_CHARS), text_values))
        value = value[:at] + piece + value[at:]
    return value


def cells_for(header: list[str]) -> st.SearchStrategy[list[str]]:
    known = [h.strip().lower().replace("-", "") for h in header]
    return (
        st.tuples(*(st.one_of(st.sampled_from(VALID.get(k, ["x"])), mutated(k), text_values) for k in known))
        .map(list)
        .flatmap(lambda row: st.sampled_from([row, row[:-1], [*row, "extra"]]) if row else st.just(row))
    )


@st.composite
def roster_texts(draw: st.DrawFn) -> str:
    header = draw(st.lists(st.sampled_from(COLUMNS), min_size=0, max_size=7))
    if draw(st.sampled_from([True, True, True, False])):
        header = ["name", *header]
    rows = draw(st.lists(cells_for(header), max_size=8))
    out = io.StringIO()
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]))
    writer = csv.writer(out, quoting=quoting, lineterminator=draw(st.sampled_from(["\n", "\r\n", "\r"])))
    writer.writerow(header)
    writer.writerows(rows)
    text = out.getvalue()
    if draw(st.booleans()):  # broken structure: a stray quote, a cut, a BOM, raw junk
        cut = draw(st.integers(0, len(text)))
        junk = draw(st.sampled_from(['"', '"\n', "\ufeff", "\x00", "\r", ",,,\n", '"a""b', "\n\n\n"]))
        text = text[:cut] + junk + text[cut:]
    return text


any_roster = st.one_of(roster_texts(), st.text(max_size=300), st.sampled_from(NASTY))


def check_parsed(text: str) -> None:
    try:
        parsed = parse_roster(text, "US")
    except InvalidInput as exc:
        assert str(exc)
        return
    for row in parsed.rows:
        assert row.name == row.name.strip() and 0 < len(row.name) <= MAX_FIELD
        assert not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in row.name), row
        assert row.phone is None or E164.match(row.phone), row
        if row.email is not None:
            assert row.email == row.email.strip().lower() and 0 < len(row.email) <= 254, row
            assert not any(unicodedata.category(ch) in ("Cc", "Cf", "Zs") for ch in row.email), row
        assert row.status in MEMBER_STATUSES
    for refusal in parsed.refused:
        assert refusal.line >= 1 and str(refusal).startswith(f"line {refusal.line}: ")
        assert "\x00" not in str(refusal) or "\\x00" in str(refusal)


@fuzz_settings(300)
@given(text=any_roster)
def test_parse_roster_reports_never_crashes(text: str) -> None:
    check_parsed(text)


@fuzz_settings(60)
@given(texts=st.lists(any_roster, min_size=1, max_size=3))
def test_import_roster_stores_only_clean_rows(tally: Tally, texts: list[str]) -> None:
    for text in texts:
        try:
            report = tally.import_roster(text, actor="fuzz")
        except InvalidInput:
            continue
        assert report.imported == report.added + report.updated + report.unchanged + sum(
            "matches a person already updated" in n for n in report.notes
        )
    assert_clean(tally.engine, "after roster imports")


ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252", "mac-roman"]


@st.composite
def uploads(draw: st.DrawFn) -> bytes:
    if draw(st.booleans()):
        return draw(st.binary(max_size=400))
    text = draw(roster_texts())
    return text.encode(draw(st.sampled_from(ENCODINGS)), errors="replace")


@pytest.fixture
def organizer(tally: Tally, tmp_path: Path, db_url: str) -> FlaskClient:
    accounts.add_organizer(tally.engine, "rosa", PASSWORD)
    app = create_organizer_app(organizer_settings(tmp_path, db_url), tally, test_config={"TESTING": True})
    tally.create_meeting(code="GA12", title="General Assembly", starts="2026-12-03T19:00")
    return logged_in(app)  # asserts the login worked, so the uploads reach the import handler


@fuzz_settings(40)
@given(body=uploads(), filename=st.sampled_from(["roster.csv", "r.txt", "x" * 300, "ñ.csv", "a\x00.csv"]))
def test_roster_upload_route_answers_with_a_report(
    organizer: FlaskClient, tally: Tally, body: bytes, filename: str
) -> None:
    with organizer.session_transaction() as session:
        token = session["csrf"]
    response = organizer.post(
        "/organizer/m/GA12/import/roster",
        data={"csrf_token": token, "file": (io.BytesIO(body), filename)},
        content_type="multipart/form-data",
    )
    assert response.status_code in (200, 302), response.status_code
    assert "/organizer/login" not in response.headers.get("Location", "")  # still logged in: the handler answered
    if response.status_code == 200:
        assert "imported" in response.get_data(as_text=True)
    assert_clean(tally.engine, "after roster uploads")


@pytest.mark.parametrize(
    "email", ["\x00ana@example.org", "a\x07b@example.org", "\u200bana@example.org", "ana@exam\u202eple.org"]
)
def test_email_with_invisible_characters_is_refused(tally: Tally, email: str) -> None:
    # Found by the fuzzer: the email check looked only for "@" and spaces, so NUL reached PostgreSQL (a raw
    # DataError) and control or RTL characters were stored on SQLite.
    report = tally.import_roster(f"name,email\nAna Ramírez,{email}\nRosa Delgado,rosa@example.org\n")
    assert report.added == 1 and len(report.refused) == 1 and report.refused[0].startswith("line 2: email")
    assert_clean(tally.engine)


def test_name_with_a_line_separator_is_refused() -> None:
    parsed = parse_roster("name\nAna\u2028Ramírez\nRosa Delgado\n", "US")
    assert [r.name for r in parsed.rows] == ["Rosa Delgado"] and parsed.refused[0].line == 2
