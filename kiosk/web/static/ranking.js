// Assembly Kiosk: ranking the names of one contest (issue 16), a screen of the ballot after the planks.
//
// kiosk.js owns the ballot (its screens, the review, the cast) and hands a contest screen the keys it does not
// use itself; a physical press arrives as its key, as everywhere on the kiosk:
//   Yes (Y)                      ranks the marked name as the next choice
//   No (N), ArrowDown/Right      moves the mark to the next name not ranked yet; ArrowUp/Left to the previous
//   Abstain (A), "Undo"          takes the last choice off; "Clear" takes them all off
//   a tap on a name, or Enter on a focused name: ranks that name
//   Back and Confirm (Backspace, Enter) are the ballot's: previous and next screen, as on a plank.
// A ranked name cannot be ranked again (the screen says which choice it already is), and there is one list of
// choices, so a ranking never has a name twice nor two names at one rank. Ranking fewer names than all, or none
// (after a second Confirm), is allowed. Names are written with textContent only.
"use strict";
window.kioskRanking = function makeRanking(section, words, changed) {
  const names = Array.from(section.querySelectorAll(".cand"));
  const list = section.querySelector(".rank-list");
  const ranked = []; // the ranked names' buttons, first choice first
  let mark = names.length ? 0 : -1; // index of the marked name in `names`; -1 when every name is ranked
  let message = ""; // what the last action did, for the status line
  let blankWarned = false;

  const fill = (text, kw) => text.replace(/\{(\w+)\}/g, (m, k) => (k in kw ? String(kw[k]) : m));
  const nameOf = (b) => b.dataset.name;

  // The first name not ranked yet at or after `from`, going by `step` and wrapping round; -1 if none.
  function seek(from, step) {
    const n = names.length;
    for (let k = 0; k < n; k += 1) {
      const i = (((from + step * k) % n) + n) % n;
      if (!ranked.includes(names[i])) return i;
    }
    return -1;
  }

  // Arrow keys take the focus along with the mark; the No button moves only the mark (unless a name has the
  // focus), so a physical Confirm or an Enter afterwards still means "go on", not "rank this".
  function move(step, focus) {
    if (mark < 0) { message = words.all_ranked; return; }
    mark = seek(mark + step, step);
    message = "";
    if (focus || names.includes(document.activeElement)) names[mark].focus();
  }

  function rank(b) {
    const at = ranked.indexOf(b);
    if (at >= 0) { message = fill(words.already_ranked, { name: nameOf(b), n: at + 1 }); return; }
    ranked.push(b);
    blankWarned = false;
    mark = seek(names.indexOf(b) + 1, 1);
    message = fill(words.ranked_as, { name: nameOf(b), n: ranked.length });
    if (mark < 0) message += ` ${words.all_ranked}`;
  }

  function undo() {
    const b = ranked.pop();
    if (!b) { message = words.rank_nothing; return; }
    mark = names.indexOf(b); // the mark goes back to it: Yes puts it back
    message = fill(words.rank_undone, { name: nameOf(b) });
  }

  function clear() {
    if (!ranked.length) { message = words.rank_nothing; return; }
    ranked.length = 0;
    mark = 0;
    message = words.rank_cleared;
  }

  // Scroll `box` (only) so that `el` shows: the marked name and the end of the ranking stay in sight in a long
  // list. (scrollIntoView would also scroll the ballot's own fixed layout.)
  function keepVisible(el, box) {
    if (!el || box.clientHeight === 0) return;
    const top = el.offsetTop;
    if (top < box.scrollTop) box.scrollTop = top;
    else if (top + el.offsetHeight > box.scrollTop + box.clientHeight) box.scrollTop = top + el.offsetHeight - box.clientHeight;
  }

  function render() {
    names.forEach((b, i) => {
      const at = ranked.indexOf(b);
      b.querySelector(".badge").textContent = at >= 0 ? String(at + 1) : "";
      b.setAttribute("aria-disabled", at >= 0 ? "true" : "false");
      b.classList.toggle("ranked", at >= 0);
      b.classList.toggle("marked", i === mark);
      if (i === mark) b.setAttribute("aria-current", "true");
      else b.removeAttribute("aria-current");
    });
    const rows = ranked.map((b) => {
      const li = document.createElement("li");
      li.textContent = nameOf(b);
      return li;
    });
    if (mark >= 0) {
      const next = document.createElement("li");
      next.className = "next";
      next.textContent = words.rank_next;
      rows.push(next);
    }
    list.replaceChildren(...rows);
    keepVisible(names[mark], section.querySelector(".candidates"));
    keepVisible(list.lastElementChild, list);
  }

  section.addEventListener("focusin", (e) => {
    const i = names.indexOf(e.target.closest && e.target.closest(".cand"));
    if (i >= 0 && !ranked.includes(names[i]) && i !== mark) { mark = i; changed(); }
  });
  section.addEventListener("click", (e) => {
    const b = e.target.closest(".cand");
    const act = e.target.closest("[data-rank-act]");
    if (b) rank(b);
    else if (act && act.dataset.rankAct === "undo") undo();
    else if (act && act.dataset.rankAct === "clear") clear();
    else return;
    changed();
  });

  return {
    section,
    // A key (or a press, as its key) on this screen: true when it was the ranking's.
    key(e) {
      const k = e.key;
      const el = e.target && e.target.closest ? e.target.closest("button") : null;
      // Enter on a focused name ranks it; on a name already ranked it is Confirm, as Enter on a plank's chosen
      // option is. On Undo and Clear it does what they say.
      if (k === "Enter" && el && section.contains(el)) {
        if (ranked.includes(el)) return false;
        el.click();
        return true;
      }
      if (k === "y" || k === "Y") {
        if (mark < 0) message = words.all_ranked;
        else rank(names[mark]);
      } else if (k === "n" || k === "N") move(1, false);
      else if (k === "ArrowDown" || k === "ArrowRight") move(1, true);
      else if (k === "ArrowUp" || k === "ArrowLeft") move(-1, true);
      else if (k === "a" || k === "A") undo();
      else return false;
      changed();
      return true;
    },
    // The form field's value: the ranked candidates' ids, first choice first ("" for a blank ranking).
    value() { return ranked.map((b) => b.dataset.cand).join(","); },
    names() { return ranked.map(nameOf); },
    summary() { return ranked.length ? ranked.map((b, i) => `${i + 1}. ${nameOf(b)}`).join(" · ") : words.rank_blank; },
    status() {
      if (message) return message;
      return ranked.length ? fill(words.rank_count, { n: ranked.length, total: names.length }) : words.rank_none_yet;
    },
    // The buttons that do something now light up.
    lit() { return [...(mark >= 0 ? ["yes", "no"] : []), ...(ranked.length ? ["abstain"] : [])]; },
    // Confirm on this screen: go on, except the first time with no one ranked (a blank ranking is allowed, but
    // said first, so a voter who did not see how to rank is not carried past the contest).
    mayLeave() {
      if (ranked.length || blankWarned) return true;
      blankWarned = true;
      message = words.rank_blank_warn;
      return false;
    },
    entered() { message = ""; },
    render,
  };
};
