"""The audio ballot (issue 18): speech rendered by espeak-ng in English and Spanish, and a whole ballot cast in
headless Chromium with the five buttons alone and the screen off, checking which clips played in which order."""

from __future__ import annotations

import re
import shutil
import time
import urllib.request
import wave
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from hardware.speech import EspeakSynth, SimulatedSynth, SpeechUnavailable
from kiosk.audio.phrases import CHAR_NAMES, FIXED, meeting_phrases
from kiosk.audio.render import rate_steps, render_meeting
from kiosk.audio.service import AudioBuilder
from kiosk.config import Settings
from kiosk.errors import TokenRejected
from kiosk.tally import MeetingState, Tally
from kiosk.web.app import create_app
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, LiveServer, member_id
from tests.test_kiosk_ranking_browser import make_meeting

PLANKS_CSV = (
    "title,text,threshold\n"
    'Free buses,"The organization supports free buses for every rider in the city.",majority\n'
    'Rent control,"We support strong rent control and protections against unjust evictions.",two-thirds\n'
)
VOICES = {"en": "en-us", "es": "es-419"}
WPMS = rate_steps(120, 240)
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


@pytest.fixture(scope="module")
def clip_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One clip cache for the module: what one test rendered, the next reuses (as a re-render would)."""
    return tmp_path_factory.mktemp("audio")


def small_meeting(tally: Tally) -> str:
    tally.import_roster("name,phone,email,status,joined\nAna Torres,5105550101,,member,2016-03-12\n")
    tally.create_meeting(code="AU1", title="Audio test", starts="2026-12-03T19:00", quorum="0")
    tally.import_planks("AU1", PLANKS_CSV)
    tally.set_state("AU1", MeetingState.VOTING_OPEN)
    return "AU1"


@needs_espeak
def test_render_english_and_spanish_decodes_with_plausible_lengths(tally: Tally, clip_root: Path) -> None:
    code = small_meeting(tally)
    planks = tally.planks(code)
    result = render_meeting(code, planks, clip_root, EspeakSynth(), VOICES, WPMS, only_rates=[3])
    texts = {(p.lang, p.key): p.text for p in meeting_phrases(planks)}
    assert not result.problems
    assert {c.lang for c in result.clips} == {"en", "es"}
    assert len(result.clips) == len(texts)
    for clip in result.clips:
        path = clip_root / "clips" / clip.file
        with wave.open(str(path), "rb") as w:  # decodes: a real WAV, mono 16-bit
            assert (w.getnchannels(), w.getsampwidth()) == (1, 2)
            frames = w.readframes(w.getnframes())
            seconds = w.getnframes() / w.getframerate()
        assert frames.strip(b"\0"), f"{clip.key} is silent"
        assert seconds == pytest.approx(clip.seconds, abs=0.01)
        words = len(texts[(clip.lang, clip.key)].split())
        # At 180 words a minute a word is 1/3 s; allow 0.12-1.2 s a word (+0.8 s of lead-in and pauses).
        assert 0.12 * words <= seconds <= 1.2 * words + 0.8, (clip.lang, clip.key, words, seconds)
    # Spanish is Spanish: the plank titles fall back to the original text, the fixed sentences are translated.
    spanish = {c.key: c.file for c in result.clips if c.lang == "es"}
    english = {c.key: c.file for c in result.clips if c.lang == "en"}
    assert spanish["selected_yes"] != english["selected_yes"]
    print(f"\nrendered {len(result.clips)} clips, {result.seconds:.0f} s of speech, in {result.render_s:.1f} s")

    again = render_meeting(code, planks, clip_root, EspeakSynth(), VOICES, WPMS, only_rates=[3])
    assert again.synthesized == 0  # the content-hash cache: nothing is synthesized twice
    assert [c.file for c in again.clips] == [c.file for c in result.clips]


@needs_espeak
def test_each_rate_is_its_own_clip_and_faster_is_shorter(tally: Tally, clip_root: Path) -> None:
    code = small_meeting(tally)
    planks = tally.planks(code)
    result = render_meeting(code, planks, clip_root, EspeakSynth(), VOICES, WPMS, langs=["en"], only_rates=[1, 5])
    key = f"plank_{planks[0].id}_text"
    slow, fast = (next(c for c in result.clips if c.key == key and c.rate == r) for r in (1, 5))
    assert slow.file != fast.file
    assert fast.seconds < slow.seconds * 0.75


def test_translated_planks_are_read_in_spanish() -> None:
    class Plank:
        id, title, text, title_es, text_es = 7, "Free buses", "Buses are free.", "Autobuses gratis", "Son gratis."

    said = {(p.lang, p.key): p.text for p in meeting_phrases([Plank()])}
    assert said[("es", "plank_7_title")] == "Autobuses gratis"
    assert said[("en", "plank_7_title")] == "Free buses"
    assert set(FIXED) and all(set(v) == {"en", "es"} for v in FIXED.values())
    assert set(CHAR_NAMES["en"]) == set(CHAR_NAMES["es"])


def test_missing_espeak_or_voice_is_reported_and_nothing_crashes(tmp_path: Path, tally: Tally) -> None:
    code = small_meeting(tally)
    settings = Settings()
    settings = replace(
        settings,
        kiosk=replace(settings.kiosk, data_dir=str(tmp_path)),
        audio=replace(settings.audio, espeak=str(tmp_path / "no-such-espeak")),
    )
    builder = AudioBuilder(settings)
    with pytest.raises(SpeechUnavailable, match="not installed"):
        builder.build(code, tally.planks(code))
    status = builder.status(code)
    assert status["state"] == "failed" and "not installed" in status["message"]

    class NoSpanish(SimulatedSynth):
        def check_voice(self, voice: str) -> None:
            if voice.startswith("es"):
                raise SpeechUnavailable(f"no voice {voice!r}")

    builder = AudioBuilder(settings, synth=NoSpanish())
    result = builder.build(code, tally.planks(code))
    assert {c.lang for c in result.clips} == {"en"}
    status = builder.status(code)
    assert status["state"] == "partial" and "es: no voice" in status["message"]


# --- the whole ballot in Chromium, buttons only ---------------------------------------------------------------

AUDIO_ARGS = [*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"]


@pytest.fixture(scope="module")
def audio_browser(playwright_session: Any) -> Iterator[Any]:
    # Its own Chromium (the audio flags), from the session's one Playwright driver: a second sync_playwright()
    # fails once another browser test has started the shared one.
    chromium = playwright_session.chromium.launch(executable_path=str(CHROMIUM), args=AUDIO_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def audio_page(audio_browser: Any) -> Iterator[Page]:
    context = audio_browser.new_context(viewport={"width": 800, "height": 480})
    context.set_default_timeout(15000)
    page = context.new_page()
    yield page
    context.close()


_last: dict[str, float] = {}


def press(server: LiveServer, *names: str) -> None:
    """Press buttons through the mock pins; several names at once are pressed together (a chord)."""
    for name in names:
        wait = _last.get(name, 0.0) + 0.12 - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        _last[name] = time.monotonic()
        request = urllib.request.Request(f"{server.url}/simulate/button/{name}", method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 204


def played(page: Page) -> list[str]:
    return [e["key"] for e in page.evaluate("window.audioLog")]


def wait_played(page: Page, keys: list[str], timeout: float = 20.0) -> None:
    """Wait until the page's log ends with ``keys`` (played in that order, after whatever came before)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log = played(page)
        if log[-len(keys) :] == keys:
            return
        time.sleep(0.05)
    raise AssertionError(f"expected the log to end with {keys}, got {played(page)[-len(keys) - 3 :]}")


