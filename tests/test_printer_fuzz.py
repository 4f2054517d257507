"""Property tests: whatever text users type, receipts fit the paper and no control byte reaches the printer."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hardware.printer import render_escpos
from kiosk.receipts import REPERTOIRE, Receipt, clean, printable, render_text
from tests.printer_emulator import decode
from tests.test_receipts import ballot, signin

# Control characters, escape sequences, combining marks, wide and right-to-left scripts, emoji.
nasty = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(["\x1b", "\x1d", "\x10", "\x1c", "\x00", "\x7f", "\x85", "\u202e", "\u0301", "李", "ع", "🌹"]),
    ),
    max_size=120,
)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(name=nasty, title=nasty, org=nasty)
def test_any_user_text_fits_and_prints_cleanly(name: str, title: str, org: str) -> None:
    for columns in (48, 32):
        receipt = signin(columns=columns, display_name=name, meeting_title=title, organization=org)
        assert all(len(line) <= columns for line in render_text(receipt).splitlines())
        decoded = decode(render_escpos(receipt, columns=columns))  # strict: raises on any stray control byte
        assert all(line.width <= columns for line in decoded.lines)
        assert decoded.resets == 1 and decoded.cuts == 1
        assert Receipt.from_json(receipt.to_json()) == receipt


@SETTINGS
@given(text=nasty)
def test_clean_and_printable_leave_only_the_repertoire(text: str) -> None:
    out = printable(clean(text))
    assert set(out) <= REPERTOIRE
    assert "\n" not in out and "  " not in out


@SETTINGS
@given(title=nasty)
def test_ballot_choices_with_any_titles(title: str) -> None:
    receipt = ballot(columns=32, choices=[(title, "yes"), (title, "no")])
    decoded = decode(render_escpos(receipt, columns=32))
    assert all(line.width <= 32 for line in decoded.lines)
