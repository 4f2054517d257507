// Organizer pages: live updates over server-sent events (one stream per page) and the text cost counter.
"use strict";

function startLive() {
  const box = document.getElementById("live");
  if (!box || !box.dataset.events || !window.EventSource) return;
  const status = document.getElementById("live-status");
  const source = new EventSource(box.dataset.events);
  source.addEventListener("update", (event) => {
    const data = JSON.parse(event.data);
    box.innerHTML = data.html; // rendered and escaped by the server's templates
    showProjectorPage(); // an update keeps the page that was showing
    box.dataset.updated = String(Date.now());
    if (status) status.textContent = "Updated " + new Date().toLocaleTimeString() + ".";
  });
  source.addEventListener("error", () => {
    if (status) status.textContent = "Reconnecting…";
  });
  window.addEventListener("pagehide", () => source.close());
}

function startCounter() {
  const form = document.getElementById("compose");
  if (!form) return;
  const out = document.getElementById("count");
  let timer = null;
  let serial = 0;
  const update = async () => {
    const mine = ++serial;
    const body = new FormData(form);
    try {
      const response = await fetch(form.dataset.count, {
        method: "POST",
        body,
        headers: { "X-CSRF-Token": body.get("csrf_token") },
        credentials: "same-origin",
      });
      if (!response.ok || mine !== serial) return;
      const c = await response.json();
      out.textContent = c.recipients + " recipients × " + c.segments + " segment" + (c.segments === 1 ? "" : "s") +
        " = " + c.total + " segments (" + c.characters + " characters, " + c.encoding + ")";
      out.dataset.total = String(c.total);
    } catch (err) {
      out.textContent = "Could not count just now.";
    }
  };
  const soon = () => { clearTimeout(timer); timer = setTimeout(update, 250); };
  form.addEventListener("input", soon);
  form.addEventListener("change", soon);
  update();
}

// The projector shows six planks at a time: with more, its pages turn every PAGE_TURN_S seconds.
const PAGE_TURN_S = 12;
let projectorPage = 0;

function showProjectorPage() {
  const pages = document.querySelectorAll("body.projector .proj-page");
  if (!pages.length) return;
  projectorPage %= pages.length;
  pages.forEach((page, i) => { page.hidden = i !== projectorPage; });
}

function turnProjectorPage() {
  projectorPage += 1;
  showProjectorPage();
}

function startPages() {
  if (!document.body.classList.contains("projector")) return;
  window.turnProjectorPage = turnProjectorPage; // for tests, and a clicker that sends a key
  setInterval(() => {
    if (document.querySelectorAll(".proj-page").length > 1) turnProjectorPage();
  }, PAGE_TURN_S * 1000);
  document.addEventListener("keydown", (event) => {
    if (event.key === "ArrowRight" || event.key === "PageDown" || event.key === " ") turnProjectorPage();
  });
}

// The devices page: fetch the page again and swap in its figures, so nothing the organizer is doing is reset.
function startRefresh() {
  const box = document.getElementById("devices-live");
  if (!box) return;
  const every = Number(box.dataset.refreshMs || 5000);
  setInterval(async () => {
    try {
      const response = await fetch(window.location.href, { credentials: "same-origin" });
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html").getElementById("devices-live");
      if (fresh) { box.innerHTML = fresh.innerHTML; box.dataset.updated = String(Date.now()); }
    } catch (err) { /* the next round tries again */ }
  }, every);
}

document.addEventListener("DOMContentLoaded", () => { startLive(); startCounter(); startRefresh(); startPages(); });

// The public pages' print button (no inline script: the pages' CSP forbids it).
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-print]")) button.addEventListener("click", () => window.print());
});
