"""Layout: a receipt's blocks as lines of at most ``columns`` characters, the same lines for paper (the printer
adapter) and for plain text (:func:`render_text`: the console printer and the preview page), so they agree.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from kiosk.receipts.blocks import QR, Align, BigText, Feed, Heading, Line, Receipt, Row, Rule, check_columns


@dataclass(frozen=True)
class LaidLine:
    """One printed line (``qr`` set for a QR code, ``text`` then empty). ``scale`` 2 means double width."""

    text: str = ""
    bold: bool = False
    align: Align = "left"
    scale: int = 1
    tall: bool = False
    secret: bool = False
    qr: QR | None = None


def wrap(text: str, width: int) -> list[str]:
    """Word wrap; words longer than a line are broken hard. Always at least one (possibly empty) line."""
    if not text:
        return [""]
    return textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False, drop_whitespace=True) or [""]


def layout(receipt: Receipt, columns: int | None = None) -> list[LaidLine]:
    """The receipt as printed lines for a paper ``columns`` wide (default: the width it was built for)."""
    width = check_columns(receipt.columns if columns is None else columns)
    out: list[LaidLine] = []
    for block in receipt.blocks:
        match block:
            case Heading(text=text):
                out += [LaidLine(t, bold=True, align="center", tall=True) for t in wrap(text, width)]
            case Line(text=text, bold=bold, align=align):
                out += [LaidLine(t, bold=bold, align=align) for t in wrap(text, width)]
            case Row(left=left, right=right, bold=bold):
                if len(left) + 1 + len(right) <= width:
                    out.append(LaidLine(left + " " * (width - len(left) - len(right)) + right, bold=bold))
                else:
                    out += [LaidLine(t, bold=bold) for t in wrap(left, width)]
                    out += [LaidLine(t, bold=bold, align="right") for t in wrap(right, width)]
            case BigText(text=text, secret=secret):
                out += [
                    LaidLine(t, bold=True, align="center", scale=2, tall=True, secret=secret)
                    for t in wrap(text, width // 2)
                ]
            case QR():
                out.append(LaidLine(align="center", qr=block, secret=block.secret))
            case Rule():
                out.append(LaidLine("-" * width))
            case Feed(lines=n):
                out += [LaidLine("") for _ in range(n)]
    return out


def render_text(receipt: Receipt, columns: int | None = None, *, redact: bool = False) -> str:
    """Plain text of the receipt, each line at most ``columns`` wide. Double-width text is letter-spaced so it
    takes the room it takes on paper; a QR code shows as ``[QR: data]``. ``redact`` hides secret blocks (tokens)
    for logs."""
    width = check_columns(receipt.columns if columns is None else columns)
    lines: list[str] = []
    for laid in layout(receipt, width):
        if laid.qr is not None:
            data = "*" * 8 if redact and laid.secret else laid.qr.data
            texts = wrap(f"[QR: {data}]", width)
            lines += [t.center(width).rstrip() for t in texts]
            continue
        text = "*" * len(laid.text) if redact and laid.secret else laid.text
        if laid.scale == 2:
            text = " ".join(text)
        if laid.align == "center":
            text = text.center(width)
        elif laid.align == "right":
            text = text.rjust(width)
        lines.append(text.rstrip())
    return "\n".join(lines) + "\n"
