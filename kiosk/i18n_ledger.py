"""The scorecard pages' words (issue 17), in English and Spanish: the public ``/scorecard`` page and the
organizer's ledger pages. Merged into ``kiosk.i18n.CATALOGUE`` (look them up with ``kiosk.i18n.translate``);
kept here so the main catalogue stays one screen's worth per concept.

Spanish uses *usted* and the glossary's words (docs/glossary-es.md): a plank is a "propuesta", the platform the
"programa", "registro" is signing in, and "boleta" the members' ballot only; so the scorecard is the "historial de
votaciones" and an official a "representante" (one word for women and men).
"""

from __future__ import annotations

LEDGER_TEXTS: dict[str, dict[str, str]] = {
    "sc_title": {
        "en": "Scorecard: how our officials voted",
        "es": "Historial de votaciones: cómo votaron quienes nos representan",
    },
    "sc_projector_title": {"en": "How our officials voted", "es": "Cómo votaron quienes nos representan"},
    "sc_lead": {
        "en": "How the officials we follow voted on the platform our members adopted.",
        "es": "Cómo votaron las personas en cargos públicos que seguimos sobre el programa que aprobaron nuestros "
        "miembros.",
    },
    "sc_alignment_note": {
        "en": "Alignment is the votes for the platform divided by the votes for and against it, rounded down. "
        "Abstaining or being absent counts neither way.",
        "es": "La coincidencia es el número de votos a favor del programa dividido entre los votos a favor y "
        "en contra, redondeado hacia abajo. Abstenerse o estar ausente no cuenta ni a favor ni en contra.",
    },
    "sc_official": {"en": "Official", "es": "Representante"},
    "sc_office": {"en": "Office", "es": "Cargo"},
    "sc_term": {"en": "Term", "es": "Mandato"},
    "sc_for": {"en": "For", "es": "A favor"},
    "sc_against": {"en": "Against", "es": "En contra"},
    "sc_abstain": {"en": "Abstained", "es": "Se abstuvo"},
    "sc_absent": {"en": "Absent", "es": "Ausente"},
    "sc_alignment": {"en": "Alignment", "es": "Coincidencia"},
    "sc_no_record": {"en": "no votes yet", "es": "sin votos todavía"},
    "sc_endorsed": {"en": "endorsed", "es": "con nuestro respaldo"},
    "sc_broken": {"en": "Broken pledges", "es": "Compromisos incumplidos"},
    "sc_broken_count": {"en": "Broken pledges", "es": "Compromisos incumplidos"},
    "sc_broken_item": {
        "en": "Pledged to support “{plank}”, then voted against it {n} times",
        "es": "Se comprometió a apoyar «{plank}» y luego votó en contra {n} veces",
    },
    "sc_broken_item_one": {
        "en": "Pledged to support “{plank}”, then voted against it once",
        "es": "Se comprometió a apoyar «{plank}» y luego votó en contra 1 vez",
    },
    "sc_pledged_no": {
        "en": "Answered no to “{plank}” on the questionnaire",
        "es": "Respondió que no a «{plank}» en el cuestionario",
    },
    "sc_pledge": {"en": "Pledge", "es": "Compromiso"},
    "sc_pledge_yes": {"en": "pledged yes", "es": "se comprometió"},
    "sc_pledge_no": {"en": "answered no", "es": "respondió que no"},
    "sc_plank": {"en": "Platform plank", "es": "Propuesta del programa"},
    "sc_none": {"en": "No officials yet.", "es": "Todavía no hay representantes."},
    "sc_none_for_plank": {
        "en": "No votes or pledges on this plank yet.",
        "es": "Todavía no hay votos ni compromisos sobre esta propuesta.",
    },
    "sc_by_plank": {"en": "By plank", "es": "Por propuesta"},
    "sc_by_official": {"en": "By official", "es": "Por representante"},
    "sc_projector": {"en": "Projector", "es": "Proyector"},
    "sc_votes": {"en": "Recorded votes", "es": "Votos registrados"},
    "sc_date": {"en": "Date", "es": "Fecha"},
    "sc_body": {"en": "Body", "es": "Órgano"},
    "sc_matter": {"en": "Matter", "es": "Asunto"},
    "sc_vote": {"en": "Vote", "es": "Voto"},
    "sc_position": {"en": "On the platform", "es": "Ante el programa"},
    "sc_vote_yes": {"en": "yes", "es": "sí"},
    "sc_vote_no": {"en": "no", "es": "no"},
    "sc_vote_abstain": {"en": "abstained", "es": "se abstuvo"},
    "sc_vote_absent": {"en": "absent", "es": "ausente"},
    "sc_unknown_official": {"en": "No official by that name.", "es": "No hay ningún representante con ese nombre."},
    "sc_ledger": {"en": "Officials and scorecard", "es": "Representantes e historial de votaciones"},
    "sc_import": {"en": "Import", "es": "Importar"},
    "sc_import_officials": {"en": "Officials", "es": "Representantes"},
    "sc_import_pledges": {"en": "Pledges", "es": "Compromisos"},
    "sc_import_votes": {"en": "Recorded votes", "es": "Votos registrados"},
    "sc_import_ocd": {"en": "Open Civic Data VoteEvents", "es": "VoteEvents de Open Civic Data"},
    "sc_columns": {"en": "Columns: {columns}", "es": "Columnas: {columns}"},
    "sc_ocd_hint": {
        "en": "The VoteEvent JSON files (select several), and a map CSV: matter, plank, yes_means.",
        "es": "Los archivos JSON de VoteEvent (puede elegir varios) y un mapa CSV: matter, plank, yes_means.",
    },
    "sc_file": {"en": "CSV file", "es": "Archivo CSV"},
    "sc_json_files": {"en": "VoteEvent files (JSON)", "es": "Archivos VoteEvent (JSON)"},
    "sc_map_file": {"en": "Map (CSV)", "es": "Mapa (CSV)"},
    "sc_report": {"en": "Import report", "es": "Informe de la importación"},
    "sc_report_summary": {
        "en": "{imported} lines imported ({added} added, {updated} updated, {unchanged} unchanged), {refused} refused.",
        "es": "{imported} líneas importadas ({added} nuevas, {updated} actualizadas, {unchanged} sin cambios), "
        "{refused} rechazadas.",
    },
    "sc_refused": {"en": "Refused", "es": "Rechazadas"},
    "sc_notes": {"en": "Notes", "es": "Notas"},
    "sc_download": {"en": "Download the scorecard (CSV)", "es": "Descargar el historial (CSV)"},
    "sc_public_page": {"en": "Public page", "es": "Página pública"},
    "sc_log_out": {"en": "Log out", "es": "Cerrar sesión"},
    "sc_meetings": {"en": "Meetings", "es": "Reuniones"},
    "sc_endorse": {"en": "Endorsements from a meeting", "es": "Respaldos de una reunión"},
    "sc_endorse_hint": {
        "en": "Marks every candidate a closed meeting's contests endorsed as endorsed by that meeting (adding them "
        "as officials if needed). Running it again changes nothing.",
        "es": "Marca a cada persona que respaldaron las votaciones por preferencia de una reunión cerrada como "
        "respaldada por esa reunión (y la agrega como representante si hace falta). Repetirlo no cambia nada.",
    },
    "sc_endorse_meeting": {"en": "Closed meeting", "es": "Reunión cerrada"},
    "sc_endorse_button": {"en": "Set endorsements", "es": "Registrar los respaldos"},
    "sc_endorse_no_meetings": {"en": "No meeting has closed yet.", "es": "Todavía no se ha cerrado ninguna reunión."},
    "sc_endorse_report": {"en": "Endorsements from {meeting}", "es": "Respaldos de {meeting}"},
    "sc_endorse_summary": {
        "en": "{added} added as officials, {updated} updated, {unchanged} unchanged.",
        "es": "{added} personas agregadas como representantes, {updated} actualizadas, {unchanged} sin cambios.",
    },
    "sc_endorse_added": {"en": "Added", "es": "Se agregó"},
    "sc_endorse_updated": {"en": "Updated", "es": "Se actualizó"},
    "sc_endorse_unchanged": {"en": "Unchanged", "es": "Sin cambios"},
    "sc_endorse_nobody": {
        "en": "No contest of this meeting endorsed anyone.",
        "es": "Ninguna votación por preferencia de esta reunión respaldó a nadie.",
    },
}
