"""Every attendee-facing word of the kiosk, in English and Spanish, and how to look one up.

An in-project catalogue stands in for Flask-Babel (not installed): ``translate(key, lang, **kw)`` works in
templates, in the web layer and anywhere else (the receipt printer can use it too). A missing translation
falls back to English; a test checks that every key has every language.

Accessible names of the kiosk's controls are their visible words in the page's language (WCAG 2.5.3, label in
name): a control whose visible label is a symbol, and a group, takes its name from here too.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from kiosk.i18n_ledger import LEDGER_TEXTS
from kiosk.i18n_public import PUBLIC_CATALOGUE

log = logging.getLogger(__name__)

LANGUAGES: dict[str, str] = {"en": "English", "es": "Español"}
DEFAULT_LANGUAGE = "en"

CATALOGUE: dict[str, dict[str, str]] = {
    # welcome
    "welcome": {"en": "Welcome", "es": "Le damos la bienvenida"},
    "welcome_lead": {
        "en": "Sign in here for {title}.",
        "es": "Regístrese aquí para {title}.",
    },
    "sign_in": {"en": "Sign in", "es": "Registrarse"},
    "have_code": {"en": "I have a ballot code", "es": "Tengo un código de votación"},
    "language": {"en": "Language", "es": "Idioma"},
    "no_meeting": {
        "en": "No meeting is open for sign-in right now.",
        "es": "Ahora no hay ninguna reunión abierta para registrarse.",
    },
    "signin_closed": {
        "en": "Sign-in is not open right now. Please ask an organizer.",
        "es": "El registro no está abierto ahora. Pregunte al equipo organizador, por favor.",
    },
    # finding yourself
    "find_title": {"en": "Find your name", "es": "Busque su nombre"},
    "by_phone": {"en": "Phone", "es": "Teléfono"},
    "by_name": {"en": "Name", "es": "Nombre"},
    "phone_label": {"en": "Your phone number", "es": "Su número de teléfono"},
    "name_label": {"en": "Your name, or 3 letters of it", "es": "Su nombre, o 3 letras del nombre"},
    "find": {"en": "Find", "es": "Buscar"},
    "delete": {"en": "Delete", "es": "Borrar"},
    "clear": {"en": "Clear", "es": "Limpiar"},
    "space": {"en": "Space", "es": "Espacio"},
    "back": {"en": "Back", "es": "Atrás"},
    "pick_yourself": {"en": "Tap your name:", "es": "Toque su nombre:"},
    "signed_in_tag": {"en": "already signed in", "es": "ya se registró"},
    "rsvp_tag": {"en": "RSVP by text", "es": "confirmó por mensaje"},
    "none_found": {
        "en": "Nobody found. Check the number or name, or sign in as a walk-in.",
        "es": "No se encontró a nadie. Revise el número o el nombre, o regístrese como visitante.",
    },
    "none_found_short_name": {
        "en": "Nobody found for “{query}”. Type more of your first or last name, or tap “Not on the list?” "
        "to sign in as a walk-in.",
        "es": "No se encontró a nadie con «{query}». Escriba más de su nombre o de su apellido, o toque "
        "«¿No está en la lista?» para registrarse como visitante.",
    },
    "not_a_phone": {
        "en": "That is not a full phone number. Type all 10 digits, like 510 555 0123, or tap “Name” to "
        "search by your name.",
        "es": "Ese no es un número de teléfono completo. Escriba los 10 dígitos, como 510 555 0123, o toque "
        "«Nombre» para buscar por su nombre.",
    },
    "too_short": {
        "en": "Type at least 2 letters of your name, or a full phone number.",
        "es": "Escriba al menos 2 letras de su nombre, o un número de teléfono completo.",
    },
    "walkin_link": {"en": "Not on the list?", "es": "¿No está en la lista?"},
    # the walk-in link's accessible name: its visible words, then where it goes
    "walkin_link_name": {
        "en": "Not on the list? Sign in as a walk-in",
        "es": "¿No está en la lista? Regístrese como visitante",
    },
    "search_by": {"en": "Search by", "es": "Buscar por"},
    "number_pad": {"en": "Number pad", "es": "Teclado numérico"},
    "keyboard": {"en": "Keyboard", "es": "Teclado"},
    # walk-ins
    "walkin_title": {"en": "Sign in as a walk\u2011in", "es": "Registro de visitantes"},
    "walkin_name": {"en": "Your name", "es": "Su nombre"},
    "walkin_phone": {"en": "Phone (optional)", "es": "Teléfono (opcional)"},
    "walkin_joining": {"en": "I am joining today", "es": "Me hago miembro hoy"},
    "walkin_need_name": {"en": "Please type your name.", "es": "Escriba su nombre, por favor."},
    "bad_phone": {
        "en": "That phone number does not look right. Check it, or leave it empty.",
        "es": "Ese número de teléfono no parece correcto. Revíselo o déjelo vacío.",
    },
    # after sign-in
    "hello": {"en": "Welcome, {name}!", "es": "¡Hola, {name}!"},
    "signed_in_ok": {"en": "You are signed in.", "es": "Su registro está listo."},
    "your_code": {"en": "Your ballot code", "es": "Su código de votación"},
    "printer_attention": {
        "en": "The printer needs attention; your sign-in is saved. Your receipt will print when it is fixed.",
        "es": "La impresora necesita atención; su registro está guardado. Su recibo se imprimirá cuando se arregle.",
    },
    "receipt_not_queued": {
        "en": "Your sign-in is saved, but your receipt could not be printed. Write down your ballot code below, "
        "or ask an organizer.",
        "es": "Su registro está guardado, pero no se pudo imprimir su recibo. Anote su código de votación abajo, "
        "o pida ayuda al equipo organizador.",
    },
    "keep_code": {
        "en": "Keep this code: it is on your receipt. Nobody else can see how you vote.",
        "es": "Guarde este código: está en su recibo. Nadie más puede ver cómo vota.",
    },
    "vote_now": {"en": "Vote now", "es": "Votar ahora"},
    "done_for_now": {"en": "Done", "es": "Listo"},
    "come_back": {
        "en": "Voting has not opened yet. Come back with your code when it opens.",
        "es": "La votación no ha abierto todavía. Vuelva con su código cuando abra.",
    },
    "already_in": {"en": "You are already signed in.", "es": "Usted ya se registró."},
    "continue_ballot": {"en": "Continue to the ballot", "es": "Ir a la boleta"},
    # Someone already signed in, found again on a screen that did not sign them in: only their receipt's code (or
    # the desk) continues, so nobody at the kiosk can void another attendee's ballot code and take a new one.
    "continue_with_code": {
        "en": "To vote, type the ballot code from your sign-in receipt.",
        "es": "Para votar, escriba el código de votación de su recibo de registro.",
    },
    "screen_not_connected": {
        "en": "This screen is not connected to the buttons. Please ask an organizer to restart the kiosk screen.",
        "es": "Esta pantalla no está conectada a los botones. Pida al equipo organizador que reinicie la pantalla.",
    },
    "lost_receipt_desk": {
        "en": "Lost your receipt? Go to the sign-in desk: an organizer can give you a new code.",
        "es": "¿Perdió su recibo? Vaya a la mesa de registro: el equipo organizador puede darle un código nuevo.",
    },
    "reprint": {"en": "Show my receipt again", "es": "Mostrar mi recibo otra vez"},
    "replaces_code": {
        "en": "This gives you a new ballot code; your old code will stop working.",
        "es": "Esto le da un código nuevo; el código anterior dejará de funcionar.",
    },
    "already_voted": {
        "en": "You have already voted at this meeting. Thank you!",
        "es": "Ya votó en esta reunión. ¡Gracias!",
    },
    "receipt_title": {"en": "Your receipt", "es": "Su recibo"},
    "receipt_note": {
        "en": "Your receipt is shown here. Write down the code, or ask an organizer for a printed copy.",
        "es": "Su recibo se muestra aquí. Anote el código, o pida una copia impresa al equipo organizador.",
    },
    "not_eligible": {
        "en": "You are welcome here, but you cannot vote at this meeting: {reason}.",
        "es": "Le damos la bienvenida, pero no puede votar en esta reunión: {reason}.",
    },
    "database_down": {
        "en": "This kiosk cannot reach the tally right now, so it cannot take your sign-in or vote. "
        "Nothing was saved. Please use another kiosk or ask an organizer.",
        "es": "Este quiosco no puede conectarse ahora con el sistema de conteo, así que no puede registrarle ni "
        "recibir su boleta. No se guardó nada. Use otro quiosco o pregunte al equipo organizador, por favor.",
    },
    # storage trouble (see kiosk.errors.storage_problem): the attendee learns that nothing was saved and what to
    # do; the reason (a lock, a full disk) is for organizers and goes to the log and `kiosk doctor`
    "save_busy": {
        "en": "This kiosk is busy and could not save that just now. Nothing was saved. "
        "Please try again in a moment, or ask an organizer.",
        "es": "Este quiosco está ocupado y no pudo guardar eso ahora. No se guardó nada. "
        "Inténtelo de nuevo en un momento o pregunte al equipo organizador, por favor.",
    },
    "vote_busy": {
        "en": "This kiosk is busy and could not record your vote just now. Nothing was saved and your ballot "
        "code is still good: please try again in a moment, or ask an organizer.",
        "es": "Este quiosco está ocupado y no pudo guardar su boleta ahora. No se guardó nada y su código de "
        "votación sigue valiendo: inténtelo de nuevo en un momento o pregunte al equipo organizador, por favor.",
    },
    "save_full": {
        "en": "This kiosk cannot save your sign-in right now. Nothing was saved. Please see an organizer.",
        "es": "Este quiosco no puede guardar su registro ahora. No se guardó nada. Hable con el equipo organizador, "
        "por favor.",
    },
    "vote_full": {
        "en": "This kiosk cannot record your vote right now. Nothing was saved and your ballot code is still "
        "good. Please see an organizer.",
        "es": "Este quiosco no puede guardar su boleta ahora. No se guardó nada y su código de votación sigue "
        "valiendo. Hable con el equipo organizador, por favor.",
    },
    "commit_unknown": {
        "en": "The connection dropped while saving. Try again with the same ballot code: if it says the code "
        "was already used, your vote counted.",
        "es": "La conexión se cortó al guardar. Inténtelo de nuevo con el mismo código: si dice que ya se usó, "
        "su boleta se contó.",
    },
    "ask_organizer": {
        "en": "If you think this is a mistake, please ask an organizer.",
        "es": "Si cree que es un error, pregunte al equipo organizador, por favor.",
    },
    "reason_guest": {"en": "only members may vote", "es": "solo los miembros pueden votar"},
    "reason_status": {
        "en": "your membership is {status}",
        "es": "su membresía está {status}",
    },
    "status_lapsed": {"en": "lapsed", "es": "vencida"},
    "status_pending": {"en": "still pending", "es": "todavía pendiente"},
    "status_guest": {"en": "not active", "es": "inactiva"},
    "reason_days": {
        "en": "members must have joined at least {days} days before the meeting",
        "es": "solo votan quienes se hicieron miembros al menos {days} días antes de la reunión",
    },
    # the attendance rule (kiosk.tally.attendance): {attended} of the last {window} closed meetings, {needed} needed
    "reason_attended": {
        "en": "you have attended {attended} of the last {window} meetings; {needed} are needed to vote",
        "es": "ha asistido a {attended} de las últimas {window} reuniones; se necesitan {needed} para votar",
    },
    "reason_attended_one_needed": {
        "en": "you have attended {attended} of the last {window} meetings; 1 is needed to vote",
        "es": "ha asistido a {attended} de las últimas {window} reuniones; se necesita 1 para votar",
    },
    "reason_attended_last": {
        "en": "you did not attend the last meeting, and that is needed to vote",
        "es": "no asistió a la última reunión, y eso se necesita para votar",
    },
    "reason_other": {"en": "your membership could not be confirmed", "es": "no se pudo confirmar su membresía"},
    # ballot code entry
    "token_title": {"en": "Type your ballot code", "es": "Escriba su código de votación"},
    "token_help": {
        "en": "It is on your receipt, like ACD3‑4EFG. You can also scan the receipt's square code.",
        "es": "Está en su recibo, como ACD3‑4EFG. También puede escanear el código cuadrado del recibo.",
    },
    "token_label": {"en": "Ballot code", "es": "Código de votación"},
    "start_ballot": {"en": "Start voting", "es": "Empezar a votar"},
    "token_unknown": {
        "en": "This ballot code is not known. Check it against your receipt.",
        "es": "Este código no existe. Compárelo con su recibo.",
    },
    "token_spent": {
        "en": "This ballot code has already been used to vote. Each code votes once.",
        "es": "Este código ya se usó para votar. Cada código sirve para votar una sola vez.",
    },
    "token_void": {
        "en": "This ballot code was replaced by a newer one. Use your newest receipt, or ask an organizer.",
        "es": "Este código fue reemplazado por uno nuevo. Use su recibo más reciente o pregunte al equipo organizador.",
    },
    "token_other_meeting": {
        "en": "This ballot code is for a different meeting.",
        "es": "Este código es de otra reunión.",
    },
    "token_closed": {"en": "Voting has closed for this meeting.", "es": "La votación de esta reunión ya cerró."},
    "token_not_open": {
        "en": "Voting has not opened yet. Please come back when it opens.",
        "es": "La votación no ha abierto todavía. Vuelva cuando abra, por favor.",
    },
    "token_empty": {"en": "Please type your ballot code.", "es": "Escriba su código de votación, por favor."},
    # the ballot
    "plank_n_of": {"en": "Question {n} of {total}", "es": "Propuesta {n} de {total}"},
    "threshold_majority": {
        "en": "Passes with more than half of the yes and no votes.",
        "es": "Se aprueba si más de la mitad de los votos son Sí; las abstenciones no cuentan.",
    },
    "threshold_three-fifths": {
        "en": "Passes with at least three fifths of the yes and no votes.",
        "es": "Se aprueba si al menos 3 de cada 5 votos son Sí; las abstenciones no cuentan.",
    },
    "threshold_two-thirds": {
        "en": "Passes with at least two thirds of the yes and no votes.",
        "es": "Se aprueba si al menos 2 de cada 3 votos son Sí; las abstenciones no cuentan.",
    },
    "threshold_three-quarters": {
        "en": "Passes with at least three quarters of the yes and no votes.",
        "es": "Se aprueba si al menos 3 de cada 4 votos son Sí; las abstenciones no cuentan.",
    },
    "yes": {"en": "Yes", "es": "Sí"},
    "no": {"en": "No", "es": "No"},
    "abstain": {"en": "Abstain", "es": "Abstención"},
    "next": {"en": "Next", "es": "Siguiente"},
    "review": {"en": "Review", "es": "Revisar"},
    "your_choice": {"en": "Your choice: {choice}", "es": "Su respuesta: {choice}"},
    "choice_group": {"en": "Your choice", "es": "Su respuesta"},
    "no_choice_yet": {
        "en": "No choice yet. Press Yes, No or Abstain.",
        "es": "Todavía no hay respuesta. Pulse Sí, No o Abstención.",
    },
    "choose_first": {
        "en": "Choose Yes, No or Abstain first, then press Confirm.",
        "es": "Primero elija Sí, No o Abstención, y luego pulse Confirmar.",
    },
    "first_plank": {"en": "This is the first question.", "es": "Esta es la primera propuesta."},
    "ballot_help": {
        "en": "Buttons: Yes, No, Abstain. Confirm goes on. Back goes back.",
        "es": "Botones: Sí, No, Abstención. Confirmar avanza. Atrás regresa.",
    },
    "review_title": {"en": "Review your ballot", "es": "Revise su boleta"},
    "review_help": {
        "en": "Tap a question to change it, then press Confirm.",
        "es": "Toque una propuesta para cambiarla y luego pulse Confirmar.",
    },
    "no_choice": {"en": "No choice (counts as abstain)", "es": "Sin respuesta (cuenta como abstención)"},
    "no_choice_short": {"en": "No choice", "es": "Sin respuesta"},
    "blank_none": {"en": "Every question has a choice.", "es": "Todas las propuestas tienen su respuesta."},
    "blank_one": {
        "en": "1 question has no choice: it counts as abstain.",
        "es": "1 propuesta no tiene respuesta: cuenta como abstención.",
    },
    "blank_many": {
        "en": "{n} questions have no choice: they count as abstain.",
        "es": "{n} propuestas no tienen respuesta: cuentan como abstención.",
    },
    "review_page": {"en": "Page {n} of {total}.", "es": "Página {n} de {total}."},
    "review_more": {"en": "More", "es": "Más"},
    "cast": {"en": "Cast ballot", "es": "Enviar mi voto"},
    # ranking a contest (issue 16). Spanish says "nombre(s)" where English says "candidate": neutral without a
    # slash, and it covers a "No endorsement" line, which is no person (docs/glossary-es.md).
    "contest_n_of": {"en": "Ranked vote {n} of {total}", "es": "Voto por preferencia {n} de {total}"},
    "rank_line": {
        "en": "Pick names in order, your favorite first. Rank as few or as many as you like.",
        "es": "Elija en orden, primero el que más prefiere. Puede elegir los que quiera.",
    },
    "rank_names": {"en": "Names to rank", "es": "Nombres para ordenar"},
    "your_ranking": {"en": "Your ranking", "es": "Su orden de preferencia"},
    "rank_next": {"en": "(next choice)", "es": "(la siguiente)"},
    "rank_none_yet": {"en": "No one ranked yet.", "es": "Todavía no eligió ningún nombre."},
    "rank_count": {"en": "Names ranked: {n} of {total}.", "es": "Nombres elegidos: {n} de {total}."},
    "ranked_as": {"en": "{name} is your choice {n}.", "es": "{name} es su preferencia {n}."},
    "already_ranked": {
        "en": "{name} is already your choice {n}. To change it, use Undo.",
        "es": "{name} ya es su preferencia {n}. Para cambiarlo, use Deshacer.",
    },
    "all_ranked": {
        "en": "Every name is ranked. Press Confirm to go on.",
        "es": "Ya eligió todos los nombres. Pulse Confirmar para seguir.",
    },
    "rank_undo": {"en": "Undo", "es": "Deshacer"},
    "rank_clear": {"en": "Clear", "es": "Borrar todo"},
    "rank_undone": {"en": "{name} taken off your ranking.", "es": "Se quitó {name} de su orden."},
    "rank_cleared": {"en": "Your ranking is cleared.", "es": "Se borró su orden de preferencia."},
    "rank_nothing": {"en": "Nothing to undo.", "es": "No hay nada que deshacer."},
    "rank_blank_warn": {
        "en": "You ranked no one. Press Confirm again to leave this blank.",
        "es": "No eligió ningún nombre. Pulse Confirmar otra vez para dejarlo en blanco.",
    },
    "rank_help": {
        "en": "Buttons: No moves down, Yes ranks the marked name, Abstain undoes, Confirm goes on.",
        "es": "Botones: No baja, Sí elige el nombre marcado, Abstención deshace, Confirmar avanza.",
    },
    "review_help_rows": {
        "en": "Tap a line to change it, then press Confirm.",
        "es": "Toque una línea para cambiarla y luego pulse Confirmar.",
    },
    "rank_blank": {"en": "Blank (no one ranked)", "es": "En blanco (ningún nombre)"},
    "no_endorsement": {"en": "No endorsement", "es": "No respaldar a nadie"},
    "cast_title": {"en": "Your ballot is cast", "es": "Su boleta se envió"},
    "verification": {"en": "Verification code", "es": "Código de verificación"},
    "verification_help": {
        "en": "With this code you can check later that your ballot was counted. It does not show your name.",
        "es": "Con este código puede comprobar después que su boleta se contó. No muestra su nombre.",
    },
    "verify_at": {"en": "Check it at", "es": "Compruébelo en"},
    "thank_you": {"en": "Thank you for voting!", "es": "¡Gracias por votar!"},
    "returning": {
        "en": "Returning to the start in {seconds} seconds.",
        "es": "Volviendo al inicio en {seconds} segundos.",
    },
    "finish": {"en": "Finish", "es": "Terminar"},
    "not_counted_title": {"en": "Your ballot was not counted", "es": "Su boleta no se contó"},
    "not_counted_closed": {
        "en": "Voting closed before you cast your ballot, so your choices were not counted. Please tell an organizer.",
        "es": "La votación se cerró antes de que enviara su boleta, así que sus respuestas no se contaron. "
        "Avise a un organizador, por favor.",
    },
    "ballot_gone": {
        "en": "Your ballot could not be cast: {reason}",
        "es": "No se pudo enviar su boleta: {reason}",
    },
    # headings of the pages that say something went wrong (not "Welcome": they are not a greeting)
    "title_signin_closed": {"en": "Sign-in is closed", "es": "El registro está cerrado"},
    "title_screen": {"en": "Screen not connected", "es": "Pantalla sin conexión"},
    "title_not_saved": {"en": "Nothing was saved", "es": "No se guardó nada"},
    "title_ask": {"en": "Please ask an organizer", "es": "Pida ayuda al equipo organizador"},
    # the public verification page (organizer listener, /verify)
    "verify_title": {"en": "Check your ballot", "es": "Compruebe su boleta"},
    "verify_label": {"en": "Verification code from your receipt", "es": "Código de verificación de su recibo"},
    "verify_button": {"en": "Check", "es": "Comprobar"},
    "verify_unknown": {
        "en": "No ballot has that verification code. Check it against your receipt.",
        "es": "Ninguna boleta tiene ese código de verificación. Compárelo con su recibo.",
    },
    "verify_not_ranked": {"en": "You ranked nobody in this contest.", "es": "No marcó ninguna preferencia."},
    "verify_counted": {
        "en": "Ballot {code} ({meeting}) was counted.",
        "es": "La boleta {code} ({meeting}) se contó.",
    },
    # singular forms of the countdowns ("in 1 second")
    "returning_one": {
        "en": "Returning to the start in 1 second.",
        "es": "Volviendo al inicio en 1 segundo.",
    },
    "idle_countdown_one": {
        "en": "Starting over in 1 second. Touch the screen or press any button to continue.",
        "es": "Se reinicia en 1 segundo. Toque la pantalla o pulse un botón para continuar.",
    },
    # idle
    "still_there": {"en": "Are you still there?", "es": "¿Sigue ahí?"},
    "idle_countdown": {
        "en": "Starting over in {seconds} seconds. Touch the screen or press any button to continue.",
        "es": "Se reinicia en {seconds} segundos. Toque la pantalla o pulse un botón para continuar.",
    },
    "still_here": {"en": "I'm still here", "es": "Sigo aquí"},
    "start_over": {"en": "Start over", "es": "Empezar de nuevo"},
    "back_to_ballot": {"en": "Back to my ballot", "es": "Volver a mi boleta"},
    # simulation
    "sim_panel": {"en": "Simulated buttons", "es": "Botones simulados"},
    "sim_button": {"en": "Simulated {name} button", "es": "Botón simulado {name}"},
    "confirm": {"en": "Confirm", "es": "Confirmar"},
}

# The public pages' words (/platform, /scorecard) live in their own module so this one stays readable.
CATALOGUE |= PUBLIC_CATALOGUE
CATALOGUE |= LEDGER_TEXTS  # the scorecard's pages (kiosk.i18n_ledger)

_INELIGIBLE = [
    (re.compile(r"guests may not vote"), lambda m, lang: translate("reason_guest", lang)),
    (
        re.compile(r"membership status is (\w+)"),
        lambda m, lang: translate(
            "reason_status",
            lang,
            status=translate(f"status_{m.group(1)}", lang) if f"status_{m.group(1)}" in CATALOGUE else m.group(1),
        ),
    ),
    (re.compile(r"at least (\d+) days"), lambda m, lang: translate("reason_days", lang, days=m.group(1))),
    (
        re.compile(r"attended (\d+) of the last (\d+) closed meetings; at least (\d+) needed"),
        lambda m, lang: attendance_reason(int(m.group(1)), int(m.group(2)), int(m.group(3)), lang),
    ),
]


def attendance_reason(attended: int, window: int, needed: int, lang: str) -> str:
    """Why the attendance rule holds someone back, with the numbers: "you have attended 1 of the last 3
    meetings; 2 are needed to vote" (a window of one meeting, and one needed, said in words that read right)."""
    if window == 1:
        return translate("reason_attended_last", lang)
    key = "reason_attended_one_needed" if needed == 1 else "reason_attended"
    return translate(key, lang, attended=attended, window=window, needed=needed)  # format() ignores unused ones


