"""Rendering: a :class:`~kiosk.receipts.Receipt` to ESC/POS bytes in memory (python-escpos's ``Dummy``), so a
rendering problem never leaves half a receipt on paper. The printer profile picks code pages and whether QR codes
are drawn natively.
"""

from __future__ import annotations

from typing import Any

from hardware.codepages import PageWriter, plan_pages
from hardware.printer.escpos_lib import escpos_modules
from kiosk.receipts import Receipt, layout

# Profiles without a cutter (python-escpos's POS-5890, NT-5890K, ...) are torn off against the tear bar: the
# last printed line must clear it. At the default line spacing (1/6 inch) 8 lines are about 34 mm, past the
# 10-15 mm from print line to tear bar of common 58 mm mechanisms with room to tear straight.
TEAR_OFF_LINES = 8
ESC_DEFAULT_SPACING = b"\x1b2"


def render_escpos(
    receipt: Receipt, *, profile: str = "TM-T20II", columns: int = 48, cut: bool = True, codepage: str = "auto"
) -> bytes:
    """The ESC/POS bytes for ``receipt`` laid out ``columns`` wide, starting with a printer reset (ESC @).

    Text is sent in the code pages :mod:`hardware.codepages` chooses for ``profile`` and ``codepage``.
    """
    es = escpos_modules()
    dummy = es.Dummy(profile=profile)
    plan = plan_pages(dummy.profile, codepage)
    pages = PageWriter(plan)
    # All our text goes through ``pages``; python-escpos itself writes only line feeds around an image QR code,
    # and with no page recorded its magic encoding would select one (ESC t 1 on the POS-5890) for them.
    dummy.magic.encoding = plan.base[0]
    native_qr = bool(dummy.profile.supports("qrCode"))
    dummy.hw("INIT")
    pages.reset()  # ESC @ puts the printer back on its own default page
    style: tuple[str, bool, int, bool] | None = None
    for line in layout(receipt, columns):
        if line.qr is not None:
            if style != ("center", False, 1, False):
                dummy.set(align="center", bold=False, normal_textsize=True)
                style = ("center", False, 1, False)
            size = line.qr.size if native_qr else _image_qr_size(line.qr.data, line.qr.size, dummy.profile)
            dummy.qr(line.qr.data, ec=es.constants.QR_ECLEVEL_M, size=size, native=native_qr)
            dummy._raw(b"\n")
            continue
        wanted = (line.align, line.bold, line.scale, line.tall)
        if wanted != style:
            # Size goes first: ESC ! (size) also clears bold on Epson printers, so bold is set again after it.
            dummy.set(
                align=line.align,
                bold=line.bold,
                double_width=line.scale == 2,
                double_height=line.tall,
                normal_textsize=line.scale == 1 and not line.tall,
            )
            style = wanted
        dummy._raw(pages.encode(line.text) + b"\n")
    dummy.set(align="left", bold=False, normal_textsize=True)
    if cut:
        if has_cutter(dummy.profile):
            dummy.cut()
        else:
            dummy._raw(ESC_DEFAULT_SPACING)
            dummy.print_and_feed(TEAR_OFF_LINES)
    return dummy.output


def has_cutter(profile: Any) -> bool:
    return bool(profile.supports("paperFullCut") or profile.supports("paperPartCut"))


def _image_qr_size(data: str, wanted: int, profile: Any) -> int:
    """Module size for a QR code drawn as an image, shrunk so it fits the paper (escpos refuses wider images)."""
    import qrcode

    code = qrcode.QRCode(version=None, error_correction=qrcode.constants.ERROR_CORRECT_M, border=1)
    code.add_data(data)
    code.make(fit=True)
    pixels = profile.profile_data.get("media", {}).get("width", {}).get("pixels")
    width = pixels if isinstance(pixels, int) else 384  # 58 mm paper: the narrowest we expect
    return max(1, min(wanted, width // (code.modules_count + 2)))
