"""The words of the organization's public pages on the organizer listener (``/platform``, ``/scorecard``) and of
the platform's printed tape, in every language of ``kiosk.i18n.LANGUAGES``; merged into ``kiosk.i18n.CATALOGUE``
(the same test checks every key has every language). Spanish uses *usted* and "propuesta" for plank."""

from __future__ import annotations

PUBLIC_CATALOGUE: dict[str, dict[str, str]] = {
    # shared by the public pages
    "public_print": {"en": "Print this page", "es": "Imprimir esta página"},
    "public_as_of": {"en": "As of {date}.", "es": "Al {date}."},
    # the platform (/platform, kiosk platform, the tape)
    "platform_title": {"en": "Our platform", "es": "Nuestro programa"},
    "platform_lead": {
        "en": "Every plank our members adopted by secret ballot at a meeting, with the meeting, the date and the "
        "count. A later meeting may amend or repeal a plank.",
        "es": "Cada propuesta que nuestros miembros aprobaron por voto secreto en una reunión, con la reunión, "
        "la fecha y el resultado. Una reunión posterior puede enmendar o derogar una propuesta.",
    },
    "platform_empty": {
        "en": "No plank has been adopted yet.",
        "es": "Todavía no se ha aprobado ninguna propuesta.",
    },
    "platform_adopted": {
        "en": "Adopted at {meeting} on {date}: {yes} yes, {no} no ({threshold} needed).",
        "es": "Aprobada en {meeting} el {date}: {yes} a favor, {no} en contra (se necesitaba {threshold}).",
    },
    "platform_amended": {
        "en": "Amended at {meeting} on {date}, replaced by “{by}”.",
        "es": "Enmendada en {meeting} el {date}, sustituida por «{by}».",
    },
    "platform_repealed": {
        "en": "Repealed at {meeting} on {date} by “{by}”.",
        "es": "Derogada en {meeting} el {date} por «{by}».",
    },
    "platform_show_history": {
        "en": "Show amended and repealed planks too",
        "es": "Mostrar también las propuestas enmendadas y derogadas",
    },
    "platform_hide_history": {"en": "Show only the planks in force", "es": "Mostrar solo las propuestas vigentes"},
    "platform_history_title": {"en": "No longer in force", "es": "Ya no vigentes"},
    "platform_download": {"en": "Download the platform:", "es": "Descargar el programa:"},
    "platform_count": {"en": "{n} planks in force.", "es": "{n} propuestas vigentes."},
    "platform_count_one": {"en": "1 plank in force.", "es": "1 propuesta vigente."},
    "platform_threshold_majority": {"en": "a majority", "es": "mayoría simple"},
    "platform_threshold_three-fifths": {"en": "three-fifths", "es": "tres quintos"},
    "platform_threshold_two-thirds": {"en": "two-thirds", "es": "dos tercios"},
    "platform_threshold_three-quarters": {"en": "three-quarters", "es": "tres cuartos"},
    # the scorecard (ledger17 adds its words below)
}
