"""The kiosk stylesheet: WCAG 2.2 AA contrast of the colour pairs it uses, and nothing loaded from elsewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

WEB = Path(__file__).parents[1] / "kiosk" / "web"
CSS = (WEB / "static" / "kiosk.css").read_text(encoding="utf-8")
VARS = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{3,6})", CSS))


def luminance(hex_colour: str) -> float:
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    channels = [int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def colour(name: str) -> str:
    return VARS.get(name, name)


@pytest.mark.parametrize(
    ("fg", "bg", "minimum"),
    [
        ("ink", "paper", 4.5),
        ("muted", "paper", 4.5),
        ("#fff", "brand", 4.5),  # primary buttons, the header bar
        ("brand", "#fff", 4.5),  # the chosen language
        ("notice-ink", "notice-bg", 4.5),
        ("#fff", "ink", 4.5),  # the chosen option
        ("ink", "#ffd23f", 4.5),  # a lit LED on the demo panel
        ("ink", "#e8e8e8", 4.5),  # the demo panel
        ("#fff", "#222", 4.5),  # the idle overlay's surround
        ("line", "paper", 3.0),  # control borders (non-text)
        ("focus", "brand", 3.0),  # the focus halo on the header bar
        ("ink", "paper", 3.0),  # the focus outline
    ],
)
def test_contrast(fg: str, bg: str, minimum: float) -> None:
    assert contrast(colour(fg), colour(bg)) >= minimum, (fg, bg)


def test_nothing_loaded_from_elsewhere() -> None:
    for path in [*WEB.glob("templates/kiosk/*.html"), *WEB.glob("static/kiosk.*")]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(src|href)=\"(https?:)?//", text), path
        assert "@import" not in text and "url(http" not in text and "innerHTML" not in text, path
