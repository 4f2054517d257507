"""Speech synthesis and sound output: the adapters behind the audio ballot (issue 18).

Owns: the implementations of :class:`kiosk.audio.synth.SpeechSynth` (text to a WAV file, offline):
:class:`EspeakSynth` (Debian's ``espeak-ng``) and :class:`SimulatedSynth` (a quiet tone of a plausible length,
for machines without espeak-ng), :func:`open_synth`, and :func:`play_test_tone` (``kiosk doctor``: a short tone
through ALSA's ``aplay``).

Nothing here knows about meetings or ballots: ``kiosk.audio`` decides what is said, this only says it.
"""

from __future__ import annotations

import math
import shutil
import struct
import subprocess
import wave
from pathlib import Path

from kiosk.audio.synth import SpeechSynth, SpeechUnavailable

SAMPLE_RATE = 22050  # espeak-ng's own rate: the simulated clips match it


class EspeakSynth:
    """espeak-ng, run once per clip (about 50 ms a clip on a laptop core, a few times that on a Pi 4)."""

    backend = "espeak-ng"

    def __init__(self, program: str = "espeak-ng", timeout_s: float = 60.0) -> None:
        exe = shutil.which(program)
        if exe is None:
            raise SpeechUnavailable(f"{program} is not installed (Debian: sudo apt install espeak-ng)")
        self.program = exe
        self.timeout_s = timeout_s
        self._identity: str | None = None
        self._voices: dict[str, bool] = {}

    def identity(self) -> str:
        if self._identity is None:
            proc = subprocess.run([self.program, "--version"], capture_output=True, text=True, timeout=10)
            self._identity = proc.stdout.strip() or "espeak-ng"
        return self._identity

    def check_voice(self, voice: str) -> None:
        known = self._voices.get(voice)
        if known is None:
            # espeak-ng falls back to English silently for an unknown voice name: ask for the list instead.
            proc = subprocess.run(
                [self.program, f"--voices={voice.split('-')[0]}"], capture_output=True, text=True, timeout=10
            )
            names = {tok for line in proc.stdout.splitlines()[1:] for tok in line.split()[1:2]}
            known = self._voices[voice] = voice in names
        if not known:
            raise SpeechUnavailable(f"espeak-ng has no voice {voice!r} (see `espeak-ng --voices`)")

    def render(self, text: str, voice: str, wpm: int, out: Path) -> None:
        # Text goes on stdin, never on the command line: a plank's text is data, not arguments.
        try:
            proc = subprocess.run(
                [self.program, "-v", voice, "-s", str(wpm), "-w", str(out), "--stdin"],
                input=text.encode(),
                capture_output=True,
                timeout=self.timeout_s,
            )
        except subprocess.TimeoutExpired as exc:  # one clip's problem (a starved background render), not all
            raise SpeechUnavailable(f"espeak-ng took longer than {self.timeout_s:.0f} s") from exc
        if proc.returncode != 0 or not out.exists():
            why = proc.stderr.decode(errors="replace")[:200]
            raise SpeechUnavailable(f"espeak-ng failed ({proc.returncode}): {why}")


class SimulatedSynth:
    """Stands in for espeak-ng where it is missing (and in tests of the fallback): a soft 220 Hz tone lasting
    as long as the text would take to say at ``wpm``, so the page's timing and the length checks still hold."""

    backend = "simulated"

    def identity(self) -> str:
        return "simulated-1"

    def check_voice(self, voice: str) -> None:
        return None

    def render(self, text: str, voice: str, wpm: int, out: Path) -> None:
        words = max(1, len(text.split()))
        write_tone(out, seconds=0.3 + 60.0 * words / max(wpm, 1), frequency=210.0, amplitude=0.05)


def open_synth(backend: str, program: str = "espeak-ng") -> SpeechSynth:
    """``espeak-ng`` (raises SpeechUnavailable when it is not installed) or ``simulated``."""
    if backend == "simulated":
        return SimulatedSynth()
    return EspeakSynth(program)


def write_tone(out: Path, *, seconds: float, frequency: float = 440.0, amplitude: float = 0.3) -> None:
    frames = int(SAMPLE_RATE * seconds)
    peak = int(32767 * amplitude)
    # One period, repeated (the frequency is rounded so a period is a whole number of samples): fast in Python.
    period = max(2, round(SAMPLE_RATE / frequency))
    cycle = b"".join(struct.pack("<h", int(peak * math.sin(2 * math.pi * i / period))) for i in range(period))
    data = (cycle * (frames // period + 1))[: frames * 2]
    with wave.open(str(out), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(data)


def play_test_tone(device: str, scratch: Path, program: str = "aplay") -> str:
    """Play one second of 440 Hz on ALSA ``device``; returns how it went, raises SpeechUnavailable if it could not."""
    exe = shutil.which(program)
    if exe is None:
        raise SpeechUnavailable(f"{program} is not installed (Debian: sudo apt install alsa-utils)")
    tone = scratch / "kiosk-test-tone.wav"
    write_tone(tone, seconds=1.0)
    try:
        proc = subprocess.run([exe, "-q", "-D", device, str(tone)], capture_output=True, text=True, timeout=10)
    finally:
        tone.unlink(missing_ok=True)
    if proc.returncode != 0:
        raise SpeechUnavailable(f"no sound on {device!r}: {proc.stderr.strip()[:200] or 'aplay failed'}")
    return f"played a test tone on {device}"
