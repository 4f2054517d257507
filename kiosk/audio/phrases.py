"""Everything the audio ballot says, in English and Spanish (issue 18): the fixed sentences, and the ones made
from a meeting's planks. Pure data, no Flask, no synthesizer.

Secrecy: the clips that confirm a choice are generic ("Yes selected."), the same for every voter and plank; the
page preloads every clip of its language and rate before the ballot, so playing one fetches nothing.

Spanish uses *usted*, "boleta" for ballot and "propuesta" for plank (the project's rule).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from kiosk.i18n import CATALOGUE, candidate_name
from kiosk.tokens import ALPHABET

LANGS = ("en", "es")

# Button words as printed on the panel, in sentences.
FIXED: dict[str, dict[str, str]] = {
    "welcome_hint": {
        "en": "For an audio ballot through headphones, press the Back button three times.",
        "es": "Para una boleta de audio con audífonos, pulse el botón Atrás tres veces.",
    },
    "audio_start": {
        "en": "Audio ballot. For English, press Yes.",
        "es": "Boleta de audio. Para español, pulse No.",
    },
    "audio_unavailable": {
        "en": "The audio ballot is not ready. Please ask an organizer.",
        "es": "La boleta de audio no está lista. Pregunte a un organizador, por favor.",
    },
    "token_wait": {
        "en": "Audio ballot in English. Please ask an organizer to type your ballot code on the screen. "
        "Then the ballot will speak to you.",
        "es": "Boleta de audio en español. Pida a un organizador que escriba su código de votación en la pantalla. "
        "Después, la boleta le hablará.",
    },
    "ballot_keys": {
        "en": "Press Yes, No or Abstain to choose. Confirm goes to the next question, Back to the previous one. "
        "To hear this screen again, press Back and Confirm together. "
        "For speed, volume and the screen, press Yes and No together.",
        "es": "Pulse Sí, No o Abstención para elegir. Confirmar pasa a la siguiente propuesta, Atrás a la anterior. "
        "Para escuchar esta pantalla otra vez, pulse Atrás y Confirmar a la vez. "
        "Para la velocidad, el volumen y la pantalla, pulse Sí y No a la vez.",
    },
    "selected_yes": {"en": "Yes selected.", "es": "Sí, seleccionado."},
    "selected_no": {"en": "No selected.", "es": "No, seleccionado."},
    "selected_abstain": {"en": "Abstain selected.", "es": "Abstención, seleccionada."},
    "choice_yes": {"en": "Your choice: Yes.", "es": "Su respuesta: Sí."},
    "choice_no": {"en": "Your choice: No.", "es": "Su respuesta: No."},
    "choice_abstain": {"en": "Your choice: Abstain.", "es": "Su respuesta: Abstención."},
    "choice_none": {"en": "No choice yet.", "es": "Todavía no hay respuesta."},
    "choose_first": {
        "en": "Choose Yes, No or Abstain first.",
        "es": "Primero elija Sí, No o Abstención.",
    },
    "first_plank": {"en": "This is the first question.", "es": "Esta es la primera propuesta."},
    "review_title": {
        "en": "Review your ballot. These are your choices.",
        "es": "Revise su boleta. Estas son sus respuestas.",
    },
    "answer_yes": {"en": "Yes.", "es": "Sí."},
    "answer_no": {"en": "No.", "es": "No."},
    "answer_abstain": {"en": "Abstain.", "es": "Abstención."},
    "answer_none": {"en": "No choice, counts as abstain.", "es": "Sin respuesta, cuenta como abstención."},
    "review_keys": {
        "en": "To cast your ballot, press Confirm. To change a choice, press Back.",
        "es": "Para enviar su boleta, pulse Confirmar. Para cambiar una respuesta, pulse Atrás.",
    },
    "review_no_change": {
        "en": "On the review, Yes, No and Abstain change nothing. Press Confirm to cast, or Back to change.",
        "es": "En la revisión, Sí, No y Abstención no cambian nada. Pulse Confirmar para enviar, o Atrás para cambiar.",
    },
    "casting": {"en": "Casting your ballot.", "es": "Enviando su boleta."},
    # Ranking a contest (issue 16): the names are read one at a time as No moves the mark.
    "ranking_keys": {
        "en": "To rank, press No until you hear the name you want first, then press Yes. Then choose your next one "
        "the same way. Abstain takes the last choice off. Rank as few or as many as you like, then press Confirm.",
        "es": "Para ordenar, pulse No hasta oír el nombre que prefiere primero y luego pulse Sí. Después elija el "
        "siguiente igual. Abstención quita el último. Elija los nombres que quiera y luego pulse Confirmar.",
    },
    "rank_marked": {"en": "Now on:", "es": "Ahora en:"},
    "your_ranking": {"en": "Your ranking:", "es": "Su orden de preferencia:"},
    "taken_off": {"en": "Taken off:", "es": "Se quitó:"},
    "answer_blank": {"en": "Blank, no one ranked.", "es": "En blanco, ningún nombre."},
    "cast_done": {
        "en": "Your ballot is cast. Thank you. Your verification code is:",
        "es": "Su boleta se envió. Gracias. Su código de verificación es:",
    },
    "cast_keys": {
        "en": "To hear the code again, press Back and Confirm together. To finish, press Confirm.",
        "es": "Para escuchar el código otra vez, pulse Atrás y Confirmar a la vez. Para terminar, pulse Confirmar.",
    },
    "settings_open": {
        "en": "Settings. Yes: faster. No: slower. Abstain: louder, and after the loudest, the softest. "
        "Back: screen on or off. Confirm: back to your ballot.",
        "es": "Ajustes. Sí: más rápido. No: más lento. Abstención: más volumen, y después del máximo, el mínimo. "
        "Atrás: pantalla encendida o apagada. Confirmar: volver a su boleta.",
    },
    "settings_closed": {"en": "Back to your ballot.", "es": "De vuelta a su boleta."},
    "fastest": {"en": "This is the fastest speed.", "es": "Esta es la velocidad máxima."},
    "slowest": {"en": "This is the slowest speed.", "es": "Esta es la velocidad mínima."},
    "screen_off": {
        "en": "The screen is off. Only you can hear your ballot.",
        "es": "La pantalla está apagada. Solo usted escucha su boleta.",
    },
    "screen_on": {
        "en": "The screen is on. People nearby can see your choices.",
        "es": "La pantalla está encendida. Las personas cercanas pueden ver sus respuestas.",
    },
    "idle_warning": {
        "en": "Are you still there? Press any button to continue.",
        "es": "¿Sigue ahí? Pulse cualquier botón para continuar.",
    },
    # How each threshold passes, and what a ranking screen says: the screen's own words (one place, kiosk.i18n).
    **{key: CATALOGUE[key] for key in CATALOGUE if key.startswith("threshold_")},
    **{key: CATALOGUE[key] for key in ("rank_none_yet", "all_ranked", "rank_nothing", "rank_blank_warn")},
}

# Letter and digit names, so a verification code is spelled one character at a time (not read as a word).
CHAR_NAMES: dict[str, dict[str, str]] = {
    "en": {
        "A": "ay", "C": "see", "D": "dee", "E": "ee", "F": "ef", "G": "gee", "H": "aitch", "J": "jay", "K": "kay",
        "M": "em", "N": "en", "P": "pee", "R": "ar", "T": "tee", "U": "you", "V": "vee", "W": "double you",
        "X": "ex", "Y": "why", "3": "three", "4": "four", "6": "six", "7": "seven", "9": "nine",
    },
    "es": {
        "A": "a", "C": "ce", "D": "de", "E": "e", "F": "efe", "G": "ge", "H": "hache", "J": "jota", "K": "ka",
        "M": "eme", "N": "ene", "P": "pe", "R": "erre", "T": "te", "U": "u", "V": "uve", "W": "doble uve",
        "X": "equis", "Y": "ye", "3": "tres", "4": "cuatro", "6": "seis", "7": "siete", "9": "nueve",
    },
}  # fmt: skip

COUNTED: dict[str, dict[str, str]] = {
    "ballot_intro": {"en": "Your ballot has {n} questions.", "es": "Su boleta tiene {n} propuestas."},
    "question_of": {"en": "Question {i} of {n}.", "es": "Propuesta {i} de {n}."},
    "question": {"en": "Question {i}.", "es": "Propuesta {i}."},
    "contest_of": {"en": "Ranked vote {i} of {n}.", "es": "Voto por preferencia {i} de {n}."},
    "choice_n": {"en": "Choice {i}.", "es": "Preferencia {i}."},
    "rate": {"en": "Speed {i} of 5.", "es": "Velocidad {i} de 5."},
    "volume": {"en": "Volume {i} of 5.", "es": "Volumen {i} de 5."},
}

RATE_STEPS = 5


@dataclass(frozen=True)
class Phrase:
    lang: str
    key: str
    text: str


def _plank_text(plank: Any, name: str, lang: str) -> str:
    """A plank's ``title``/``text`` in ``lang``: ``title_es`` when the planks have translations, else the original."""
    if lang != "en":
        translated = getattr(plank, f"{name}_{lang}", None)
        if translated:
            return str(translated)
    return str(getattr(plank, name))


