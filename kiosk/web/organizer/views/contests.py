"""A meeting's ranked-choice contests on its set-up page: add, edit, move and remove one (its candidates typed one
per line), until voting opens. The contests file is imported through ``meetings.import_csv`` like the others."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for

from kiosk.errors import KioskError
from kiosk.plank_texts import translation_languages
from kiosk.tally import CandidateSpec, ContestSpec, contest_spec
from kiosk.web.organizer.security import login_required
from kiosk.web.organizer.views.base import _actor, _meeting_or_404, _tally, bp

NO_ENDORSEMENT = "No endorsement"  # the option's name when the organizer ticks the box


def _one_line(form: Any, name: str) -> str:
    return " ".join(str(form.get(name, "")).split())


def _spec_from_form(form: Any, *, seed: int | None = None) -> ContestSpec:
    """The contest the form describes; its candidates are the textarea's lines (blank lines skipped), plus the
    "No endorsement" option when ticked (kept under the name it already has)."""
    names = [" ".join(line.split()) for line in str(form.get("candidates", "")).splitlines()]
    candidates = [CandidateSpec(name) for name in names if name]
    if form.get("no_endorsement") == "on":
        candidates.append(CandidateSpec(_one_line(form, "no_endorsement_name") or NO_ENDORSEMENT, no_endorsement=True))
    return contest_spec(
        title=_one_line(form, "title"),
        candidates=candidates,
        seats=form.get("seats", "1"),
        method=form.get("method", ""),
        threshold=form.get("threshold", ""),
        decimal_places=form.get("decimal_places", "4"),
        seed=seed,
        translations={
            lang: _one_line(form, f"title_{lang}") for lang in translation_languages() if f"title_{lang}" in form
        },
    )


def _back(code: str) -> Any:
    return redirect(url_for("organizer.meeting", code=code) + "#contests")


@bp.post("/m/<code>/contests")
@login_required
def add_contest(code: str) -> Any:
    m = _meeting_or_404(code)
    try:
        contest = _tally().add_contest(m.code, _spec_from_form(request.form), actor=_actor())
        flash(f"Contest added: {contest.title} ({len(contest.candidates)} candidates).", "ok")
    except KioskError as exc:
        flash(f"Contest not added: {exc}", "error")
    return _back(m.code)


@bp.post("/m/<code>/contests/<int:contest_id>/edit")
@login_required
def edit_contest(code: str, contest_id: int) -> Any:
    m = _meeting_or_404(code)
    tally = _tally()
    try:
        # Editing keeps the tie-break seed drawn when the contest was set up.
        stored = next((c for c in tally.contests(m.code) if c.id == contest_id), None)
        seed = stored.tiebreak_seed if stored is not None else None
        tally.update_contest(m.code, contest_id, _spec_from_form(request.form, seed=seed), actor=_actor())
        flash("Contest saved.", "ok")
    except KioskError as exc:
        flash(f"Contest not saved: {exc}", "error")
    return _back(m.code)


@bp.post("/m/<code>/contests/<int:contest_id>/move")
@login_required
def move_contest(code: str, contest_id: int) -> Any:
    m = _meeting_or_404(code)
    try:
        _tally().move_contest(m.code, contest_id, -1 if request.form.get("direction") == "up" else 1, actor=_actor())
    except KioskError as exc:
        flash(str(exc), "error")
    return _back(m.code)


@bp.post("/m/<code>/contests/<int:contest_id>/remove")
@login_required
def remove_contest(code: str, contest_id: int) -> Any:
    m = _meeting_or_404(code)
    if request.form.get("confirm") != "yes":
        flash("Tick the box to confirm removing the contest.", "error")
        return _back(m.code)
    try:
        _tally().remove_contest(m.code, contest_id, actor=_actor())
        flash("Contest removed.", "ok")
    except KioskError as exc:
        flash(str(exc), "error")
    return _back(m.code)
