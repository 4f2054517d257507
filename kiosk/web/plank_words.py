"""A plank's words on a page: in the page's language, or the original inside an element carrying its own
``lang`` so screen readers pronounce it right (WCAG 3.1.2, language of parts)."""

from __future__ import annotations

from markupsafe import Markup, escape

from kiosk.plank_texts import Shown


def in_language(shown: Shown, page_lang: str) -> Markup:
    """``shown``'s words, escaped; wrapped in ``<span lang="..">`` when they are not in the page's language."""
    if shown.lang == page_lang:
        return escape(shown.text)
    return Markup('<span lang="{}">{}</span>').format(shown.lang, shown.text)
