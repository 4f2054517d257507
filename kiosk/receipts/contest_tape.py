"""The ranked-choice contests on the tally tape: every round of each count, in English or Spanish.

The Spanish follows docs/glossary-es.md (no "elección", no "o/a" endings: "queda fuera", "gana un puesto");
``tests/test_spanish.py`` scans these words with the rest.

For each contest: its title and method, the ballots and blank rankings, then round by round the threshold, each
continuing candidate's votes, the ballots exhausted, who was elected or eliminated (and whether a tie-break
decided it) and where their ballots went; last the outcome (winners, or why there is no endorsement).
"""

from __future__ import annotations

from collections.abc import Sequence

from kiosk.contest_results import ContestResult, Outcome, exhausted
from kiosk.receipts.blocks import Block, Feed, Line, Row, Rule
from kiosk.receipts.charset import safe

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "contests": "CONTESTS (RANKED CHOICE)",
        "irv": "{seats} seat, instant-runoff",
        "stv": "{seats} seat(s), single transferable vote",
        "threshold_rule": "Endorsement needs {pct}% of the final round",
        "ballots": "Ballots {ballots}, blank {blank}",
        "round": "Round {n} - threshold {threshold}",
        "exhausted": "Exhausted",
        "elected": "{name} ELECTED",
        "eliminated": "{name} eliminated",
        "tiebreak": " (tie-break)",
        "transfer": "  {value} to {target}",
        "to_exhausted": "exhausted",
        "to_residual": "residual surplus",
        "winner": "WINNER: {names}",
        "winners": "ELECTED: {names}",
        "no_votes": "No ballot ranked anyone: no winner.",
        "no_endorsement": "NO ENDORSEMENT ({names} won)",
        "below_threshold": "NO ENDORSEMENT: {names} had {pct}%, needs {needed}%",
        "tiebreak_note": "Ties: previous round, then draw seeded {seed}.",
    },
    "es": {
        "contests": "CANDIDATURAS (POR ORDEN DE PREFERENCIA)",
        "irv": "{seats} puesto, segunda vuelta instantánea",
        "stv": "{seats} puesto(s), voto único transferible",
        "threshold_rule": "El respaldo necesita {pct}% de la ronda final",
        "ballots": "Boletas {ballots}, en blanco {blank}",
        "round": "Ronda {n} - umbral {threshold}",
        "exhausted": "Agotadas",
        "elected": "{name} GANA UN PUESTO",
        "eliminated": "{name} queda fuera",
        "tiebreak": " (desempate)",
        "transfer": "  {value} a {target}",
        "to_exhausted": "agotadas",
        "to_residual": "excedente residual",
        "winner": "GANA: {names}",
        "winners": "GANAN UN PUESTO: {names}",
        "no_votes": "Ninguna boleta ordenó candidatos: sin ganador.",
        "no_endorsement": "SIN RESPALDO (ganó {names})",
        "below_threshold": "SIN RESPALDO: {names} obtuvo {pct}%, necesita {needed}%",
        "tiebreak_note": "Empates: ronda anterior, luego sorteo con semilla {seed}.",
    },
}


def _w(language: str, key: str, **values: object) -> str:
    return WORDS[language][key].format(**values)


def _target(language: str, target: str) -> str:
    if target == "exhausted":
        return _w(language, "to_exhausted")
    if target == "residual surplus":
        return _w(language, "to_residual")
    return safe(target)


def _rounds(result: ContestResult, language: str) -> list[Block]:
    blocks: list[Block] = []
    names = result.candidate_names
    for rnd in result.tabulation.rounds:
        blocks.append(Line(_w(language, "round", n=rnd.number, threshold=rnd.threshold), bold=True))
        blocks += [Row(safe(name), str(rnd.tally[name])) for name in names if name in rnd.tally]
        blocks.append(Row(_w(language, "exhausted"), str(exhausted(rnd))))
        for action in rnd.results:
            verb = "elected" if action.elected else "eliminated"
            tie = _w(language, "tiebreak") if action.tiebreak else ""
            blocks.append(Line(_w(language, verb, name=safe(action.candidate)) + tie))
            blocks += [
                Line(_w(language, "transfer", value=value, target=_target(language, target)))
                for target, value in action.transfers.items()
            ]
    return blocks


def outcome_line(result: ContestResult, language: str) -> str:
    names = ", ".join(safe(w) for w in result.winners)
    if result.outcome is Outcome.NO_VOTES:
        return _w(language, "no_votes")
    if result.outcome is Outcome.NO_ENDORSEMENT:
        return _w(language, "no_endorsement", names=names)
    if result.outcome is Outcome.BELOW_THRESHOLD:
        shares = result.final_shares
        below = [w for w in result.winners if w not in result.endorsed]
        pct = ", ".join(shares.get(w, "0") for w in below)
        needed = result.contest.threshold_percent
        return _w(language, "below_threshold", names=", ".join(safe(w) for w in below), pct=pct, needed=needed)
    return _w(language, "winner" if result.contest.seats == 1 else "winners", names=names)


def contest_blocks(results: Sequence[ContestResult], language: str) -> list[Block]:
    """The tape's contests section (nothing when the meeting has no contests)."""
    if not results:
        return []
    blocks: list[Block] = [Rule(), Line(_w(language, "contests"), bold=True)]
    for result in results:
        contest = result.contest
        method = "irv" if result.tabulation.contest.seats == 1 and not result.tabulation.contest.multi_seat else "stv"
        blocks += [
            Feed(1),
            Line(f"{contest.position}. {safe(contest.title)}", bold=True),
            Line(_w(language, method, seats=contest.seats)),
        ]
        if contest.threshold_percent is not None:
            blocks.append(Line(_w(language, "threshold_rule", pct=contest.threshold_percent)))
        blocks.append(Line(_w(language, "ballots", ballots=result.ballots, blank=result.blank)))
        if not result.no_votes:
            blocks += _rounds(result, language)
        blocks += [
            Line(outcome_line(result, language), bold=True),
            Line(_w(language, "tiebreak_note", seed=contest.tiebreak_seed)),
        ]
    return blocks