@needs_espeak
@pytest.mark.browser
def test_whole_ballot_by_buttons_alone_with_the_screen_off(
    tally: Tally, clip_root: Path, tmp_path: Path, audio_page: Page, live_server_factory: Any
) -> None:
    code = small_meeting(tally)
    planks = tally.planks(code)
    settings = Settings()
    settings = replace(settings, kiosk=replace(settings.kiosk, data_dir=str(tmp_path)))
    builder = AudioBuilder(settings)
    builder.root = clip_root  # the module's cache: only what is new is synthesized
    render_meeting(code, planks, clip_root, EspeakSynth(), VOICES, builder.wpms, only_rates=[3, 4])
    config = {"TESTING": True, "REVIEW_ARM_MS": 300, "DONE_SECONDS": 2, "AUDIO_BUILDER": builder}
    config["AUDIO_PLAYBACK_SPEEDUP"] = 4  # the clips play four times as fast: same order, shorter test
    app = create_app(settings, tally, simulated=True, test_config=config)
    server = live_server_factory(app)
    signin = tally.sign_in_member(code, member_id(tally, code, "Ana Torres"))
    assert signin.token
    page = audio_page
    ids = [p.id for p in planks]

    page.goto(f"{server.url}/kiosk/")
    expect(page.locator("body")).to_have_attribute("data-stream", "open")
    expect(page.locator("body")).to_have_attribute("data-audio-ready", "1")
    # A sighted voter's stray Back only says how to start the audio ballot (in both languages).
    press(server, "back")
    wait_played(page, ["welcome_hint", "welcome_hint"])
    assert [e["lang"] for e in page.evaluate("window.audioLog")] == ["en", "es"]
    press(server, "back", "back")
    wait_played(page, ["audio_start"])
    press(server, "yes")  # English
    expect(page.locator("body")).to_have_attribute("data-screen", "token")
    expect(page.locator("body")).to_have_attribute("data-audio", "on")
    expect(page.locator("#audio-screen")).to_be_visible()  # the screen is off from the start
    wait_played(page, ["token_wait"])

    # The organizer types the ballot code; the voter takes over.
    page.wait_for_selector("body[data-ready]", state="attached")
    page.keyboard.type(signin.token + "\n")
    expect(page.locator("body")).to_have_attribute("data-screen", "ballot")
    expect(page.locator("body")).to_have_attribute("data-stream", "open")
    expect(page.locator("#audio-screen")).to_be_visible()
    expect(page.locator("#audio-screen")).to_contain_text("Audio ballot in progress")
    expect(page.locator("#audio-screen")).to_contain_text("Boleta de audio en curso")
    plank1 = ["question_1_of_2", f"plank_{ids[0]}_title", f"plank_{ids[0]}_text", "threshold_majority", "choice_none"]
    wait_played(page, ["ballot_intro", "ballot_keys", *plank1])

    press(server, "confirm")  # no choice yet
    wait_played(page, ["choose_first"])
    press(server, "back")
    wait_played(page, ["first_plank"])
    press(server, "yes")
    wait_played(page, ["selected_yes"])
    press(server, "back", "confirm")  # together: repeat this screen
    wait_played(page, [*plank1[:-1], "choice_yes", "ballot_keys"])

    # Settings: faster speech uses other clips for the same sentence; volume; the screen stays off.
    before = {e["key"]: e["file"] for e in page.evaluate("window.audioLog")}
    press(server, "yes", "no")
    wait_played(page, ["settings_open"])
    press(server, "yes")
    wait_played(page, ["rate_4"])
    expect(page.locator("body")).to_have_attribute("data-audio-rate", "4")
    press(server, "yes")
    wait_played(page, ["fastest"])  # only rates 3 and 4 were rendered here
    press(server, "abstain")
    wait_played(page, ["volume_4"])
    press(server, "back")  # the screen on: others could see
    wait_played(page, ["screen_on"])
    expect(page.locator("#audio-screen")).to_be_hidden()
    press(server, "back")  # and off again
    wait_played(page, ["screen_off"])
    expect(page.locator("#audio-screen")).to_be_visible()
    press(server, "confirm")
    wait_played(page, ["settings_closed"])
    press(server, "confirm")  # next plank, now at rate 4
    plank2 = ["question_2_of_2", f"plank_{ids[1]}_title", f"plank_{ids[1]}_text", "threshold_two-thirds", "choice_none"]
    wait_played(page, plank2)
    log = page.evaluate("window.audioLog")
    assert all(e["rate"] == 4 for e in log[-5:])
    press(server, "back", "confirm")
    wait_played(page, [*plank2, "ballot_keys"])
    after = {e["key"]: e["file"] for e in page.evaluate("window.audioLog")[-6:]}
    assert after["ballot_keys"] != before["ballot_keys"]  # the rate changed the clip used

    press(server, "no")
    wait_played(page, ["selected_no"])
    press(server, "confirm")  # to the review: every choice read back
    review = ["review_title", "question_1", f"plank_{ids[0]}_title", "answer_yes"]
    review += ["question_2", f"plank_{ids[1]}_title", "answer_no", "review_keys"]
    wait_played(page, review)
    press(server, "abstain")  # changes nothing on the review
    wait_played(page, ["review_no_change"])
    expect(page.locator("#audio-screen")).to_be_visible()
    press(server, "confirm")  # cast
    expect(page.locator("body")).to_have_attribute("data-screen", "done")
    code_text = page.locator("#verification").inner_text()
    spelled = [f"char_{ch}" for ch in re.sub(r"[^A-Z0-9]", "", code_text)]
    wait_played(page, ["cast_done", *spelled, "cast_keys"])
    assert page.evaluate("window.audioLog")[0]["rate"] == 4  # the voter's rate carries across pages
    expect(page.locator("#audio-screen")).to_be_visible()

    with pytest.raises(TokenRejected):  # the ballot was cast: its code is spent
        tally.check_token(code, signin.token)
    press(server, "confirm")  # finish: back to welcome, audio mode over
    expect(page.locator("body")).to_have_attribute("data-screen", "welcome")
    expect(page.locator("body")).to_have_attribute("data-audio", "off")
    expect(page.locator("#audio-screen")).to_be_hidden()
    # Nothing of the voter's choices was stored in the browser.
    stored = page.evaluate("JSON.stringify(Object.assign({}, sessionStorage))")
    assert "yes" not in stored.lower() and "selected" not in stored


