"""Build a meeting's audio ballot from the settings, in the foreground (``kiosk audio build``) or in the
background (when voting opens, or when the kiosk first finds a voting meeting without audio), and say how it went.

Bad input never stops voting: espeak-ng missing, a voice missing or a full disk end up in the status file the
organizer page and ``kiosk doctor`` read, and the kiosk simply offers no audio ballot (or only in the languages
that rendered).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hardware.speech import SpeechSynth, SpeechUnavailable, open_synth
from kiosk.audio.render import (
    RenderResult,
    audio_root,
    manifest_clips,
    rate_steps,
    read_json,
    render_meeting,
    status_path,
    write_status,
)
from kiosk.config import Settings

log = logging.getLogger(__name__)


class AudioBuilder:
    """One per process; renders each meeting at most once at a time.

    ``autostart``: whether :meth:`start` renders in the background at all. ``kiosk serve``/``kiosk demo`` turn it
    on; apps made elsewhere (tests) leave it off, so a page load never sets off a thousand espeak-ng runs."""

    def __init__(self, settings: Settings, synth: SpeechSynth | None = None, *, autostart: bool = False) -> None:
        self.settings = settings
        self.autostart = autostart
        self.root = audio_root(settings.data_path)
        self._synth = synth
        self._lock = threading.Lock()
        self._running: dict[str, threading.Thread] = {}
        self._started: set[str] = set()

    @property
    def voices(self) -> dict[str, str]:
        return {"en": self.settings.audio.voice_en, "es": self.settings.audio.voice_es}

    @property
    def wpms(self) -> list[int]:
        return rate_steps(self.settings.audio.rate_slowest, self.settings.audio.rate_fastest)

    def synth(self) -> SpeechSynth:
        if self._synth is None:
            self._synth = open_synth(self.settings.audio.synth, self.settings.audio.espeak)
        return self._synth

    def build(self, code: str, planks: list[Any], contests: Sequence[Any] = ()) -> RenderResult:
        """Render now; the status file says how it went. Raises SpeechUnavailable when nothing can be spoken."""
        write_status(self.root, code, "rendering", "audio ballot being rendered")
        try:
            synth = self.synth()
        except SpeechUnavailable as exc:
            write_status(self.root, code, "failed", f"no audio ballot: {exc}")
            raise
        try:
            result = render_meeting(
                code,
                planks,
                self.root,
                synth,
                self.voices,
                self.wpms,
                default_rate=self.settings.audio.default_rate,
                contests=contests,
            )
        except OSError as exc:  # e.g. a full disk: the ballot goes on, on screen
            write_status(self.root, code, "failed", f"no audio ballot: cannot write the clips ({exc})")
            raise SpeechUnavailable(f"cannot write the clips: {exc}") from exc
        langs = sorted({c.lang for c in result.clips})
        figures = {
            "files": len(result.clips),
            "synthesized": result.synthesized,
            "seconds": round(result.seconds, 1),
            "render_s": round(result.render_s, 2),
            "languages": langs,
            "synth": synth.backend,
            "problems": result.problems[:20],
        }
        if not result.clips:
            write_status(self.root, code, "failed", "no audio ballot: " + "; ".join(result.problems[:3]), **figures)
        elif result.problems:
            message = f"audio ballot ready in {', '.join(langs)} with problems: " + "; ".join(result.problems[:3])
            write_status(self.root, code, "partial", message, **figures)
        else:
            message = f"audio ballot ready: {len(result.clips)} clips in {', '.join(langs)} ({synth.backend})"
            write_status(self.root, code, "ready", message, **figures)
        return result

    def start(self, code: str, planks: list[Any], contests: Sequence[Any] = (), *, again: bool = True) -> bool:
        """Render in a background thread unless one is already running for ``code`` (or, with ``again=False``,
        one was started by this process before). Returns whether a thread was started."""
        if not self.settings.audio.enabled or not self.autostart:
            return False
        with self._lock:
            running = self._running.get(code)
            if (running is not None and running.is_alive()) or (not again and code in self._started):
                return False
            self._started.add(code)
            thread = threading.Thread(
                target=self._background, args=(code, planks, contests), name=f"audio-{code}", daemon=True
            )
            self._running[code] = thread
        write_status(self.root, code, "rendering", "audio ballot being rendered")
        thread.start()
        return True

    def _background(self, code: str, planks: list[Any], contests: Sequence[Any]) -> None:
        try:
            self.build(code, planks, contests)
        except SpeechUnavailable as exc:
            log.warning("audio ballot for %s not rendered: %s", code, exc)
        except Exception:  # never take the web process down for the audio
            log.exception("audio ballot for %s: rendering failed", code)
            write_status(self.root, code, "failed", "no audio ballot: rendering failed (see the log)")

    def wait(self, code: str, timeout: float = 120.0) -> None:
        thread = self._running.get(code)
        if thread is not None:
            thread.join(timeout)

    def status(self, code: str) -> dict[str, Any]:
        if not self.settings.audio.enabled:
            return {"state": "off", "message": "audio ballot turned off ([audio] enabled = false)"}
        return read_json(status_path(self.root, code)) or {"state": "none", "message": "no audio ballot rendered yet"}

    def clips(self, code: str) -> list[dict[str, Any]]:
        return manifest_clips(self.root, code)

    def clip_path(self, name: str) -> Path | None:
        """The clip file called ``name`` (a hash and .wav, nothing else), if it exists."""
        stem = name.removesuffix(".wav")
        if not name.endswith(".wav") or len(stem) != 32 or any(ch not in "0123456789abcdef" for ch in stem):
            return None
        path = self.root / "clips" / name
        return path if path.is_file() else None
