"""Which language a text is in, English or Spanish, by its words (and Spanish marks: ¿ ¡ ñ)."""

from __future__ import annotations

import re

__all__ = ["language_scores"]

_STRETCHED_SI = re.compile(r"^s+i+$")

_SPANISH_WORDS = {
    "para", "basta", "ya", "eliminar", "borrar", "reir", "gracia", "enfatizo", "si", "claro", "quizas", "quiza",
    "talvez", "tal", "vez", "voy", "puedo", "gracias", "hola", "ayuda", "parar", "baja", "alto", "cancelar",
    "asistire", "asistir", "con", "invitados", "invitado", "que", "cuando", "donde", "reunion", "nos", "vemos",
    "alli", "ahi", "manana", "hoy", "el", "la", "los", "las", "por", "favor", "pero", "estoy", "estare",
    "seguro", "dale", "vale", "mi", "mis", "yo", "somos", "amigo", "amiga", "esposa", "esposo", "hora", "lugar",
    "supuesto", "acuerdo", "mejor", "se", "lo", "traigo", "llevo", "mas", "informacion", "buenas", "buenos",
    "dias", "tardes", "le", "gusto", "me", "gusta", "escriban", "mensajes", "quitenme", "borrame", "sip", "nel",
    "posiblemente", "probablemente", "confirmo", "pregunta", "tengo", "te", "preocupes", "problema", "puede",
    "ser", "uno", "dos", "tres", "cuatro", "cinco", "de", "es", "ire", "iremos", "simon", "orale", "conmigo",
    "cuenten", "siento", "creo", "depende", "todavia", "podre", "pare", "cancela", "bajame", "suscribirme",
    "activar", "ayudenme", "hija", "hijo", "mama", "papa", "alla", "esta", "sin", "falta", "segura", "paren",
    "cancelen", "desuscribirme", "desuscribirse", "suscribir", "suscribirse", "ayudame", "ayudeme", "bajenme",
    "reactivar", "preocupen", "detener", "salir", "fin", "terminar", "anular", "desuscribir", "confirmado",
    "iniciar", "reanudar", "comenzar", "alta", "podremos", "podemos", "asistiremos", "estaremos", "vamos",
    "mande", "manden", "faltar", "faltare", "tratar", "intentar", "ver", "llegar", "tarde", "aviso", "les",
    "suscripcion", "mandar", "pierdo", "perder", "asistencia", "proxima",
}  # fmt: skip
_ENGLISH_WORDS = {
    "yes", "yeah", "yep", "maybe", "the", "see", "you", "there", "will", "be", "bringing", "with", "please",
    "thanks", "thank", "what", "when", "where", "time", "meeting", "cant", "make", "it", "sorry", "stop",
    "help", "info", "start", "i", "im", "my", "and", "guests", "guest", "friend", "sure", "not", "nope",
    "this", "is", "me", "to", "of", "a", "an", "at", "in", "on", "we", "our", "can", "do", "does", "come",
    "coming", "liked", "loved", "texting", "remove", "list", "plus", "one", "two", "three", "four", "five",
    "ill", "well", "cannot", "wont", "able", "wife", "husband", "kids", "try",
}  # fmt: skip


def language_scores(text: str, tokens: list[str]) -> tuple[int, int]:
    """(Spanish, English) evidence in a text and its normalized tokens; equal scores say nothing."""
    """(Spanish, English) evidence in a text: words only one language uses, and Spanish punctuation."""
    es = sum(1 for t in tokens if t in _SPANISH_WORDS or _STRETCHED_SI.match(t))
    en = sum(1 for t in tokens if t in _ENGLISH_WORDS)
    if any(mark in text for mark in "¿¡ñÑ"):
        es += 2
    return es, en
