"""Receipts as values: content in both languages, widths, sanitizing, the non-Latin fallback, JSON round trip."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from kiosk.receipts import (
    QR,
    BigText,
    Feed,
    Heading,
    Line,
    Receipt,
    ReceiptKind,
    Row,
    Rule,
    ballot_receipt,
    clean,
    layout,
    printable,
    printer_test_receipt,
    render_text,
    signin_receipt,
    tally_tape,
)
from kiosk.results import Choice, MeetingResults, PlankResult, Quorum, Threshold

LA = ZoneInfo("America/Los_Angeles")
STARTS = datetime(2026, 12, 3, 19, 0, tzinfo=LA)
LONG_TITLE = "General Assembly on the tenants' rent strike fund, the eviction defense hotline and housing"


def signin(language: str = "en", columns: int = 48, **over: object) -> Receipt:
    args: dict[str, object] = {
        "organization": "Eastside Tenants Union",
        "meeting_title": "General Assembly",
        "starts_at": STARTS,
        "display_name": "Ana R.",
        "kind": "member",
        "token": "ACD3-4EFG",
        "rsvp_hint": "text GA to (555) 010-2000",
        "language": language,
        "columns": columns,
    }
    args.update(over)
    return signin_receipt(**args)  # type: ignore[arg-type]


def ballot(language: str = "en", columns: int = 48, **over: object) -> Receipt:
    args: dict[str, object] = {
        "organization": "Eastside Tenants Union",
        "meeting_title": "General Assembly",
        "verification_code": "ACD3-4EFG-HJ",
        "verify_url": "https://kiosk.example.org/verify/ACD34EFGHJ",
        "choices": None,
        "language": language,
        "columns": columns,
    }
    args.update(over)
    return ballot_receipt(**args)  # type: ignore[arg-type]


def results() -> MeetingResults:
    return MeetingResults(
        meeting="GA12",
        title=LONG_TITLE,
        state="closed",
        quorum=Quorum(required=7, present=31),
        ballots_issued=31,
        ballots_cast=29,
        planks=[
            PlankResult(1, "Rent strike fund", Threshold.MAJORITY, 20, 8, 1),
            PlankResult(2, "Amend the bylaws: " + "x" * 80, Threshold.TWO_THIRDS, 12, 10, 7),
            PlankResult(3, "Nobody voted", Threshold.MAJORITY, 0, 0, 29),
        ],
    )


def tally(language: str = "en", columns: int = 48) -> Receipt:
    return tally_tape(
        organization="Eastside Tenants Union",
        results=results(),
        audit_head="9f" * 32,
        printed_at=datetime(2026, 12, 3, 21, 5, tzinfo=LA),
        language=language,
        columns=columns,
    )


ALL_KINDS = [signin, ballot, tally]


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("columns", [48, 32])
@pytest.mark.parametrize("build", ALL_KINDS, ids=["signin", "ballot", "tally"])
def test_no_line_is_wider_than_the_paper(build, language: str, columns: int) -> None:
    receipt = build(language, columns)
    for width in (columns, 32, 48, 24):
        for line in layout(receipt, width):
            assert len(line.text) * line.scale <= width, line
        for text_line in render_text(receipt, width).splitlines():
            assert len(text_line) <= width, text_line


def test_signin_receipt_english() -> None:
    text = render_text(signin("en"))
    for expected in ("Eastside Tenants Union", "General Assembly", "Thursday, December 3, 2026", "7:00 PM"):
        assert expected in text
    assert "Welcome, Ana R." in text
    assert "Member" in text
    assert "A C D 3 - 4 E F G" in text  # double width on paper, letter-spaced in text
    assert "[QR: ACD3-4EFG]" in text
    assert "RSVP by text: text GA to (555) 010-2000" in " ".join(text.split())
    assert "REPRINT" not in text


def test_signin_receipt_spanish_and_reprint() -> None:
    receipt = signin("es", reprint=True)
    text = render_text(receipt)
    assert "Hola, Ana R." in text
    assert "jueves 3 de diciembre de 2026" in text and "7:00 p. m." in text
    assert "Miembro" in text and "Su código de votación" in text
    assert text.count("REIMPRESIÓN") == 2  # top and bottom, so a torn half still says it
    assert isinstance(receipt.blocks[0], Heading)


def test_signin_time_is_the_meetings_local_time() -> None:
    text = render_text(signin("en", starts_at=datetime(2026, 12, 4, 3, 0, tzinfo=UTC)))
    assert "Friday, December 4, 2026" in text and "3:00 AM" in text
    with pytest.raises(ValueError, match="time zone"):
        signin(starts_at=datetime(2026, 12, 3, 19, 0))


@pytest.mark.parametrize("kind", ["guest", "pending"])
def test_signin_without_token_has_no_code(kind: str) -> None:
    receipt = signin("en", kind=kind, token=None)
    assert not any(isinstance(b, QR | BigText) for b in receipt.blocks)
    text = render_text(receipt)
    assert ("Guest" if kind == "guest" else "Membership pending") in text
    es = render_text(signin("es", kind=kind, token=None))
    assert ("Visitante" if kind == "guest" else "Membresía pendiente") in es


def test_token_is_secret_and_redacted_for_logs() -> None:
    receipt = signin()
    assert [b for b in receipt.blocks if isinstance(b, BigText | QR) and b.secret]
    redacted = render_text(receipt, redact=True)
    assert "ACD3" not in redacted and "A C D 3" not in redacted


def test_ballot_receipt_names_nobody_and_shows_choices_only_when_asked() -> None:
    plain = render_text(ballot("en"))
    assert "ACD3-4EFG-HJ".replace("", " ").strip() in plain
    assert [b.data for b in ballot("en").blocks if isinstance(b, QR)] == ["https://kiosk.example.org/verify/ACD34EFGHJ"]
    assert "Your choices" not in plain and "YES" not in plain
    assert "does not name you" in plain
    with_choices = render_text(ballot("es", choices=[("Rent strike fund", Choice.YES), ("Bylaws", Choice.ABSTAIN)]))
    assert "Sus respuestas" in with_choices
    assert "1. Rent strike fund" in with_choices and "SÍ" in with_choices and "ABSTENCIÓN" in with_choices


@pytest.mark.parametrize("columns", [32, 48])
def test_ballot_receipt_shows_rankings_in_order_in_english_and_spanish(columns: int) -> None:
    rankings = [("Mayor endorsement", ("Ana Díaz", "Luis Ortega")), ("Steering committee", ())]
    english = render_text(ballot("en", columns=columns, rankings=rankings))
    assert "Your rankings" in english and "Mayor endorsement" in english
    assert "1. Ana Díaz" in english and "2. Luis Ortega" in english
    assert english.index("1. Ana Díaz") < english.index("2. Luis Ortega") < english.index("Steering committee")
    assert "(nobody ranked)" in english
    spanish = render_text(ballot("es", columns=columns, rankings=[("Respaldo para la alcaldía", ("Ana Díaz",))]))
    assert "Su orden de preferencia" in spanish and "1. Ana Díaz" in spanish
    assert "Your rankings" not in render_text(ballot("en"))  # shown only when the meeting asks, like choices


def test_tally_tape_counts_outcomes_quorum_and_audit_head() -> None:
    text = render_text(tally("en"))
    assert "1. Rent strike fund" in text
    assert "PASSED" in text and "71.4% yes" in text
    assert text.count("FAILED") == 2  # 12-10 misses two thirds; 0-0 decides nothing
    assert "Needs two thirds" in text
    assert "QUORUM MET" in text
    lines = text.splitlines()
    assert any(line.startswith("Ballots issued") and line.endswith("31") for line in lines)
    assert any(line.startswith("Ballots cast") and line.endswith("29") for line in lines)
    assert "9f" * 24 in text  # the hash, hard-broken at 48 columns
    assert "".join(line.strip() for line in lines if set(line.strip()) <= set("9f") and line.strip()) == "9f" * 32
    es = render_text(tally("es", 32))
    assert "APROBADA" in es and "RECHAZADA" in es and "HAY QUÓRUM" in es and "Abstención" in es


def test_quorum_not_met_is_said() -> None:
    r = results()
    low = MeetingResults(r.meeting, r.title, r.state, Quorum(10, 4), 4, 4, r.planks)
    receipt = tally_tape(organization="X", results=low, audit_head="ab", printed_at=STARTS, language="en", columns=32)
    assert "QUORUM NOT MET" in render_text(receipt)


def test_long_words_are_hard_broken_and_words_kept_whole() -> None:
    receipt = signin(columns=32, meeting_title="Supercalifragilisticexpialidocious" * 3, organization=LONG_TITLE)
    lines = render_text(receipt, 32).splitlines()
    assert all(len(line) <= 32 for line in lines)
    org_lines = [line.text for line in layout(receipt, 32) if line.tall and line.bold][:3]
    assert " ".join(org_lines) == LONG_TITLE  # wrapped on word boundaries, no word split


def test_sanitizer_removes_control_and_format_characters() -> None:
    nasty = "Ana\x1b@\x1dV\x00\x10\x04\x01\x1c\x7f\x85\x9b R.\u200b\u202e\u00ad\ufeff\n\tx\ue000"
    assert clean(nasty) == "Ana@V R. x"
    assert clean("  a \u00a0\u2003 b  ") == "a b"
    assert len(clean("y" * 1000)) == 300


def test_non_latin_names_fall_back_legibly_one_character_each() -> None:
    assert printable("José Peña Núñez, Ñandú ¿¡ü") == "José Peña Núñez, Ñandú ¿¡ü"  # Spanish prints as is
    assert printable("Łukasz Żółć, Ελένη, Иван, O’Brien") == "Łukasz Żółć, Ελένη, Иван, O’Brien"
    assert printable("Nguyễn Thị Lan") == "Nguyên Thi Lan"
    assert printable("李伟") == "??"
    assert printable("عائشة") == "?????"
    assert printable("ＡＢＣ") == "ABC"
    text = render_text(signin(display_name="Nguyễn Thị Lan"))
    assert "Welcome, Nguyên Thi Lan" in text


def test_json_round_trip_for_every_kind() -> None:
    for build in ALL_KINDS:
        for language in ("en", "es"):
            receipt = build(language, 32)
            stored = receipt.to_json()
            data = json.loads(stored)
            assert all(isinstance(b, dict) and "type" in b for b in data["blocks"])
            again = Receipt.from_json(stored)
            assert again == receipt
            assert render_text(again) == render_text(receipt)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("not json", "not valid JSON"),
        ("[]", "JSON object"),
        ('{"kind":"signin","language":"en","columns":48}', "lacks 'blocks'"),
        ('{"kind":"poster","language":"en","columns":48,"blocks":[]}', "unknown receipt kind"),
        ('{"kind":"signin","language":"fr","columns":48,"blocks":[]}', "language"),
        ('{"kind":"signin","language":"en","columns":4,"blocks":[]}', "columns"),
        ('{"kind":"signin","language":"en","columns":48,"blocks":[{"type":"beep"}]}', "unknown block type"),
        ('{"kind":"signin","language":"en","columns":48,"blocks":[{"type":"line"}]}', "incomplete"),
        ('{"kind":"signin","language":"en","columns":48,"blocks":[{"type":"line","text":"a\\u001b@"}]}', "cannot"),
        ('{"kind":"signin","language":"en","columns":48,"blocks":[{"type":"qr","data":"x","size":99}]}', "size"),
        ('{"kind":"signin","language":"en","columns":48,"blocks":[{"type":"rule","x":1}]}', "unknown fields"),
    ],
)
def test_bad_stored_receipts_are_refused_plainly(payload: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Receipt.from_json(payload)


def test_blocks_refuse_unprintable_text() -> None:
    with pytest.raises(ValueError, match="cannot carry"):
        Line("evil \x1b@")
    with pytest.raises(ValueError, match="cannot carry"):
        Heading("李伟")
    Row("a", "b"), Rule(), Feed(2), BigText("X"), QR("x")


def test_bad_builder_arguments() -> None:
    with pytest.raises(ValueError, match="language"):
        signin(language="fr")
    with pytest.raises(ValueError, match="columns"):
        signin(columns=5)
    with pytest.raises(ValueError, match="kind"):
        signin(kind="vip")
    with pytest.raises(ValueError, match="verification code"):
        ballot(verification_code="\x1b")


def test_printer_test_page() -> None:
    receipt = printer_test_receipt(target="127.0.0.1:9100", printed_at=STARTS, language="es", columns=32)
    assert receipt.kind is ReceiptKind.TEST
    text = render_text(receipt)
    assert "PRUEBA DE IMPRESORA" in text and "12345678901234567890123456789012" in text


def test_core_imports_no_hardware_or_web_library() -> None:
    code = (
        "import sys, kiosk.receipts; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('escpos','flask','gpiozero','serial','twilio')]; "
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True)
    assert out.stdout.strip() == "[]"


def test_receipts_say_whether_they_carry_a_live_token() -> None:
    assert signin().has_secrets
    assert not signin(token=None, kind="guest").has_secrets
    assert not ballot().has_secrets and not tally().has_secrets
