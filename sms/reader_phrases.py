"""Answers said in plain words rather than with a keyword, and companions counted as guests (for sms.reader).

Pure functions over normalized text (lower case, no accents, straight quotes; see ``sms.reader._normalize``).
The reader asks these only when the first word did not decide, except for the checks that must come first
(opinions about a plank, "no estoy seguro", "si puedo voy"), which it asks before its keyword rules.

A text is cut into clauses at punctuation; a clause counts only when it *starts* with an answer phrase (after
greetings and apologies such as "ok", "sorry", "lo siento"). So "I'm out of town, can't come" is a no, while
"My husband can't come" says nothing about the sender and stays unknown. Clauses that disagree ("I'll be there,
can't stay long" aside) make the text unknown: when unsure, unknown is right.
"""

from __future__ import annotations

import re
from typing import Literal

Answer = Literal["yes", "no", "maybe"]

# Words that open a clause without changing its meaning.
_LEAD = (
    r"^(?:(?:ok|okay|k|oh|hi|hey|hello|hola|buenas|so|sorry|so sorry|unfortunately|sadly|ugh|alas|lo siento|"
    r"lo siento mucho|disculpa|disculpe|disculpen|perdon|perdona|perdone|perdonen|pues|bueno|gracias|thanks|"
    r"thank you|haha|jaja|great|genial|perfecto|perfect|awesome|cool|dear|querida|querido|yo|ya)\s+)*"
)

_YES_CLAUSE = re.compile(
    _LEAD + r"(?:"
    r"(?:ill|i will|i shall|well|we will|i am going to|im going to|im gonna|were gonna|we are going to|"
    r"were going to|will) (?:definitely |totally |surely |certainly |absolutely |def )?"
    r"(?:be there|be attending|be at the meeting|attend|come|make it|be coming)\b|"
    r"(?:coming|attending)\b(?! (?:down|back|home|from|off|up|out)\b)|going(?:$| to be there| to make it)|"
    r"(?:im|i am|were|we are) (?:definitely )?(?:coming|attending)\b(?! (?:down|back|home|from|off|up|out)\b)|"
    r"(?:im|i am|were|we are) (?:definitely )?going(?:$| to be there| to make it| too| tonight)|"
    r"(?:im|i am|were|we are) in$|"
    r"(?:(?:my|our) [a-z]+(?: [a-z]+)? and i|me and (?:my|our) [a-z]+(?: [a-z]+)?) "
    r"(?:will be there|ll be there|will come|are coming|will attend)\b|"
    r"(?:mi|mis) [a-z]+ y yo (?:vamos|iremos|estaremos|asistiremos)\b|"
    r"(?:will|i will|i ll) be there\b|be there\b$|"
    r"see you (?:there|then|tonight|tomorrow|at the meeting|at|on|saturday|sunday)\b|"
    r"count (?:me|us) in\b|definitely coming|i can (?:come|make it|attend)\b|"
    r"(?:ok|okay) (?:voy|vamos)\b|"
    r"(?:alli|ahi|alla|aca|aqui) (?:estare|estaremos|nos vemos)\b|"
    r"(?:estare|estaremos) (?:alli|ahi|alla|presente|presentes)\b|"
    r"nos vemos\b(?! (?:otro|otra|la proxima|el proximo|en otra|en la proxima|en el proximo|la otra|el otro|"
    r"despues|luego|pronto))|"
    r"cuenten conmigo|cuenta conmigo|cuente conmigo|cuenten con nosotros|"
    r"(?:ire|iremos|asistire|asistiremos|vamos|voy)\b(?! a ver)"
    r")"
)

