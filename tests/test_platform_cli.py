"""``kiosk platform`` (text, JSON, CSV, English and Spanish, history, the tape) and ``kiosk platform rebuild``,
the public files and the organizer's plank form and print button. SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hardware.printer import render_escpos
from kiosk import accounts
from kiosk.print_queue import PrintQueue
from kiosk.receipts import Receipt, render_text
from kiosk.schema import print_jobs
from kiosk.tally import Tally
from kiosk.web.organizer import create_organizer_app
from tests.platform_support import forget_platform, hold_meeting
from tests.printer_emulator import decode
from tests.test_cli import kiosk  # noqa: F401  (the fixture)
from tests.test_organizer import PASSWORD, logged_in, organizer_settings, post

GA1 = (
    "title,text,threshold,title_es,text_es\n"
    "Rent control,Cap rents.,majority,Control de alquileres,Limitar los alquileres.\n"
    "Public bank,Found a city bank.,majority,,\n"
    "Free transit,Fare-free buses.,two-thirds,Transporte gratuito,\n"
)
GA2 = "title,text,amends,repeals\nRent control for all,Cap every rent.,Rent control,\nNo bank,,,Public bank\n"


@pytest.fixture
def platform(tally: Tally) -> Tally:
    """GA1 adopted two planks (a third failed); GA2 amended one and repealed the other."""
    hold_meeting(
        tally,
        "GA1",
        "2026-12-03T19:00",
        GA1,
        {"Rent control": (7, 3, 1), "Public bank": (6, 2, 0), "Free transit": (6, 4, 0)},
    )
    hold_meeting(tally, "GA2", "2027-01-14T19:00", GA2, {"Rent control for all": (9, 1, 0), "No bank": (5, 4, 2)})
    return tally


def test_json_lists_the_planks_in_force_with_their_adoption(kiosk: Any, platform: Tally) -> None:  # noqa: F811
    code, out, err = kiosk("platform", "--json")
    assert code == 0, err
    document = json.loads(out)
    assert document["planks"] == [
        {
            "title": "Rent control for all",
            "text": "Cap every rent.",
            "adopted": {
                "meeting": "GA2",
                "meeting_title": "Assembly GA2",
                "date": "2027-01-14",
                "yes": 9,
                "no": 1,
                "abstain": 1,  # the eleventh voter left it blank: counted with the abstentions
                "threshold": "majority",
            },
            "state": "current",
        }
    ]


def test_json_history_adds_what_replaced_or_ended_each_plank(kiosk: Any, platform: Tally) -> None:  # noqa: F811
    _code, out, _ = kiosk("platform", "--json", "--history")
    planks = {p["title"]: p for p in json.loads(out)["planks"]}
    assert list(planks) == ["Rent control", "Public bank", "Rent control for all"]
    assert planks["Rent control"]["state"] == "amended"
    assert planks["Rent control"]["replaced_by"] == "Rent control for all"
    assert planks["Rent control"]["ended"] == {
        "meeting": "GA2",
        "meeting_title": "Assembly GA2",
        "date": "2027-01-14",
        "by": "Rent control for all",
    }
    assert planks["Public bank"]["state"] == "repealed" and "replaced_by" not in planks["Public bank"]
    assert planks["Public bank"]["ended"]["by"] == "No bank"
    assert planks["Rent control"]["adopted"] | {} == planks["Rent control"]["adopted"]
    assert (planks["Rent control"]["adopted"]["yes"], planks["Rent control"]["adopted"]["no"]) == (7, 3)


def test_spanish_json_and_text(kiosk: Any, platform: Tally) -> None:  # noqa: F811
    _code, out, _ = kiosk("platform", "--json", "--lang", "es", "--history")
    planks = json.loads(out)["planks"]
    assert planks[0]["title"] == "Control de alquileres" and planks[0]["original_title"] == "Rent control"
    assert planks[0]["text"] == "Limitar los alquileres."
    assert planks[1]["title"] == "Public bank"  # untranslated: the original, without original_title
    _code, out, _ = kiosk("platform", "--lang", "es", "--history")
    assert "Nuestro programa" in out and "1 propuesta vigente." in out
    assert "Aprobada en GA1 (Assembly GA1) el 3 de diciembre de 2026: 7 a favor, 3 en contra" in out
    assert "Enmendada en GA2 el 14 de enero de 2027, sustituida por «Rent control for all»." in out
    assert "Derogada en GA2 el 14 de enero de 2027 por «No bank»." in out
    _code, out, _ = kiosk("platform")
    assert "Our platform" in out and "1. Rent control for all" in out and "Public bank" not in out
    assert "Adopted at GA2 (Assembly GA2) on January 14, 2027: 9 yes, 1 no (a majority needed)." in out


def test_csv_has_every_plank_and_no_formula(kiosk: Any, tally: Tally) -> None:  # noqa: F811
    hold_meeting(tally, "GA1", "2026-12-03T19:00", "title,text\n=HYPERLINK(1),@SUM(1)\n", {"=HYPERLINK(1)": (2, 1, 0)})
    _code, out, _ = kiosk("platform", "--csv")
    (row,) = list(csv.DictReader(io.StringIO(out)))
    assert row["title"] == "'=HYPERLINK(1)" and row["text"] == "'@SUM(1)"
    assert (row["meeting"], row["yes"], row["no"], row["state"]) == ("GA1", "2", "1", "current")


def test_empty_platform(kiosk: Any, tally: Tally) -> None:  # noqa: F811
    assert kiosk("platform", "--json")[1].strip().startswith("{")
    assert json.loads(kiosk("platform", "--json")[1])["planks"] == []
    assert "No plank has been adopted yet." in kiosk("platform")[1]


def test_print_queues_a_tape_in_either_language(kiosk: Any, platform: Tally) -> None:  # noqa: F811
    assert kiosk("platform", "--print", "--lang", "es")[1].strip() == "the platform tape is queued for the printer"
    assert "already queued" in kiosk("platform", "--print", "--lang", "es")[1]  # a double request prints once
    assert "queued for the printer" in kiosk("platform", "--print")[1]
    jobs = [j for j in PrintQueue(platform.engine).jobs() if j.kind == "platform"]
    assert len(jobs) == 2
    texts = {}
    for job in jobs:
        with platform.engine.connect() as conn:
            payload = conn.execute(select(print_jobs.c.payload).where(print_jobs.c.id == job.id)).scalar_one()
        receipt = Receipt.from_json(payload)
        # The bytes python-escpos's Dummy printer makes of it, read back by the printer emulator.
        for columns in (32, 48):
            printed = decode(render_escpos(receipt, columns=columns))
            assert printed.cuts == 1 and all(line.width <= columns for line in printed.lines)
        texts[receipt.language] = decode(render_escpos(receipt, columns=48)).text
        assert texts[receipt.language].split() == render_text(receipt, 48).split()  # paper and preview agree
    assert "NUESTRO PROGRAMA" in texts["es"] and "Control de alquileres" not in texts["es"]
    assert "Rent control for all" in texts["es"] and "Aprobada en GA2, 14 de enero de 2027" in texts["es"]
    assert "Necesita mayoría simple" in texts["es"]
    assert "OUR PLATFORM" in texts["en"] and "Public bank" not in texts["en"] and "Cap every rent." in texts["en"]


def test_rebuild_and_init_add_meetings_closed_before(kiosk: Any, platform: Tally) -> None:  # noqa: F811
    assert kiosk("platform", "rebuild")[1].strip() == "the platform already holds every closed meeting"
    forget_platform(platform)  # the amend/repeal columns are gone too: as before the platform existed
    code, out, _ = kiosk("init")
    assert code == 0
    assert "platform: meeting GA1 added 2 planks" in out and "platform: meeting GA2 added 2 planks" in out
    assert [p.title for p in platform.platform()] == ["Rent control", "Public bank", "Rent control for all", "No bank"]
    assert kiosk("platform", "rebuild")[1].strip() == "the platform already holds every closed meeting"


# --- the web: the public files, the organizer's form and print button --------------------------------------------


@pytest.fixture
def organizer(tally: Tally, tmp_path: Path, db_url: str) -> Flask:
    accounts.add_organizer(tally.engine, "rosa", PASSWORD)
    return create_organizer_app(organizer_settings(tmp_path, db_url), tally, test_config={"TESTING": True})


def test_public_files_need_no_login(organizer: Flask, platform: Tally) -> None:
    client = organizer.test_client()
    response = client.get("/platform.json?history=1&lang=es")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert [p["state"] for p in response.get_json()["planks"]] == ["amended", "repealed", "current"]
    assert response.get_json()["planks"][0]["title"] == "Control de alquileres"
    response = client.get("/platform.csv")
    assert response.status_code == 200 and len(list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))) == 3
    assert client.get("/platform.xml").status_code == 404
    page = client.get("/platform?history=1").get_data(as_text=True)
    assert "No longer in force" in page and "Repealed at GA2 on January 14, 2027 by “No bank”." in page


def test_organizer_plank_form_picks_from_the_platform(organizer: Flask, platform: Tally) -> None:
    client = logged_in(organizer)
    platform.create_meeting(code="GA3", title="Next", starts="2027-02-11T19:00")
    (current,) = platform.platform()
    page = client.get("/organizer/m/GA3").get_data(as_text=True)
    assert f'value="amends:{current.id}"' in page and f'value="repeals:{current.id}"' in page
    assert "Public bank" not in page  # repealed: not offered
    post(
        client,
        "/organizer/m/GA3/planks",
        {"title": "Rent control 3", "threshold": "majority", "platform_change": f"amends:{current.id}"},
    )
    (plank,) = platform.planks("GA3")
    assert platform.plank_platform_changes("GA3") == {plank.id: ("amends", "Rent control for all")}
    page = client.get("/organizer/m/GA3").get_data(as_text=True)
    assert f'value="amends:{current.id}" selected' in page
    data = {"title": "Rent control 3", "text": "", "threshold": "majority", "platform_change": f"repeals:{current.id}"}
    post(client, f"/organizer/m/GA3/planks/{plank.id}/edit", data)
    assert platform.plank_platform_changes("GA3") == {plank.id: ("repeals", "Rent control for all")}
    response = post(
        client,
        f"/organizer/m/GA3/planks/{plank.id}/edit",
        data | {"platform_change": "amends:99999"},
        follow_redirects=True,
    )
    assert "no longer in force" in response.get_data(as_text=True)
    post(client, f"/organizer/m/GA3/planks/{plank.id}/edit", data | {"platform_change": ""})
    assert platform.plank_platform_changes("GA3") == {}


def test_organizer_prints_the_platform_tape(organizer: Flask, platform: Tally) -> None:
    client = logged_in(organizer)
    assert "1 plank in force" in client.get("/organizer/").get_data(as_text=True)
    response = post(client, "/organizer/platform/tape", {"lang": "es"}, follow_redirects=True)
    assert "The platform tape is queued for the printer." in response.get_data(as_text=True)
    (job,) = [j for j in PrintQueue(platform.engine).jobs() if j.kind == "platform"]
    assert job.state == "queued"
