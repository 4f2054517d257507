"""Render a meeting's audio ballot ahead of time, offline, into WAV files in the data folder (issue 18).

Layout under ``<data_dir>/audio/``:

* ``clips/<hash>.wav``: one clip per (synthesizer version, voice, words a minute, text). The hash of those is the
  name, so a re-render only synthesizes what changed (a new plank, a new rate) and two meetings share "Yes
  selected.". A clip is written to a temporary name and renamed, so a reader never sees half a file.
* ``meetings/<CODE>.json``: the manifest, ``{"clips": [{"lang", "rate", "wpm", "key", "file", "seconds"}]}``, and
  ``meetings/<CODE>.status.json``: rendering / ready / partial / failed, with what is wrong, for the organizer
  page and ``kiosk doctor``.

The default rate is rendered first for both languages and the manifest written after each rate, so a kiosk can
speak at the default rate while the other rates are still being made.

No Flask here; the synthesizer is passed in (a ``kiosk.audio.synth.SpeechSynth``; ``hardware.speech`` has them).
Nothing about any voter is written.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
import wave
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kiosk.audio.phrases import LANGS, RATE_STEPS, Phrase, meeting_phrases
from kiosk.audio.synth import SpeechSynth, SpeechUnavailable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Clip:
    lang: str
    rate: int  # 1 (slowest) .. 5 (fastest)
    wpm: int
    key: str
    file: str  # name inside audio/clips/
    seconds: float


@dataclass
class RenderResult:
    clips: list[Clip] = field(default_factory=list)
    synthesized: int = 0  # clips made by the synthesizer this time (the rest came from the cache)
    problems: list[str] = field(default_factory=list)
    render_s: float = 0.0

    @property
    def seconds(self) -> float:
        return sum(c.seconds for c in self.clips)


def rate_steps(slowest: int, fastest: int, steps: int = RATE_STEPS) -> list[int]:
    """Words a minute for rate 1..steps, evenly spaced."""
    return [round(slowest + (fastest - slowest) * i / (steps - 1)) for i in range(steps)]


def audio_root(data_path: Path) -> Path:
    return data_path / "audio"


def manifest_path(root: Path, code: str) -> Path:
    return root / "meetings" / f"{_safe(code)}.json"


def status_path(root: Path, code: str) -> Path:
    return root / "meetings" / f"{_safe(code)}.status.json"


def _safe(code: str) -> str:
    return "".join(ch for ch in code if ch.isalnum() or ch in "-_") or "_"


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_status(root: Path, code: str, state: str, message: str, **extra: Any) -> None:
    _write_json(status_path(root, code), {"state": state, "message": message, **extra})


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / float(w.getframerate())


def render_meeting(
    code: str,
    planks: Iterable[Any],
    root: Path,
    synth: SpeechSynth,
    voices: dict[str, str],
    wpms: list[int],
    *,
    default_rate: int = 3,
    workers: int = 2,
    langs: Iterable[str] = LANGS,
    only_rates: Iterable[int] | None = None,
    clock: Callable[[], float] = time.monotonic,
    contests: Iterable[Any] = (),
    before_each: Callable[[int], None] | None = None,
) -> RenderResult:
    """Render every phrase of meeting ``code`` in each language with a usable voice, at each rate in ``wpms``
    (rate 1 = ``wpms[0]``). A language whose voice is missing is skipped and named in ``problems``.
    ``before_each`` is called with the clip's rate before each clip is synthesized (not for one found in the
    cache): a background render waits there while the kiosk is in use."""
    started = clock()
    result = RenderResult()
    clips_dir = root / "clips"
    clips_dir.mkdir(parents=True, exist_ok=True)
    usable: list[str] = []
    for lang in langs:
        try:
            synth.check_voice(voices[lang])
            usable.append(lang)
        except SpeechUnavailable as exc:
            result.problems.append(f"{lang}: {exc}")
    phrases = list(meeting_phrases(planks, usable, contests))
    identity = synth.identity()
    order = [default_rate] + [r for r in range(1, len(wpms) + 1) if r != default_rate]
    if only_rates is not None:  # tests, and a quick partial build
        order = [r for r in order if r in set(only_rates)]
    lock = threading.Lock()

    def one(rate: int, phrase: Phrase) -> Clip | None:
        wpm = wpms[rate - 1]
        voice = voices[phrase.lang]
        digest = hashlib.sha256(json.dumps([identity, voice, wpm, phrase.text]).encode()).hexdigest()[:32]
        path = clips_dir / f"{digest}.wav"
        if not path.exists():
            if before_each is not None:
                before_each(rate)
            tmp = clips_dir / f".{digest}.{os.getpid()}.{threading.get_ident()}.wav"
            try:
                synth.render(phrase.text, voice, wpm, tmp)
                os.replace(tmp, path)
            except (SpeechUnavailable, OSError) as exc:
                tmp.unlink(missing_ok=True)
                with lock:
                    result.problems.append(f"{phrase.lang} {phrase.key} at {wpm} wpm: {exc}")
                return None
            with lock:
                result.synthesized += 1
        try:
            seconds = wav_seconds(path)
        except (OSError, wave.Error, EOFError) as exc:  # a damaged cache file: made again next time
            path.unlink(missing_ok=True)
            with lock:
                result.problems.append(f"{phrase.lang} {phrase.key}: unreadable clip removed ({exc})")
            return None
        return Clip(phrase.lang, rate, wpm, phrase.key, path.name, round(seconds, 3))

    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="audio-render") as pool:
        for rate in order:
            made = list(pool.map(lambda p, r=rate: one(r, p), phrases))  # type: ignore[misc]
            result.clips.extend(c for c in made if c is not None)
            _write_json(manifest_path(root, code), {"meeting": code, "clips": [asdict(c) for c in result.clips]})
    result.render_s = clock() - started
    return result


def manifest_clips(root: Path, code: str) -> list[dict[str, Any]]:
    data = read_json(manifest_path(root, code)) or {}
    clips = data.get("clips", [])
    return [c for c in clips if isinstance(c, dict)]
