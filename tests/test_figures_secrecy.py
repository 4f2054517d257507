"""Per-plank figures before the close cannot be differenced down to one ballot, on any path (issue 12, item 1).

The attacker is an organizer (or anyone with the organizer login, the CLI or the kiosk's address) who casts
nothing but watches: after every single ballot they download both results exports, run ``kiosk results`` in
all three formats, ask for a tally tape from the page and the CLI, and read the dashboard, the projector, their
event streams and the kiosk's results pages. Two observations whose figures cover ``c`` and ``c + 1`` ballots
give away ballot number ``c + 1`` (and whoever was seen casting it). Before the fix every export, the CLI and
the tape recovered every ballot; now none is, because every path asks ``kiosk.live_figures.release_figures``.

``test_every_figure_path_is_classified`` lists the organizer app's and the kiosk app's routes and the CLI's
commands: a new one must be put in one of the lists below (and, if it shows figures, into the walk), or the
test fails.
"""

from __future__ import annotations

import argparse
import csv
import gc
import io
import itertools
import json
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kiosk import accounts
from kiosk.cli import build_parser
from kiosk.cli import main as cli_main
from kiosk.config import Settings
from kiosk.print_queue import PrintQueue
from kiosk.tally import MeetingState, Tally
from kiosk.web.organizer import create_organizer_app
from tests.test_organizer import logged_in, post

STEP = 3
VOTERS = 9

Figures = tuple[tuple[int, int, int], ...]  # (yes, no, abstain) per plank, in plank order
Observe = Callable[[], Figures | None]  # None: this path withholds the figures now

# --- what every route and command is ------------------------------------------------------------------------

# Routes whose answer can carry per-plank figures of the real meeting: each is observed by the walk below.
ORGANIZER_FIGURE_ROUTES = {
    "organizer.dashboard": "dashboard page",
    "organizer.projector": "projector page",
    "organizer.events": "dashboard and projector event streams (both views observed)",
    "organizer.export_file": "results.csv and results.json (attendance, rsvps hold none; the bundle needs a close)",
    "organizer.tally_tape": "the tally tape, from the page",
}
KIOSK_FIGURE_ROUTES = {
    "results_page": "the kiosk's results page",
    "results_json": "the kiosk's results JSON",
}
# Routes that carry no per-plank figures of the real meeting, and why.
NO_FIGURES = {
    "organizer.add_plank": "redirect",
    "organizer.add_contest": "redirect",
    "organizer.edit_contest": "redirect",
    "organizer.move_contest": "redirect",
    "organizer.remove_contest": "redirect",
    "organizer.change_state": "confirmation page and redirect",
    "organizer.create_meeting": "redirect",
    "organizer.devices": "printers, SMS queue counts",
    "organizer.edit_meeting": "redirect",
    "organizer.edit_plank": "redirect",
    "organizer.export_contest_rctab": "refused (409) until the close; after it, one contest's ballots for RCTab",
    "organizer.import_csv": "import report of planks, contests or roster",
    "organizer.login": "login form",
    "organizer.logout": "redirect",
    "organizer.meeting": "meeting settings, planks and contests (candidates, never a count or ranking)",
    "organizer.meetings": "list of meetings",
    "organizer.move_plank": "redirect",
    "organizer.peek": "redirect (the dashboard then shows stepped figures)",
    "organizer.people": "who signed in, never how anyone voted",
    "organizer.reissue": "a new ballot code for one attendee",
    "organizer.rsvps": "RSVP counts and quorum forecast",
    "organizer.static": "CSS and JavaScript",
    "organizer.test_deck": "a deck cast on a scratch copy, never the meeting's ballots",
    "organizer.texts": "texts queued and received",
    "organizer.texts_count": "recipients and segments of a text",
    "organizer.texts_review": "recipients and segments of a text",
    "organizer.texts_send": "redirect",
    "public.verify": "one ballot (choices and rankings) by its own verification code, never totals",
    "public.scorecard": "officials' public votes on public bodies and their pledges, never members' ballots",
    "organizer.ledger": "the officials' scorecard and import forms, never members' ballots",
    "organizer.ledger_import": "an import report of officials, pledges or officials' votes",
    "organizer.ledger_endorse": "refused until the close; names the candidates a meeting's contests endorsed",
    "organizer.ledger_official": "one official's public votes and pledges",
    "organizer.ledger_planks": "officials' public votes by platform plank",
    "organizer.ledger_projector": "officials' public votes (the scorecard), never members' ballots",
    "organizer.ledger_csv": "the scorecard as CSV: officials' public votes",
    "kiosk_audio.clip": "one spoken clip of generic text (a plank's words, 'Yes selected'), never a figure",
    "kiosk_audio.manifest": "the list of the meeting's clips (their hashes and lengths), never a figure",
    "public.verify_code": "one ballot by its own verification code (the receipt's address), never totals",
    "public.platform": "the platform: final counts of closed meetings' passed planks only (checked below)",
    "public.platform_file": "the platform as JSON or CSV: closed meetings' passed planks only (checked below)",
    "organizer.platform_tape": "the platform tape: closed meetings' passed planks only (checked below)",
    "root": "redirect",
    "healthz": "ok",
    "index": "list of meetings",
    "static": "CSS, JavaScript, fonts",
    "sms_webhook.twilio_inbound": "TwiML, empty",
    "simulate.simulate_button": "simulation of a button press",
}
# Everything under /kiosk/ is the voting screen: it shows the voter's own choices, never totals.
KIOSK_SCREEN_PREFIX = "kiosk."

