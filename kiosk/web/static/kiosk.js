// Assembly Kiosk: the attendee pages' one script (no build step, no libraries).
//
// - A physical button press arrives as a server-sent event and is handled exactly like its key:
//   Yes = Y, No = N, Abstain = A, Back = Backspace, Confirm = Enter. Each press is handled exactly once, on the
//   page the attendee sees: presses arriving while this page is being left are not handled here, and the next
//   page asks the server for every press after the last one handled (kept in sessionStorage; kiosk/web/presses.py).
// - The ballot's choices live here until "Cast ballot" posts them; the page tells the server which LEDs to light.
//   A contest's ranking screen (issue 16) is static/ranking.js, driven from here like a plank screen.
// - Idle: after data-idle-seconds without input a 10 s countdown shows, then the screen resets (server too).
// - Attendee data is only ever set with textContent, never parsed as HTML.
"use strict";
(function () {
  const body = document.body;
  const cfg = body.dataset;
  // A page that answers a post (the look-up's matches) names the GET that shows the same thing: this history
  // entry becomes that GET, so reloading or coming back to it never posts the form again.
  if (cfg.replaceUrl) history.replaceState(null, "", cfg.replaceUrl);
  const CHOICES = ["yes", "no", "abstain"];
  const TOKEN_CHARS = "ACDEFGHJKMNPRTUVWXY34679";

  // ---- LEDs ---------------------------------------------------------------------------------------------
  let litNow = null;
  function setLit(names) {
    const key = names.join(",");
    if (key === litNow) return;
    litNow = key;
    // Demo only: the simulated panel shows the LEDs the page asked for.
    document.querySelectorAll("[data-sim]").forEach((b) => b.classList.toggle("lit", names.includes(b.dataset.sim)));
    fetch(cfg.litUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ lit: names }),
      keepalive: true,
    }).catch(() => {});
  }

  // ---- idle reset ----------------------------------------------------------------------------------------
  const idleSeconds = Number(cfg.idleSeconds || 60);
  const countdownSeconds = Math.min(Number(cfg.countdownSeconds || 10), idleSeconds);
  const overlay = document.getElementById("idle");
  const idleText = document.getElementById("idle-text");
  const resetForm = document.getElementById("reset-form");
  let lastInput = Date.now();
  let resetting = false;

  // ---- leaving the page ----------------------------------------------------------------------------------
  // Set as soon as this page starts going to another one (a form sent, a link followed): a press arriving
  // from then on is left to the next page, which replays it. If the navigation never happens (it was
  // refused, or answered with nothing), presses are handled here again after a while.
  let leaving = false;
  let leavingTimer = 0;
  function startLeaving() {
    leaving = true;
    clearTimeout(leavingTimer);
    leavingTimer = setTimeout(() => { leaving = false; }, 10000);
  }
  document.addEventListener("submit", (e) => { if (!e.defaultPrevented) startLeaving(); });
  document.addEventListener("click", (e) => {
    const link = !e.defaultPrevented && e.target.closest ? e.target.closest("a[href]") : null;
    if (link && !link.target && !e.ctrlKey && !e.metaKey && !e.shiftKey) startLeaving();
  });
  window.addEventListener("beforeunload", startLeaving);
  window.addEventListener("pageshow", (e) => { if (e.persisted) leaving = false; }); // back from the cache

  function resetNow() {
    if (resetting) return;
    resetting = true;
    // Clear what was typed before leaving, so nothing lingers on screen while the next page loads.
    document.querySelectorAll("input[type=text], input[type=tel]").forEach((el) => { el.value = ""; });
    const mainEl = document.getElementById("main");
    if (mainEl) mainEl.hidden = true;
    startLeaving(); // form.submit() fires no submit event
    resetForm.submit();
  }

  function activity() {
    lastInput = Date.now();
  }

  // The countdown is dismissed by a touch on it, a key or a button press, and that input does nothing else:
  // a tap meant for "I'm still here" must not land on the ballot underneath.
  function idleShowing() { return !overlay.hidden; }
  function dismissIdle() { activity(); overlay.hidden = true; }

  if (cfg.idle === "on") {
    setInterval(() => {
      const left = idleSeconds - (Date.now() - lastInput) / 1000;
      if (left <= 0) {
        resetNow();
      } else if (left <= countdownSeconds) {
        const n = Math.ceil(left);
        idleText.textContent = (n === 1 ? cfg.idleTemplateOne : cfg.idleTemplate).replace("{s}", String(n));
        if (overlay.hidden) {
          overlay.hidden = false;
          document.getElementById("still-here").focus();
        }
      }
    }, 250);
  }
  ["pointerdown", "keydown", "input"].forEach((type) => document.addEventListener(type, activity, true));
  overlay.addEventListener("click", (e) => { e.stopPropagation(); dismissIdle(); });
  document.addEventListener("keydown", (e) => {
    if (idleShowing()) { e.preventDefault(); e.stopImmediatePropagation(); dismissIdle(); }
  }, true);

  // ---- on-screen keys ------------------------------------------------------------------------------------
  let target = document.querySelector("[data-kbd-target][autofocus]") || document.querySelector("[data-kbd-target]");
  if (target && document.activeElement === body) target.focus();
  document.addEventListener("focusin", (e) => {
    if (e.target.matches && e.target.matches("[data-kbd-target]")) target = e.target;
  });
  document.querySelectorAll(".keys").forEach((pad) => {
    // Keep the text field focused (and its caret) while keys are tapped.
    pad.addEventListener("pointerdown", (e) => { if (e.target.closest("button")) e.preventDefault(); });
    pad.addEventListener("click", (e) => {
      const key = e.target.closest("button");
      if (!key || !target) return;
      const start = target.selectionStart ?? target.value.length;
      const end = target.selectionEnd ?? target.value.length;
      if (key.dataset.action === "clear") {
        target.value = "";
      } else if (key.dataset.action === "delete") {
        if (start !== end) target.setRangeText("", start, end, "end");
        else if (start > 0) target.setRangeText("", start - 1, start, "end");
      } else if (key.dataset.key !== undefined) {
        let ch = key.dataset.key;
        if (target.id !== "token" && /[A-ZÑ]/.test(ch) && target.value.slice(0, start).trim() !== "" &&
            !/[\s'-]$/.test(target.value.slice(0, start))) {
          ch = ch.toLowerCase(); // Names read better as "Ana", not "ANA".
        }
        target.setRangeText(ch, start, end, "end");
      }
      target.focus();
      target.dispatchEvent(new Event("input", { bubbles: true }));
    });
  });

  // ---- the ballot ----------------------------------------------------------------------------------------
  const ballotEl = document.getElementById("ballot");
  let ballot = null;
  if (ballotEl) ballot = makeBallot(ballotEl);

  function makeBallot(root) {
    const words = JSON.parse(root.dataset.words);
    const armMs = Number(root.dataset.armMs || 700);
    const planks = Array.from(root.querySelectorAll("section.plank"));
    // Contests (static/ranking.js) follow the planks: screens 0..planks-1 are planks, then one per contest.
    const contests = Array.from(root.querySelectorAll("section.contest"))
      .map((s) => window.kioskRanking(s, words.ranking, () => render()));
    const screens = [...planks, ...contests.map((c) => c.section)];
    const review = document.getElementById("review");
    const title = document.getElementById("screen-title");
    const counter = document.getElementById("counter");
    const options = document.getElementById("options");
    const status = document.getElementById("choice-status");
    const form = document.getElementById("cast-form");
    const btn = (act) => form.querySelector(`[data-act=${act}]`);
    const choices = planks.map(() => null);
    const reviewRows = Array.from(review.querySelectorAll("li[data-page]"));
    const reviewPages = Number(review.dataset.pages || 1);
    const help = document.getElementById("ballot-help");
    const rankHelp = document.getElementById("rank-help");
    let index = 0; // screens.length means the review screen
    let page = 0; // the review page on screen (a long ballot's review has several)
    let armedAt = 0;
    let sent = false;

    function onReview() { return index === screens.length; }
    function contestAt(i) { return i >= planks.length && i < screens.length ? contests[i - planks.length] : null; }

    function render() {
      const rev = onReview();
      const contest = contestAt(index);
      screens.forEach((p, i) => { p.hidden = i !== index; });
      review.hidden = !rev;
      options.hidden = rev || Boolean(contest);
      const lastPage = page === reviewPages - 1;
      btn("next").hidden = rev;
      btn("review").hidden = rev;
      btn("more").hidden = !rev || lastPage;
      btn("cast").hidden = !rev || !lastPage;
      counter.hidden = rev;
      status.hidden = rev;
      help.hidden = rev || Boolean(contest);
      rankHelp.hidden = rev || !contest;
      if (rev) {
        title.textContent = words.review_title;
        title.lang = document.documentElement.lang;
        counter.textContent = "";
        status.textContent = "";
        planks.forEach((p, i) => {
          const c = choices[i];
          root.querySelector(`[data-row-choice="${i}"]`).textContent = c ? words[c] : words.no_choice_short;
        });
        contests.forEach((r, j) => { root.querySelector(`[data-row-rank="${j}"]`).textContent = r.summary(); });
        reviewRows.forEach((row) => { row.hidden = Number(row.dataset.page) !== page; });
        const pageNote = document.getElementById("review-page");
        pageNote.hidden = reviewPages < 2;
        pageNote.textContent = words.review_page.replace("{n}", String(page + 1)).replace("{total}", String(reviewPages));
        const blank = document.getElementById("review-blank");
        blank.textContent = words.blank[String(choices.filter((c) => !c).length)];
        blank.dataset.blank = String(choices.filter((c) => !c).length);
        setLit(["confirm"]);
      } else {
        const p = screens[index];
        title.textContent = p.dataset.title;
        title.lang = p.dataset.titleLang || document.documentElement.lang; // an untranslated title keeps its own
        counter.textContent = p.dataset.counter;
      }
      if (contest) {
        contest.render();
        status.textContent = contest.status();
        status.dataset.choice = "";
        setLit(contest.lit());
      } else if (!rev) {
        const c = choices[index];
        options.querySelectorAll(".opt").forEach((b) => {
          const on = b.dataset.choice === c;
          b.setAttribute("aria-pressed", on ? "true" : "false");
          b.querySelector(".mark").textContent = on ? "✓" : "";
        });
        status.textContent = c ? words.your_choice.replace("{choice}", words[c]) : words.no_choice_yet;
        status.dataset.choice = c || "";
        setLit(c ? [c] : []);
      }
      planks.forEach((p, i) => { form.querySelector(`[data-input="${i}"]`).value = choices[i] || ""; });
      contests.forEach((r, j) => { form.querySelector(`[data-rank-input="${j}"]`).value = r.value(); });
    }

    function show(i, reviewPage) {
      index = i;
      if (contestAt(i)) contestAt(i).entered();
      if (onReview()) {
        armedAt = Date.now() + armMs;
        page = reviewPage === undefined ? 0 : reviewPage;
      }
      render();
      title.focus({ preventScroll: true });
    }

    function choose(c) {
      if (onReview() || contestAt(index)) return; // A stray Yes/No/Abstain on the review screen changes nothing.
      choices[index] = c;
      render();
    }

    function move(delta) {
      if (onReview() || contestAt(index)) return;
      const at = CHOICES.indexOf(choices[index]);
      const next = at < 0 ? (delta > 0 ? 0 : CHOICES.length - 1) : (at + delta + CHOICES.length) % CHOICES.length;
      choose(CHOICES[next]);
      options.querySelector(`[data-choice=${CHOICES[next]}]`).focus();
    }

    function confirm() {
      if (onReview() && page < reviewPages - 1) { show(screens.length, page + 1); return; } // the next review page
      if (onReview()) { cast(); return; }
      if (contestAt(index)) {
        if (contestAt(index).mayLeave()) show(index + 1);
        else render();
        return;
      }
      if (!choices[index]) { status.textContent = words.choose_first; return; }
      show(index + 1);
    }

    function back() {
      if (onReview() && page > 0) { show(screens.length, page - 1); return; }
      if (onReview()) { show(screens.length - 1); return; }
      if (index === 0) { status.textContent = words.first_plank; return; }
      show(index - 1);
    }

    function cast() {
      // Only the review screen casts, and not in the first moments after reaching it (a double press).
      if (!onReview() || sent || Date.now() < armedAt) return;
      sent = true;
      btn("cast").disabled = true;
      startLeaving(); // form.submit() fires no submit event
      form.submit();
    }

    options.addEventListener("click", (e) => {
      const b = e.target.closest(".opt");
      if (b) choose(b.dataset.choice);
    });
    btn("next").addEventListener("click", confirm);
    btn("back").addEventListener("click", back);
    btn("review").addEventListener("click", () => show(screens.length));
    btn("more").addEventListener("click", confirm);
    form.addEventListener("submit", (e) => { e.preventDefault(); cast(); });
    review.addEventListener("click", (e) => {
      const row = e.target.closest("[data-goto]");
      if (row) show(Number(row.dataset.goto));
    });
    render();

    return {
      key(e) {
        const k = e.key;
        if (contestAt(index) && contestAt(index).key(e)) return true;
        if (k === "y" || k === "Y") choose("yes");
        else if (k === "n" || k === "N") choose("no");
        else if (k === "a" || k === "A") choose("abstain");
        else if (k === "Backspace") back();
        else if (k === "Enter") {
          // Enter on a focused control other than the options does what that control says (a review row opens
          // its plank, Back goes back); elsewhere it is Confirm. A physical Confirm is always Confirm.
          const el = e.target && e.target.closest ? e.target.closest("button") : null;
          if (el && (el.dataset.goto !== undefined || ["back", "review"].includes(el.dataset.act))) el.click();
          else if (el && el.dataset.choice && choices[index] !== el.dataset.choice) choose(el.dataset.choice);
          else confirm();
        }
        else if (k === "ArrowRight" || k === "ArrowDown") move(1);
        else if (k === "ArrowLeft" || k === "ArrowUp") move(-1);
        else return false;
        return true;
      },
    };
  }

  // ---- the look-up, answered in place --------------------------------------------------------------------
  // The find form asks for its matches as JSON (kiosk/web/kiosk/lookup.py) and shows them as the page would: on
  // a Pi, loading and laying out the whole page again after each look-up was most of the wait. Anything but a
  // JSON answer (sign-in closed, the session gone, the database busy, no answer at all) posts the form as a page
  // instead, which the server answers as it always did.
  const findForm = document.getElementById("find-form");
  const results = document.getElementById("results");
  function element(tag, className, text) {
    const el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined) el.textContent = text;
    return el;
  }
  function showMatches(found, sent) {
    const q = findForm.elements.q;
    // The tidied query, unless the attendee typed on while it was being looked up.
    if (q && q.value === sent && q.value !== found.query) q.value = found.query;
    const parts = [];
    if (found.notice) {
      const notice = element("p", "notice", found.notice);
      notice.setAttribute("role", "alert"); // as on the page; the region itself then stays quiet (said once)
      parts.push(notice);
    }
    if (found.matches.length) {
      parts.push(element("p", "", found.prompt));
      const list = element("ul", "matches");
      found.matches.forEach((match, i) => {
        const form = element("form");
        form.method = "post";
        form.action = results.dataset.signinUrl;
        const pick = element("input");
        pick.type = "hidden";
        pick.name = "pick";
        pick.value = String(i);
        const button = element("button", "match", match.label);
        button.type = "submit";
        if (match.tag) button.append(" ", element("span", "tag", `(${match.tag})`));
        form.append(pick, button);
        const item = element("li");
        item.append(form);
        list.append(item);
      });
      parts.push(list);
    }
    results.setAttribute("aria-live", found.notice ? "off" : "polite"); // a screen reader hears the matches
    results.replaceChildren(...parts);
    results.removeAttribute("aria-busy");
    if (q) q.focus();
    body.dataset.lookups = String(Number(body.dataset.lookups || 0) + 1); // for tests: answered in place
  }
  if (findForm && results && window.fetch && window.URLSearchParams) {
    let searching = false;
    findForm.addEventListener("submit", (e) => {
      e.preventDefault();
      if (searching) return; // a second Enter while the first look-up is on its way
      searching = true;
      // The matches on screen belong to the last look-up, which the server is replacing: a tap on one now
      // would pick by its place in the new list, so they are taken away until the answer comes.
      results.querySelectorAll("button.match").forEach((b) => { b.disabled = true; });
      results.setAttribute("aria-busy", "true");
      const sent = findForm.elements.q ? findForm.elements.q.value : "";
      const asPage = () => { startLeaving(); findForm.submit(); };
      // An answer that does not come within a few seconds is not waited for: the page's post takes over.
      const abort = window.AbortController ? new AbortController() : null;
      const timer = abort ? setTimeout(() => abort.abort(), 8000) : 0;
      fetch(findForm.action, {
        method: "POST",
        headers: { Accept: "application/json" },
        body: new URLSearchParams(new FormData(findForm)),
        credentials: "same-origin",
        signal: abort ? abort.signal : undefined,
      }).then((r) => {
        const json = (r.headers.get("Content-Type") || "").startsWith("application/json");
        if (!json || (r.status !== 200 && r.status !== 422)) throw new Error(`look-up answered ${r.status}`);
        return r.json();
      }).then((found) => showMatches(found, sent)).catch(asPage).finally(() => {
        clearTimeout(timer);
        searching = false;
      });
    });
  }

  // ---- keys and physical buttons -------------------------------------------------------------------------
  const PRESS_KEYS = { yes: "y", no: "n", abstain: "a", back: "Backspace", confirm: "Enter" };
  let scanBuffer = "";
  let scanAt = 0;

  function handleKey(e) {
    if (ballot) {
      if (ballot.key(e)) e.preventDefault && e.preventDefault();
      return;
    }
    const inField = e.target && e.target.matches && e.target.matches("input, textarea");
    if (inField) return;
    if (e.key === " " && e.target.matches && e.target.matches("a[role=button]")) {
      e.preventDefault();
      e.target.click(); // links styled as buttons answer Space like buttons do
      return;
    }
    if (target && e.key && e.key.length === 1 && !e.ctrlKey && !e.altKey && !e.metaKey) {
      target.focus(); // typing (or a scanner) before the field had focus still lands in it
      return;
    }
    if (cfg.screen === "welcome") {
      // A USB barcode scanner types the receipt's QR text and then Enter.
      if (Date.now() - scanAt > 3000) scanBuffer = "";
      scanAt = Date.now();
      if (e.key === "Enter") {
        const code = scanBuffer.toUpperCase().replace(/[\s-]/g, "");
        scanBuffer = "";
        if (code.length === 8 && [...code].every((ch) => TOKEN_CHARS.includes(ch))) {
          document.getElementById("scan-token").value = code;
          document.getElementById("scan-form").submit();
          e.preventDefault && e.preventDefault();
        }
        return;
      }
      if (e.key && e.key.length === 1) scanBuffer += e.key;
      return;
    }
    if (e.key === "Backspace") {
      const back = document.querySelector("[data-back]");
      if (back) { e.preventDefault && e.preventDefault(); back.click(); }
    }
  }
  document.addEventListener("keydown", handleKey);

  function handlePress(name) {
    if (idleShowing()) { dismissIdle(); return; }
    activity();
    // The audio ballot (static/audio.js) sees each press first: its gestures (chords, the settings) are its own,
    // and it hands the rest back through window.kioskPress once it knows what the press was.
    if (window.kioskAudio && window.kioskAudio.filter(name)) return;
    pressOn(name);
  }

  function pressOn(name) {
    if (ballot) { ballot.key({ key: PRESS_KEYS[name] }); return; }
    if (name === "back") {
      const back = document.querySelector("[data-back]");
      if (back) back.click();
    } else if (name === "confirm") {
      const primary = document.querySelector("[data-confirm]");
      if (primary) primary.click();
    }
  }

  // One stream per page; closed when the page goes, and not reopened when another page took over.
  // Press ids are "epoch.seq": the epoch changes when the server restarts, and seq counts presses.
  const SEEN_KEY = "kiosk-press-seen";
  function parseId(id) {
    const [epoch, seq] = String(id || "").split(".");
    return { epoch, seq: Number(seq) };
  }
  const rendered = parseId(cfg.pressCursor);
  let seen = rendered;
  try {
    const stored = parseId(sessionStorage.getItem(SEEN_KEY));
    // What this tab handled last, if that was on this server: presses after it (made while the previous page
    // was being left) are replayed to this one.
    if (stored.epoch === rendered.epoch && stored.seq <= rendered.seq) seen = stored;
    // Kept at once, so that a page left before it handles any press still tells the next one where it began.
    else if (rendered.epoch) sessionStorage.setItem(SEEN_KEY, cfg.pressCursor);
  } catch (err) { /* no sessionStorage: start from this page's render */ }

  window.kioskPress = pressOn;

  function onPress(e) {
    const id = parseId(e.lastEventId);
    if (id.epoch === seen.epoch && id.seq <= seen.seq) return; // handled already (a replay overlapping)
    if (leaving) return; // the next page handles it
    seen = id;
    try { sessionStorage.setItem(SEEN_KEY, e.lastEventId); } catch (err) { /* best effort */ }
    handlePress(e.data);
    document.dispatchEvent(new CustomEvent("kiosk:press", { detail: { id: e.lastEventId, name: e.data, screen: cfg.screen } }));
  }

  if (window.EventSource && cfg.eventsUrl) {
    const after = seen.epoch ? `?after=${encodeURIComponent(`${seen.epoch}.${seen.seq}`)}` : "";
    const es = new EventSource(cfg.eventsUrl + after);
    es.addEventListener("press", onPress);
    es.addEventListener("open", () => { body.dataset.stream = "open"; });
    es.addEventListener("bye", () => { es.close(); body.dataset.stream = "closed"; });
    window.addEventListener("pagehide", () => es.close());
    window.kioskEvents = es;
  }
  if (!ballot) setLit([]);

  // ---- simulated panel (demo only) -----------------------------------------------------------------------
  document.querySelectorAll("[data-sim]").forEach((b) => {
    b.addEventListener("pointerdown", (e) => e.preventDefault()); // keep focus where it was
    b.addEventListener("click", () => { fetch(`/simulate/button/${b.dataset.sim}`, { method: "POST" }).catch(() => {}); });
  });

  body.dataset.ready = "1"; // for tests: handlers are in place and the text field has the focus

  // ---- "your ballot is cast": back to the start after a few seconds ---------------------------------------
  const returning = document.getElementById("returning");
  if (returning) {
    let left = Number(returning.dataset.seconds);
    const tick = setInterval(() => {
      if (window.kioskAudio && window.kioskAudio.speaking()) return; // the code is still being spelled out
      left -= 1;
      if (left <= 0) { clearInterval(tick); resetNow(); return; }
      const template = left === 1 ? returning.dataset.templateOne : returning.dataset.template;
      returning.textContent = template.replace("{s}", String(left));
    }, 1000);
  }
})();
