"""Shared pieces of the fuzz tests (``tests/test_fuzz_*.py``): hypothesis settings, hostile strings, and the
"no stored garbage" inspection of a tally database after a fuzz run.

Settings: a bounded run by default (CI stays fast and reproducible: ``derandomize`` makes hypothesis draw the
same examples every run) and a long one with ``KIOSK_SOAK=1`` (random, many more examples).
"""

from __future__ import annotations

import logging
import os
import re
import unicodedata
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, String, Text, select

from kiosk.schema import metadata

SOAK = bool(os.environ.get("KIOSK_SOAK"))


def fuzz_settings(examples: int, soak_examples: int | None = None) -> settings:
    """``examples`` in the default run, ``soak_examples`` (default 20x) with KIOSK_SOAK=1."""
    return settings(
        max_examples=(soak_examples or examples * 20) if SOAK else examples,
        deadline=None,
        derandomize=not SOAK,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
    )


# --- hostile input ------------------------------------------------------------------------------------------

NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x01\x02\x1b[31m",
    "\r\n",
    "\t",
    "\u200f\u202eevil",  # RTL mark, right-to-left override
    "\ufeff",
    "\u200b",
    "👍🏽✊",
    "Ñandú José",
    "王小明",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%00",
    "../../etc/passwd",
    "-1",
    "0",
    "99999999999999999999999",
    "2147483648",
    "9223372036854775808",
    "1e309",
    "NaN",
    "yes",
    "GA12",
    "+15105550101",
    "(510) 555-0101",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "2026-12-03T19:00",
    "x" * 5000,
    "é" * 300,
]

# Text that HTTP can carry: anything but lone surrogates (a form post is bytes; see ``raw_values`` for bytes
# that are not UTF-8).
_printable = st.characters(exclude_categories=("Cc", "Cs"))
text_values = st.one_of(
    st.sampled_from(NASTY),
    st.text(_printable, max_size=40),
    st.text(_printable, max_size=40),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
    st.text(_printable, min_size=200, max_size=3000),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)

# The same without control characters (what gets past a guard that refuses them, to reach the handler).
clean_text_values = text_values.filter(lambda v: not any(unicodedata.category(ch) == "Cc" for ch in v))

# Bytes straight into a form body or query string (invalid UTF-8 included).
raw_values = st.binary(max_size=60)


class ErrorLog(logging.Handler):
    """Collects ERROR records from every logger while installed on the root logger."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def __enter__(self) -> ErrorLog:
        logging.getLogger().addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger().removeHandler(self)

    def messages(self) -> list[str]:
        return [f"{r.name}: {r.getMessage()}" for r in self.records]


# --- no stored garbage --------------------------------------------------------------------------------------

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")

# Columns that hold phone numbers in E.164 (when not NULL).
PHONE_COLUMNS = {
    ("members", "phone"),
    ("rsvps", "phone"),
    ("signins", "phone"),
    ("sms_outbound", "recipient"),
    ("sms_opt_outs", "phone"),
    ("sms_conversations", "phone"),
}
# Multi-line text (a text message, a plank's body, JSON documents): line breaks and tabs are fine there.
MULTILINE = {
    ("planks", "text"),
    ("sms_inbound", "body"),
    ("sms_outbound", "body"),
    ("audit_log", "detail"),
    ("print_jobs", "payload"),
    ("device_status", "detail"),
    ("live_figures", "figures"),
    ("sms_outbound", "last_error"),
    ("print_jobs", "last_error"),
}
# People's names and titles: trimmed.
TRIMMED = {
    ("members", "name"),
    ("members", "email"),
    ("signins", "name"),
    ("rsvps", "name"),
    ("meetings", "title"),
    ("meetings", "place"),
    ("planks", "title"),
}
# People's names, from a roster, a kiosk keyboard or a text: no invisible format characters (RTL overrides,
# zero-width spaces, BOM) either. Organizers' own titles may hold them (pasted from a document).
NO_FORMAT = {("members", "name"), ("members", "email"), ("signins", "name"), ("rsvps", "name")}


def _bad_chars(value: str, multiline: bool) -> str | None:
    if "\x00" in value:
        return "NUL"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "lone surrogate"
    allowed = "\n\t\r" if multiline else ""
    for ch in value:
        category = unicodedata.category(ch)
        if (category == "Cc" and ch not in allowed) or (category in ("Zl", "Zp") and not multiline):
            return f"control character {ch!r}"
    return None


def stored_garbage(engine: Engine) -> list[str]:
    """Every problem found in the stored text of the tally database (empty when it is clean).

    Checks every string column of every table in ``kiosk.schema``: no NUL, no lone surrogates, no control
    characters (line breaks only in multi-line columns), within the column's declared length; phones in E.164;
    names and titles trimmed and without format characters; and no row pointing at a missing row (foreign keys,
    which SQLite does not enforce unless asked).
    """
    problems: list[str] = []
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            rows = conn.execute(select(table)).mappings().all()
            for row in rows:
                ident = f"{table.name}[{row.get('id', row.get(table.primary_key.columns.keys()[0]))}]"
                for column in table.columns:
                    value = row[column.name]
                    where = (table.name, column.name)
                    if not isinstance(column.type, String | Text) or value is None:
                        continue
                    if not isinstance(value, str):
                        problems.append(f"{ident}.{column.name}: not text: {value!r:.60}")
                        continue
                    bad = _bad_chars(value, where in MULTILINE)
                    if bad:
                        problems.append(f"{ident}.{column.name}: {bad} in {value!r:.80}")
                    length = getattr(column.type, "length", None)
                    if length is not None and len(value) > length:
                        problems.append(f"{ident}.{column.name}: {len(value)} characters, column holds {length}")
                    if where in PHONE_COLUMNS and not E164.match(value):
                        problems.append(f"{ident}.{column.name}: not E.164: {value!r:.40}")
                    if where in TRIMMED and value != value.strip():
                        problems.append(f"{ident}.{column.name}: not trimmed: {value!r:.60}")
                    if where in NO_FORMAT and any(unicodedata.category(ch) == "Cf" for ch in value):
                        problems.append(f"{ident}.{column.name}: format character in {value!r:.60}")
            for fk in table.foreign_keys:
                parent = fk.column.table
                child_col = fk.parent
                ids = {r[0] for r in conn.execute(select(fk.column))}
                for value in conn.execute(select(child_col).where(child_col.is_not(None))).scalars():
                    if value not in ids:
                        problems.append(f"{table.name}.{child_col.name}={value!r}: no such {parent.name} row")
    return problems


def assert_clean(engine: Engine, context: Any = "") -> None:
    problems = stored_garbage(engine)
    assert not problems, f"stored garbage {context}:\n" + "\n".join(problems[:40])