CLI_FIGURE_COMMANDS = {
    "results": "text, --json and --csv all observed",
    "meeting tally-tape": "the tally tape, from the CLI",
}
CLI_NO_FIGURES = {
    "test-deck": "a deck cast on a scratch copy, never the meeting's ballots",
    "audit verify": "checks the log or a bundle; a bundle exists only after the close",
    "audio build": "renders the planks' words and the ballot's sentences to speech, never a figure",
    "platform": "the platform: closed meetings' passed planks only (checked below)",
    "platform rebuild": "applies closed meetings to the platform; prints how many planks each added",
    "rcv tabulate": "counts an RCTab configuration's cast vote records from files, never the meeting's ballots",
    "init": "",
    "roster import": "",
    "officials import": "",
    "officials endorse": "refused until the close; names the candidates its contests endorsed, never a count",
    "pledges import": "",
    "votes import": "officials' public votes on public bodies, never members' ballots",
    "scorecard": "officials' public votes on public bodies and their pledges, never members' ballots",
    "meeting create": "",
    "meeting list": "",
    "meeting show": "settings, plank and contest titles",
    "meeting open-signin": "",
    "meeting open-voting": "",
    "meeting close": "",
    "planks import": "",
    "contests import": "",
    "contests list": "contest settings and candidates, never a ranking",
    "rsvps": "RSVPs",
    "people": "the roster and who signed in (never who voted)",
    "organizer add": "",
    "organizer list": "",  # planned (issue 12, item 10): listed so the merge does not trip this test
    "organizer remove": "",
    "token reissue": "",
    "sms receive": "a reply to a text (RSVP confirmation, never results)",
    "sms send": "",
    "sms status": "",
    "sms run": "",
    "printer test": "",
    "printer status": "",
    "config template": "",
    "config check": "",
    "demo": "",
    "serve": "",
    "install": "",
    "doctor": "",
    "backup": "",
    "restore": "",
}


def cli_commands() -> set[str]:
    names: set[str] = set()

    def walk(parser: argparse.ArgumentParser, prefix: str) -> None:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            names.add(prefix.strip())
        for action in subs:
            for name, child in action.choices.items():
                walk(child, f"{prefix} {name}")

    walk(build_parser(), "")
    return names


# --- the observers ------------------------------------------------------------------------------------------


