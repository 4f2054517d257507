"""The receipts' English and Spanish wording, dates and times as people there say them, and the header every
receipt starts with.
"""

from __future__ import annotations

from datetime import datetime

from kiosk.receipts.blocks import Block, Heading, Line
from kiosk.receipts.charset import printable, safe

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "reprint": "*** REPRINT ***",
        "welcome": "Welcome, {name}",
        "member": "Member",
        "guest": "Guest",
        "pending": "Membership pending",
        "pending_note": "An organizer will confirm your membership.",
        "guest_note": "Voting is for members; you are welcome to join the discussion.",
        "token_intro": "Your ballot code",
        "token_note": "Keep this slip private. Type or scan the code at the voting station. It works once.",
        "rsvp": "Next time, RSVP by text:",
        "ballot_title": "BALLOT RECEIPT",
        "ballot_recorded": "Your vote was recorded.",
        "verification": "Verification code",
        "verify_at": "Check that your ballot was counted:",
        "your_choices": "Your choices",
        "your_rankings": "Your rankings",
        "not_ranked": "(nobody ranked)",
        "no_name": "This receipt does not name you.",
        "tally_title": "RESULTS",
        "printed_at": "Printed {when}",
        "quorum": "Quorum",
        "required": "Required",
        "present": "Present",
        "quorum_met": "QUORUM MET",
        "quorum_not_met": "QUORUM NOT MET",
        "issued": "Ballots issued",
        "cast": "Ballots cast",
        "threshold": "Needs {threshold}",
        "yes": "Yes",
        "no": "No",
        "abstain": "Abstain",
        "passed": "PASSED",
        "failed": "FAILED",
        "yes_share": "{pct}% yes",
        "no_planks": "No planks on this ballot.",
        "audit": "Audit log head",
        "audit_note": "Compare with `kiosk audit verify`.",
        "signed": "Checked by",
        "test_title": "PRINTER TEST",
        "test_ok": "If you can read this, the printer works.",
        "test_width": "Width check ({columns} columns):",
        "test_chars": "Characters:",
        "test_big": "BIG TEXT",
        "majority": "a majority",
        "three-fifths": "three fifths",
        "two-thirds": "two thirds",
        "three-quarters": "three quarters",
        "choice_yes": "YES",
        "choice_no": "NO",
        "choice_abstain": "ABSTAIN",
    },
    "es": {
        "reprint": "*** REIMPRESIÓN ***",
        "welcome": "Hola, {name}",
        "member": "Miembro",
        "guest": "Visitante",
        "pending": "Membresía pendiente",
        "pending_note": "El equipo organizador confirmará su membresía.",
        "guest_note": "Solo los miembros votan; le invitamos a participar en la conversación.",
        "token_intro": "Su código de votación",
        "token_note": "Guarde este papel en privado. Escriba o escanee el código en el quiosco de votación. "
        "Sirve una sola vez.",
        "rsvp": "La próxima vez, confirme por mensaje de texto:",
        "ballot_title": "RECIBO DE SU BOLETA",
        "ballot_recorded": "Su boleta quedó guardada.",
        "verification": "Código de verificación",
        "verify_at": "Compruebe que su boleta se contó:",
        "your_choices": "Sus respuestas",
        "your_rankings": "Su orden de preferencia",
        "not_ranked": "(no marcó preferencias)",
        "no_name": "Este recibo no lleva su nombre.",
        "tally_title": "RESULTADOS",
        "printed_at": "Impreso {when}",
        "quorum": "Quórum",
        "required": "Requerido",
        "present": "Presentes",
        "quorum_met": "HAY QUÓRUM",
        "quorum_not_met": "NO HAY QUÓRUM",
        "issued": "Boletas entregadas",
        "cast": "Boletas recibidas",
        "threshold": "Necesita {threshold}",
        "yes": "Sí",
        "no": "No",
        "abstain": "Abstención",
        "passed": "APROBADA",
        "failed": "RECHAZADA",
        "yes_share": "{pct}% sí",
        "no_planks": "No hay propuestas en esta boleta.",
        "audit": "Cabeza del registro de auditoría",
        "audit_note": "Compare con `kiosk audit verify`.",
        "signed": "Revisado por",
        "test_title": "PRUEBA DE IMPRESORA",
        "test_ok": "Si puede leer esto, la impresora funciona.",
        "test_width": "Prueba de ancho ({columns} columnas):",
        "test_chars": "Caracteres:",
        "test_big": "TEXTO GRANDE",
        "majority": "mayoría simple",
        "three-fifths": "tres quintos",
        "two-thirds": "dos tercios",
        "three-quarters": "tres cuartos",
        "choice_yes": "SÍ",
        "choice_no": "NO",
        "choice_abstain": "ABSTENCIÓN",
    },
}

_MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "es": [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
}
_WEEKDAYS = {
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "es": ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"],
}


def words(language: str, key: str, **values: object) -> str:
    return printable(WORDS[language][key].format(**values))


def format_date(moment: datetime, language: str) -> str:
    """A date as people there say it, in the moment's own time zone."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a receipt time must carry its time zone (got a naive datetime)")
    day, month, year = moment.day, _MONTHS[language][moment.month - 1], moment.year
    weekday = _WEEKDAYS[language][moment.weekday()]
    if language == "es":
        return f"{weekday} {day} de {month} de {year}"
    return f"{weekday}, {month} {day}, {year}"


def format_time(moment: datetime, language: str) -> str:
    """A time of day: 7:00 p. m. in Spanish, 7:00 PM in English (the 12-hour clock people here use)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a receipt time must carry its time zone (got a naive datetime)")
    clock = f"{moment.hour % 12 or 12}:{moment:%M}"
    if language == "es":
        return f"{clock} {'a. m.' if moment.hour < 12 else 'p. m.'}"  # 12-hour, as people in the Bay Area say it
    return f"{clock} {'AM' if moment.hour < 12 else 'PM'}"


def format_when(moment: datetime, language: str) -> str:
    return f"{format_date(moment, language)}, {format_time(moment, language)}"


def header(organization: str, meeting_title: str, language: str, reprint: bool) -> list[Block]:
    blocks: list[Block] = []
    if reprint:
        blocks.append(Heading(words(language, "reprint")))
    org = safe(organization)
    if org:
        blocks.append(Heading(org))
    title = safe(meeting_title)
    if title:
        blocks.append(Line(title, bold=True, align="center"))
    return blocks