_NO_CLAUSE = re.compile(
    _LEAD + r"(?:"
    r"(?:i |we )?(?:cant|cannot|can not|couldnt|could not|wont be able to|will not be able to|"
    r"wont|will not|am not able to|not able to|unable to|(?:im|i am|were|we are) not able to|"
    r"dont think i can|dont think ill|do not think i can) "
    r"(?:make it|come|attend|go|be there|join|do it|do this one|make this one)\b|"
    r"(?:im|i am|were|we are|ill|i will|we will|well) not (?:coming|going|attending|be there|be able to|"
    r"be attending|be coming|make it|come|attend)\b|"
    r"(?:(?:im|i am|were|we are) )?not (?:gonna|going to) (?:make it|be there|come|attend|be able to)\b|"
    r"(?:i |we )?(?:cant|cannot|can not)(?:$| this time| today| tonight| this one)|"
    r"probably not\b|prolly not\b|probablemente no\b|"
    r"not (?:this time|coming|going|attending|able to|tonight|today)\b|"
    r"(?:im |i am |were |we are |i |we )?(?:ill|i will|ill have to|have to|need to|gonna|going to|will have to) "
    r"(?:(?:miss|skip) (?:it|this|the meeting|the assembly|this one|tonight|this time)\b|"
    r"pass(?:$| this time| on this(?: one)?| tonight))|"
    r"count (?:me|us) out\b|"
    r"(?:creo que|pienso que|me temo que) no\b|esta vez no\b|hoy no\b|"
    r"no (?:puedo|podre|podremos|podemos|voy|vamos|ire|iremos|asistire|asistiremos|alcanzo|llego|"
    r"me es posible|nos es posible)\b|"
    r"(?:me|nos) es imposible|(?:tengo|tenemos) que faltar"
    r")"
)

_MAYBE_CLAUSE = re.compile(
    _LEAD + r"(?:"
    r"(?:im |i am |were |we are )?not (?:sure|certain)\b|no (?:estoy|estamos) segur[oa]s?\b|"
    r"(?:todavia|aun) no (?:lo )?(?:se|sabemos|estoy segur)|no (?:lo )?(?:se|sabemos) (?:todavia|aun|si)\b|"
    r"creo que si\b|depende\b|depends\b|(?:ill|i will|we will|well|i ll) (?:try|see|do my best)\b|"
    r"(?:hope|hoping|hopefully) (?:to|ill|i can|we can)\b|hopefully\b|"
    r"(?:vamos a ver|voy a ver|a ver si|ya veremos|veremos|lo voy a pensar|lo pienso|dejame ver|dejeme ver)\b|"
    r"(?:voy a |vamos a )?(?:tratar|intentar|tratare|intentare|trataremos|intentaremos)\b|"
    r"(?:let me (?:check|see)|ill let you know|i will let you know|(?:les|te|le) aviso)\b|"
    r"i might|we might|might\b|(?:i|we) may (?:come|go|attend|make it|be there)\b|"
    r"(?:ill|i will|well|we will) (?:probably|maybe|possibly) (?:be there|come|attend|make it)\b|"
    r"if (?:i can|we can|possible)\b"
    r")"
)

# "No to corporate money!", "Yes on the housing plank", "Sí a la propuesta": an opinion, not an RSVP.
_OPINION_ANSWER = {"yes", "yeah", "no", "nope", "si", "sip"}
_OPINION_LINK = {"to", "on", "for", "against", "a", "al", "contra", "more", "mas"}
_OPINION_ARTICLE = {"la", "las", "los", "el"}
# What may follow "yes for" / "sí a" in an answer to the invitation: "yes for sure", "yes for me and my wife".
_NOT_OPINION = {"sure", "me", "us", "both", "all", "real", "now", "reals", "todos", "todas", "mi", "nosotros"}


# A condition anywhere makes the text a maybe: "I'll be there if I can", "si puedo voy", "voy si puedo".
# Searched in the lower-cased text with its accents, because "sí puedo" (yes, I can) keeps its accent.
_CONDITIONAL = re.compile(
    r"\b(?:if (?:i|we) (?:can|could|get|am able|m able|finish|get off)|if possible|if im able|depends|depende|"
    r"\w+ si (?:puedo|podemos)|si (?:puedo|podemos) \w+|si (?:me da tiempo|salgo|termino|no llueve|no trabajo|no puedo|"
    r"no tengo|consigo|llego))\b"
)


