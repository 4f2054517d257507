"""Webhook helpers checked with signatures made by twilio's own RequestValidator."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from sms.backends import SmsInputError
from sms.twilio_backend import inbound_from_webhook, twiml_empty, validate_webhook, webhook_url

TOKEN = "12345678901234567890123456789012"
PUBLIC = "https://kiosk.example.org/sms/inbound"
PARAMS = {
    "MessageSid": "SM" + "a" * 32,
    "AccountSid": "AC" + "b" * 32,
    "From": "+15551234567",
    "To": "+15550001111",
    "Body": "YES 2 ¡sí! 👍",
    "NumMedia": "0",
}


def sign(url: str, params: dict[str, str], token: str = TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


def test_valid_signature() -> None:
    assert validate_webhook(PUBLIC, PARAMS, sign(PUBLIC, PARAMS), TOKEN)


def test_wrong_token_is_rejected() -> None:
    assert not validate_webhook(PUBLIC, PARAMS, sign(PUBLIC, PARAMS, token="0" * 32), TOKEN)


def test_tampered_body_is_rejected() -> None:
    signature = sign(PUBLIC, PARAMS)
    assert not validate_webhook(PUBLIC, {**PARAMS, "Body": "NO"}, signature, TOKEN)


@pytest.mark.parametrize("signature", [None, "", "not-base64!!", "a" * 5000])
def test_missing_or_junk_signature_is_rejected(signature: str | None) -> None:
    assert not validate_webhook(PUBLIC, PARAMS, signature, TOKEN)


def test_empty_token_is_rejected() -> None:
    assert not validate_webhook(PUBLIC, PARAMS, sign(PUBLIC, PARAMS, token=""), "")


def test_local_url_behind_a_proxy_fails_and_the_rebuilt_one_passes() -> None:
    signature = sign(PUBLIC, PARAMS)
    seen_by_flask = "http://127.0.0.1:8000/sms/inbound"
    assert not validate_webhook(seen_by_flask, PARAMS, signature, TOKEN)
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "kiosk.example.org", "Host": "127.0.0.1"}
    rebuilt = webhook_url(seen_by_flask, headers)
    assert rebuilt == PUBLIC
    assert validate_webhook(rebuilt, PARAMS, signature, TOKEN)


def test_forwarded_headers_take_the_first_hop_and_keep_the_query() -> None:
    headers = {"x-forwarded-proto": "https, http", "x-forwarded-host": "kiosk.example.org, proxy.lan"}
    url = webhook_url("http://127.0.0.1:8000/sms/inbound?org=7", headers)
    assert url == PUBLIC + "?org=7"
    assert validate_webhook(url, PARAMS, sign(PUBLIC + "?org=7", PARAMS), TOKEN)


def test_configured_public_url_wins() -> None:
    headers = {"X-Forwarded-Host": "evil.example.com"}
    url = webhook_url("http://127.0.0.1:8000/sms/inbound", headers, public_url=PUBLIC)
    assert url == PUBLIC
    assert validate_webhook(url, PARAMS, sign(PUBLIC, PARAMS), TOKEN)


def test_no_proxy_headers_leave_the_url_alone() -> None:
    assert webhook_url("http://10.0.0.5:8000/sms?x=1", {}) == "http://10.0.0.5:8000/sms?x=1"


def test_inbound_from_webhook() -> None:
    text = inbound_from_webhook(PARAMS)
    assert (text.provider_id, text.sender) == (PARAMS["MessageSid"], "+15551234567")
    assert text.body == PARAMS["Body"]
    assert text.received_at.tzinfo is not None
    with pytest.raises(SmsInputError):
        inbound_from_webhook({"Body": "yes"})


def test_twiml_empty() -> None:
    assert twiml_empty() == '<?xml version="1.0" encoding="UTF-8"?><Response />'