@dataclass
class Observers:
    tally: Tally
    organizer: FlaskClient
    kiosk: FlaskClient
    cli: Callable[..., tuple[int, str]]
    titles: list[str]

    def by_title(self, figures: dict[str, tuple[int, int, int]]) -> Figures:
        return tuple(figures[t] for t in self.titles)

    # organizer pages: the "Yes N · No N · Abstain N" labels of the bars
    @staticmethod
    def _bars(html: str) -> Figures | None:
        found = re.findall(r"Yes (\d+) · No (\d+) · Abstain (\d+)", html)
        return tuple((int(y), int(n), int(a)) for y, n, a in found) or None

    def dashboard(self) -> Figures | None:
        return self._bars(self.organizer.get("/organizer/m/GA12/dashboard").get_data(as_text=True))

    def projector(self) -> Figures | None:
        return self._bars(self.organizer.get("/organizer/m/GA12/projector").get_data(as_text=True))

    def _event(self, view: str) -> Figures | None:
        response = self.organizer.get(f"/organizer/m/GA12/events?view={view}", buffered=False)
        try:
            for chunk in response.response:
                text = chunk.decode() if isinstance(chunk, bytes) else chunk
                if text.startswith("event: update"):
                    return self._bars(json.loads(text.split("data: ", 1)[1])["html"])
        finally:
            response.close()
        raise AssertionError("no update event")

    def events_dashboard(self) -> Figures | None:
        return self._event("dashboard")

    def events_projector(self) -> Figures | None:
        return self._event("projector")

    def export_csv(self) -> Figures | None:
        response = self.organizer.get("/organizer/m/GA12/export/results.csv")
        if response.status_code == 403:
            return None
        rows = csv.DictReader(io.StringIO(response.get_data(as_text=True)))
        return self.by_title({r["title"]: (int(r["yes"]), int(r["no"]), int(r["abstain"])) for r in rows})

    def export_json(self) -> Figures | None:
        response = self.organizer.get("/organizer/m/GA12/export/results.json")
        if response.status_code == 403:
            return None
        planks = response.get_json(force=True)["results"]["planks"]
        return self.by_title({p["title"]: (p["yes"], p["no"], p["abstain"]) for p in planks})

    def _newest_tape(self, before: int) -> Figures | None:
        tapes = [j for j in PrintQueue(self.tally.engine).jobs(limit=500) if j.kind == "tally"]
        if len(tapes) == before:
            return None
        figures: list[tuple[int, int, int]] = []
        counts: dict[str, int] = {}
        for block in json.loads(tapes[0].payload or "{}")["blocks"]:
            if block["type"] == "row" and block["left"] in ("Yes", "No", "Abstain"):
                counts[block["left"]] = int(block["right"])
                if len(counts) == 3:
                    figures.append((counts["Yes"], counts["No"], counts["Abstain"]))
                    counts = {}
        return tuple(figures)

    def _tapes(self) -> int:
        return sum(1 for j in PrintQueue(self.tally.engine).jobs(limit=500) if j.kind == "tally")

    def tape_page(self) -> Figures | None:
        before = self._tapes()
        post(self.organizer, "/organizer/m/GA12/tally-tape", {"copy": "1"})
        return self._newest_tape(before)

    def tape_cli(self) -> Figures | None:
        before = self._tapes()
        self.cli("meeting", "tally-tape", "GA12")
        return self._newest_tape(before)

    def cli_text(self) -> Figures | None:
        code, out = self.cli("results", "GA12")
        if code != 0:
            return None
        found = dict(
            (m.group(1), (int(m.group(2)), int(m.group(3)), int(m.group(4))))
            for m in re.finditer(r"^  (.*): yes (\d+), no (\d+), abstain (\d+) \(", out, re.M)
        )
        return self.by_title(found)

    def cli_json(self) -> Figures | None:
        code, out = self.cli("results", "GA12", "--json")
        if code != 0:
            return None
        return self.by_title({p["title"]: (p["yes"], p["no"], p["abstain"]) for p in json.loads(out)["planks"]})

    def cli_csv(self) -> Figures | None:
        code, out = self.cli("results", "GA12", "--csv")
        if code != 0:
            return None
        rows = csv.DictReader(io.StringIO(out))
        return self.by_title({r["plank"]: (int(r["yes"]), int(r["no"]), int(r["abstain"])) for r in rows})

    def kiosk_page(self) -> Figures | None:
        html = self.kiosk.get("/results/GA12").get_data(as_text=True)
        found = re.findall(r"<tr><td>[^<]*</td><td>[^<]*</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>", html)
        return tuple((int(y), int(n), int(a)) for y, n, a in found) or None

    def kiosk_json(self) -> Figures | None:
        planks = self.kiosk.get("/results/GA12.json").get_json()["planks"]
        if "yes" not in planks[0]:
            return None
        return self.by_title({p["title"]: (p["yes"], p["no"], p["abstain"]) for p in planks})

    def attacker_paths(self) -> dict[str, Observe]:
        """What item 1 of issue 12 found leaking: the exports, ``kiosk results`` and the tally tape."""
        return {
            "results.csv": self.export_csv,
            "results.json": self.export_json,
            "kiosk results": self.cli_text,
            "kiosk results --json": self.cli_json,
            "kiosk results --csv": self.cli_csv,
            "tally tape (page)": self.tape_page,
            "kiosk meeting tally-tape": self.tape_cli,
        }

    def every_path(self) -> dict[str, Observe]:
        return self.attacker_paths() | {
            "dashboard": self.dashboard,
            "projector": self.projector,
            "events (dashboard)": self.events_dashboard,
            "events (projector)": self.events_projector,
            "kiosk /results/GA12": self.kiosk_page,
            "kiosk /results/GA12.json": self.kiosk_json,
        }


