"""A background render of the audio ballot gives way to the kiosk's attendees: it runs at the lowest priority
(it and its espeak-ng runs) and waits between clips while the kiosk is in use. Why: docs/benchmarks.md (press to
screen at Pi speed while the audio ballot renders)."""

from __future__ import annotations

import json
import os
import stat
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from hardware.buttons import ButtonName
from hardware.speech import EspeakSynth, SimulatedSynth, SpeechUnavailable
from kiosk.audio.service import AudioBuilder, GiveWay, yield_to_the_kiosk
from kiosk.config import Settings
from kiosk.tally import MeetingState, Tally
from kiosk.web.app import create_app
from tests.conftest import SteadyClock, member_id
from tests.test_audio_ballot import small_meeting
from tests.test_demo_start import Demo, free_port

# The database plays no part in how the render is scheduled.
pytestmark = [
    pytest.mark.sqlite_only,
    pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="Linux scheduling policies"),
]


def test_give_way_waits_for_quiet_and_never_longer_than_its_limit() -> None:
    clock = SteadyClock(100.0)
    way = GiveWay(quiet_s=1.5, longest_s=10.0, clock=clock, sleep=clock.sleep)
    way.wait()  # nothing watched: never used
    assert clock.sleeps == [] and not way.in_use()
    last: list[float | None] = [None]
    way.watch(lambda: last[0])
    way.wait()
    assert clock.sleeps == []
    last[0] = clock.now - 0.5  # used half a second ago: waits the other second
    assert way.in_use()
    way.wait()
    assert clock.sleeps == [pytest.approx(1.0)] and not way.in_use()
    clock.sleeps.clear()
    uses = iter(range(1, 1000))

    def busy() -> float:  # used again just now, every time it is asked
        next(uses)
        return clock.now

    way.watch(busy)
    started = clock.now
    way.wait()
    assert clock.now - started == pytest.approx(10.0)  # never held back longer than longest_s at a time
    assert all(s <= 1.5 for s in clock.sleeps)


def test_the_default_speeds_clips_give_way_only_at_first() -> None:
    clock = SteadyClock(100.0)
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


def audio_settings(data_dir: Path, **audio: str) -> Settings:
    """Default settings with the data folder at ``data_dir`` and these ``[audio]`` settings."""
    settings = Settings()
    return replace(
        settings, kiosk=replace(settings.kiosk, data_dir=str(data_dir)), audio=replace(settings.audio, **audio)
    )


def espeak_settings(tmp_path: Path, program: Path) -> Settings:
    return audio_settings(tmp_path / "data", synth="espeak-ng", espeak=str(program), voice_en="en", voice_es="es")


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

    builder = AudioBuilder(audio_settings(tmp_path), synth=NoVoices(), autostart=True, idle_priority=idle)
    assert builder.start(code, tally.planks(code))
    builder.wait(code, timeout=120)
    assert builder.status(code)["state"] == "failed"
    assert seen == [os.SCHED_IDLE if idle else os.SCHED_OTHER] * 2  # English and Spanish


def test_kiosk_demos_background_render_and_its_espeak_runs_are_idle(tmp_path: Path) -> None:
    # The server as it runs (kiosk/server.py makes the builder): its demo meeting is voting, so the first ask for the
    # audio ballot starts the render, and each espeak-ng run notes the policy it runs under.
    program, policies = fake_espeak(tmp_path)
    config = tmp_path / "kiosk.toml"
    config.write_text(
        f'[kiosk]\ndata_dir = "{tmp_path / "data"}"\n'
        f'[audio]\nsynth = "espeak-ng"\nespeak = "{program}"\nvoice_en = "en"\nvoice_es = "es"\n',
        encoding="utf-8",
    )
    port = free_port()
    demo = Demo(tmp_path, "--config", str(config), "--port", str(port), "--organizer-port", str(free_port()))
    try:
        demo.wait_for(rf"open http://127\.0\.0\.1:{port}/kiosk/")
        deadline = time.monotonic() + 60
        while True:  # the banner comes just before the server listens
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/kiosk/audio/manifest.json", timeout=30) as got:
                    assert json.load(got)["ready"] is False  # not rendered yet: this starts it
                break
            except urllib.error.URLError:
                assert time.monotonic() < deadline, demo.output()
                time.sleep(0.1)
        while time.monotonic() < deadline and len(policies.read_text().split() if policies.exists() else []) < 3:
            time.sleep(0.1)
        seen = policies.read_text().split()
        assert len(seen) >= 3 and set(seen) == {str(os.SCHED_IDLE)}, seen
    finally:
        demo.stop()


