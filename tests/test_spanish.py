"""Spanish all the way (issue 13, items 4, 10, 11): plank translations from the planks file and the organizer's
form, each member's own language for invitations and reminders, and one register and one set of words.

The browser half (the Spanish ballot in Chromium) is in tests/test_kiosk_spanish_browser.py.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from kiosk import i18n
from kiosk.receipts import format_time
from kiosk.receipts.contest_tape import WORDS as CONTEST_TAPE_WORDS
from kiosk.receipts.wording import WORDS as RECEIPT_WORDS
from kiosk.schema import members
from kiosk.tally import MeetingState, Tally
from sms import replies
from sms.backends import ConsoleBackend, InboundText
from sms.gateway import Gateway
from tests.conftest import FakeClock, member_id
from tests.printer_emulator import PrinterEmulator, decode
from tests.test_kiosk_printing import make_app, settings_for

TRANSLATED = (
    "title,text,threshold,title_es,text_es\n"
    "Rent control,Defend rent control.,majority,Control de alquileres,Defender el control de alquileres.\n"
    "No corporate money,No corporate PAC money.,two-thirds,,\n"  # no translation: the original is shown
    'Clean air,"Monitor the air.",majority,Aire limpio,\n'  # title only: the text falls back
)


def _meeting(tally: Tally, planks: str = TRANSLATED) -> str:
    tally.create_meeting(code="GA12", title="General Assembly", starts="2026-12-03T19:00", place="Hall")
    tally.import_planks("GA12", planks)
    return "GA12"


# --- item 4: plank translations -----------------------------------------------------------------------------


def test_planks_file_with_translations(tally: Tally) -> None:
    _meeting(tally)
    report = tally.import_planks("GA12", TRANSLATED)  # again: every plank updated, the same words
    assert report.refused == [] and report.notes == []
    rent, corporate, air = tally.planks("GA12")
    assert rent.title == "Rent control"  # the identity for results stays the original
    assert (rent.title_in("es").text, rent.title_in("es").lang) == ("Control de alquileres", "es")
    assert (rent.text_in("es").text, rent.text_in("es").lang) == ("Defender el control de alquileres.", "es")
    assert (corporate.title_in("es").text, corporate.title_in("es").lang) == ("No corporate money", "en")
    assert (air.title_in("es").text, air.text_in("es").text, air.text_in("es").lang) == (
        "Aire limpio",
        "Monitor the air.",
        "en",
    )
    assert rent.title_in("en").text == "Rent control"


def test_messy_translation_columns_are_reported(tally: Tally) -> None:
    _meeting(tally)
    messy = (
        "Title , TEXT,threshold,Title_ES,title_fr,text_en,notes\n"
        "Rent control,Defend rent control.,majority,  Control de alquileres  ,Contrôle des loyers,x,y\n"
        f"Clean air,Monitor the air.,majority,{'x' * 301},,,\n"
    )
    report = tally.import_planks("GA12", messy)
    # The unknown language is said plainly (nothing ignored in silence); the too-long translation refuses its line.
    assert any("'title_fr' ignored" in n and "title_es, text_es" in n for n in report.notes), report.notes
    assert any("'text_en' ignored" in n and "'text' column" in n for n in report.notes), report.notes
    assert report.refused == ["line 3: the Español title is longer than 300 characters"]
    rent = tally.planks("GA12")[0]
    assert rent.title_in("es").text == "Control de alquileres"  # trimmed
    # No text_es column in this file: the stored Spanish text is kept.
    assert rent.text_in("es").text == "Defender el control de alquileres."
    # A column present but empty removes the translation: the original is shown again.
    tally.import_planks("GA12", "title,title_es,text_es\nRent control,,\n")
    rent = tally.planks("GA12")[0]
    assert rent.title_in("es").lang == "en" and rent.text_in("es").lang == "en"


def test_organizer_form_edits_translations(tally: Tally, client: Any) -> None:
    _meeting(tally)
    corporate = tally.planks("GA12")[1]
    tally.update_plank("GA12", corporate.id, translations={"es": (" Sin dinero corporativo ", "")})
    assert tally.planks("GA12")[1].title_in("es").text == "Sin dinero corporativo"
    with pytest.raises(Exception, match="no translation language 'fr'"):
        tally.update_plank("GA12", corporate.id, translations={"fr": ("Pas d'argent", "")})


def test_organizer_plank_form_takes_translations(tally: Tally, tmp_path: Any, db_url: str) -> None:
    from kiosk import accounts
    from tests.test_organizer import PASSWORD, create_organizer_app, logged_in, organizer_settings, post

    accounts.add_organizer(tally.engine, "rosa", PASSWORD)
    app = create_organizer_app(organizer_settings(tmp_path, db_url), tally, test_config={"TESTING": True})
    client = logged_in(app)
    _meeting(tally)
    page = client.get("/organizer/m/GA12").get_data(as_text=True)
    assert 'name="title_es"' in page and "Control de alquileres" in page and "title_es, text_es" in page
    post(
        client,
        "/organizer/m/GA12/planks",
        {"title": "Parks", "text": "More parks.", "threshold": "majority", "title_es": "Parques", "text_es": ""},
    )
    parks = tally.planks("GA12")[-1]
    assert (parks.title, parks.title_in("es").text, parks.text_in("es").lang) == ("Parks", "Parques", "en")
    post(
        client,
        f"/organizer/m/GA12/planks/{parks.id}/edit",
        {"title": "Parks", "text": "More parks.", "threshold": "majority", "title_es": "", "text_es": "Más parques."},
    )
    parks = tally.planks("GA12")[-1]
    assert parks.title_in("es").lang == "en" and parks.text_in("es").text == "Más parques."


def test_translations_survive_the_migration_chain(tally: Tally) -> None:
    # The tally fixture's database is built by the migrations (0006_spanish included) and holds translations.
    _meeting(tally)
    assert tally.planks("GA12")[0].translations[0].language == "es"


def test_ballot_receipt_and_member_language_in_spanish(
    tally: Tally, app_config: dict[str, Any], clock: FakeClock
) -> None:
    tally.import_roster("name,phone\nMarcus Bell,510-555-0102\n")
    _meeting(tally)
    tally.update_meeting("GA12", show_choices_on_receipt=True)
    tally.set_state("GA12", MeetingState.VOTING_OPEN)
    with PrinterEmulator() as emulator:
        app, services = make_app(tally, settings_for(emulator.url), app_config, simulated=False)
        try:
            client = app.test_client()
            client.post("/kiosk/lang", data={"lang": "es", "next": "/kiosk/"})
            client.post("/kiosk/find", data={"by": "name", "q": "Marcus"}, follow_redirects=True)
            client.post("/kiosk/signin", data={"pick": "0"}, follow_redirects=True)
            client.post("/kiosk/vote")
            ballot = client.get("/kiosk/ballot").get_data(as_text=True)
            form = {f"choice-{p.id}": "yes" for p in tally.planks("GA12")}
            client.post("/kiosk/ballot/cast", data=form, follow_redirects=True)
            jobs = emulator.wait_for_jobs(2, timeout=10)
        finally:
            app.extensions["kiosk"].close()
            services.stop()
    assert "Control de alquileres" in ballot and '<span lang="en">No corporate money</span>' in ballot
    receipt = decode(jobs[1]).text
    assert "RECIBO DE SU BOLETA" in receipt and "Sus respuestas" in receipt
    assert "Control de alquileres" in receipt and "Aire limpio" in receipt and "No corporate money" in receipt
    assert "Rent control" not in receipt
    # item 10: the language chosen at the kiosk is now the member's
    with tally.engine.connect() as conn:
        language = conn.execute(select(members.c.language).where(members.c.name == "Marcus Bell")).scalar_one()
    assert language == "es"


def test_verification_page_in_spanish(tally: Tally, tmp_path: Any, db_url: str) -> None:
    from tests.test_organizer import create_organizer_app, organizer_settings

    client = create_organizer_app(
        organizer_settings(tmp_path, db_url), tally, test_config={"TESTING": True}
    ).test_client()
    tally.import_roster("name,phone\nMarcus Bell,510-555-0102\n")
    _meeting(tally)
    tally.set_state("GA12", MeetingState.VOTING_OPEN)
    token = tally.sign_in_member("GA12", member_id(tally, "GA12", "Marcus")).token
    cast = tally.cast_ballot("GA12", token, {p.id: "yes" for p in tally.planks("GA12")})
    # An old ?code= link (and the form) goes to the receipt's one address, keeping the language asked for.
    page = client.get(f"/verify?code={cast.verification_code}&lang=es", follow_redirects=True).get_data(as_text=True)
    assert '<html lang="es">' in page and "Compruebe su boleta" in page and "se contó" in page
    assert "Control de alquileres: <strong>Sí</strong>" in page
    assert '<span lang="en">No corporate money</span>' in page
    wrong = client.get("/verify/NOPE-NOPE", headers={"Accept-Language": "es-MX,es;q=0.9"})
    assert "Ninguna boleta tiene ese código" in wrong.get_data(as_text=True)


# --- item 10: each member's own language --------------------------------------------------------------------


def test_bulk_reminder_goes_in_each_members_language(tally: Tally, clock: FakeClock) -> None:
    roster = (
        "name,phone,language\n"
        "Ana Ruiz,510-555-0101,es\n"
        "Bob Lee,510-555-0102,en\n"
        "Carmen Díaz,510-555-0103,\n"  # no language yet: her texts so far decide
        "Dan Wu,510-555-0104,English\n"
    )
    report = tally.import_roster(roster)
    assert report.refused == []
    _meeting(tally)
    gateway = Gateway(tally, organization="Eastside Tenants Union", clock=clock)
    backend = ConsoleBackend()
    gateway.receive(InboundText("c1", "+15105550103", "Sí, ahí estaré", clock()))  # Carmen writes in Spanish
    while gateway.send_one(backend):
        pass
    with tally.engine.connect() as conn:
        stored = dict(conn.execute(select(members.c.name, members.c.language)).all())
    assert stored["Carmen Díaz"] == "es"  # her last text's language is now hers
    phones = ["+15105550101", "+15105550102", "+15105550103", "+15105550104"]
    sent_before = len(backend.sent())
    queued = gateway.queue_in_languages(
        phones, lambda lang: gateway.reminder_text(tally.meeting("GA12"), lang), kind="reminder", key_prefix="r"
    )
    assert queued == 4
    while gateway.send_one(backend):
        pass
    bodies = {s.to: s.body for s in backend.sent()[sent_before:]}
    for phone in ("+15105550101", "+15105550103"):
        assert bodies[phone].startswith("Recordatorio") and "Control de alquileres" in bodies[phone]
        assert "Responda NO si no puede venir" in bodies[phone]
    for phone in ("+15105550102", "+15105550104"):
        assert bodies[phone].startswith("Reminder") and "Rent control" in bodies[phone]


def test_scheduled_reminders_use_each_members_language(tally: Tally, clock: FakeClock) -> None:
    tally.import_roster("name,phone,language\nAna Ruiz,510-555-0101,es\nBob Lee,510-555-0102,\n")
    _meeting(tally)
    gateway = Gateway(tally, organization="ETU", clock=clock)
    for phone in ("+15105550101", "+15105550102"):
        tally.record_rsvp("GA12", answer="yes", phone=phone)
    clock.now = tally.meeting("GA12").starts_at - timedelta(hours=23)
    assert gateway.schedule_reminders() == 2
    backend = ConsoleBackend()
    while gateway.send_one(backend):
        pass
    bodies = {s.to: s.body for s in backend.sent()}
    assert bodies["+15105550101"].startswith("Recordatorio") and bodies["+15105550102"].startswith("Reminder")


def test_roster_language_column_refuses_unknown_languages(tally: Tally) -> None:
    report = tally.import_roster("name,phone,language\nAna,510-555-0101,fr\nBo,510-555-0102,Español\n")
    assert [str(r) for r in report.refused] == ["line 2: language 'fr' is not one of en (English), es (Spanish)"]
    # An empty cell keeps a language set by the kiosk or a text.
    with tally.engine.begin() as conn:
        conn.execute(update(members).values(language="es"))
    tally.import_roster("name,phone,language\nBo,510-555-0102,\n")
    with tally.engine.connect() as conn:
        assert conn.execute(select(members.c.language).where(members.c.name == "Bo")).scalar_one() == "es"


# --- item 11: one register and one set of words -------------------------------------------------------------

# tú-forms (verbs and pronouns) and the words the glossary (docs/glossary-es.md) avoids.
_TU = re.compile(
    r"\b(tú|tu|tus|te|ti|contigo|responde|escribe|envía|envia|puedes|quieres|tienes|sepas|traes|vienes|"
    r"recibirás|recibiras|volverás|volveras|suscribirte|darte|avisaremos te)\b",
    re.IGNORECASE,
)
_AVOIDED = re.compile(
    r"(\bpapeletas?\b|\belecci[oó]n(es)?\b|\bemitir\b|\bemitido\b|\bsu voto\b|\bel voto\b|\bcomprobante de voto\b|"
    r"\w/[oa]\b|\bbienvenidos\b|\binvitad[oa]s?\b)",
    re.IGNORECASE,
)

WHEN = datetime(2026, 12, 3, 19, 0, tzinfo=UTC)


def _spanish_sms() -> list[str]:
    org = "Eastside Tenants Union"
    return [
        replies.confirmation("es", "GA", WHEN, "yes", 2),
        replies.confirmation("es", "GA", WHEN, "no"),
        replies.confirmation("es", "GA", WHEN, "maybe"),
        replies.ask_guest_count("es"),
        replies.no_meeting_open("es", org),
        replies.how_to_rsvp("es"),
        replies.stop_confirmation("es", org),
        replies.start_confirmation("es", org),
        replies.help_text("es", org, "510-555-0100"),
        replies.ask_name("es", org),
        replies.thanks_for_name("es", "Ana"),
        replies.invitation("es", org, "Asamblea", WHEN, "Salón", "GA12"),
        replies.reminder("es", org, "Asamblea", WHEN, "Salón", ["Control de alquileres"]),
    ]


def _spanish_strings() -> list[str]:
    contest_tape = list(CONTEST_TAPE_WORDS["es"].values())
    return (
        [entry["es"] for entry in i18n.CATALOGUE.values()]
        + list(RECEIPT_WORDS["es"].values())
        + contest_tape
        + _spanish_sms()
    )


def test_spanish_uses_usted_and_the_glossary_words() -> None:
    for text in _spanish_strings():
        assert not _TU.search(text), f"tú-form in {text!r}"
        assert not _AVOIDED.search(text), f"avoided word in {text!r} (see docs/glossary-es.md)"


def test_the_scan_catches_what_it_should() -> None:
    # The patterns themselves, on the old wording they replaced.
    for old in ("Responde NO para cambiar.", "Ya no recibiras mensajes", "cuando sepas"):
        assert _TU.search(old)
    for old in ("Sus elecciones", "Papeletas entregadas", "Bienvenida/o", "Invitada/o", "Su voto fue emitido"):
        assert _AVOIDED.search(old)


def test_spanish_help_carries_the_rates_line_and_times_are_12_hour() -> None:
    assert "Msg & data rates may apply" in replies.help_text("en", "ETU")
    assert "Pueden aplicarse tarifas de mensajes y datos" in replies.help_text("es", "ETU", "510-555-0100")
    assert replies.format_when(WHEN, "es") == "jue 3 dic, 7:00 p. m."
    assert format_time(WHEN, "es") == "7:00 p. m." and format_time(WHEN.replace(hour=9), "es") == "9:00 a. m."
    assert "Anotado: SI a GA, jue 3 dic, 7:00 p. m. Responda" in replies.confirmation("es", "GA", WHEN, "yes")


def test_plain_thresholds_and_plural_countdowns() -> None:
    t = i18n.translate
    assert (
        t("threshold_three-fifths", "es")
        == "Se aprueba si al menos 3 de cada 5 votos son Sí; las abstenciones no cuentan."
    )
    assert t("returning_one", "es") == "Volviendo al inicio en 1 segundo."
    assert t("returning", "es", seconds=5) == "Volviendo al inicio en 5 segundos."
    assert t("cast", "es") == "Enviar mi voto"


def test_error_pages_are_not_headed_welcome(tally: Tally, app_config: dict[str, Any]) -> None:
    from kiosk.config import Settings
    from kiosk.web.app import create_app

    app = create_app(Settings(), tally, simulated=False, test_config=app_config)
    try:
        client = app.test_client()
        client.post("/kiosk/lang", data={"lang": "es", "next": "/kiosk/"})
        page = client.get("/kiosk/screen?key=wrong").get_data(as_text=True)
    finally:
        app.extensions["kiosk"].close()
    assert "<h1>Pantalla sin conexión</h1>" in page and "bienvenida" not in page.lower()
