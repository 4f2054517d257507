"""Code pages on paper: the bytes of each receipt decoded with Python's codec for the page the bytes select.

An independent check of hardware/codepages.py: the ``ESC t n`` commands are read from python-escpos's Dummy
output, ``n`` is looked up in the profile's own table (python-escpos's capabilities: what the printer's manual
says slot ``n`` holds), and each text run is decoded with the Python codec of that page (cp858, cp1252, ...),
not with python-escpos's or our own tables. "A common printer" below is one that has only the pages nearly every
ESC/POS printer has (PC437, PC850, WPC1252, PC858): a page it lacks prints boxes (``□``).

docs/printers.md's table of what each supported profile prints is compared with what is measured here.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hardware.printer import TEAR_OFF_LINES, escpos_modules, open_printer, render_escpos
from kiosk.config import parse_settings
from kiosk.errors import ConfigError
from kiosk.receipts import Line, Receipt, ReceiptKind, printable, printer_test_receipt, render_text
from tests.printer_emulator import tokens
from tests.test_receipts import ALL_KINDS

ROOT = Path(__file__).resolve().parents[1]
SUPPORTED = ("TM-T20II", "TM-T88V", "POS-5890")  # docs/printers.md
PYTHON_CODECS = {
    "CP437": "cp437",
    "CP850": "cp850",
    "CP852": "cp852",
    "CP857": "cp857",
    "CP858": "cp858",
    "CP866": "cp866",
    "CP737": "cp737",
    "CP1252": "cp1252",
    "CP1257": "cp1257",
    "ISO_8859-7": "iso8859_7",
}
COMMON_PRINTER = {0: "CP437", 2: "CP850", 16: "CP1252", 19: "CP858"}
SPANISH = "á é í ó ú ñ ¿ ¡ €"
NAMES = {
    "Spanish": "¿Sí? ¡Año nuevo! José Peña Muñoz, Ángel Núñez: 5 €",
    "Vietnamese": "Nguyễn Thị Đặng Lan",
    "German, French": "Jürgen Großmann, François Lefèvre",
    "Polish": "Łukasz Żółć",
    "Russian": "Наталья Смирнова",
    "Greek": "Σωκράτης",
    "Chinese": "李伟",
    "Arabic": "عائشة",
}
LA = ZoneInfo("America/Los_Angeles")


def pages_and_text(data: bytes, profile: str, printer_pages: dict[int, str] | None = None) -> tuple[list[int], str]:
    """(every ESC t n sent, the text as printed). ``printer_pages``: a printer with only those pages, which
    prints boxes for bytes above 0x7F in any other page (and keeps its power-on page, PC437, until told)."""
    table = escpos_modules().capabilities.get_profile(profile).codePages
    selected: list[int] = []
    page: str | None = "CP437"
    out: list[str] = []
    for token in tokens(data):
        if token[0] == "ESC t":
            selected.append(token[1])
            page = table[str(token[1])] if printer_pages is None else printer_pages.get(token[1])
        elif token[0] == "text":
            raw: bytes = token[1]
            if page is None:
                out.append("".join(chr(b) if b < 0x80 else "□" for b in raw))
            else:
                assert page in PYTHON_CODECS, f"{profile}: text sent in page {page}, which no test expects"
                out.append(raw.decode(PYTHON_CODECS[page]))
        elif token[0] == "lf":
            out.append("\n")
    return selected, "".join(out)


def spanish_receipts(columns: int) -> list[Receipt]:
    test_page = printer_test_receipt(
        target="x", printed_at=datetime(2026, 12, 3, 19, tzinfo=LA), language="es", columns=columns
    )
    return [build("es", columns) for build in ALL_KINDS] + [test_page]


@pytest.mark.parametrize("profile", SUPPORTED)
def test_spanish_receipts_use_one_latin_page_and_decode_exactly(profile: str) -> None:
    columns = 32 if profile == "POS-5890" else 48
    for receipt in spanish_receipts(columns):
        data = render_escpos(receipt, profile=profile, columns=columns)
        selected, text = pages_and_text(data, profile)
        assert set(selected) <= {19}, (profile, receipt.kind, selected)  # PC858 only: no 13, 15, 1 or 25
        preview = render_text(receipt, columns)
        for word in re.findall(r"\w*[^\x00-\x7f]\w*", preview):  # every word with an accent or symbol
            assert word in text, (profile, receipt.kind, word)
        # And on a printer with only the common pages nothing is lost.
        assert "□" not in pages_and_text(data, profile, COMMON_PRINTER)[1]
    test_page = render_escpos(spanish_receipts(columns)[-1], profile=profile, columns=columns)
    assert "áéíóú ÁÉÍÓÚ ñÑ üÜ ¿? ¡! € ç" in pages_and_text(test_page, profile)[1].splitlines()


@pytest.mark.parametrize(
    ("codepage", "slot", "expected"),
    [("CP1252", 16, SPANISH), ("PC858", 19, SPANISH), ("CP850", 2, SPANISH.replace("€", "?"))],
)
def test_a_configured_code_page_is_the_only_one_sent(codepage: str, slot: int, expected: str) -> None:
    receipt = Receipt(
        ReceiptKind.TEST, "es", 48, (Line(SPANISH), Line(printable(NAMES["Polish"])), Line(printable(NAMES["Russian"])))
    )
    data = render_escpos(receipt, profile="TM-T20II", codepage=codepage)
    selected, text = pages_and_text(data, "TM-T20II")
    assert set(selected) == {slot}
    lines = text.splitlines()
    assert lines[0] == expected
    assert lines[1] == "Lukasz Zólc"  # letters the page lacks lose their accent or stroke
    assert lines[2] == "??????? ????????"


def test_an_unknown_code_page_is_refused_with_the_pages_the_profile_has() -> None:
    with pytest.raises(ValueError, match=r"'CP999' is not a page .* CP858"):
        open_printer("network:127.0.0.1", profile="TM-T20II", codepage="CP999")
    with pytest.raises(ValueError, match="CP858"):
        open_printer("network:127.0.0.1", profile="ZJ-5870", codepage="CP858")  # that profile has no PC858
    with pytest.raises(ConfigError, match=r"\[printer\] codepage"):
        parse_settings('[printer]\ncodepage = "ESC t 19"\n', "kiosk.toml")
    assert parse_settings('[printer]\ncodepage = "CP1252"\n', "kiosk.toml").printer.codepage == "CP1252"


def test_profile_without_pc858_uses_wpc1252() -> None:
    data = render_escpos(Receipt(ReceiptKind.TEST, "es", 32, (Line(SPANISH),)), profile="ZJ-5870", columns=32)
    selected, text = pages_and_text(data, "ZJ-5870")
    assert selected == [16] and SPANISH in text


def test_pos5890_has_no_cutter_and_feeds_paper_to_tear() -> None:
    profile = escpos_modules().capabilities.get_profile("POS-5890")
    assert not profile.supports("paperFullCut") and not profile.supports("paperPartCut")
    data = render_escpos(spanish_receipts(32)[0], profile="POS-5890", columns=32)
    assert b"\x1dV" not in data  # no cut command for a printer without a cutter
    # Default line spacing (1/6 inch) then 8 lines: about 34 mm, past the tear bar with room to tear straight.
    assert data.endswith(b"\x1b2\x1bd" + bytes([TEAR_OFF_LINES]))
    assert TEAR_OFF_LINES * 25.4 / 6 >= 30
    cutter = render_escpos(spanish_receipts(48)[0], profile="TM-T20II")
    assert cutter.endswith(b"\x1bd\x06\x1dV\x00")  # printers with a cutter: feed past the blade, then cut


def measured_table() -> list[tuple[str, str, str, str]]:
    """(profile, what, printed text, pages sent) for the names in NAMES, as docs/printers.md shows them."""
    rows = []
    for profile in SUPPORTED:
        for what, name in NAMES.items():
            receipt = Receipt(ReceiptKind.TEST, "en", 64, (Line(printable(name)),))
            selected, text = pages_and_text(render_escpos(receipt, profile=profile, columns=64), profile)
            table = escpos_modules().capabilities.get_profile(profile).codePages
            pages = ", ".join(f"{n} ({table[str(n)]})" for n in dict.fromkeys(selected)) or "none (ASCII)"
            rows.append((profile, what, text.splitlines()[0], pages))
    return rows


def test_docs_say_what_each_profile_prints() -> None:
    doc = (ROOT / "docs" / "printers.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| (\S+) \| ([^|]+?) \| `([^`]*)` \| ([^|]+?) \|$", doc, flags=re.MULTILINE))
    missing = [row for row in measured_table() if row not in documented]
    assert not missing, "docs/printers.md differs from what is printed:\n" + "\n".join(
        f"| {p} | {w} | `{t}` | {s} |" for p, w, t, s in measured_table()
    )