def test_kiosk_audio_build_renders_at_normal_priority(tally: Tally, tmp_path: Path) -> None:
    code = small_meeting(tally)
    program, policies = fake_espeak(tmp_path)
    AudioBuilder(espeak_settings(tmp_path, program)).build(code, tally.planks(code))  # as `kiosk audio build`
    assert set(policies.read_text().split()) == {str(os.SCHED_OTHER)}


def test_the_render_waits_while_the_kiosk_is_in_use(tally: Tally, tmp_path: Path) -> None:
    code = small_meeting(tally)
    settings = audio_settings(tmp_path, synth="simulated")
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


VOTERS = ["Ana Torres", "Bea Ruiz", "Carl Ng", "Dora Vu", "Eli Park", "Fay Cole"]


def test_what_the_render_leaves_on_the_card_says_nothing_of_the_voters(
    tally: Tally, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # An attacker with the SD card after the meeting: the render ran while these six signed in, pressed and cast,
    # giving way to them. Its files must be what a render with nobody there makes (names are hashes of the words),
    # with no name, phone, token or code in them; only when the clips were written (a file's time, the status's
    # render_s) shows when the kiosk was busy, and no ballot carries a time or an order to match that against.
    rows = [f"{name},51055501{i:02d},,member,2016-03-12" for i, name in enumerate(VOTERS)]
    tally.import_roster("name,phone,email,status,joined\n" + "\n".join(rows) + "\n")
    tally.create_meeting(code="AU9", title="Audio secrecy", starts="2026-12-03T19:00", quorum="0")
    tally.import_planks("AU9", "title,text,threshold\nFree buses,Free buses for every rider.,majority\n")
    tally.set_state("AU9", MeetingState.VOTING_OPEN)
    plank = tally.planks("AU9")[0]
    builder = AudioBuilder(audio_settings(tmp_path / "during", synth="simulated"), SimulatedSynth(), autostart=True)
    builder.give_way.quiet_s = 0.2
    app = create_app(builder.settings, tally, simulated=True, test_config={"AUDIO_BUILDER": builder})
    panel = app.extensions["kiosk"].panel
    receipts: list[str] = []
    try:
        assert builder.start("AU9", tally.planks("AU9"))
        for name in VOTERS:
            signin = tally.sign_in_member("AU9", member_id(tally, "AU9", name))
            assert signin.token is not None
            panel.press(ButtonName.YES)
            cast = tally.cast_ballot("AU9", signin.token, {plank.id: "yes" if len(receipts) % 4 else "no"})
            receipts += [signin.token, cast.verification_code]
            time.sleep(0.1)
        builder.wait("AU9", timeout=120)
    finally:
        app.extensions["kiosk"].close()
    alone = AudioBuilder(audio_settings(tmp_path / "alone", synth="simulated"), SimulatedSynth())
    alone.build("AU9", tally.planks("AU9"))  # nobody there

    during, quiet = builder.root, alone.root
    assert builder.status("AU9")["state"] == "ready"
    files = sorted(p.relative_to(during) for p in during.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(quiet) for p in quiet.rglob("*") if p.is_file())
    for path in files:
        data = (during / path).read_bytes()
        if path.name.endswith(".status.json"):  # its render time differs, nothing else
            mine, theirs = json.loads(data), json.loads((quiet / path).read_bytes())
            assert {k: v for k, v in mine.items() if k != "render_s"} == {
                k: v for k, v in theirs.items() if k != "render_s"
            }
        else:
            assert data == (quiet / path).read_bytes(), path
        text = data.decode("latin-1")
        for secret in [*VOTERS, *[f"51055501{i:02d}" for i in range(len(VOTERS))], *receipts]:
            assert secret not in text, (path, secret)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not any(secret in logged for secret in [*VOTERS, *receipts])