# "Might be late but I'll be there": being late says nothing about coming; what follows answers.
_LATE = re.compile(
    r"^(?:i |we )?(?:might|may|could|will|ll|ill|im going to|gonna)? ?(?:be|arrive|get there|come) "
    r"(?:a (?:bit|little) |kind of |a few minutes )?late(?: but| though)?[\s,.;:!]*(?:but )?"
)


def without_late(norm: str) -> str:
    """The text without a leading "might be late (but)" when something follows it, else the text."""
    m = _LATE.match(norm.replace("'", ""))
    rest = norm.replace("'", "")[m.end() :] if m else ""
    return rest if m and rest.strip() else norm


def clause_answer(norm: str) -> Answer | None:
    """The answer the text's clauses agree on, or None when none says one or they disagree."""
    found = clause_answers(norm)
    return found.pop() if len(found) == 1 else None


def clause_answers(norm: str) -> set[Answer]:
    """Every answer a clause of the text starts with ("No, I'll be there": {"yes"}; the bare "No" says none)."""
    found: set[Answer] = set()
    for clause in re.split(r"[,.;:!\-\u2013\u2014\u2026/()\n]+", norm):
        clause = " ".join(re.findall(r"[a-z0-9]+", clause.replace("'", "")))
        if not clause:
            continue
        if _MAYBE_CLAUSE.match(clause):
            found.add("maybe")
        elif _NO_CLAUSE.match(clause):
            found.add("no")
        elif _YES_CLAUSE.match(clause):
            found.add("yes")
    return found


def is_opinion(tokens: list[str]) -> bool:
    """True for "No to …" / "Yes on …" / "Sí a la …": a view about a plank, not an answer to the invitation.

    ``tokens`` are the text's words without its meeting code, so "yes for GA12 +1" stays an answer. Times
    ("sí a las 7") and numbers are answers too.
    """
    if len(tokens) < 3 or tokens[0] not in _OPINION_ANSWER or tokens[1] not in _OPINION_LINK:
        return False
    rest = tokens[2:]
    if rest[0] in _OPINION_ARTICLE and len(rest) > 1:
        rest = rest[1:]
    word = rest[0]
    return word.isalpha() and len(word) >= 3 and word not in _NOT_OPINION


def is_conditional(text: str) -> bool:
    """True when the text makes its answer depend on something ("si puedo voy"); "sí puedo" is not one."""
    words = " ".join(re.findall(r"[a-záéíóúüñ0-9]+", text.casefold().replace("'", "").replace("\u2019", "")))
    return bool(_CONDITIONAL.search(words))


def starts_maybe(norm: str) -> bool:
    """True when the text opens with a maybe phrase that would otherwise read as a no ("No estoy segura")."""
    first = re.split(r"[,.;:!\-\u2013\u2014\u2026/()\n]+", norm, maxsplit=1)[0]
    return bool(_MAYBE_CLAUSE.match(" ".join(re.findall(r"[a-z0-9]+", first.replace("'", "")))))


# --- companions ---------------------------------------------------------------------------------------------