# --- kiosk doctor ---------------------------------------------------------------------------------------------


def fake_program(folder: Path, name: str, script: str) -> None:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n" + script, encoding="utf-8")
    path.chmod(0o755)


def test_doctor_plays_a_test_tone_or_says_what_is_wrong(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kiosk.audio.doctor import audio_findings

    bin_dir = tmp_path / "bin"
    fake_program(bin_dir, "aplay", f'echo "$@" > {tmp_path}/aplay-args\nexit 0\n')
    monkeypatch.setenv("PATH", f"{bin_dir}:{Path(shutil.which('sh') or '/bin/sh').parent}")
    settings = Settings()
    settings = replace(
        settings,
        kiosk=replace(settings.kiosk, data_dir=str(tmp_path / "data")),
        audio=replace(settings.audio, synth="simulated", device="plughw:CARD=Headphones"),
    )
    found = {check: (status, message) for check, status, message, _fix in audio_findings(settings)}
    assert found["audio output"][0] == "ok"
    assert "played a test tone on plughw:CARD=Headphones" in found["audio output"][1]
    assert "-D plughw:CARD=Headphones" in (tmp_path / "aplay-args").read_text()

    fake_program(bin_dir, "aplay", 'echo "aplay: main:831: audio open error: No such file or directory" >&2\nexit 1\n')
    found = {check: (status, message) for check, status, message, _fix in audio_findings(settings)}
    assert found["audio output"][0] == "warn" and "audio open error" in found["audio output"][1]

    no_espeak = replace(settings, audio=replace(settings.audio, synth="espeak-ng", espeak="espeak-ng-missing"))
    found = {check: (status, message) for check, status, message, _fix in audio_findings(no_espeak, play=False)}
    assert found["audio speech"][0] == "warn" and "not installed" in found["audio speech"][1]


@needs_espeak
def test_doctor_names_a_missing_voice() -> None:
    from kiosk.audio.doctor import audio_findings

    settings = Settings()
    settings = replace(settings, audio=replace(settings.audio, voice_es="xx-nope"))
    found = {check: (status, message) for check, status, message, _fix in audio_findings(settings, play=False)}
    assert found["audio voice en"][0] == "ok"
    assert found["audio voice es"][0] == "warn" and "xx-nope" in found["audio voice es"][1]


def test_audio_rendering_imports_nothing_of_flask() -> None:
    import json
    import subprocess
    import sys

    code = (
        "import json, sys\nimport kiosk.audio.render, kiosk.audio.service, kiosk.audio.doctor\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    leaked = [m for m in json.loads(out.stdout) if m.split(".")[0] in ("flask", "werkzeug", "jinja2", "gpiozero")]
    assert leaked == []


def test_the_kiosk_starts_rendering_a_voting_meeting_and_the_organizer_page_says_when_ready(
    tally: Tally, tmp_path: Path
) -> None:
    code = small_meeting(tally)
    settings = Settings()
    settings = replace(
        settings,
        kiosk=replace(settings.kiosk, data_dir=str(tmp_path)),
        audio=replace(settings.audio, synth="simulated"),
    )
    builder = AudioBuilder(settings, synth=SimulatedSynth(), autostart=True)
    app = create_app(settings, tally, simulated=True, test_config={"TESTING": True, "AUDIO_BUILDER": builder})
    try:
        client = app.test_client()
        first = client.get("/kiosk/audio/manifest.json").get_json()
        assert first["ready"] is False  # not rendered yet: the kiosk starts it in the background
        builder.wait(code)
        assert builder.status(code)["state"] == "ready"
        manifest = client.get("/kiosk/audio/manifest.json").get_json()
        assert manifest["ready"] and manifest["rates"] == [1, 2, 3, 4, 5]
        url = manifest["clips"]["3"]["es"]["selected_yes"]
        clip = client.get(url)
        assert clip.status_code == 200 and clip.mimetype == "audio/wav"
        assert "immutable" in clip.headers["Cache-Control"]
        clip.close()
        assert client.get("/kiosk/audio/clip/..%2Ftally.db").status_code == 404
        assert client.get("/kiosk/audio/clip/" + "0" * 32 + ".wav").status_code == 404
        # Generic clip names: "Yes selected." is the same file for every voter, plank and ballot.
        assert url.rsplit("/", 1)[-1] == manifest["clips"]["3"]["es"]["selected_yes"].rsplit("/", 1)[-1]
    finally:
        app.extensions["kiosk"].close()


def test_opening_voting_renders_in_the_background_and_the_meeting_page_says_so(
    tally: Tally, tmp_path: Path, db_url: str
) -> None:
    from kiosk import accounts
    from kiosk.web.organizer import create_organizer_app
    from tests.test_organizer import PASSWORD, logged_in, post

    tally.import_roster("name,phone,email,status,joined\nAna Torres,5105550101,,member,2016-03-12\n")
    tally.create_meeting(code="AU2", title="Audio test", starts="2026-12-03T19:00", quorum="0")
    tally.import_planks("AU2", PLANKS_CSV)
    accounts.add_organizer(tally.engine, "rosa", PASSWORD)
    settings = Settings()
    settings = replace(
        settings,
        kiosk=replace(settings.kiosk, data_dir=str(tmp_path / "data")),
        database=replace(settings.database, url=db_url),
        audio=replace(settings.audio, synth="simulated"),
    )
    app = create_organizer_app(settings, tally, test_config={"TESTING": True})
    app.extensions["audio"] = AudioBuilder(settings, autostart=True)  # as `kiosk serve` gives it
    client = logged_in(app)
    page = client.get("/organizer/m/AU2").get_data(as_text=True)
    assert "Audio ballot (headphones):" in page and "kiosk audio build AU2" in page
    post(client, "/organizer/m/AU2/state/open-voting", {"confirm": "AU2"})
    app.extensions["audio"].wait("AU2")
    page = client.get("/organizer/m/AU2").get_data(as_text=True)
    assert 'data-state="ready"' in page and "audio ballot ready" in page and "clips in en, es" in page

    # espeak-ng missing: the page says what is wrong, voting is untouched.
    broken = replace(settings, audio=replace(settings.audio, synth="espeak-ng", espeak="espeak-ng-missing"))
    app2 = create_organizer_app(broken, tally, test_config={"TESTING": True})
    app2.extensions["audio"] = AudioBuilder(broken)
    with pytest.raises(SpeechUnavailable):
        app2.extensions["audio"].build("AU2", tally.planks("AU2"))
    page = logged_in(app2).get("/organizer/m/AU2").get_data(as_text=True)
    assert 'data-state="failed"' in page and "espeak-ng-missing is not installed" in page
    assert tally.meeting("AU2").state is MeetingState.VOTING_OPEN


@needs_espeak
@pytest.mark.browser
def test_spanish_audio_ballot_is_chosen_by_a_button(
    tally: Tally, clip_root: Path, tmp_path: Path, audio_page: Page, live_server_factory: Any
) -> None:
    code = small_meeting(tally)
    planks = tally.planks(code)
    settings = Settings()
    settings = replace(settings, kiosk=replace(settings.kiosk, data_dir=str(tmp_path)))
    builder = AudioBuilder(settings)
    builder.root = clip_root
    render_meeting(code, planks, clip_root, EspeakSynth(), VOICES, builder.wpms, only_rates=[3])
    config = {"TESTING": True, "AUDIO_BUILDER": builder, "AUDIO_PLAYBACK_SPEEDUP": 4}
    server = live_server_factory(create_app(settings, tally, simulated=True, test_config=config))
    signin = tally.sign_in_member(code, member_id(tally, code, "Ana Torres"))
    assert signin.token
    page = audio_page
    page.goto(f"{server.url}/kiosk/")
    expect(page.locator("body")).to_have_attribute("data-audio-ready", "1")
    expect(page.locator("body")).to_have_attribute("data-stream", "open")
    page.wait_for_selector("body[data-ready]", state="attached")
    page.keyboard.press("*")  # a USB keypad's * starts it too
    wait_played(page, ["audio_start", "audio_start"])
    press(server, "no")  # español
    expect(page.locator("body")).to_have_attribute("data-screen", "token")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    wait_played(page, ["token_wait"])
    page.wait_for_selector("body[data-ready]", state="attached")
    page.keyboard.type(signin.token + "\n")
    expect(page.locator("body")).to_have_attribute("data-screen", "ballot")
    wait_played(page, ["ballot_intro", "ballot_keys", "question_1_of_2"])
    assert {e["lang"] for e in page.evaluate("window.audioLog")} == {"es"}


@pytest.mark.browser
def test_without_audio_the_gesture_does_nothing_and_the_screen_works(
    tally: Tally, tmp_path: Path, audio_page: Page, live_server_factory: Any
) -> None:
    small_meeting(tally)
    settings = Settings()
    settings = replace(
        settings,
        kiosk=replace(settings.kiosk, data_dir=str(tmp_path)),
        audio=replace(settings.audio, espeak="espeak-ng-missing"),
    )
    config = {"TESTING": True, "AUDIO_BUILDER": AudioBuilder(settings)}  # nothing rendered, espeak-ng missing
    server = live_server_factory(create_app(settings, tally, simulated=True, test_config=config))
    page = audio_page
    page.goto(f"{server.url}/kiosk/")
    expect(page.locator("body")).to_have_attribute("data-audio-ready", "0")
    expect(page.locator("body")).to_have_attribute("data-stream", "open")
    press(server, "back", "back", "back")
    press(server, "yes")
    time.sleep(0.5)
    expect(page.locator("body")).to_have_attribute("data-screen", "welcome")
    expect(page.locator("body")).to_have_attribute("data-audio", "off")
    assert page.evaluate("window.audioLog") == []
    page.get_by_role("button", name="Sign in", exact=True).click()  # voting goes on, on screen
    expect(page.locator("body")).to_have_attribute("data-screen", "find")


# --- ranking a contest by ear (issue 16) ------------------------------------------------------------------------
# Every press says what it did: the name No reached, the name Yes ranked and its choice number, the name Abstain
# took off; the review reads each ranking back; the ranking is stored as ranked.


def test_every_contest_title_and_name_has_its_clip_in_both_languages(tally: Tally) -> None:
    code = make_meeting(tally, "AU2", planks=False)
    contests = tally.contests(code)
    phrases = {(p.lang, p.key): p.text for p in meeting_phrases([], contests=contests)}
    mayor = contests[0]
    assert phrases[("es", f"contest_{mayor.id}_title")] == "Respaldo para la alcaldía"
    assert phrases[("en", f"cand_{mayor.candidates[3].id}")] == "No endorsement"
    assert phrases[("es", f"cand_{mayor.candidates[3].id}")] == "No respaldar a nadie"
    assert phrases[("es", "contest_2_of_2")] == "Voto por preferencia 2 de 2."
    assert ("en", "choice_n_5") in phrases and ("en", "choice_n_6") not in phrases  # the longest contest has 5


@needs_espeak
@pytest.mark.browser
def test_rank_by_ear_with_the_buttons_alone(
    tally: Tally, clip_root: Path, tmp_path: Path, audio_page: Page, live_server_factory: Any
) -> None:
    code = make_meeting(tally, "AU2", planks=False)
    mayor, steering = tally.contests(code)
    ana, luis, mei, _ = (f"cand_{c.id}" for c in mayor.candidates)
    settings = Settings()
    settings = replace(settings, kiosk=replace(settings.kiosk, data_dir=str(tmp_path)))
    builder = AudioBuilder(settings)
    builder.root = clip_root
    synth = EspeakSynth()
    contests = [mayor, steering]
    render_meeting(code, [], clip_root, synth, VOICES, builder.wpms, only_rates=[3], langs=["en"], contests=contests)
    config = {"TESTING": True, "REVIEW_ARM_MS": 300, "DONE_SECONDS": 2, "AUDIO_BUILDER": builder}
    config["AUDIO_PLAYBACK_SPEEDUP"] = 4
    app = create_app(settings, tally, simulated=True, test_config=config)
    server = live_server_factory(app)
    token = tally.sign_in_member(code, member_id(tally, code, "Marcus Bell")).token
    assert token
    page = audio_page

    page.goto(f"{server.url}/kiosk/")
    expect(page.locator("body")).to_have_attribute("data-stream", "open")
    expect(page.locator("body")).to_have_attribute("data-audio-ready", "1")
    press(server, "back", "back", "back")
    wait_played(page, ["audio_start"])
    press(server, "yes")
    expect(page.locator("body")).to_have_attribute("data-screen", "token")
    page.wait_for_selector("body[data-ready]", state="attached")
    page.keyboard.type(token + "\n")
    expect(page.locator("body")).to_have_attribute("data-screen", "ballot")
    expect(page.locator("body")).to_have_attribute("data-stream", "open")
    title1 = f"contest_{mayor.id}_title"
    wait_played(page, ["contest_1_of_2", title1, "ranking_keys", "rank_none_yet", "rank_marked", ana])

    press(server, "no")
    wait_played(page, [luis])
    press(server, "yes")
    wait_played(page, [luis, "choice_n_1", "rank_marked", mei])
    press(server, "abstain")
    wait_played(page, ["taken_off", luis])
    press(server, "yes")  # the mark went back to Luis: Yes puts him back
    wait_played(page, [luis, "choice_n_1", "rank_marked", mei])
    press(server, "back", "confirm")  # repeat this screen: the ranking so far, and the keys
    wait_played(page, ["your_ranking", "choice_n_1", luis, "rank_marked", mei, "ranking_keys"])
    press(server, "confirm")
    rosa = f"cand_{steering.candidates[0].id}"
    wait_played(page, ["contest_2_of_2", f"contest_{steering.id}_title", "rank_none_yet", "rank_marked", rosa])
    press(server, "confirm")  # blank: said once
    wait_played(page, ["rank_blank_warn"])
    press(server, "confirm")
    review = ["review_title", "contest_1_of_2", title1, "your_ranking", "choice_n_1", luis]
    review += ["contest_2_of_2", f"contest_{steering.id}_title", "answer_blank", "review_keys"]
    wait_played(page, review)
    press(server, "confirm")
    expect(page.locator("body")).to_have_attribute("data-screen", "done")

    tally.set_state(code, MeetingState.CLOSED)
    assert tally.contest_rankings(code, mayor.id) == [(mayor.candidates[1].id,)]
    assert tally.contest_rankings(code, steering.id) == [()]
