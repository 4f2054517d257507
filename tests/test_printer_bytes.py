"""ESC/POS bytes through python-escpos's Dummy: injection, widths, code pages, and escpos's import side effects."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from hardware.printer import escpos_modules, render_escpos
from kiosk.receipts import QR, REPERTOIRE, Receipt, render_text
from tests.printer_emulator import decode, tokens
from tests.test_receipts import ALL_KINDS, ballot, signin, tally

INJECTED = ["\x1b@", "\x1dV\x00", "\x1dV\x41\x00", "\x10\x04\x01", "\x1c\x70\x01\x00", "\x1b\x70\x00\x19\xfa"]
EVIL = "Ana" + "".join(INJECTED) + " R.\x00\x07\x08\x7f\x85\x9b"


def _injected_receipts() -> list[Receipt]:
    return [
        signin(organization="Org" + EVIL, meeting_title="GA" + EVIL, display_name=EVIL, rsvp_hint=EVIL),
        ballot(organization=EVIL, meeting_title=EVIL, verify_url="https://x/v" + EVIL, choices=[(EVIL, "yes")]),
    ]


@pytest.mark.parametrize("receipt", _injected_receipts(), ids=["signin", "ballot"])
def test_no_control_byte_from_user_text_reaches_the_printer(receipt: Receipt) -> None:
    data = render_escpos(receipt, columns=48)
    # The job starts with our own reset and ends with our own cut; nothing from the user text adds another.
    assert data.startswith(b"\x1b@") and data.count(b"\x1b@") == 1
    assert data.count(b"\x1dV") == 1 and data.endswith(b"\x1dV\x00")
    for seq in INJECTED:
        assert ("Ana" + seq).encode("latin-1") not in data
    assert b"\x10\x04" not in data and b"\x1c" not in data and b"\x1bp" not in data
    # The strict decoder accepts only the commands we emit: a stray control byte would raise here.
    decoded = decode(data)
    # ESC p 0 25 250 (drawer kick) leaves "p" and "ú": a printable letter, harmless once ESC and NUL are gone.
    assert "Ana@VVAppú R." in decoded.text
    assert decoded.cuts == 1 and decoded.resets == 1


def test_injected_receipt_prints_like_the_cleaned_one() -> None:
    dirty = signin(display_name="Ana\x1b@ R.")
    tidy = signin(display_name="Ana@ R.")
    assert render_escpos(dirty) == render_escpos(tidy)


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("columns", [48, 32])
@pytest.mark.parametrize("build", ALL_KINDS, ids=["signin", "ballot", "tally"])
def test_printed_lines_fit_the_paper_and_match_the_text_preview(build, language: str, columns: int) -> None:
    receipt = build(language, columns)
    decoded = decode(render_escpos(receipt, columns=columns))
    assert decoded.lines, "nothing printed"
    for line in decoded.lines:
        assert line.width <= columns, line
    without_qr = Receipt(
        receipt.kind, receipt.language, columns, tuple(b for b in receipt.blocks if not isinstance(b, QR))
    )
    preview = [x.strip() for x in render_text(without_qr, columns).splitlines()]
    printed = [line.text.strip() if line.scale == 1 else " ".join(line.text) for line in decoded.lines]
    assert [p for p in printed if p] == [p for p in preview if p]


def test_token_prints_big_with_its_qr_code() -> None:
    decoded = decode(render_escpos(signin(columns=32), columns=32))
    big = [line for line in decoded.lines if line.scale == 2]
    assert [line.text for line in big] == ["ACD3-4EFG"] and big[0].tall and big[0].align == "center"
    assert decoded.qr == ["ACD3-4EFG"]
    verify = decode(render_escpos(ballot(), columns=48))
    assert verify.qr == ["https://kiosk.example.org/verify/ACD34EFGHJ"]


def test_tally_tape_bytes_say_the_results() -> None:
    decoded = decode(render_escpos(tally("es", 48), columns=48))
    assert "APROBADA" in decoded.text and "HAY QUÓRUM" in decoded.text
    assert decoded.qr == []


def test_accented_and_non_latin_names_on_paper() -> None:
    receipt = signin(display_name="Łukasz Żółć · José Peña · Nguyễn Thị Lan · 李伟 · عائشة")
    decoded = decode(render_escpos(receipt))
    assert "Łukasz Żółć · José Peña · Nguyên Thi Lan · ?? · ?????" in " ".join(decoded.text.split())
    assert "CP852" in decoded.codepages  # magic encoding switched code page for the Polish letters
    assert b"\xc0\xee" not in render_escpos(receipt)  # no GB18030 bytes for the CJK name


def test_every_repertoire_character_has_a_code_page_on_the_default_profile() -> None:
    from escpos.magicencode import Encoder

    es = escpos_modules()
    encoder = Encoder(es.capabilities.get_profile("TM-T20II").get_code_pages())
    missing = [ch for ch in sorted(REPERTOIRE) if ord(ch) >= 0x80 and encoder.find_suitable_encoding(ch) is None]
    assert missing == []


def test_qr_falls_back_to_an_image_on_profiles_without_native_qr() -> None:
    es = escpos_modules()
    assert not es.capabilities.CAPABILITIES["profiles"]["NT-5890K"]["features"].get("qrCode")
    data = render_escpos(ballot(), profile="NT-5890K", columns=32)
    kinds = {t[0] for t in tokens(data)}
    assert "GS ( k" not in kinds and ("raster" in kinds or "GS ( L" in kinds)


def test_unknown_profile_is_refused() -> None:
    from hardware.printer import open_printer

    with pytest.raises(ValueError, match="unknown printer profile"):
        open_printer("network:127.0.0.1", profile="TM-NOPE")


SIDE_EFFECTS = """
import logging, os, sys, tempfile
before = list(logging.root.handlers), logging.root.level
tmp_before = set(os.listdir(tempfile.gettempdir()))
from datetime import datetime, UTC
import hardware.printer as hp
from kiosk.receipts import signin_receipt
assert 'escpos' not in sys.modules, 'escpos imported eagerly'
r = signin_receipt(organization='O', meeting_title='M', starts_at=datetime.now(UTC), display_name='A', kind='member',
                   token='ACD3-4EFG', rsvp_hint='x', language='en', columns=48)
