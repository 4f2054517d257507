"""A background render of the audio ballot gives way to the kiosk's attendees: it runs at the lowest priority
(it and its espeak-ng runs) and waits between clips while the kiosk is in use. Why: docs/benchmarks.md (press to
screen at Pi speed while the audio ballot renders)."""

from __future__ import annotations

import os
import stat
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from hardware.buttons import ButtonName
from hardware.speech import EspeakSynth, SimulatedSynth, SpeechUnavailable
from kiosk.audio.service import AudioBuilder, GiveWay, yield_to_the_kiosk
from kiosk.config import Settings
from kiosk.tally import Tally
from kiosk.web.app import create_app
from tests.test_audio_ballot import small_meeting

# The database plays no part in how the render is scheduled.
pytestmark = [
    pytest.mark.sqlite_only,
    pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="Linux scheduling policies"),
]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def test_give_way_waits_for_quiet_and_never_longer_than_its_limit() -> None:
    clock = Clock()
    way = GiveWay(quiet_s=1.5, longest_s=10.0, clock=clock, sleep=clock.sleep)
    way.wait()  # nothing watched: never used
    assert clock.slept == [] and not way.in_use()
    last: list[float | None] = [None]
    way.watch(lambda: last[0])
    way.wait()
    assert clock.slept == []
    last[0] = clock.now - 0.5  # used half a second ago: waits the other second
    assert way.in_use()
    way.wait()
    assert clock.slept == [1.0] and not way.in_use()
    clock.slept.clear()
    uses = iter(range(1, 1000))

    def busy() -> float:  # used again just now, every time it is asked
        next(uses)
        return clock.now

    way.watch(busy)
    started = clock.now
    way.wait()
    assert clock.now - started == pytest.approx(10.0)  # never held back longer than longest_s at a time
    assert all(s <= 1.5 for s in clock.slept)


def test_the_default_speeds_clips_give_way_only_at_first() -> None:
    clock = Clock()
    way = GiveWay(quiet_s=1.5, longest_s=10.0, first_s=30.0, clock=clock, sleep=clock.sleep)
    way.watch(lambda: clock.now)  # the kiosk is in use all the time
    way.begin()
    for _ in range(2):
        way.wait(needed=True)
    assert clock.now - 100.0 == pytest.approx(20.0)
    way.wait(needed=True)  # 10 s of the first 30 s left
    assert clock.now - 100.0 == pytest.approx(30.0)
    way.wait(needed=True)  # past the first 30 s: the audio ballot itself waits no more
    assert clock.now - 100.0 == pytest.approx(30.0)
    way.wait()  # the other speeds still give way
    assert clock.now - 100.0 == pytest.approx(40.0)
    way.begin()  # the next render
    way.wait(needed=True)
    assert clock.now - 100.0 == pytest.approx(50.0)


def fake_espeak(tmp_path: Path) -> tuple[Path, Path]:
    """A stand-in for the espeak-ng program (the process boundary, not our code): it notes the scheduling policy
    it runs under and writes a short WAV."""
    policies = tmp_path / "policies.txt"
    wav = tmp_path / "tone.wav"
    SimulatedSynth().render("a few words", "en", 175, wav)
    program = tmp_path / "espeak-ng"
    program.write_text(
        "#!/bin/sh\n"
        'case "$1" in\n'
        "  --version) echo 'eSpeak NG text-to-speech: 1.51 fake'; exit 0;;\n"
        "  --voices=*) echo 'Pty Language Age/Gender VoiceName File Other Languages';"
        " echo ' 5  en  M  english  gmw/en'; echo ' 5  es  M  spanish  roa/es'; exit 0;;\n"
        "esac\n"
        f"grep -m1 '^policy' /proc/$$/sched | tr -s ' ' | cut -d' ' -f3 >> {policies}\n"
        'while [ "$#" -gt 0 ]; do if [ "$1" = "-w" ]; then out="$2"; fi; shift; done\n'
        f'cat >/dev/null; cp {wav} "$out"\n'
    )
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    return program, policies


def espeak_settings(tmp_path: Path, program: Path) -> Settings:
    settings = Settings()
    return replace(
        settings,
        kiosk=replace(settings.kiosk, data_dir=str(tmp_path / "data")),
        audio=replace(settings.audio, synth="espeak-ng", espeak=str(program), voice_en="en", voice_es="es"),
    )


