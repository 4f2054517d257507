"""The attendee catalogue: complete in every language, placeholders consistent, usable outside Flask."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kiosk import i18n

TEMPLATES = Path(__file__).parents[1] / "kiosk" / "web" / "templates" / "kiosk"


def test_every_key_has_every_language_with_the_same_placeholders() -> None:
    for key, entry in i18n.CATALOGUE.items():
        assert set(entry) == set(i18n.LANGUAGES), key
        fields = {lang: set(re.findall(r"{(\w+)}", text)) for lang, text in entry.items()}
        assert len({frozenset(f) for f in fields.values()}) == 1, (key, fields)


def test_every_key_used_in_templates_exists() -> None:
    used = set()
    for template in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"\bt\('([\w-]+)'", template.read_text(encoding="utf-8")))
    assert used, "no keys found"
    missing = {k for k in used if k not in i18n.CATALOGUE and not k.startswith("threshold_")}
    assert not missing


def test_translate_fills_placeholders_and_falls_back() -> None:
    assert i18n.translate("hello", "es", name="Ana R.") == "¡Hola, Ana R.!"
    assert i18n.translate("hello", "fr", name="Ana R.") == "Welcome, Ana R.!"
    assert i18n.language("es-MX") == "es"
    assert i18n.translate("no-such-key", "en") == "no-such-key"


@pytest.mark.parametrize(
    ("reason", "lang", "expected"),
    [
        ("guests may not vote at this meeting", "es", "solo los miembros pueden votar"),
        ("membership status is lapsed", "en", "your membership is lapsed"),
        ("membership status is pending", "es", "su membresía está todavía pendiente"),
        ("members must have joined at least 30 days before the meeting", "en", "at least 30 days"),
        (None, "en", "could not be confirmed"),
    ],
)
def test_ineligible_reasons(reason: str | None, lang: str, expected: str) -> None:
    assert expected in i18n.ineligible_reason(reason, lang)


def test_token_reasons_all_translated() -> None:
    for reason in ("unknown", "spent", "void", "other_meeting", "closed", "not_open"):
        assert i18n.token_rejected(reason, "es") != i18n.token_rejected(reason, "en")
    assert i18n.token_rejected("weird", "en") == i18n.translate("token_unknown", "en")
