"""Which ESC/POS code page each piece of receipt text is sent in, and the bytes for it (``ESC t n`` + text).

Owns: the choice of code pages for a printer profile and the ``[printer] codepage`` setting.

Why not python-escpos's "magic" encoding: it picks, character by character, the lowest-numbered page of the
profile that has the character, so the Spanish of our receipts came out as ``ESC t 13`` (PC857, Turkish) for
"Ú", ``ESC t 15`` (ISO-8859-7, Greek) for "€" on the Epson profiles, and ``ESC t 1`` (Japanese) plus
``ESC t 25`` (Baltic) on the POS-5890's: pages that many printers, clones above all, do not have, so they print
boxes. One page holds all of Spanish, the euro and the Western European names: PC858 (``ESC t 19``, PC850 with
the euro) or WPC1252 (``ESC t 16``); nearly every ESC/POS printer has one of them.

``auto`` (the default): text goes in the profile's first of PC858, WPC1252, PC850, PC437 (the *base* page).
Only a character the base page lacks switches page, to the first of PC852 (Central European), PC866
(Cyrillic), PC737 (Greek) that the profile has and that holds it; the next character the base page has
switches back. So a Spanish receipt selects one page, and only names in other scripts select others.

A page name (``CP858``, ``CP1252``, ``CP850``, ``CP437``, ... as python-escpos names them, from the profile):
that page and no other is ever selected, for printers that lack even those few; characters it lacks print
without their accent, or as ``?`` (``kiosk.receipts.printable`` with that page's repertoire).

Text reaching here is already limited to :data:`kiosk.receipts.REPERTOIRE`; everything below 0x80 is ASCII in
every page used, so ASCII never causes a switch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk.receipts import page_repertoire, printable

ESC_T = b"\x1bt"
AUTO = "auto"
BASE_PREFERENCE = ("CP858", "CP1252", "CP850", "CP437")
OTHER_SCRIPTS = ("CP852", "CP866", "CP737")


def _slots(profile: Any) -> dict[str, int]:
    """Page name -> its lowest ``ESC t`` number in the profile (python-escpos's own map keeps the last one, so
    the POS-5890's PC437 would be 52 instead of 0, and PC858 53 instead of 19)."""
    out: dict[str, int] = {}
    for number, name in profile.codePages.items():
        if not str(number).isdigit():
            continue
        if name not in out or int(number) < out[name]:
            out[name] = int(number)
    return out


def python_codec(name: str) -> str | None:
    """The Python codec of a python-escpos page name (None for pages Python has no codec for, e.g. TCVN-3)."""
    from escpos.codepages import CodePages  # escpos is imported (quietly) by hardware.printer before this runs

    try:
        codec = CodePages.get_encoding(name).get("python_encode")
    except (KeyError, ValueError):
        return None
    return codec if isinstance(codec, str) else None


@dataclass(frozen=True)
class PagePlan:
    """The pages text may use on one profile: the base page first, then those for other scripts."""

    pages: tuple[tuple[str, int, str], ...]  # (escpos name, ESC t number, Python codec)
    single: bool  # a configured page: no other is ever selected

    @property
    def base(self) -> tuple[str, int, str]:
        return self.pages[0]


def plan_pages(profile: Any, codepage: str = AUTO) -> PagePlan:
    """The pages for ``profile`` (a python-escpos profile object) under the ``[printer] codepage`` setting."""
    slots = _slots(profile)
    usable = {name: slot for name, slot in slots.items() if python_codec(name)}
    if codepage.strip().lower() != AUTO:
        name = codepage.strip().upper()
        for vendor_prefix in ("WPC", "PC"):  # Epson's manuals say PC858 and WPC1252 for CP858 and CP1252
            if name.startswith(vendor_prefix):
                name = "CP" + name.removeprefix(vendor_prefix)
                break
        match = next((n for n in usable if n.upper() == name), None)
        if match is None:
            known = ", ".join(sorted(usable, key=lambda n: usable[n]))
            raise ValueError(
                f"[printer] codepage {codepage!r} is not a page this printer profile has; use auto or one of: {known}"
            )
        return PagePlan(((match, usable[match], str(python_codec(match))),), single=True)
    chosen = [n for n in BASE_PREFERENCE if n in usable][:1] or sorted(usable, key=lambda n: usable[n])[:1]
    if not chosen:
        raise ValueError("this printer profile lists no code page that text can be printed in")
    chosen += [n for n in OTHER_SCRIPTS if n in usable and n not in chosen]
    return PagePlan(tuple((n, usable[n], str(python_codec(n))) for n in chosen), single=False)


def _can(codec: str, ch: str) -> bool:
    try:
        ch.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


class PageWriter:
    """Turns lines of text into bytes with the fewest ``ESC t`` switches the plan allows; keeps the current page
    across lines of one job (``ESC @`` resets the printer to its own default page, hence :meth:`reset`)."""

    def __init__(self, plan: PagePlan) -> None:
        self.plan = plan
        self.current: tuple[str, int, str] | None = None
        self._single_repertoire = page_repertoire(plan.base[2]) if plan.single else None

    def reset(self) -> None:
        self.current = None

    def _page_for(self, ch: str, stay: bool) -> tuple[str, int, str] | None:
        if ord(ch) < 0x80:
            return self.current or self.plan.base
        if stay and self.current is not None and _can(self.current[2], ch):
            return self.current  # inside a word of another script ("Żółć"): no switch for each letter
        for page in self.plan.pages:  # the base page first: Latin text always goes in it
            if _can(page[2], ch):
                return page
        return None

    def encode(self, text: str) -> bytes:
        """One line's bytes. Each line starts out preferring the base page, so a name in another script
        never drags the Spanish after it into that script's page."""
        if self._single_repertoire is not None:
            text = printable(text, self._single_repertoire)
        out = bytearray()
        stay = False
        for ch in text:
            page = self._page_for(ch, stay)
            stay = stay or ord(ch) >= 0x80
            if ch == " ":
                stay = False
            if page is None:
                ch, page = "?", self.current or self.plan.base
            if ord(ch) >= 0x80 and page != self.current:
                out += ESC_T + bytes([page[1]])
                self.current = page
            out += ch.encode(page[2])
        return bytes(out)
