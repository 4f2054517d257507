"""Check: the SMS path. Twilio's credentials (and with ``--online`` one API call), or the GSM modem's SIM, network
registration and signal; while the SMS gateway runs it alone owns the modem, so its last report is read instead."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.config import Settings
from kiosk.doctor.base import Environment, Finding, Status

if TYPE_CHECKING:
    from sms.backends import BackendStatus

TWILIO_FIX = (
    "Copy the Account SID and Auth Token from the Twilio console (console.twilio.com, Account Info) "
    "into [sms.twilio]; the number from Phone Numbers > Active numbers."
)


def check(env: Environment, settings: Settings) -> list[Finding]:
    backend = settings.sms.backend
    if backend == "console":
        return [
            Finding(
                "sms",
                Status.WARN,
                "texts are simulated ([sms] backend = console)",
                'For real texts set [sms] backend = "twilio" or "modem" (see docs/pi-setup.md).',
            )
        ]
    if backend == "twilio":
        return _check_twilio(env, settings)
    return _check_modem(env, settings)


# --- Twilio --------------------------------------------------------------------------------------------


def _twilio_problems(settings: Settings) -> list[str]:
    t = settings.twilio
    problems = []
    if not re.fullmatch(r"AC[0-9a-f]{32}", t.account_sid):
        problems.append("account_sid must be AC followed by 32 hex digits")
    if not re.fullmatch(r"[0-9a-f]{32}", t.auth_token):
        problems.append("auth_token must be 32 hex digits")
    if not re.fullmatch(r"\+[1-9]\d{6,14}", t.from_number):
        problems.append("from_number must be in E.164 form, e.g. +15105550199")
    if t.inbound == "webhook" and not t.public_url.startswith("https://"):
        problems.append("inbound = webhook needs public_url, the https:// address Twilio calls")
    return problems


def _check_twilio(env: Environment, settings: Settings) -> list[Finding]:
    problems = _twilio_problems(settings)
    if problems:
        return [Finding("twilio", Status.FAIL, "; ".join(problems), TWILIO_FIX)]
    out = [Finding("twilio", Status.OK, f"credentials look right; sending from {settings.twilio.from_number}")]
    if env.options.online:
        out.append(_twilio_online(settings))
    return out


def _twilio_online(settings: Settings) -> Finding:
    from sms.twilio_backend import TwilioBackend

    t = settings.twilio
    backend = TwilioBackend(t.account_sid, t.auth_token, t.from_number, api_base=t.api_base or None, timeout=10)
    try:
        texts = backend.poll()  # one authenticated list call
        status = backend.status()
    finally:
        backend.close()
    if status.last_error:
        return Finding("twilio online", Status.FAIL, f"Twilio said: {status.last_error}", TWILIO_FIX)
    return Finding("twilio online", Status.OK, f"Twilio answered; {len(texts)} recent inbound text(s)")


# --- GSM modem -----------------------------------------------------------------------------------------


def _check_modem(env: Environment, settings: Settings) -> list[Finding]:
    m = settings.modem
    if env.service_active("assembly-kiosk-sms.service"):
        return [_gateway_report(settings)]
    if not Path(m.port).exists():
        return [
            Finding(
                "modem",
                Status.FAIL,
                f"no modem at {m.port}",
                "Plug the modem in (a powered USB hub helps), wait 20 s, and look for it with "
                "`ls -l /dev/serial/by-id/`; put that path in [sms.modem] port.",
            )
        ]
    from sms.gsm_modem import GsmModemBackend

    modem = GsmModemBackend(m.port, baudrate=m.baudrate, pin=m.pin or None, timeout=3.0, sim_busy_wait=5.0)
    try:
        info = modem.status()
    finally:
        modem.close()
    unusable = _modem_unusable(info, m.port)
    if unusable is not None:
        return [unusable]
    return [_network(info), _signal(info)]


def _modem_unusable(info: BackendStatus, port: str) -> Finding | None:
    """A locked SIM or a modem that does not answer: nothing else can be read then."""
    if info.fatal:
        return Finding(
            "modem",
            Status.FAIL,
            f"SIM: {info.fatal}",
            "Put the SIM's PIN in [sms.modem] pin, or remove the PIN by putting the SIM in a phone.",
        )
    if not info.connected:
        return Finding(
            "modem",
            Status.FAIL,
            f"the modem at {port} does not answer ({info.last_error or 'no reply'})",
            "Unplug the modem and plug it in again; check [sms.modem] port and baudrate.",
        )
    return None


def _network(info: BackendStatus) -> Finding:
    reg = info.registration
    if reg in ("home", "roaming"):
        return Finding("modem network", Status.OK, f"registered ({reg}), operator {info.operator}")
    return Finding(
        "modem network",
        Status.FAIL,
        f"not registered on a network ({reg})",
        "Check the SIM is active and has credit, and that the antenna is screwed on; move the modem nearer a window.",
    )


def _signal(info: BackendStatus) -> Finding:
    signal = info.signal
    bars = signal.bars if signal else None
    if bars is None:
        return Finding("modem signal", Status.WARN, "no signal reading", "Check the antenna.")
    if bars <= 1:
        return Finding(
            "modem signal",
            Status.WARN,
            f"weak signal ({signal.dbm if signal else None} dBm)",
            "Move the modem or its antenna nearer a window; use a USB extension cable.",
        )
    return Finding("modem signal", Status.OK, f"{bars} bars ({signal.dbm if signal else None} dBm)")


def _gateway_report(settings: Settings) -> Finding:
    from kiosk import db
    from kiosk.device_status import device_statuses

    engine = db.make_engine(settings.database_url)
    try:
        rows = {k: v for k, v in device_statuses(engine).items() if k.startswith("sms")}
    finally:
        engine.dispose()
    bad = [f"{k}: {v['summary']}" for k, v in rows.items() if not v["ok"]]
    if bad:
        return Finding(
            "modem",
            Status.FAIL,
            "the running SMS gateway reports: " + "; ".join(bad),
            "See `kiosk sms status`; `journalctl -u assembly-kiosk-sms` has the details.",
        )
    summary = "; ".join(f"{k}: {v['summary']}" for k, v in rows.items()) or "no report yet"
    return Finding("modem", Status.OK, f"the SMS gateway is running and owns the modem ({summary})")