def meeting_phrases(
    planks: Iterable[Any], langs: Iterable[str] = LANGS, contests: Iterable[Any] = ()
) -> Iterator[Phrase]:
    """Every sentence the audio ballot may say for a meeting with these planks (objects with ``id``, ``title``,
    ``text``, and optionally ``title_es``/``text_es``) and contests (``kiosk.tally.Contest``)."""
    plank_list = list(planks)
    contest_list = list(contests)
    n = len(plank_list)
    for lang in langs:
        for key, texts in FIXED.items():
            yield Phrase(lang, key, texts[lang])
        for ch, name in CHAR_NAMES[lang].items():
            assert ch in ALPHABET
            yield Phrase(lang, f"char_{ch}", name)
        yield Phrase(lang, "ballot_intro", COUNTED["ballot_intro"][lang].format(n=n))
        for i in range(1, n + 1):
            yield Phrase(lang, f"question_{i}_of_{n}", COUNTED["question_of"][lang].format(i=i, n=n))
            yield Phrase(lang, f"question_{i}", COUNTED["question"][lang].format(i=i))
        for i in range(1, RATE_STEPS + 1):
            yield Phrase(lang, f"rate_{i}", COUNTED["rate"][lang].format(i=i))
            yield Phrase(lang, f"volume_{i}", COUNTED["volume"][lang].format(i=i))
        for plank in plank_list:
            yield Phrase(lang, f"plank_{plank.id}_title", _plank_text(plank, "title", lang))
            yield Phrase(lang, f"plank_{plank.id}_text", _plank_text(plank, "text", lang))
        yield from _contest_phrases(contest_list, lang)


def _contest_phrases(contests: list[Any], lang: str) -> Iterator[Phrase]:
    """A contest's number, title and candidates' names (each its own clip: the page says the name a press
    reached), and "Choice k." up to the longest contest. Every voter's page preloads all of them."""
    m = len(contests)
    for i in range(1, m + 1):
        yield Phrase(lang, f"contest_{i}_of_{m}", COUNTED["contest_of"][lang].format(i=i, n=m))
    for k in range(1, max((len(c.candidates) for c in contests), default=0) + 1):
        yield Phrase(lang, f"choice_n_{k}", COUNTED["choice_n"][lang].format(i=k))
    for contest in contests:
        yield Phrase(lang, f"contest_{contest.id}_title", contest.title_in(lang).text)
        for candidate in contest.candidates:
            yield Phrase(lang, f"cand_{candidate.id}", candidate_name(candidate, lang))
