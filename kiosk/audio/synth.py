"""What the audio ballot needs of a speech synthesizer, in the core: the adapters (``hardware.speech``: espeak-ng,
and a simulated one for tests) implement it, and the edges choose one by configuration and pass it in."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

__all__ = ["SpeechSynth", "SpeechUnavailable"]


class SpeechUnavailable(Exception):
    """The synthesizer cannot speak at all (not installed) or not in this language (voice missing)."""


@runtime_checkable
class SpeechSynth(Protocol):
    backend: str

    def identity(self) -> str:
        """What changes the sound of every clip (program and version): part of each clip's cache key."""
        ...

    def check_voice(self, voice: str) -> None:
        """Raise SpeechUnavailable if ``voice`` cannot be used."""
        ...

    def render(self, text: str, voice: str, wpm: int, out: Path) -> None:
        """Write ``text`` spoken by ``voice`` at ``wpm`` words a minute to the WAV file ``out``."""
        ...
