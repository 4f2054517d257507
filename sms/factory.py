"""Choosing the SMS backend by name from the configuration; an unknown name is an error, never a fake."""

from __future__ import annotations

from kiosk.config import Settings
from kiosk.errors import ConfigError
from sms.backends import ConsoleBackend, SmsBackend

BACKENDS = ("console", "twilio", "modem")


def open_backend(settings: Settings) -> SmsBackend:
    name = settings.sms.backend
    if name == "console":
        return ConsoleBackend()
    if name == "twilio":
        t = settings.twilio
        missing = [k for k in ("account_sid", "auth_token", "from_number") if not getattr(t, k)]
        if missing:
            raise ConfigError(f'{settings.source}: [sms.twilio] needs {", ".join(missing)} for backend = "twilio"')
        from sms.backends import SmsConfigError
        from sms.twilio_backend import TwilioBackend

        try:
            return TwilioBackend(
                t.account_sid,
                t.auth_token,
                t.from_number,
                api_base=t.api_base or None,
                poll_inbound=t.inbound == "poll",
            )
        except SmsConfigError as exc:
            raise ConfigError(f"{settings.source}: [sms.twilio] {exc}") from None
    if name == "modem":
        from sms.gsm_modem import GsmModemBackend

        m = settings.modem
        return GsmModemBackend(m.port, baudrate=m.baudrate, pin=m.pin or None)
    raise ConfigError(f"{settings.source}: [sms] backend = {name!r}; use one of: {', '.join(BACKENDS)}")