@pytest.fixture
def observers(
    tally: Tally,
    voting_meeting: str,
    tmp_path: Path,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Observers]:
    from kiosk.web.app import create_app

    base = Settings()
    settings = replace(
        base,
        kiosk=replace(base.kiosk, data_dir=str(tmp_path / "data")),
        database=replace(base.database, url=db_url),
        organizer=replace(base.organizer, live_step=STEP),
    )
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[kiosk]\ndata_dir = "{tmp_path / "data"}"\n\n[organizer]\nlive_step = {STEP}\n')
    monkeypatch.setenv("KIOSK_CONFIG", str(config))
    monkeypatch.setenv("KIOSK_DATABASE_URL", db_url)
    monkeypatch.chdir(tmp_path)

    def cli(*argv: str) -> tuple[int, str]:
        code = cli_main(list(argv))
        out, _err = capsys.readouterr()
        gc.collect()  # each command opens its own engine: let its connections go
        return code, out

    accounts.add_organizer(tally.engine, "rosa", "correct horse battery")
    organizer_app: Flask = create_organizer_app(settings, tally, test_config={"TESTING": True})
    organizer_app.config.update(ORGANIZER_POLL_S=0.01)
    kiosk_app = create_app(settings, tally, simulated=True, test_config={"TESTING": True})
    tally.update_meeting(voting_meeting, live_results_shown=True)  # the projector shows live figures too
    titles = [p.title for p in tally.planks(voting_meeting)]
    # What the session made before this test is frozen out of the collector's reach, so each collection above
    # walks only this test's objects: in the full suite, 48 collections of the whole heap took 30 s per test.
    # Frozen only here, where the finally below is sure to undo it.
    gc.freeze()
    try:
        yield Observers(tally, logged_in(organizer_app), kiosk_app.test_client(), cli, titles)
    finally:
        gc.unfreeze()
        kiosk_app.extensions["kiosk"].close()


