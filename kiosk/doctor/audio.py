"""Check: the audio ballot (speech engine, voices, the [audio] device, the last meeting's render); the checks
themselves live with the audio ballot in ``kiosk.audio.doctor``."""

from __future__ import annotations

from kiosk.config import Settings
from kiosk.doctor.base import Environment, Finding, Status


def check(env: Environment, settings: Settings) -> list[Finding]:
    from kiosk.audio.doctor import audio_findings

    return [Finding(check, Status(status), message, fix) for check, status, message, fix in audio_findings(settings)]
