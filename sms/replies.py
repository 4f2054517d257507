"""The texts the gateway sends, in the member's language (English or Spanish), fitted to a segment budget.

Pure functions. Every reply fits one segment where it can: 160 GSM-7 septets, or 70 UCS-2 units when a
character outside GSM-7 is needed. Spanish templates are written without á í ó ú (which GSM-7 lacks; é, ñ, ¿
and ¡ it has) so they stay in the 160-character alphabet. When a text built from organizer-supplied values
(meeting title, place, organization, a member's name) is too long, it is fitted in this order:

1. as written, if it fits;
2. with accented letters and typographic punctuation folded to GSM-7 (``Reunión`` → ``Reunion``, ``…`` →
   ``...``), which may bring it back from UCS-2 to GSM-7;
3. with the values shortened (ending in ``...``), in the order each function gives (for invitations and
   reminders: organization, then place, then title), each to no less than 8 characters;
4. if it still does not fit (a title in a script GSM-7 lacks inside a long template), with one more segment.

Invitations and reminders have a budget of several segments (``max_segments``); reminders list plank titles
until the budget is spent and then say how many more there are.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Literal

from sms.backends import SmsInputError
from sms.reader import Intent
from sms.segments import GSM7_BASIC, GSM7_EXTENSION, fits

Language = Literal["en", "es"]

_MIN_FIELD = 8  # shorten values no further than this many characters before giving up on the budget

_EN_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ES_DAYS = ("lun", "mar", "mié", "jue", "vie", "sab", "dom")  # "sáb" would need UCS-2
_ES_MONTHS = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic")

_FOLD = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u00a0": " ",
        "\t": " ",
    }
)


def to_gsm(text: str) -> str:
    """Fold characters GSM-7 lacks to a close GSM-7 form where one exists (á → a, “ → "); keep the rest.

    >>> to_gsm("Reunión “General” – sáb")
    'Reunion "General" - sab'
    >>> to_gsm("Nguyễn 王")
    'Nguyen 王'
    >>> to_gsm("Asamblea 👍 ✊🏽")  # pictographs have no GSM-7 form: dropped
    'Asamblea'
    """
    out: list[str] = []
    dropped = any_dropped = False
    for ch in text.translate(_FOLD):
        if unicodedata.category(ch) in ("So", "Sk", "Cs", "Mn", "Me", "Cf") and ch not in GSM7_BASIC:
            dropped = any_dropped = True  # emoji, skin tones, joiners, variation selectors
            continue
        if dropped and out and out[-1] == " " and (ch == " " or ch in ",.;:!?)"):
            out.pop()  # "Asamblea 👍, jue" → "Asamblea, jue", not "Asamblea , jue"
        dropped = False
        if ch in GSM7_BASIC or ch in GSM7_EXTENSION:
            out.append(ch)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append(base if base and all(c in GSM7_BASIC for c in base) else ch)
    return "".join(out).strip() if any_dropped else "".join(out)


def _shorten(value: str, length: int) -> str:
    if len(value) <= length:
        return value
    return value[: max(length - 3, 1)].rstrip() + "..."


def _fit(
    render: Callable[[dict[str, str]], str],
    values: dict[str, str],
    max_segments: int = 1,
    *,
    allow_extra: bool = True,
) -> str:
    """Render, then fold to GSM-7, then shorten values in the order of ``values`` until it fits."""
    text = render(values)
    if fits(text, max_segments):
        return text
    folded = {k: to_gsm(v) for k, v in values.items()}

    def attempt(vals: dict[str, str]) -> str:
        return to_gsm(render(vals))

    text = attempt(folded)
    if fits(text, max_segments):
        return text
    for key in values:
        value = folded[key]
        # Binary search for the longest prefix that fits.
        low, high = _MIN_FIELD, len(value)
        if high <= low:
            continue
        if fits(attempt({**folded, key: _shorten(value, low)}), max_segments):
            while low < high:
                mid = (low + high + 1) // 2
                if fits(attempt({**folded, key: _shorten(value, mid)}), max_segments):
                    low = mid
                else:
                    high = mid - 1
            return attempt({**folded, key: _shorten(value, low)})
        folded[key] = _shorten(value, _MIN_FIELD)
    if allow_extra:
        # Even minimal values do not fit (a long template around a title in a script GSM-7 lacks, which
        # must go as UCS-2 at 70 per segment): one more segment beats a title cut to nothing.
        return _fit(render, values, max_segments + 1, allow_extra=False)
    return attempt(folded)


# --- dates --------------------------------------------------------------------------------------------------


def format_when(starts_at: datetime, lang: Language) -> str:
    """Day and time in the meeting's own time zone: ``Thu Dec 3, 7 pm`` / ``jue 3 dic, 7:00 p. m.`` (12-hour
    in both languages, as people here say it).

    >>> from datetime import timezone, timedelta
    >>> format_when(datetime(2026, 12, 3, 19, 0, tzinfo=timezone(timedelta(hours=-5))), "en")
    'Thu Dec 3, 7 pm'
    >>> format_when(datetime(2026, 12, 3, 19, 30, tzinfo=timezone.utc), "es")
    'jue 3 dic, 7:30 p. m.'
    """
    if starts_at.tzinfo is None or starts_at.utcoffset() is None:
        raise SmsInputError("A meeting start time must carry its time zone")
    day = starts_at.weekday()
    if lang == "es":
        hour = starts_at.hour % 12 or 12
        suffix = "a. m." if starts_at.hour < 12 else "p. m."
        return (
            f"{_ES_DAYS[day]} {starts_at.day} {_ES_MONTHS[starts_at.month - 1]}, {hour}:{starts_at.minute:02d} {suffix}"
        )
    hour = starts_at.hour % 12 or 12
    suffix = "am" if starts_at.hour < 12 else "pm"
    clock = f"{hour}" if starts_at.minute == 0 else f"{hour}:{starts_at.minute:02d}"
    return f"{_EN_DAYS[day]} {_EN_MONTHS[starts_at.month - 1]} {starts_at.day}, {clock} {suffix}"


def _guests_phrase(guests: int | None, lang: Language) -> str:
    if not guests:
        return ""
    if lang == "es":
        return f", con {guests} acompañante{'s' if guests != 1 else ''}"  # neutral: invitado/a would need a slash
    return f", with {guests} guest{'s' if guests != 1 else ''}"


# --- RSVP replies -------------------------------------------------------------------------------------------


def confirmation(
    lang: Language, meeting_title: str, starts_at: datetime, answer: Intent | str, guests: int | None = None
) -> str:
    """What we recorded, and how to change it.

    >>> from datetime import timezone, timedelta
    >>> confirmation("en", "General Assembly", datetime(2026, 12, 3, 19, tzinfo=timezone.utc), "yes", 2)
    "You're a YES for General Assembly, Thu Dec 3, 7 pm, with 2 guests. Reply NO to change."
    """
    try:
        answer = Intent(str(answer).lower())
    except ValueError:
        raise SmsInputError(f"A confirmation is for yes, no or maybe, not {answer!r}") from None
    if answer not in (Intent.YES, Intent.NO, Intent.MAYBE):
        raise SmsInputError(f"A confirmation is for yes, no or maybe, not {answer}")
    when = format_when(starts_at, lang)
    extra = _guests_phrase(guests, lang) if answer == Intent.YES else ""
    if lang == "es":
        word = {Intent.YES: "SI", Intent.NO: "NO", Intent.MAYBE: "QUIZAS"}[answer]
        change = {
            Intent.YES: "Responda NO para cambiar.",
            Intent.NO: "Responda SI para cambiar.",
            Intent.MAYBE: "Responda SI o NO cuando sepa.",
        }[answer]
        when_said = f"{when}{extra}" if extra or not when.endswith(".") else when[:-1]  # "7:00 p. m." ends a sentence
        return _fit(lambda v: f"Anotado: {word} a {v['title']}, {when_said}. {change}", {"title": meeting_title})
    change = {
        Intent.YES: "Reply NO to change.",
        Intent.NO: "Reply YES to change.",
        Intent.MAYBE: "Reply YES or NO when you know.",
    }[answer]
    word = answer.value.upper()
    return _fit(lambda v: f"You're a {word} for {v['title']}, {when}{extra}. {change}", {"title": meeting_title})


def ask_guest_count(lang: Language) -> str:
    """Asked when a YES came with a guest count out of range; nothing was changed."""
    if lang == "es":
        return (
            "¿Cuantas personas vienen con usted? Responda SI y un numero del 0 al 10, por ejemplo: SI 2. "
            "No cambiamos nada."
        )
    return "How many guests will you bring? Reply YES and a number from 0 to 10, e.g. YES 2. Nothing was changed."


def no_meeting_open(lang: Language, org: str) -> str:
    """An RSVP arrived but no meeting takes RSVPs now."""
    if lang == "es":
        return _fit(
            lambda v: f"Gracias. {v['org']} no tiene ninguna reunion abierta ahora. Le avisaremos por aqui.",
            {"org": org},
        )
    return _fit(
        lambda v: f"Thanks! {v['org']} has no meeting open for RSVPs right now. We'll text you when there is one.",
        {"org": org},
    )


def how_to_rsvp(lang: Language) -> str:
    """The answer to a text we could not read (an organizer will see it)."""
    if lang == "es":
        return (
            "Gracias, el equipo organizador leera su mensaje. Para confirmar responda SI, NO o QUIZAS "
            "(SI 2 si viene con 2 personas)."
        )
    return "Thanks, an organizer will read your message. To RSVP reply YES, NO or MAYBE (YES 2 to bring 2 guests)."


def stop_confirmation(lang: Language, org: str) -> str:
    """The one confirmation an opt-out gets."""
    if lang == "es":
        return _fit(
            lambda v: f"Ya no recibira mensajes de {v['org']}. Responda START para volver a suscribirse.",
            {"org": org},
        )
    return _fit(lambda v: f"You're unsubscribed from {v['org']} texts. Reply START to resubscribe.", {"org": org})


def start_confirmation(lang: Language, org: str) -> str:
    if lang == "es":
        return _fit(
            lambda v: (
                f"Listo, volvera a recibir mensajes de {v['org']}. Responda STOP para darse de baja, HELP para ayuda."
            ),
            {"org": org},
        )
    return _fit(
        lambda v: f"You're subscribed to {v['org']} texts again. Reply STOP to unsubscribe, HELP for help.",
        {"org": org},
    )


def help_text(lang: Language, org: str, contact: str | None = None) -> str:
    """Who we are, what these texts are, and how to stop them."""
    reach = {"contact": contact} if contact else {}
    if lang == "es":
        return _fit(
            lambda v: (
                f"{v['org']}: avisos de reuniones por SMS. "
                + (f"Contacto: {v['contact']}. " if "contact" in v else "")
                + "Pueden aplicarse tarifas de mensajes y datos. Responda STOP para darse de baja."
            ),
            {"org": org, **reach},
        )
    return _fit(
        lambda v: (
            f"{v['org']}: meeting invitations and RSVPs by text. "
            + (f"Contact: {v['contact']}. " if "contact" in v else "")
            + "Msg & data rates may apply. Reply STOP to unsubscribe."
        ),
        {"org": org, **reach},
    )


def ask_name(lang: Language, org: str) -> str:
    """For a number not on the roster."""
    if lang == "es":
        return _fit(
            lambda v: f"Hola, somos {v['org']}. No tenemos su numero: responda con su nombre completo, por favor.",
            {"org": org},
        )
    return _fit(
        lambda v: f"Hi, this is {v['org']}. We don't have your number yet: please reply with your full name.",
        {"org": org},
    )


def thanks_for_name(lang: Language, name: str) -> str:
    if lang == "es":
        return _fit(lambda v: f"Gracias, {v['name']}. El equipo organizador le agregara a la lista.", {"name": name})
    return _fit(lambda v: f"Thanks, {v['name']}! An organizer will add you to the list.", {"name": name})


# --- invitations and reminders ------------------------------------------------------------------------------


def invitation(
    lang: Language,
    org: str,
    meeting_title: str,
    starts_at: datetime,
    place: str,
    meeting_code: str | None = None,
    *,
    max_segments: int = 1,
) -> str:
    """An invitation that says how to answer (with the meeting code when several meetings are open)."""
    when = format_when(starts_at, lang)
    code = f" {meeting_code}" if meeting_code else ""
    if lang == "es":
        how = f"Responda SI{code}, NO{code} o QUIZAS{code}; SI{code} 2 = con 2 personas."
        return _fit(
            lambda v: f"{v['org']}: {v['title']}, {when}, en {v['place']}. {how}",
            {"org": org, "place": place, "title": meeting_title},
            max_segments,
        )
    how = f"Reply YES{code}, NO{code} or MAYBE{code}; YES{code} 2 = with 2 guests."
    return _fit(
        lambda v: f"{v['org']}: {v['title']}, {when}, at {v['place']}. {how}",
        {"org": org, "place": place, "title": meeting_title},
        max_segments,
    )


def reminder(
    lang: Language,
    org: str,
    meeting_title: str,
    starts_at: datetime,
    place: str,
    plank_titles: Sequence[str] = (),
    *,
    max_segments: int = 2,
    plank_chars: int = 40,
) -> str:
    """A reminder listing the planks to be voted on, as many as fit ``max_segments`` (then "+N more")."""
    when = format_when(starts_at, lang)
    if lang == "es":
        head, agenda_label, more_word, tail = (
            "Recordatorio",
            "Votaremos",
            "mas",
            "Responda NO si no puede venir.",
        )
    else:
        head, agenda_label, more_word, tail = (
            "Reminder",
            "On the ballot",
            "more",
            "Reply NO if you can't come.",
        )

    def build(items: list[str], hidden: int) -> Callable[[dict[str, str]], str]:
        agenda = ""
        if items or hidden:
            listed = "; ".join(f"{i + 1}) {t}" for i, t in enumerate(items))
            more = f"{'; ' if listed else ''}+{hidden} {more_word}" if hidden else ""
            agenda = f" {agenda_label}: {listed}{more}."
        return lambda v: f"{head} ({v['org']}): {v['title']}, {when}, {v['place']}.{agenda} {tail}"

    values = {"org": org, "place": place, "title": meeting_title}
    titles = [_shorten(" ".join(t.split()), plank_chars) for t in plank_titles]
    base = _fit(build([], len(titles)), values, max_segments)
    chosen: list[str] = []
    for title in titles:
        trial = build([*chosen, title], len(titles) - len(chosen) - 1)
        if not _fits_values(trial, values, max_segments):
            break
        chosen.append(title)
    if not chosen:
        return base
    return _fit(build(chosen, len(titles) - len(chosen)), values, max_segments)


def _fits_values(render: Callable[[dict[str, str]], str], values: dict[str, str], max_segments: int) -> bool:
    """Whether the text fits without shortening any value (folding to GSM-7 allowed)."""
    text = render(values)
    return fits(text, max_segments) or fits(to_gsm(render({k: to_gsm(v) for k, v in values.items()})), max_segments)