def voters(tally: Tally, code: str, count: int = VOTERS) -> list[str]:
    roster = "name,status,joined\n" + "".join(f"Voter {i:03d},member,2000-01-01\n" for i in range(count))
    tally.import_roster(roster)
    tokens = []
    for person in tally.find_people(code, "voter", limit=count):
        signin = tally.sign_in_member(code, person.member_id)  # type: ignore[arg-type]
        assert signin.token
        tokens.append(signin.token)
    return tokens


def cast_one_at_a_time(
    tally: Tally, code: str, paths: dict[str, Observe], *, seed: int = 12, count: int = VOTERS
) -> tuple[list[Figures], dict[str, list[Figures | None]]]:
    """Cast VOTERS ballots one by one, observing every path before the first and after each one.

    Returns each ballot (as a one-ballot figure vector) and every path's observations (index i: after i ballots).
    """
    rng = random.Random(seed)
    plank_ids = [p.id for p in tally.planks(code)]
    tokens = voters(tally, code, count)
    seen: dict[str, list[Figures | None]] = {name: [observe()] for name, observe in paths.items()}
    ballots: list[Figures] = []
    for token in tokens:
        choices = {pid: rng.choice(["yes", "no", "abstain"]) for pid in plank_ids}
        tally.cast_ballot(code, token, choices)
        order = ("yes", "no", "abstain")
        ballots.append(tuple(tuple(int(choices[pid] == c) for c in order) for pid in plank_ids))  # type: ignore[misc]
        for name, observe in paths.items():
            seen[name].append(observe())
    return ballots, seen


def covered(figures: Figures) -> int:
    return sum(figures[0])


def recovered_by_differencing(ballots: list[Figures], seen: dict[str, list[Figures | None]]) -> set[int]:
    """Ballot numbers (1-based, in casting order) that two observations covering c and c+1 ballots give away.

    Observations from every path are pooled: an attacker may difference a CSV against a later JSON.
    """
    pool = {f for observations in seen.values() for f in observations if f is not None}
    by_count: dict[int, set[Figures]] = {}
    for figures in pool:
        by_count.setdefault(covered(figures), set()).add(figures)
    found = set()
    for count, earlier in by_count.items():
        for before in earlier:
            for after in by_count.get(count + 1, ()):
                pairs = zip(after, before, strict=True)
                delta = tuple(tuple(a - b for a, b in zip(pa, pb, strict=True)) for pa, pb in pairs)
                if delta == ballots[count]:
                    found.add(count + 1)
    return found


def exact(ballots: list[Figures]) -> Figures:
    return tuple(tuple(sum(b[i][k] for b in ballots) for k in range(3)) for i in range(len(ballots[0])))  # type: ignore[misc]


# --- the tests ----------------------------------------------------------------------------------------------


def test_differencing_exports_cli_and_tape_after_every_ballot_recovers_nothing(observers: Observers) -> None:
    tally = observers.tally
    ballots, seen = cast_one_at_a_time(tally, "GA12", observers.attacker_paths())
    recovered = recovered_by_differencing(ballots, seen)
    print(f"ballots recovered by differencing: {len(recovered)}/{len(ballots)}")
    for name, observations in seen.items():
        print(f"  {name}: {len(recovered_by_differencing(ballots, {name: observations}))}/{len(ballots)}")
    assert recovered == set(), f"ballots {sorted(recovered)} of {len(ballots)} recovered"
    # Figures were there to see (stepped), only never one ballot apart.
    assert any(f is not None and covered(f) >= STEP for f in seen["results.csv"])
    assert all(f is None for f in seen["tally tape (page)"] + seen["kiosk meeting tally-tape"])
    tally.set_state("GA12", MeetingState.CLOSED)
    for name, observe in observers.attacker_paths().items():
        assert observe() == exact(ballots), name


