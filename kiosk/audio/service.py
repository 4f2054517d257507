"""Build a meeting's audio ballot from the settings, in the foreground (``kiosk audio build``) or in the
background (when voting opens, or when the kiosk first finds a voting meeting without audio), and say how it went.

Bad input never stops voting: espeak-ng missing, a voice missing or a full disk end up in the status file the
organizer page and ``kiosk doctor`` read, and the kiosk simply offers no audio ballot (or only in the languages
that rendered).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
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


def yield_to_the_kiosk() -> None:
    """Run the calling thread at Linux's lowest priority, ``SCHED_IDLE`` (elsewhere: as it was).

    A background render synthesizes about a thousand clips (77 s at Pi speed, on one core), and it starts when
    voting opens, just as the first voters press their buttons. At normal priority its espeak-ng runs took two
    thirds of the core from the press path (press to screen p95 91 ms, against 13 ms once it had finished;
    docs/benchmarks.md). Scheduling policy belongs to a thread on Linux and is inherited by the threads it starts
    and the processes they spawn, so the render's pool and its espeak-ng runs get only time the kiosk leaves over.
    A thread may always lower its own priority (the web unit's system call filter lets it: systemd/); if even that
    fails, the render runs as before."""
    if not hasattr(os, "SCHED_IDLE"):  # pragma: no cover - elsewhere a nice value would lower the whole process
        return
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except OSError as exc:
        log.warning("the audio render keeps its normal priority: %s", exc)


class GiveWay:
    """Holds a background render back while an attendee is using the kiosk: before each clip, it waits until the
    kiosk has been left alone for ``quiet_s`` (no button press, no page of an attendee's session), but never longer
    than ``longest_s`` at a time, so the render always gets on, a clip at a time, however busy the kiosk is.

    The clips of the default speed, without which there is no audio ballot at all, give way only during the render's
    first ``first_s``: a blind voter who is waiting for them, pressing buttons meanwhile, must not hold them back.

    Even at the lowest priority, a render running beside a voter takes CPU time from the voter's presses when there
    is little of it (one Pi core: press to screen p95 50 ms during the render, 13 ms after it; docs/benchmarks.md).
    Voters press a button every second or so and stop between ballots: the render runs in those gaps."""

    def __init__(
        self,
        quiet_s: float = 1.5,
        longest_s: float = 10.0,
        first_s: float = 30.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.quiet_s, self.longest_s, self.first_s = quiet_s, longest_s, first_s
        self._clock, self._sleep = clock, sleep
        self._last_used: Callable[[], float | None] = lambda: None
        self._began = clock()

    def watch(self, last_used: Callable[[], float | None]) -> None:
        """``last_used``: when (on ``clock``) the kiosk was last used, or None if it has not been."""
        self._last_used = last_used

    def begin(self) -> None:
        """A render starts: the default speed's clips give way for ``first_s`` from now."""
        self._began = self._clock()

    def in_use(self) -> bool:
        """Whether the kiosk was used within the last ``quiet_s``."""
        last = self._last_used()
        return last is not None and self._clock() - last < self.quiet_s

    def wait(self, *, needed: bool = False) -> None:
        """Until the kiosk has been left alone for ``quiet_s``, or ``longest_s`` have passed. ``needed``: a clip of
        the default speed, which waits only until ``first_s`` after :meth:`begin`."""
        now = self._clock()
        until = now + self.longest_s
        if needed:
            until = min(until, self._began + self.first_s)
        while True:
            last = self._last_used()
            if last is None or now - last >= self.quiet_s or now >= until:
                return
            self._sleep(min(self.quiet_s - (now - last), until - now))
            now = self._clock()


class AudioBuilder:
    """One per process; renders each meeting at most once at a time.

    ``autostart``: whether :meth:`start` renders in the background at all. ``kiosk serve``/``kiosk demo`` turn it
    on; apps made elsewhere (tests) leave it off, so a page load never sets off a thousand espeak-ng runs.
    ``idle_priority``: background renders run at Linux's ``SCHED_IDLE`` (``kiosk serve``/``kiosk demo``)."""

    def __init__(
        self,
        settings: Settings,
        synth: SpeechSynth | None = None,
        *,
        autostart: bool = False,
        idle_priority: bool = False,
    ) -> None:
        self.settings = settings
        self.autostart = autostart
        # The server's background renders run at SCHED_IDLE (yield_to_the_kiosk). Off elsewhere: tests render in
        # the background on a machine the test workers keep busy, where an idle thread may wait minutes for a core.
        self.idle_priority = idle_priority
        self.root = audio_root(settings.data_path)
        self._synth = synth
        self._lock = threading.Lock()
        self._running: dict[str, threading.Thread] = {}
        self._started: set[str] = set()
        self.give_way = GiveWay()

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

    def build(
        self, code: str, planks: list[Any], contests: Sequence[Any] = (), *, background: bool = False
    ) -> RenderResult:
        """Render now; the status file says how it went. Raises SpeechUnavailable when nothing can be spoken.
        ``background``: give way to the kiosk's users (:class:`GiveWay`); ``kiosk audio build`` does not."""
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
                before_each=self._give_way if background else None,
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

    def _give_way(self, rate: int) -> None:
        self.give_way.wait(needed=rate == self.settings.audio.default_rate)

    def _background(self, code: str, planks: list[Any], contests: Sequence[Any]) -> None:
        if self.idle_priority:
            yield_to_the_kiosk()
        self.give_way.begin()
        try:
            self.build(code, planks, contests, background=True)
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