def test_idle_priority_reaches_the_render_threads_and_their_espeak_runs(tmp_path: Path) -> None:
    program, policies = fake_espeak(tmp_path)
    synth = EspeakSynth(str(program))
    seen: dict[str, int] = {}

    def render() -> None:  # as AudioBuilder._background: lower the priority, then a pool of workers renders
        yield_to_the_kiosk()
        seen["render thread"] = os.sched_getscheduler(0)

        def one(i: int) -> int:
            synth.render(f"clip {i}", "en", 175, tmp_path / f"clip{i}.wav")
            return os.sched_getscheduler(0)

        with ThreadPoolExecutor(max_workers=2) as pool:
            seen["pool threads"] = max(pool.map(one, range(4)))

    thread = threading.Thread(target=render)
    thread.start()
    thread.join(120)
    assert seen == {"render thread": os.SCHED_IDLE, "pool threads": os.SCHED_IDLE}
    assert policies.read_text().split() == [str(os.SCHED_IDLE)] * 4  # each espeak-ng run
    assert os.sched_getscheduler(0) == os.SCHED_OTHER  # the thread that started the render is untouched


@pytest.mark.parametrize("idle", [True, False])
def test_the_servers_background_render_runs_at_idle_priority(tally: Tally, tmp_path: Path, idle: bool) -> None:
    # `kiosk serve` makes its builder with idle_priority=True (kiosk/server.py); tests' builders leave it off.
    code = small_meeting(tally)
    seen: list[int] = []

    class NoVoices(SimulatedSynth):  # notes the render thread's policy, then has no voice: the render ends at once
        def check_voice(self, voice: str) -> None:
            seen.append(os.sched_getscheduler(0))
            raise SpeechUnavailable(f"no voice {voice}")

    settings = Settings()
    settings = replace(settings, kiosk=replace(settings.kiosk, data_dir=str(tmp_path)))
    builder = AudioBuilder(settings, synth=NoVoices(), autostart=True, idle_priority=idle)
    assert builder.start(code, tally.planks(code))
    builder.wait(code, timeout=120)
    assert builder.status(code)["state"] == "failed"
    assert seen == [os.SCHED_IDLE if idle else os.SCHED_OTHER] * 2  # English and Spanish


def test_kiosk_audio_build_renders_at_normal_priority(tally: Tally, tmp_path: Path) -> None:
    code = small_meeting(tally)
    program, policies = fake_espeak(tmp_path)
    AudioBuilder(espeak_settings(tmp_path, program)).build(code, tally.planks(code))  # as `kiosk audio build`
    assert set(policies.read_text().split()) == {str(os.SCHED_OTHER)}


def test_the_render_waits_while_the_kiosk_is_in_use(tally: Tally, tmp_path: Path) -> None:
    code = small_meeting(tally)
    settings = Settings()
    settings = replace(
        settings,
        kiosk=replace(settings.kiosk, data_dir=str(tmp_path)),
        audio=replace(settings.audio, synth="simulated"),
    )
    made: list[float] = []

    class NotingSynth(SimulatedSynth):  # the simulated synthesizer, noting when each clip is made
        def render(self, text: str, voice: str, wpm: int, out: Path) -> None:
            made.append(time.monotonic())
            super().render(text, voice, wpm, out)

    builder = AudioBuilder(settings, synth=NotingSynth(), autostart=True)
    builder.give_way.quiet_s = 0.6
    app = create_app(settings, tally, simulated=True, test_config={"TESTING": True, "AUDIO_BUILDER": builder})
    panel = app.extensions["kiosk"].panel
    try:
        assert not builder.give_way.in_use()
        client = app.test_client()
        assert client.get("/kiosk/").status_code == 200  # templates compiled: the next page comes at once
        time.sleep(0.7)
        assert not builder.give_way.in_use()
        assert client.get("/kiosk/").status_code == 200  # an attendee's page: the kiosk is in use
        assert builder.give_way.in_use()
        time.sleep(0.7)
        assert not builder.give_way.in_use()
        panel.press(ButtonName.YES)
        deadline = time.monotonic() + 5
        while not builder.give_way.in_use() and time.monotonic() < deadline:  # the press reaches the hub
            time.sleep(0.01)
        assert builder.give_way.in_use()

        # Presses every 0.1 s for 1.5 s, from just before the render starts: no clip is made meanwhile.
        stop = threading.Event()

        def voter() -> None:
            names = [ButtonName.YES, ButtonName.NO]
            i = 0
            while not stop.wait(0.1):
                panel.press(names[i % 2])
                i += 1

        presser = threading.Thread(target=voter)
        presser.start()
        try:
            time.sleep(0.2)
            assert builder.start(code, tally.planks(code))
            time.sleep(1.5)
            during = len(made)
        finally:
            stop.set()
            presser.join(5)
        stopped = time.monotonic()
        builder.wait(code, timeout=60)
        assert during == 0
        assert builder.status(code)["state"] == "ready" and len(made) > 100
        assert min(made) - stopped >= 0.4  # the first clip came once the presses had stopped for a while
    finally:
        app.extensions["kiosk"].close()