_ONE = {
    "wife", "husband", "partner", "spouse", "son", "daughter", "kid", "child", "baby", "mom", "mum", "mother",
    "mama", "dad", "father", "papa", "sister", "brother", "friend", "girlfriend", "boyfriend", "fiance",
    "fiancee", "grandma", "grandpa", "grandmother", "grandfather", "aunt", "uncle", "cousin", "neighbor",
    "neighbour", "roommate", "niece", "nephew", "boss", "coworker", "colleague", "comrade", "esposa", "esposo",
    "marido", "mujer", "pareja", "hijo", "hija", "nene", "nena", "nino", "nina", "bebe", "mami", "madre",
    "papi", "padre", "hermana", "hermano", "amigo", "amiga", "novio", "novia", "abuela", "abuelo", "tia", "tio",
    "primo", "prima", "vecino", "vecina", "suegra", "suegro", "comadre", "compadre", "nieto", "nieta",
    "sobrino", "sobrina", "companero", "companera",
}  # fmt: skip
_TWO = {"parents", "grandparents", "padres", "papas", "abuelos", "suegros"}
_MANY = {
    "kids", "children", "sons", "daughters", "friends", "sisters", "brothers", "cousins", "family", "familia",
    "hijos", "hijas", "ninos", "ninas", "nietos", "hermanos", "hermanas", "amigos", "amigas", "primos",
    "primas", "sobrinos", "vecinos", "coworkers", "neighbors", "roommates",
}  # fmt: skip
_NUMBER = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "un": 1, "una": 1, "uno": 1, "dos": 2,
    "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6,
}  # fmt: skip
_MARKER = {"with", "w", "and", "plus", "bringing", "bring", "con", "y", "e", "traigo", "llevo", "trayendo", "also"}
_POSSESSIVE = {"my", "mi", "mis", "our", "nuestra", "nuestro", "nuestros", "nuestras", "a", "an", "un", "una"}
# "my mom is coming too", "mi hija viene también": a companion named after the fact.
_COMING_TOO = (["is", "coming"], ["will", "come"], ["comes", "too"], ["viene", "tambien"], ["tambien", "viene"])
_NEGATION = {"cant", "cannot", "wont", "not", "no", "isnt", "doesnt", "nunca", "tampoco"}


def companions(tokens: list[str]) -> int | Literal["ask"] | None:
    """Guests named as people: "me and my wife" 1, "voy con mi hija y mi hijo" 2, "my two kids" 2.

    None when no companion is named; "ask" when they are named but cannot be counted ("with my kids") or
    the text also says something negative about someone ("yes, my husband can't come"), so a person must ask.
    """
    count = 0
    named = False
    uncountable = False
    seen: set[str] = set()  # "con mi esposo … con mi esposo" is one husband
    for i, token in enumerate(tokens):
        found = _companion_at(tokens, i) if token in _POSSESSIVE else None
        if found is None:
            continue
        noun, number = found
        if number is None and noun in seen:
            continue
        seen.add(noun)
        named = True
        if number is not None:
            count += number
        elif noun in _TWO:
            count += 2
        elif noun in _MANY:
            uncountable = True
        else:
            count += 1
    if not named:
        return None
    if uncountable or any(t in _NEGATION for t in tokens[1:]):
        return "ask"
    return count


def _companion_at(tokens: list[str], i: int) -> tuple[str, int | None] | None:
    """(noun, stated number) when the possessive at ``i`` names a companion said to come along, else None."""
    j = i + 1
    number = _count_word(tokens[j]) if j < len(tokens) else None
    if number is not None:
        j += 1
    noun = tokens[j] if j < len(tokens) else ""
    if noun not in _ONE and noun not in _TWO and noun not in _MANY:
        return None
    before = tokens[i - 1] if i > 0 else ""
    return (noun, number) if _said_with(before, tokens[j + 1 : j + 3]) else None


def _count_word(token: str) -> int | None:
    """ "two", "dos" or a one- or two-digit number, else None."""
    number = _NUMBER.get(token)
    if number is None and token.isdigit() and len(token) <= 2:
        number = int(token)
    return number


def _said_with(before: str, after: list[str]) -> bool:
    """Whether the words around a companion say that they come along ("with my wife", "my son and I")."""
    return (
        before in _MARKER
        or after in (["and", "i"], ["and", "me"], ["y", "yo"])
        or after in _COMING_TOO
        or after[:1] in (["too"], ["also"], ["tambien"])
    )
