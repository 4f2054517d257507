"""Reads one inbound text into what the sender meant: an RSVP answer, a keyword, or something for a person.

Pure: no I/O, no state. English and Spanish. The rules, in the order they apply:

1. Phone "reactions" sent as text (``Liked "Reply YES…"``, ``Le gustó «…»``) are unknown/reaction, even
   though they quote a keyword.
2. Carrier keywords as the first word: STOP and friends (and Spanish PARAR, BAJA…) → stop; START, UNSTOP →
   start; HELP, INFO, AYUDA → help. Plain requests anywhere ("please stop texting me", "no me escriban")
   → stop.
3. Texts with a link, and questions (ending in ?, holding ¿, or starting with a question word) are unknown.
4. An opinion about a plank ("No to corporate money!", "Sí a la propuesta") is unknown; a condition or doubt
   ("si puedo voy", "no estoy segura", "yes if I can") is maybe.
5. Otherwise the first word decides yes / no / maybe; a guest count is read only for yes, and companions
   named ("me and my wife", "voy con mi esposo") count as guests (see sms.reader_phrases).
6. Then plain words, clause by clause (sms.reader_phrases): "I'll be there", "can't make it", "lo siento, no
   puedo", "ahí estaré". Clauses that disagree, and everything else, are unknown/other.

Only the first ``MAX_CHARS`` characters are looked at, so the work is bounded for any input, and
``read_text`` never raises for any ``str``.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Literal

from sms.reader_guests import guests_after_yes, guests_anywhere, number
from sms.reader_language import language_scores
from sms.reader_phrases import (
    clause_answer,
    clause_answers,
    companions,
    is_conditional,
    is_opinion,
    starts_maybe,
    without_late,
)

log = logging.getLogger(__name__)

MAX_CHARS = 1600
MAX_GUESTS = 10

Language = Literal["en", "es"]


class Intent(StrEnum):
    YES = "yes"
    NO = "no"
    MAYBE = "maybe"
    STOP = "stop"
    START = "start"
    HELP = "help"
    UNKNOWN = "unknown"


class TextKind(StrEnum):
    """Why a text was not understood; organizers see this next to the text."""

    REACTION = "reaction"
    QUESTION = "question"
    LINK = "link"
    OTHER = "other"


@dataclass(frozen=True)
class Reading:
    """What one text says. ``kind`` is set only for unknown texts.

    ``guests`` is None when not given, or when out of range (then ``guests_out_of_range`` is True and the
    gateway should ask for a number from 0 to 10 and change nothing).
    """

    intent: Intent
    guests: int | None = None
    guests_out_of_range: bool = False
    meeting_code: str | None = None
    language: Language = "en"
    kind: TextKind | None = None
    # False when nothing in the text says which language it is in ("NO", "ok", "2"): ``language`` is then only
    # a default, and the gateway answers in the member's stored language or the conversation's.
    language_clear: bool = True


# --- normalization -----------------------------------------------------------------------------------------

_QUOTE_MAP = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u02bc": "'",
        "\u00b4": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2039": '"',
        "\u203a": '"',
    }
)


def _normalize(text: str) -> str:
    """Lower case, accents off, curly quotes straightened, whitespace collapsed."""
    text = text.translate(_QUOTE_MAP)
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


_TOKEN = re.compile(r"[a-z0-9]+|\+")


def _tokens(norm: str) -> list[str]:
    # Apostrophes join their word ("don't" → "dont") so contractions stay one token.
    return _TOKEN.findall(norm.replace("'", ""))


# --- reactions ---------------------------------------------------------------------------------------------

_QUOTE_CHARS = "\"'"
_REACTION = re.compile(
    r"^(?:"
    r"liked|loved|disliked|emphasized|emphasised|laughed at|questioned|"
    r"reacted\b.{0,24}?\bto|removed\b.{0,40}?\bfrom|"
    r"le gusto|me gusta|no le gusto|le encanto|me encanta|le encanta|enfatizo|destaco|"
    r"se rio de|le hizo gracia|le hizo reir|me hace reir|le parecio gracioso|pregunto por|cuestiono|"
    r"hizo enfasis en|le dio me gusta a|[^\w\s]{1,12} ?to|"
    r"reacciono\b.{0,24}?\b(?:a|en)|elimino\b.{0,40}?\bde|quito\b.{0,40}?\bde"
    r")\s*[" + _QUOTE_CHARS + r"]"
)
# "Liked an image", "Le gustó una imagen": reactions to attachments carry no quote.
_REACTION_ATTACHMENT = re.compile(
    r"^(?:liked|loved|disliked|emphasized|laughed at|questioned|le gusto|me gusta|le encanto)\s+"
    r"(?:an? (?:image|photo|picture|video|attachment|message|gif)|una? (?:imagen|foto|video|mensaje))\b"
)


def _is_reaction(norm: str, tokens: list[str]) -> bool:
    if _REACTION.match(norm) or _REACTION_ATTACHMENT.match(norm):
        return True
    # A text of only emoji or symbols (no letters or digits) is a reaction too: "👍", "❤️".
    return not tokens and any(unicodedata.category(ch).startswith("S") for ch in norm)


# --- keywords ----------------------------------------------------------------------------------------------

_STOP_FIRST = {
    "stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout", "unsub", "stopp",
    "parar", "baja", "alto", "cancelar", "detener", "terminar", "salir", "desuscribir", "desuscribirme",
    "anular", "fin", "desuscribirse", "desuscribanme", "bajame", "bajenme",
}  # fmt: skip
# Words that mean stop only when they are the whole text ("para" is also "for", "basta" is also prose).
_STOP_ALONE = {
    "para", "basta", "remove", "unsubscribeme", "optout", "eliminar", "borrar", "pare", "paren", "cancela",
    "cancelen",
}  # fmt: skip
# Said with these, a word of _STOP_ALONE still means stop: "cancela por favor", "paren ya".
_COURTESY = {"por", "favor", "porfa", "porfavor", "ya", "please", "pls", "gracias", "thanks"}
_STOP_ALONE_PHRASES = {("para", "ya"), ("ya", "basta"), ("basta", "ya")}
_START_FIRST = {
    "start", "unstop", "resubscribe", "subscribe", "iniciar", "reanudar", "alta", "comenzar", "suscribirme",
    "suscribir", "suscribirse", "activar", "reactivar",
}  # fmt: skip
_HELP_FIRST = {"help", "info", "information", "ayuda", "informacion", "socorro", "ayudenme", "ayudame", "ayudeme"}

_CANCEL_RSVP = re.compile(
    r"^(?:please |pls |por favor )?(?:cancel|cancela|cancelen|cancelar|cancelo|anula|anulen) "
    r"(?:my |mi |la |el |our |nuestra )?(?:rsvp|reservation|reservacion|asistencia|confirmacion|spot|lugar)\b"
)
_STOP_PHRASES = re.compile(
    r"\b(?:"
    r"stop (?:texting|messaging|sending|contacting|txting|texts?|messages|msging|the texts)|"
    r"^(?:please|pls|plz|just|ok|okay) (?:stop|unsubscribe|cancel|quit)\b|"
    r"(?:remove|take|delete|drop) (?:me|my number|this number)\b.{0,20}?\b(?:off|from|list)|"
    r"(?:remove|delete) me\b|unsubscribe|opt ?-? ?out|"
    r"(?:dont|do not|never|pls dont|please dont) (?:text|message|msg|txt|contact|sms|send)|"
    r"no more (?:texts?|messages|txts|msgs|sms)|"
    r"(?:dejen|deja|dejar|dejen ya|pare|paren|para|paren ya) de (?:escribir|mandar|enviar|textear)|"
    r"(?:cancel|cancela|cancelen|cancelar|anula|anular) (?:mi |my |la |the )?(?:suscripcion|subscription)|"
    r"no (?:escriban|escribas|escriba|manden|mandes|mande|envien|envies|envie) mas|"
    r"no me (?:escriban|escribas|escriba|manden|mandes|mande|envien|envies|envie|contacten|molesten)|"
    r"(?:dar|darme|den|de|deme|denme) de baja|"
    r"(?:quitenme|quitame|borrenme|borrame|sacame|saquenme|eliminenme|eliminame)|"
    r"no mas (?:mensajes|textos|sms)|"
    r"no quiero (?:recibir )?(?:mas )?(?:mensajes|textos|sms)|"
    r"(?:i )?(?:dont|do not) want (?:any more |these |your |any |more )?(?:texts?|messages|sms)"
    r")"
)

# --- answers -----------------------------------------------------------------------------------------------

_YES_FIRST = {
    "yes", "y", "yep", "yeah", "yea", "yah", "yup", "ye", "yass", "yas", "sure", "absolutely", "definitely",
    "affirmative", "attending", "si", "sip", "sii", "claro", "seguro", "confirmo", "confirmado", "asistire",
    "voy", "dale", "vale", "yesyes", "simon", "orale", "ire", "iremos", "asistiremos",
}  # fmt: skip
_YES_PHRASES = (("of", "course"), ("count", "me", "in"), ("por", "supuesto"), ("de", "acuerdo"))
_NO_FIRST = {"no", "n", "nope", "nah", "nay", "naw", "negative", "nop", "nel"}
# "No problem, see you there" is not a no.
_NO_NOT = {"problem", "prob", "probs", "worries", "worry", "doubt", "te", "hay", "way"}
_MAYBE_FIRST = {
    "maybe", "mayb", "mabye", "maybee", "perhaps", "possibly", "probably", "tentative", "tentatively",
    "unsure", "idk", "quizas", "quiza", "talvez", "posiblemente", "probablemente", "igual",
}  # fmt: skip
_MAYBE_PHRASES = (
    ("not", "sure"),
    ("tal", "vez"),
    ("a", "lo", "mejor"),
    ("no", "se"),
    ("no", "lo", "se"),
    ("puede", "ser"),
    ("puede", "que"),
    ("might",),
    ("may", "be"),
)

_PROBABLY_NOT = re.compile(r"^(?:probably|prolly|probablemente|seguramente) (?:not|no)\b(?! (?:se|lo se|problem))")
_SURELY_NOT = re.compile(r"^(?:claro|por supuesto|seguro|obvio|of course|definitely|absolutely) (?:que )?not?\b")
_WONT_MISS = re.compile(
    r"^(?:no (?:voy a |vamos a )?(?:faltar|fallar)|no (?:faltare|faltaremos|fallare|me lo pierdo|nos lo perdemos)|"
    r"no me lo (?:pienso|voy a) perder)\b"
)
_YES_GLUED = re.compile(r"^(y|yes|yep|yeah|si|sip)\+?([0-9]+)$")
_YES_STRETCHED = re.compile(r"^(?:y+e+s+|y+e+a+h*|s+i+|y+u+p+)$")
# --- questions, links, language ----------------------------------------------------------------------------

_LINK = re.compile(
    r"(?:https?://|www\.|\b[a-z0-9-]+\.(?:com|org|net|edu|gov|io|ly|gl|me|co|us|mx|es|info|app)\b(?:/|$|\s))"
)

_QUESTION_FIRST = {
    "what", "when", "where", "who", "whom", "whose", "why", "how", "which", "whats", "wheres", "whens",
    "hows", "is", "are", "can", "could", "do", "does", "did", "will", "would", "should", "shall",
    "que", "cuando", "donde", "quien", "quienes", "porque", "como", "cual", "cuales", "cuanto",
    "cuantos", "cuanta", "cuantas", "adonde",
}  # fmt: skip
_ANSWERS_LIKE_QUESTIONS = {
    "will be there", "will attend", "will come", "will make it", "can make it", "can come", "can attend",
    "will not be", "can not make", "will definitely be",
}  # fmt: skip
_QUESTION_PAIRS = {
    ("por", "que"),
    ("a", "que"),
    ("en", "donde"),
    ("de", "que"),
    ("a", "donde"),
    ("para", "que"),
}


def _language(text: str, tokens: list[str]) -> Language:
    es, en = language_scores(text, tokens)
    return "es" if es > en else "en"


def language_is_clear(text: str) -> bool:
    """Whether a text says which language it is in; "NO", "ok" or "GA12 2" could be either."""
    es, en = language_scores(text[:MAX_CHARS], _tokens(_normalize(text[:MAX_CHARS])))
    return es != en


def _is_question(norm: str, tokens: list[str]) -> bool:
    trimmed = norm.rstrip(" .!)\"'")
    if trimmed.endswith("?") or "¿" in norm:
        return True
    if " ".join(tokens[:3]) in _ANSWERS_LIKE_QUESTIONS or " ".join(tokens[:2]) in _ANSWERS_LIKE_QUESTIONS:
        return False  # "Will be there", "Can make it": an answer without its subject
    return bool(tokens) and (tokens[0] in _QUESTION_FIRST or tuple(tokens[:2]) in _QUESTION_PAIRS)


def _starts_with(tokens: list[str], phrase: tuple[str, ...]) -> bool:
    return tuple(tokens[: len(phrase)]) == phrase


def _find_code(tokens: list[str], codes: dict[str, str]) -> tuple[str | None, list[str]]:
    """The meeting code in the text (also split as "GA 12" / "GA-12"), and the tokens without it."""
    if not codes:
        return None, tokens
    for i, token in enumerate(tokens):
        if token in codes:
            return codes[token], tokens[:i] + tokens[i + 1 :]
        if i + 1 < len(tokens) and token + tokens[i + 1] in codes:
            return codes[token + tokens[i + 1]], tokens[:i] + tokens[i + 2 :]
    return None, tokens


def _code_key(code: str) -> str:
    return "".join(ch for ch in _normalize(code) if ch.isascii() and ch.isalnum())


def read_text(text: str, meeting_codes: Iterable[str] = ()) -> Reading:
    """Read one inbound text. ``meeting_codes`` are the codes of open meetings; only those are recognized.

    >>> read_text("Yes, see you there!").intent
    <Intent.YES: 'yes'>
    >>> r = read_text("ga12 si 2", ["GA12"]); (r.intent, r.guests, r.meeting_code, r.language)
    (<Intent.YES: 'yes'>, 2, 'GA12', 'es')
    >>> read_text('Liked "Reply YES to RSVP"').kind
    <TextKind.REACTION: 'reaction'>
    """
    try:
        reading = _read(text, meeting_codes)
        return reading if language_is_clear(str(text)) else replace(reading, language_clear=False)
    except Exception:  # pragma: no cover - a last guard: a member's text must never crash the gateway
        log.exception("the reader failed on a text of %d characters; read as unknown", len(str(text)))
        return Reading(Intent.UNKNOWN, kind=TextKind.OTHER, language_clear=False)


@dataclass(frozen=True)
class _Words:
    """One text as the reading stages see it: the raw text, its normalized form and tokens (without the
    meeting code), the meeting code found and the language guessed."""

    text: str
    norm: str
    tokens: list[str]
    code: str | None
    lang: Language

    @property
    def first(self) -> str:
        return self.tokens[0] if self.tokens else ""

    @property
    def joined(self) -> str:
        return " ".join(self.tokens)

    def unknown(self, kind: TextKind) -> Reading:
        return Reading(Intent.UNKNOWN, meeting_code=self.code, language=self.lang, kind=kind)

    def said(self, intent: Intent) -> Reading:
        return Reading(intent, meeting_code=self.code, language=self.lang)


def _code_table(meeting_codes: Iterable[str]) -> dict[str, str]:
    codes: dict[str, str] = {}
    for code in meeting_codes:
        key = _code_key(str(code))
        if key:
            # Report the code as the organizers wrote it (upper-cased), however the member spaced it.
            codes[key] = " ".join(str(code).split()).upper()
    return codes


def _read(text: str, meeting_codes: Iterable[str]) -> Reading:
    if not isinstance(text, str):
        text = str(text)
    norm = _normalize(text[:MAX_CHARS])
    all_tokens = _tokens(norm)
    codes = _code_table(meeting_codes)
    code, tokens = _find_code(all_tokens, codes)
    w = _Words(text, norm, tokens, code, _language(text[:MAX_CHARS], all_tokens))
    if not norm:
        return w.unknown(TextKind.OTHER)
    if _is_reaction(norm, all_tokens):
        return w.unknown(TextKind.REACTION)
    if (keyword := _keyword(w)) is not None:
        return keyword
    if _LINK.search(norm):
        return w.unknown(TextKind.LINK)
    if (after_late := without_late(norm)) != norm:  # "might be late but I'll be there": read what follows
        code_after, tokens = _find_code(_tokens(after_late), codes)
        w = replace(w, norm=after_late, tokens=tokens, code=code or code_after)
    if _is_question(w.norm, w.tokens):
        return w.unknown(TextKind.QUESTION)
    if not w.tokens:
        return w.unknown(TextKind.OTHER)
    hedged = _hedged(w)
    return hedged if hedged is not None else _answer(w)


def _keyword(w: _Words) -> Reading | None:
    """STOP, START, HELP and "cancel my RSVP", which win over anything else the text says."""
    tokens, first = w.tokens, w.first
    if _CANCEL_RSVP.match(w.joined):
        return w.said(Intent.NO)  # "cancel my RSVP" is a no, not an opt-out
    if (
        first in _STOP_FIRST
        or (first in _STOP_ALONE and all(t in _COURTESY for t in tokens[1:]))
        or tuple(tokens) in _STOP_ALONE_PHRASES
        or _starts_with(tokens, ("opt", "out"))
    ):
        return w.said(Intent.STOP)
    if first in _START_FIRST:
        return w.said(Intent.START)
    if first in _HELP_FIRST:
        return w.said(Intent.HELP)
    if _STOP_PHRASES.search(w.joined):
        return w.said(Intent.STOP)
    return None


def _hedged(w: _Words) -> Reading | None:
    """Opinions, set phrases that start like an answer but mean another ("no se", "claro que no", "no voy a
    faltar"), and conditions, which make any answer a maybe."""
    tokens = w.tokens
    # An opinion about a plank ("No to corporate money!", "Sí a la propuesta") answers no invitation.
    if is_opinion(tokens) and not _has_comma_after_first(w.norm):
        return w.unknown(TextKind.OTHER)
    # Maybe phrases first: "no se" (I don't know) and "no estoy segura" must not read as "no", and a
    # condition ("si puedo voy", "yes if I can") makes any answer a maybe.
    if _PROBABLY_NOT.match(w.joined):
        return w.said(Intent.NO)  # a volunteer writes "probably not" as no
    if _SURELY_NOT.match(w.joined):
        return w.said(Intent.NO)  # "claro que no": of course not
    if _WONT_MISS.match(w.joined):
        return _yes(None, w.code, w.lang, tokens)  # "no voy a faltar": I won't miss it
    if _starts_with(tokens, ("no", "se")) and len(tokens) > 2 and tokens[2].startswith("preocup"):
        return w.unknown(TextKind.OTHER)  # "no se preocupen": don't worry
    if (
        w.first in _MAYBE_FIRST
        or any(_starts_with(tokens, p) for p in _MAYBE_PHRASES)
        or starts_maybe(w.norm)
        or is_conditional(w.text[:MAX_CHARS])
    ):
        return w.said(Intent.MAYBE)
    return None


def _answer(w: _Words) -> Reading:
    """A yes or no, by keyword ("yes 2", "si", "no") or in plain words; UNKNOWN when a later clause
    contradicts the keyword ("No, I'll be there")."""
    tokens, first, code, lang = w.tokens, w.first, w.code, w.lang
    said = clause_answers(w.norm)
    glued = _YES_GLUED.match(first)
    says_yes = bool(glued or first in _YES_FIRST or _YES_STRETCHED.match(first))
    says_no = first in _NO_FIRST and not (len(tokens) > 1 and tokens[1] in _NO_NOT)
    if (says_yes and "no" in said) or (says_no and "yes" in said):
        return w.unknown(TextKind.OTHER)
    if glued:
        return _yes(number(glued.group(2)), code, lang)
    if says_yes:
        return _yes(guests_after_yes(tokens, 1), code, lang, tokens)
    for phrase in _YES_PHRASES:
        if _starts_with(tokens, phrase):
            return _yes(guests_after_yes(tokens, len(phrase)), code, lang, tokens)
    if says_no:
        return w.said(Intent.NO)
    # Plain words: "I'll be there", "can't make it", "lo siento, no puedo", "ahí estaré".
    answer = clause_answer(w.norm)
    if answer == "yes":
        return _yes(guests_anywhere(tokens), code, lang, tokens)
    if answer is not None:
        return w.said(Intent(answer))
    return w.unknown(TextKind.OTHER)


def _has_comma_after_first(norm: str) -> bool:
    """ "No, to be honest…" is an answer with a comma; "No to corporate money" is an opinion without one."""
    return bool(re.match(r"^\S+?[,.;:!\-]", norm))


def _yes(guests: int | None, code: str | None, lang: Language, tokens: list[str] | None = None) -> Reading:
    """A yes; companions named ("me and my wife", "con mi esposo") count as guests when no number says so.

    When the companions cannot be counted, or they and the number disagree, the gateway asks (out of range).
    """
    named = companions(tokens) if tokens is not None else None
    if named == "ask" or (named is not None and guests is not None and named != guests):
        return Reading(Intent.YES, None, True, code, lang)
    if guests is None and named is not None:
        guests = named
    if guests is not None and not 0 <= guests <= MAX_GUESTS:
        return Reading(Intent.YES, None, True, code, lang)
    return Reading(Intent.YES, guests, False, code, lang)