hp.render_escpos(r)
hp.open_printer('network:127.0.0.1:9')
import escpos.capabilities as c
after = list(logging.root.handlers), logging.root.level
new = [d for d in set(os.listdir(tempfile.gettempdir())) - tmp_before if d.startswith('tmp')]
made = [os.path.join(tempfile.gettempdir(), d) for d in new]
print(before == after, os.path.exists(c.pickle_dir), c.pickle_dir in made)
"""


def test_importing_escpos_through_us_leaves_logging_and_temp_alone(tmp_path) -> None:
    env = {"PATH": "/usr/bin:/bin", "TMPDIR": str(tmp_path), "PYTHONPATH": "."}
    out = subprocess.run(
        [sys.executable, "-c", SIDE_EFFECTS], capture_output=True, text=True, timeout=60, env=env, check=True
    )
    assert out.stdout.split() == ["True", "False", "False"], out.stdout + out.stderr
    assert list(tmp_path.iterdir()) == []  # escpos's folder (with its pickle) was removed


def test_escpos_really_has_those_side_effects(tmp_path) -> None:
    """Guards the helper's reason to exist: if escpos stops doing this, the helper can go."""
    code = "import logging; import escpos.printer; import escpos.capabilities as c; print(len(logging.root.handlers))"
    env = {"PATH": "/usr/bin:/bin", "TMPDIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env, check=True)
    assert out.stdout.strip() == "1"
    assert len(list(tmp_path.iterdir())) == 1


def test_when_text_renders_in_the_meetings_zone() -> None:
    starts = datetime(2026, 12, 3, 19, 0, tzinfo=ZoneInfo("America/Los_Angeles"))
    assert "7:00 PM" in decode(render_escpos(signin(starts_at=starts))).text
