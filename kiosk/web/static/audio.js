// Assembly Kiosk: the audio ballot (issue 18), for members who cannot see the screen. Headphones and the five
// buttons; speech rendered ahead of time by espeak-ng (kiosk/audio/), played here from /kiosk/audio/clip/...
//
// Gestures (docs/accessibility.md):
// - Welcome: the first Back press says (en, then es) "for an audio ballot press Back three times"; three Backs
//   within 3 s (or the * key of a USB keypad) start it: "For English press Yes. Para español, pulse No."
//   Then the page goes to the ballot-code screen; an organizer types the code, and the voter takes over.
// - In audio mode: Yes / No / Abstain / Back / Confirm do what they do on screen, and each press is spoken.
//   Back + Confirm together (within CHORD_MS): repeat this screen. Yes + No together: settings (Yes faster,
//   No slower, Abstain volume, Back screen on/off, Confirm back to the ballot).
// - The screen is off (a cover: "Audio ballot in progress") unless the voter turns it on.
//
// Secrecy: every clip of the page's language and rate is fetched when the page loads, before any press, so the
// clip that plays (e.g. "Yes selected.") is never a request of its own. Audio mode, rate, volume and screen are
// kept in this tab's sessionStorage, never the choices; window.audioLog (what played, for tests) lives only in
// this page's memory and goes with it. Arriving at the welcome screen ends audio mode.
"use strict";
(function () {
  const conf = document.getElementById("audio-config");
  if (!conf) return;
  const body = document.body;
  const cfg = conf.dataset;
  const screen = body.dataset.screen;
  const pageLang = document.documentElement.lang || "en";
  const STORE = "kiosk-audio";
  const CHORD_MS = 350;
  const VOLUMES = [0.2, 0.4, 0.6, 0.8, 1.0];
  const speedup = Number(cfg.speedup || 1); // tests play faster; 1 on a kiosk

  // ---- audio mode, kept per tab ---------------------------------------------------------------------------
  let mode = null; // null: off; else {rate, volume, screenOff}
  try { mode = JSON.parse(sessionStorage.getItem(STORE) || "null"); } catch (err) { mode = null; }
  function save() {
    try {
      if (mode) sessionStorage.setItem(STORE, JSON.stringify(mode));
      else sessionStorage.removeItem(STORE);
    } catch (err) { /* no sessionStorage: audio mode lasts this page only */ }
  }
  if (screen === "welcome" && mode) { mode = null; save(); } // back at the start: the next person sees a screen

  const cover = document.getElementById("audio-screen");
  function applyScreen() {
    const off = Boolean(mode && mode.screenOff);
    cover.hidden = !off;
    body.classList.toggle("audio-screen-off", off);
    body.dataset.audio = mode ? "on" : "off";
    if (mode) body.dataset.audioRate = String(mode.rate);
  }
  applyScreen();

  // ---- clips ----------------------------------------------------------------------------------------------
  let manifest = null;
  const blobs = new Map(); // clip URL -> Promise of an object URL
  function fetchClip(url) {
    if (!blobs.has(url)) {
      blobs.set(url, fetch(url).then((r) => {
        if (!r.ok) throw new Error(`clip ${r.status}`);
        return r.blob();
      }).then((b) => URL.createObjectURL(b)));
      blobs.get(url).catch(() => blobs.delete(url));
    }
    return blobs.get(url);
  }
  function clipsAt(rate, lang) {
    const byRate = manifest && manifest.clips[String(rate)];
    return (byRate && byRate[lang]) || {};
  }
  function urlOf(lang, key, rate) {
    return clipsAt(rate, lang)[key] || clipsAt(manifest && manifest.default_rate, lang)[key] || null;
  }
  function preload(lang, rate, keys) {
    const set = clipsAt(rate, lang);
    (keys || Object.keys(set)).forEach((k) => { if (set[k]) fetchClip(set[k]).catch(() => {}); });
  }
  const manifestReady = fetch(cfg.manifestUrl, { cache: "no-store" })
    .then((r) => r.json())
    .then((m) => { manifest = m; body.dataset.audioReady = m.ready ? "1" : "0"; return m; })
    .catch(() => { body.dataset.audioReady = "0"; return null; });

  // ---- playback: one utterance at a time; a new one (any press) replaces what is playing -----------------
  window.audioLog = [];
  const player = new Audio();
  let queue = [];
  let generation = 0;
  let playing = false;

  function speak(items, lang) {
    generation += 1;
    player.pause();
    queue = items.map((it) => (typeof it === "string" ? { lang: lang || pageLang, key: it } : it));
    playing = queue.length > 0;
    playNext(generation);
  }

  async function playNext(gen) {
    if (gen !== generation) return;
    const item = queue.shift();
    if (!item) { playing = false; return; }
    const rate = mode ? mode.rate : manifest && manifest.default_rate;
    const url = manifest && urlOf(item.lang, item.key, rate);
    if (!url) { console.warn("audio: no clip for", item.key); playNext(gen); return; }
    let src;
    try { src = await fetchClip(url); } catch (err) { playNext(gen); return; }
    if (gen !== generation) return;
    player.src = src;
    player.volume = VOLUMES[((mode && mode.volume) || 3) - 1];
    player.playbackRate = speedup;
    player.defaultPlaybackRate = speedup;
    window.audioLog.push({ lang: item.lang, key: item.key, rate, file: url.split("/").pop() });
    body.dataset.audioPlayed = String(window.audioLog.length);
    try {
      await player.play();
    } catch (err) {
      // No sound (autoplay refused, no device): say the rest anyway, so the page's state stays right.
      if (gen === generation) setTimeout(() => playNext(gen), 50);
    }
  }
  player.addEventListener("ended", () => playNext(generation));
  player.addEventListener("error", () => playNext(generation));
  // While speech plays the voter is busy listening: that is not "idle" (kiosk.js counts input events).
  // The server forgets a session idle_seconds + 5 after its last request: tell it the voter is still here.
  let lastAlive = Date.now();
  setInterval(() => {
    if (!playing) return;
    document.dispatchEvent(new Event("input"));
    if (mode && Date.now() - lastAlive > 20000) {
      lastAlive = Date.now();
      fetch(cfg.aliveUrl, { method: "POST", keepalive: true }).catch(() => {});
    }
  }, 1000);

  // ---- what each screen says ------------------------------------------------------------------------------
  const planksIds = JSON.parse(cfg.planks || "[]");
  const thresholds = JSON.parse(cfg.thresholds || "[]");

  function snap() {
    const planks = Array.from(document.querySelectorAll("#ballot section.plank"));
    const review = !document.getElementById("review").hidden;
    const index = review ? planks.length : planks.findIndex((p) => !p.hidden);
    const choices = planks.map((p, i) => document.querySelector(`[data-input="${i}"]`).value || "");
    const cast = document.querySelector("#cast-form [data-act=cast]");
    // Contests (issue 16): which one is on screen, each one's ranking (candidate ids, first choice first, as the
    // form will post them) and the marked name.
    const contests = Array.from(document.querySelectorAll("#ballot section.contest"));
    const contest = review ? -1 : contests.findIndex((c) => !c.hidden);
    const ranked = contests.map((c, j) => document.querySelector(`[data-rank-input="${j}"]`).value.split(",").filter(Boolean));
    const markedEl = contest >= 0 ? contests[contest].querySelector(".cand.marked") : null;
    return {
      n: planks.length, review, index, choices, casting: Boolean(cast && cast.disabled),
      contest, contestIds: contests.map((c) => c.dataset.contest), ranked, marked: markedEl ? markedEl.dataset.cand : null,
    };
  }

  // A ranking as speech: "Your ranking: Choice 1. Ana. Choice 2. Luis." or "No one ranked yet."
  function rankingSpeech(ids, none) {
    if (!ids.length) return [none];
    return ["your_ranking", ...ids.flatMap((id, k) => [`choice_n_${k + 1}`, `cand_${id}`])];
  }
  function markedSpeech(s) { return s.marked ? ["rank_marked", `cand_${s.marked}`] : ["all_ranked"]; }
  let rankingKeysSaid = false; // the ranking keys are said on the first contest screen, and on a repeat

  function contestSpeech(s) {
    const j = s.contest;
    const items = [`contest_${j + 1}_of_${s.contestIds.length}`, `contest_${s.contestIds[j]}_title`];
    if (!rankingKeysSaid) { rankingKeysSaid = true; items.push("ranking_keys"); }
    return [...items, ...rankingSpeech(s.ranked[j], "rank_none_yet"), ...markedSpeech(s)];
  }

  function ballotSpeech() {
    const s = snap();
    const id = (i) => planksIds[i];
    if (s.review) {
      const items = ["review_title"];
      s.choices.forEach((c, i) => items.push(`question_${i + 1}`, `plank_${id(i)}_title`, `answer_${c || "none"}`));
      s.contestIds.forEach((cid, j) => items.push(`contest_${j + 1}_of_${s.contestIds.length}`, `contest_${cid}_title`,
        ...rankingSpeech(s.ranked[j], "answer_blank")));
      items.push("review_keys");
      return items;
    }
    if (s.contest >= 0) return contestSpeech(s);
    const i = s.index;
    const c = s.choices[i];
    return [`question_${i + 1}_of_${s.n}`, `plank_${id(i)}_title`, `plank_${id(i)}_text`,
      `threshold_${thresholds[i]}`, c ? `choice_${c}` : "choice_none"];
  }

  function doneSpeech() {
    const el = document.getElementById("verification");
    const chars = el ? el.textContent.toUpperCase().replace(/[^A-Z0-9]/g, "").split("") : [];
    return ["cast_done", ...chars.map((ch) => `char_${ch}`), "cast_keys"];
  }

  function screenSpeech(first) {
    if (screen === "ballot" && snap().contest >= 0) { // a ballot of contests alone, or a repeat on a contest
      rankingKeysSaid = !first;
      return [...ballotSpeech(), ...(first ? [] : ["ranking_keys"])];
    }
    if (screen === "ballot") return first ? ["ballot_intro", "ballot_keys", ...ballotSpeech()] : [...ballotSpeech(), ...(snap().review ? [] : ["ballot_keys"])];
    if (screen === "done") return doneSpeech();
    if (screen === "token") return ["token_wait"];
    return [];
  }

  // ---- welcome: starting audio mode ----------------------------------------------------------------------
  let backs = [];
  let choosing = false;
  function offerAudio() {
    choosing = true;
    speak([{ lang: "en", key: "audio_start" }, { lang: "es", key: "audio_start" }]);
  }
  function begin(lang) {
    choosing = false;
    const rate = (manifest && manifest.default_rate) || 3;
    mode = { rate, volume: 3, screenOff: true };
    save();
    const form = document.createElement("form");
    form.method = "post";
    form.action = cfg.langUrl;
    form.hidden = true;
    for (const [name, value] of [["lang", lang], ["next", cfg.tokenUrl]]) {
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = value;
      form.appendChild(input);
    }
    document.body.appendChild(form);
    form.requestSubmit(); // a submit event, so kiosk.js leaves later presses to the next page
  }
  function welcomeFilter(name) {
    if (choosing) {
      if (name === "yes") begin("en");
      else if (name === "no") begin("es");
      else if (name === "back") { choosing = false; speak([]); }
      return true; // while the choice is asked, no press does its screen action
    }
    // No audio rendered (espeak-ng missing, still rendering): the gesture does nothing rather than leave a voter
    // on a dark screen in silence. The organizer page says why.
    if (!manifest || !manifest.ready) return false;
    if (name === "back") {
      const now = Date.now();
      backs = backs.filter((t) => now - t < 3000);
      backs.push(now);
      if (backs.length >= 3) { backs = []; offerAudio(); }
      else if (backs.length === 1) speak([{ lang: "en", key: "welcome_hint" }, { lang: "es", key: "welcome_hint" }]);
    }
    return false;
  }
  if (screen === "welcome") {
    document.addEventListener("keydown", (e) => {
      if (e.key === "*" && !mode && !choosing && manifest && manifest.ready) { e.preventDefault(); offerAudio(); }
    });
  }

  // ---- audio mode: presses, chords, settings -------------------------------------------------------------
  let pending = [];
  let chordTimer = 0;
  let settingsOpen = false;

  function flush() {
    const names = pending;
    pending = [];
    chordTimer = 0;
    const set = new Set(names);
    if (set.has("back") && set.has("confirm")) { settingsOpen = false; speak(screenSpeech(false)); return; }
    if (set.has("yes") && set.has("no")) {
      settingsOpen = !settingsOpen;
      speak([settingsOpen ? "settings_open" : "settings_closed"]);
      return;
    }
    names.forEach(act);
  }

  function act(name) {
    if (settingsOpen) { setting(name); return; }
    if (screen !== "ballot") {
      window.kioskPress(name);
      return;
    }
    const before = snap();
    window.kioskPress(name);
    const after = snap();
    if (before.contest >= 0) { speak(contestPress(name, before, after)); return; }
    if (["yes", "no", "abstain"].includes(name)) speak([before.review ? "review_no_change" : `selected_${name}`]);
    else if (name === "confirm") {
      if (before.review) speak([after.casting ? "casting" : "review_keys"]);
      else if (after.index !== before.index) speak(ballotSpeech());
      else speak(["choose_first"]);
    } else if (name === "back") {
      speak(after.index !== before.index ? ballotSpeech() : ["first_plank"]);
    }
  }

  // What a press on a contest screen says: the name ranked and its choice number, the name No moved to, the name
  // taken off; and the next screen when Back or Confirm left this one.
  function contestPress(name, before, after) {
    const j = before.contest;
    if (after.contest !== j || after.review || after.index !== before.index) return ballotSpeech();
    const was = before.ranked[j];
    const now = after.ranked[j];
    if (name === "yes") {
      if (now.length <= was.length) return ["all_ranked"];
      return [`cand_${now[now.length - 1]}`, `choice_n_${now.length}`, ...markedSpeech(after)];
    }
    if (name === "no") return after.marked ? [`cand_${after.marked}`] : ["all_ranked"];
    if (name === "abstain") return was.length ? ["taken_off", `cand_${was[was.length - 1]}`] : ["rank_nothing"];
    if (name === "confirm") return ["rank_blank_warn"]; // stayed: a blank ranking is said once before it goes on
    return ["first_plank"]; // Back on the first screen of a ballot of contests alone
  }

  function setRate(delta) {
    const rates = (manifest && manifest.rates) || [];
    const next = delta > 0 ? rates.find((r) => r > mode.rate) : [...rates].reverse().find((r) => r < mode.rate);
    if (next === undefined) { speak([delta > 0 ? "fastest" : "slowest"]); return; }
    mode.rate = next;
    save();
    applyScreen();
    preload(pageLang, mode.rate);
    speak([`rate_${mode.rate}`]);
  }

  function setting(name) {
    if (name === "yes") setRate(1);
    else if (name === "no") setRate(-1);
    else if (name === "abstain") {
      mode.volume = (mode.volume % VOLUMES.length) + 1;
      save();
      speak([`volume_${mode.volume}`]);
    } else if (name === "back") {
      mode.screenOff = !mode.screenOff;
      save();
      applyScreen();
      speak([mode.screenOff ? "screen_off" : "screen_on"]);
    } else if (name === "confirm") {
      settingsOpen = false;
      speak(["settings_closed"]);
    }
  }

  window.kioskAudio = {
    filter(name) {
      if (!mode) return screen === "welcome" ? welcomeFilter(name) : false;
      pending.push(name);
      if (!chordTimer) chordTimer = setTimeout(flush, CHORD_MS);
      return true;
    },
    speaking() { return playing; },
  };

  // The idle countdown, spoken.
  const idle = document.getElementById("idle");
  if (idle && window.MutationObserver) {
    new MutationObserver(() => { if (mode && !idle.hidden) speak(["idle_warning"]); })
      .observe(idle, { attributes: true, attributeFilter: ["hidden"] });
  }

  manifestReady.then((m) => {
    if (!m || !m.ready) return;
    if (!mode) {
      if (screen === "welcome") {
        for (const lang of ["en", "es"]) preload(lang, m.default_rate, ["welcome_hint", "audio_start"]);
      }
      return;
    }
    if (!m.rates.includes(mode.rate)) { mode.rate = m.default_rate; save(); applyScreen(); }
    preload(pageLang, mode.rate); // every clip of this language and rate, before any press (see the top)
    speak(screenSpeech(true));
  });
})();
