"""A plank's words in the attendee's language: translations read from the planks file or the organizer's form,
and the fallback to the original when one is missing.

The original title (``planks.title``) is the plank's identity for results, exports and the audit log; the
translations (``plank_translations``) are only what attendees read. Originals are written in the kiosk's
default language (:data:`ORIGINAL_LANGUAGE`); a translation may be given for every other language the kiosk
offers (:data:`kiosk.i18n.LANGUAGES`), as ``title_es`` / ``text_es`` columns in the planks file.

Imports nothing of Flask: the tally, the receipts and the SMS texts use it alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kiosk.i18n import DEFAULT_LANGUAGE, LANGUAGES

ORIGINAL_LANGUAGE = DEFAULT_LANGUAGE  # the language of a plank's own title and text
MAX_TITLE = 300
MAX_TEXT = 5000
_TRANSLATION_COLUMN = re.compile(r"^(title|text)[_-]([a-z]{2,3}(?:[_-][a-z]{2,4})?)$")


@dataclass(frozen=True)
class PlankTranslation:
    """A plank's title and text in one language; an empty field falls back to the original."""

    language: str
    title: str = ""
    text: str = ""


@dataclass(frozen=True)
class Shown:
    """Words to show and the language they are really in (the original's when no translation exists)."""

    text: str
    lang: str


def translation_languages() -> list[str]:
    """The languages a plank may be translated into: every language the kiosk offers but the original's."""
    return [lang for lang in LANGUAGES if lang != ORIGINAL_LANGUAGE]


def translation_columns(header: list[str]) -> tuple[dict[str, dict[str, int]], list[str]]:
    """From a planks file's (case-folded) header: {language: {"title"|"text": column index}}, and a note for
    each translation column in a language the kiosk does not offer (ignored, but never silently)."""
    found: dict[str, dict[str, int]] = {}
    notes: list[str] = []
    offered = translation_languages()
    for i, name in enumerate(header):
        match = _TRANSLATION_COLUMN.match(name)
        if match is None:
            continue
        field_name, lang = match.group(1), match.group(2).replace("-", "_")
        if lang in offered:
            found.setdefault(lang, {})[field_name] = i
        elif lang == ORIGINAL_LANGUAGE:
            notes.append(f"column {name!r} ignored: the original {field_name} goes in the {field_name!r} column")
        else:
            columns = ", ".join(f"title_{x}, text_{x}" for x in offered)
            names = ", ".join(LANGUAGES[x] for x in offered)
            notes.append(
                f"column {name!r} ignored: the kiosk offers no language {lang!r}; translations go in "
                f"{columns} ({names})"
            )
    return found, notes


def check_translation(lang: str, title: str, text: str) -> str | None:
    """Why a translation cannot be stored, or None."""
    if lang not in translation_languages():
        return f"the kiosk offers no translation language {lang!r}"
    if len(title) > MAX_TITLE:
        return f"the {LANGUAGES[lang]} title is longer than {MAX_TITLE} characters"
    if len(text) > MAX_TEXT:
        return f"the {LANGUAGES[lang]} text is longer than {MAX_TEXT} characters"
    return None


def shown(original: str, translations: tuple[PlankTranslation, ...], lang: str, field_name: str) -> Shown:
    """``field_name`` ("title" or "text") in ``lang`` when translated, else the original in its own language."""
    if lang != ORIGINAL_LANGUAGE:
        for t in translations:
            if t.language == lang and getattr(t, field_name):
                return Shown(getattr(t, field_name), lang)
    return Shown(original, ORIGINAL_LANGUAGE)