def test_every_figure_path_steps_or_withholds_then_shows_exact_figures(observers: Observers) -> None:
    tally = observers.tally
    paths = observers.every_path()
    ballots, seen = cast_one_at_a_time(tally, "GA12", paths)
    assert recovered_by_differencing(ballots, seen) == set()
    for name, observations in seen.items():
        counts = sorted({covered(f) for f in observations if f is not None})
        assert all(b - a >= STEP for a, b in itertools.pairwise(counts)), (name, counts)
        for figures in observations:  # what a path shows is the true tally of the first ballots cast
            assert figures is None or covered(figures) == 0 or figures == exact(ballots[: covered(figures)]), name
    stepped = {n for n, obs in seen.items() if any(f is not None and covered(f) > 0 for f in obs)}
    assert stepped == set(paths) - {"tally tape (page)", "kiosk meeting tally-tape"} - {
        "kiosk /results/GA12",
        "kiosk /results/GA12.json",
    }
    # A meeting that hides results until close: every path withholds, however many more ballots come.
    tally.update_meeting("GA12", results_hidden_until_close=True)
    for name, observe in paths.items():
        assert observe() is None, name
    tally.set_state("GA12", MeetingState.CLOSED)
    for name, observe in paths.items():
        assert observe() == exact(ballots), name


def test_every_figure_path_is_classified(observers: Observers) -> None:
    from kiosk.web.app import create_app

    organizer_app = observers.organizer.application
    kiosk_app = create_app(Settings(), observers.tally, simulated=True, test_config={"TESTING": True})
    try:
        endpoints = {r.endpoint for r in organizer_app.url_map.iter_rules()}
        endpoints |= {r.endpoint for r in kiosk_app.url_map.iter_rules()}
    finally:
        kiosk_app.extensions["kiosk"].close()
    classified = set(ORGANIZER_FIGURE_ROUTES) | set(KIOSK_FIGURE_ROUTES) | set(NO_FIGURES)
    unclassified = {e for e in endpoints if e not in classified and not e.startswith(KIOSK_SCREEN_PREFIX)}
    assert unclassified == set(), f"classify these routes in {__name__} (figures or none, and why)"
    commands = cli_commands()
    assert commands - set(CLI_FIGURE_COMMANDS) - set(CLI_NO_FIGURES) == set(), "classify these CLI commands"
    # Every export the organizer pages offer is either a results export (walked above) or holds no figures.
    from kiosk.web.organizer.views import EXPORT_NAMES

    assert set(EXPORT_NAMES) == {"attendance.csv", "rsvps.csv", "results.csv", "results.json", "bundle.json"}
    assert observers.organizer.get("/organizer/m/GA12/export/bundle.json").status_code == 409  # only after close


def test_every_export_is_audited(observers: Observers) -> None:
    tally = observers.tally

    def last() -> tuple[str, str, dict[str, Any]]:
        entry = tally.audit_entries("GA12")[-1]
        return entry.action, entry.actor, json.loads(entry.detail)

    for name in ("attendance.csv", "rsvps.csv", "results.csv", "results.json"):
        assert observers.organizer.get(f"/organizer/m/GA12/export/{name}").status_code == 200
        action, actor, detail = last()
        assert (action, actor, detail["file"]) == ("exported", "organizer:rosa", name)
    assert detail["figures"] == "stepped" and detail["counted"] == 0
    for argv, what in [((), "results (text)"), (("--json",), "results (json)"), (("--csv",), "results (csv)")]:
        assert observers.cli("results", "GA12", *argv)[0] == 0
        assert last()[:2] == ("exported", "cli") and last()[2]["file"] == what
    assert observers.cli("rsvps", "GA12")[0] == 0 and last()[2]["file"] == "rsvps"
    tally.set_state("GA12", MeetingState.CLOSED)
    bundle = observers.organizer.get("/organizer/m/GA12/export/bundle.json").get_json(force=True)
    action, actor, detail = last()
    assert (action, detail["file"]) == ("exported", "bundle.json")
    # The bundle carries the entry of its own export, and still verifies.
    assert bundle["audit"]["entries"][-1]["action"] == "exported"
    from kiosk.export import verify_bundle

    assert verify_bundle(json.dumps(bundle)).ok
    assert tally.audit_verify().ok


