"""``kiosk doctor``'s audio check (issue 18): can the kiosk speak (espeak-ng and a voice for each language), is
there sound (a test tone on ``[audio] device``), and is the current meeting's audio ballot rendered.

Returns plain tuples ``(check, status, message, fix)`` so this module needs nothing of the doctor's types.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hardware.speech import SpeechUnavailable, open_synth, play_test_tone
from kiosk.audio.render import audio_root, read_json
from kiosk.config import Settings

Finding = tuple[str, str, str, str]

INSTALL_FIX = "Install it (sudo apt install espeak-ng), then run `kiosk audio build CODE`."


def audio_findings(settings: Settings, *, play: bool = True) -> list[Finding]:
    audio = settings.audio
    if not audio.enabled:
        return [("audio", "ok", "audio ballot turned off ([audio] enabled = false)", "")]
    findings: list[Finding] = []
    try:
        synth = open_synth(audio.synth, audio.espeak)
    except SpeechUnavailable as exc:
        findings.append(("audio speech", "warn", f"{exc}: no audio ballot (voting goes on, on screen)", INSTALL_FIX))
    else:
        for lang, voice in (("en", audio.voice_en), ("es", audio.voice_es)):
            try:
                synth.check_voice(voice)
                findings.append((f"audio voice {lang}", "ok", f"{synth.backend} voice {voice}", ""))
            except SpeechUnavailable as exc:
                fix = f"Pick one of `espeak-ng --voices={lang}` for [audio] voice_{lang}."
                findings.append((f"audio voice {lang}", "warn", f"{exc}: no audio ballot in {lang}", fix))
    if play:
        findings.append(_tone(audio.device))
    findings.extend(_rendered(settings))
    return findings


def _tone(device: str) -> Finding:
    fix = (
        "Plug headphones into the 3.5 mm jack or a USB sound card; `aplay -L` lists the outputs; set [audio] device "
        "(docs/pi-setup.md, Audio ballot)."
    )
    try:
        with tempfile.TemporaryDirectory() as scratch:
            message = play_test_tone(device, Path(scratch))
    except SpeechUnavailable as exc:
        return ("audio output", "warn", f"audio: cannot play a test tone on {device}: {exc}", fix)
    except OSError as exc:
        return ("audio output", "warn", f"audio: cannot play a test tone on {device}: {exc}", fix)
    return ("audio output", "ok", f"audio: {message} (you should have heard one second of a tone)", "")


def _rendered(settings: Settings) -> list[Finding]:
    folder = audio_root(settings.data_path) / "meetings"
    statuses = sorted(folder.glob("*.status.json")) if folder.is_dir() else []
    if not statuses:
        return [("audio ballot", "ok", "no meeting's audio rendered yet (it is made when voting opens)", "")]
    latest = max(statuses, key=lambda p: p.stat().st_mtime)
    status = read_json(latest) or {}
    code = latest.name.removesuffix(".status.json")
    state = status.get("state", "unknown")
    level = {"ready": "ok", "rendering": "ok"}.get(state, "warn")
    fix = "" if level == "ok" else f"Fix what is named, then run `kiosk audio build {code}`."
    return [("audio ballot", level, f"{code}: {status.get('message', state)}", fix)]