def language(lang: str | None) -> str:
    """A supported language code for ``lang`` (``es-MX`` -> ``es``), else the default."""
    code = (lang or "").strip().lower()[:2]
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


def translate(key: str, lang: str, /, **kw: object) -> str:
    """The words for ``key`` in ``lang`` with ``{placeholders}`` filled; English when not translated."""
    entry = CATALOGUE.get(key)
    if entry is None:
        log.warning("no catalogue entry %r", key)
        return key
    text = entry.get(language(lang)) or entry[DEFAULT_LANGUAGE]
    return text.format(**kw) if kw else text


def ineligible_reason(reason: str | None, lang: str) -> str:
    """The tally's (English) reason an attendee may not vote, said kindly in ``lang``."""
    for pattern, words in _INELIGIBLE:
        match = pattern.search(reason or "")
        if match:
            return words(match, lang)
    return translate("reason_other", lang)


def blank_count(n: int, lang: str) -> str:
    """The review screen's line saying how many planks are left without a choice (singular, plural, none)."""
    if n == 0:
        return translate("blank_none", lang)
    return translate("blank_one", lang) if n == 1 else translate("blank_many", lang, n=n)


def candidate_name(candidate: Any, lang: str) -> str:
    """A contest candidate's name as the attendee sees and hears it: a "No endorsement" line (``no_endorsement``)
    in ``lang`` (the organizer wrote it in one language), every other name as written."""
    if candidate.no_endorsement and language(lang) != DEFAULT_LANGUAGE:
        return translate("no_endorsement", lang)
    return str(candidate.name)


def token_rejected(reason: str, lang: str) -> str:
    """The message for a ``TokenRejected.reason``."""
    key = f"token_{reason}"
    return translate(key if key in CATALOGUE else "token_unknown", lang)
