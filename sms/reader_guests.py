"""Guest counts in an RSVP text: "yes 2", "yes +1", "si, con dos", "yes, 3 of us", "I'm coming, plus 1";
never a time ("yes 7 pm", "yes at 7") or a number said too far from the yes."""

from __future__ import annotations

import re

__all__ = ["guests_after_yes", "guests_anywhere", "number"]

_NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "cero": 0, "uno": 1, "una": 1, "un": 1, "dos": 2, "tres": 3, "cuatro": 4,
    "cinco": 5, "seis": 6, "siete": 7, "ocho": 8, "nueve": 9, "diez": 10,
}  # fmt: skip
_GUEST_BEFORE = {
    "+", "plus", "bringing", "bring", "with", "w", "and", "con", "traigo", "llevo", "mas", "y", "invitados",
    "guests", "guest", "also",
}  # fmt: skip
_GUEST_AFTER = {
    "guest", "guests", "people", "person", "persons", "more", "others", "friends", "friend", "kids",
    "invitados", "invitado", "invitadas", "personas", "amigos", "amigas", "mas", "acompanantes", "extra",
}  # fmt: skip
_STRONG_BEFORE = {"+", "plus", "bringing", "bring", "traigo", "llevo"}
_TIME_AFTER = {"pm", "am", "oclock", "hrs", "h", "horas", "hours", "mins", "minutes", "minutos", "min"}
_TIME_BEFORE = {"at", "a", "las", "around", "by", "until", "till", "hasta"}
_DIGITS = re.compile(r"^[0-9]+$")


def number(token: str) -> int | None:
    if _DIGITS.match(token):
        # Cap the length: int() of thousands of digits is slow (and refused past 4300).
        return int(token) if len(token) <= 6 else 10**6
    return _NUMBER_WORDS.get(token)


def guests_after_yes(tokens: list[str], start: int) -> int | None:
    """The guest count said after the yes word, if any (not range-checked)."""
    # Only the next few words count: in "yes see you at 7, I'll bring my 2 kids" neither number is it.
    window = tokens[start : start + 6]
    ahead = tokens[start : start + 8]  # what follows a number near the end of the window ("…, 3 of us")
    for i, token in enumerate(window):
        value = number(token)
        if value is None:
            continue
        before = window[i - 1] if i > 0 else None
        after = ahead[i + 1] if i + 1 < len(ahead) else None
        if after in _TIME_AFTER or before in _TIME_BEFORE:
            continue  # "yes 7 pm", "yes at 7"
        if (
            ahead[i + 1 : i + 3] == ["of", "us"]
            or before in ("somos", "vamos", "seremos", "venimos")
            or window[i - 2 : i] == ["party", "of"]
        ):
            return max(value - 1, 0)  # "yes, 3 of us", "si, somos 3": the count includes the sender
        if _DIGITS.match(token):
            if i == 0 or before in _GUEST_BEFORE or after in _GUEST_AFTER:
                return value  # "YES 2", "yes +1", "yes, bringing 2", "yes 2 guests"
        elif (
            before in _STRONG_BEFORE or after in _GUEST_AFTER or (after is None and (i == 0 or before in _GUEST_BEFORE))
        ):
            return value  # "yes plus one", "yes, bringing two", "si, con dos"
    return None


def guests_anywhere(tokens: list[str]) -> int | None:
    """A guest count in a yes said in plain words, wherever the number stands ("I'm coming, plus 1")."""
    for start in range(len(tokens)):
        if tokens[start] in _STRONG_BEFORE or tokens[start] in ("vamos", "seremos", "venimos"):
            found = guests_after_yes(tokens, start)
            if found is not None:
                return found
    return None