@pytest.mark.parametrize("hidden", [False, True], ids=["live figures", "hidden until close"])
def test_the_close_reveals_at_most_the_ballots_after_the_last_snapshot(observers: Observers, hidden: bool) -> None:
    """The known limit of live figures, measured: the exact results at the close, differenced against the last
    snapshot, give the sum of the fewer than ``live_step`` ballots cast after it (one ballot, if only one was).
    A meeting that hides results until close shows no snapshot, so the close gives nothing away."""
    tally = observers.tally
    if hidden:
        tally.update_meeting("GA12", results_hidden_until_close=True)
    paths = {"results.json": observers.export_json}
    ballots, seen = cast_one_at_a_time(tally, "GA12", paths, count=3 * STEP + 1)
    tally.set_state("GA12", MeetingState.CLOSED)
    seen["results.json"].append(observers.export_json())
    recovered = recovered_by_differencing(ballots, seen)
    assert recovered == (set() if hidden else {len(ballots)})


def test_a_stale_read_never_replaces_a_newer_snapshot(tally: Tally, voting_meeting: str) -> None:
    """Two processes: one read the counts at k+1 ballots, the other has since stored the snapshot at 2k. The
    slower one must show the stored snapshot, not store its own (two snapshots k-1 ballots apart)."""
    from kiosk.live_figures import release_figures, stepped

    ids = [p.id for p in tally.planks(voting_meeting)]
    tokens = voters(tally, voting_meeting, 2 * STEP)
    for token in tokens[:STEP]:
        tally.cast_ballot(voting_meeting, token, {ids[0]: "yes"})
    assert release_figures(tally, voting_meeting, step=STEP).counted == STEP
    tally.cast_ballot(voting_meeting, tokens[STEP], {ids[0]: "yes"})
    stale = tally.results(voting_meeting)  # k+1 ballots, read by the slower process
    for token in tokens[STEP + 1 :]:
        tally.cast_ballot(voting_meeting, token, {ids[0]: "no"})
    assert release_figures(tally, voting_meeting, step=STEP).counted == 2 * STEP
    assert stepped(tally.engine, stale, STEP, tally.clock()).ballots_cast == 2 * STEP
    shown = [release_figures(tally, voting_meeting, step=STEP) for _ in range(2)]
    assert [s.counted for s in shown] == [2 * STEP, 2 * STEP]


def test_the_platform_shows_no_figure_until_the_close_then_only_final_counts(observers: Observers) -> None:
    """/platform, its files, ``kiosk platform`` and its tape hold closed meetings' final counts only: while GA12
    votes they show nothing of it; after the close, its passed planks with their exact counts."""
    tally = observers.tally
    cast_one_at_a_time(tally, "GA12", {}, count=VOTERS)

    def platform_views() -> dict[str, str]:
        _code, out = observers.cli("platform", "--json", "--history")
        return {
            "page": observers.organizer.get("/platform?history=1").get_data(as_text=True),
            "page es": observers.organizer.get("/platform?history=1&lang=es").get_data(as_text=True),
            "json": observers.organizer.get("/platform.json?history=1").get_data(as_text=True),
            "csv": observers.organizer.get("/platform.csv").get_data(as_text=True),
            "cli": out,
        }

    for name, body in platform_views().items():
        assert not any(title in body for title in observers.titles), name
        assert "GA12" not in body, name
    tally.set_state("GA12", MeetingState.CLOSED)
    final = {p.title: p for p in tally.results("GA12").planks}
    adopted = {p["title"]: p["adopted"] for p in json.loads(platform_views()["cli"])["planks"]}
    assert adopted and set(adopted) == {t for t, p in final.items() if p.passed}
    assert all(
        (a["yes"], a["no"], a["abstain"]) == (final[t].yes, final[t].no, final[t].abstain) for t, a in adopted.items()
    )
