"""What a contest is made of before it is stored (:class:`ContestSpec`), the one check every way in goes through
(the contests file, the organizer's form), and the contests file itself.

The contests file has one row per candidate, in ballot order; the contest's own fields may be repeated on every
row or given once (on any of its rows)::

    contest,contest_es,seats,method,threshold,candidate,no_endorsement
    Mayor endorsement,Respaldo para alcaldía,1,irv,60,Ana Díaz,
    Mayor endorsement,,,,,Luis Ortega,
    Mayor endorsement,,,,,No endorsement,yes
    Steering committee,Comité directivo,3,,,Rosa Kim,

``seats`` defaults to 1; ``method`` to ``irv`` for one seat and ``stv`` for several; ``threshold`` (a percent,
"60" or "60%") is the endorsement rule, empty for none. ``decimal_places`` (default 4) and ``seed`` (the random
tie-break's seed; default: drawn when the contest is stored) are optional columns. A file with any error is
refused whole, with every error's line number: a contest half imported would be a different contest.
"""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from kiosk.errors import InvalidInput
from kiosk.plank_texts import MAX_TITLE, translation_languages
from kiosk.roster import fold
from kiosk.tally.contests import ContestMethod
from kiosk.tally.model import clean_name

MAX_CONTESTS = 20
MAX_CANDIDATES = 40
MAX_CANDIDATE_NAME = 200
MAX_SEATS = 20
MAX_DECIMAL_PLACES = 20
MAX_SEED = 2**31 - 1
TRUE_WORDS = {"yes", "y", "true", "1", "x", "si", "sí"}
FALSE_WORDS = {"", "no", "n", "false", "0"}

# Header names as typed (folded, spaces and dashes as underscores) -> the field they fill.
_COLUMNS = {
    "contest": "contest",
    "title": "contest",
    "contest_title": "contest",
    "seats": "seats",
    "method": "method",
    "threshold": "threshold",
    "threshold_percent": "threshold",
    "candidate": "candidate",
    "name": "candidate",
    "candidate_name": "candidate",
    "no_endorsement": "no_endorsement",
    "decimal_places": "decimal_places",
    "seed": "seed",
    "tiebreak_seed": "seed",
}
_CONTEST_FIELDS = ("seats", "method", "threshold", "decimal_places", "seed")


@dataclass(frozen=True)
class CandidateSpec:
    name: str
    no_endorsement: bool = False


@dataclass(frozen=True)
class ContestSpec:
    """A contest as given, checked (see :func:`contest_spec`)."""

    title: str
    seats: int
    method: ContestMethod
    threshold_percent: Decimal | None
    decimal_places: int
    tiebreak_seed: int
    candidates: tuple[CandidateSpec, ...]
    translations: dict[str, str] = field(default_factory=dict)  # {language: title}; "" removes one


def parse_threshold_percent(text: str | None) -> Decimal | None:
    """ "60", "60%", "66.67" -> Decimal; "" -> None; anything else, or outside (0, 100] -> InvalidInput."""
    text = (text or "").strip().removesuffix("%").strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InvalidInput(f"threshold {text!r} is not a percent (e.g. 60 or 66.67)") from None
    if not value.is_finite() or not 0 < value <= 100:
        raise InvalidInput(f"threshold {text!r} is not a percent between 0 and 100")
    if value.as_tuple().exponent < -4:  # type: ignore[operator]  # finite, so an int
        raise InvalidInput(f"threshold {text!r} has more than 4 decimal places")
    return value.to_integral_value() if value == value.to_integral_value() else value


def parse_method(text: str) -> ContestMethod:
    try:
        return ContestMethod(fold(text))
    except ValueError:
        raise InvalidInput(f"method {text!r} is not irv (instant-runoff) or stv (single transferable vote)") from None


def _whole(text: str | int | None, what: str, low: int, high: int, default: int) -> int:
    if text is None or (isinstance(text, str) and not text.strip()):
        return default
    try:
        value = int(str(text).strip())
    except ValueError:
        raise InvalidInput(f"{what} {text!r} is not a whole number") from None
    if not low <= value <= high:
        raise InvalidInput(f"{what} must be {low}-{high}, not {value}")
    return value


def contest_spec(
    *,
    title: str,
    candidates: list[CandidateSpec],
    seats: str | int | None = None,
    method: str | None = None,
    threshold: str | None = None,
    decimal_places: str | int | None = None,
    seed: str | int | None = None,
    translations: dict[str, str] | None = None,
) -> ContestSpec:
    """A checked contest, or InvalidInput saying what is wrong (the one place these rules live)."""
    title = clean_name(title)
    if not title or len(title) > MAX_TITLE:
        raise InvalidInput(f"a contest title is 1-{MAX_TITLE} characters")
    seat_count, chosen = _seats_and_method(seats, method)
    return ContestSpec(
        title=title,
        seats=seat_count,
        method=chosen,
        threshold_percent=parse_threshold_percent(threshold),
        decimal_places=_whole(decimal_places, "decimal places", 1, MAX_DECIMAL_PLACES, 4),
        # Drawn once, when the contest is set up, so nobody can pick it after seeing the ballots.
        tiebreak_seed=_whole(seed, "seed", 0, MAX_SEED, 0) if seed not in (None, "") else secrets.randbelow(MAX_SEED),
        candidates=_checked_candidates(title, candidates),
        translations=_checked_translations(translations or {}),
    )


def _seats_and_method(seats: str | int | None, method: str | None) -> tuple[int, ContestMethod]:
    seat_count = _whole(seats, "seats", 1, MAX_SEATS, 1)
    chosen = parse_method(fold(method or "") or ("irv" if seat_count == 1 else "stv"))
    if chosen is ContestMethod.IRV and seat_count != 1:
        raise InvalidInput(f"instant-runoff (irv) fills one seat; use stv for {seat_count} seats")
    return seat_count, chosen


def _checked_candidates(title: str, candidates: list[CandidateSpec]) -> tuple[CandidateSpec, ...]:
    cleaned = tuple(CandidateSpec(clean_name(c.name), c.no_endorsement) for c in candidates)
    if not cleaned:
        raise InvalidInput(f"contest {title!r} has no candidates")
    if len(cleaned) > MAX_CANDIDATES:
        raise InvalidInput(f"contest {title!r} has more than {MAX_CANDIDATES} candidates")
    if any(not c.name or len(c.name) > MAX_CANDIDATE_NAME for c in cleaned):
        raise InvalidInput(f"a candidate's name is 1-{MAX_CANDIDATE_NAME} characters")
    # The same name twice (ignoring case and accents) would be two boxes a voter cannot tell apart.
    folded = [fold(c.name) for c in cleaned]
    twice = sorted({c.name for c, f in zip(cleaned, folded, strict=True) if folded.count(f) > 1})
    if twice:
        raise InvalidInput(f"contest {title!r} lists {', '.join(twice)} twice")
    if sum(c.no_endorsement for c in cleaned) > 1:
        raise InvalidInput(f"contest {title!r} has more than one 'No endorsement' option")
    return cleaned


def _checked_translations(translations: dict[str, str]) -> dict[str, str]:
    given = {lang: clean_name(text) for lang, text in translations.items()}
    for lang, text in given.items():
        if lang not in translation_languages():
            raise InvalidInput(f"the kiosk offers no translation language {lang!r}")
        if len(text) > MAX_TITLE:
            raise InvalidInput(f"a contest title is at most {MAX_TITLE} characters in every language")
    return given


def parse_flag(text: str) -> bool:
    word = fold(text)
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise InvalidInput(f"{text!r} is not yes or no")


@dataclass
class _Gathered:
    first_line: int
    title: str  # as first written
    fields: dict[str, tuple[int, str]] = field(default_factory=dict)  # field -> (line, value)
    translations: dict[str, str] = field(default_factory=dict)
    candidates: list[CandidateSpec] = field(default_factory=list)


def _header(row: list[str], notes: list[str]) -> tuple[dict[str, int], dict[str, int]]:
    """{field: column} and {language: column of its title}; unknown columns become notes."""
    columns: dict[str, int] = {}
    translated: dict[str, int] = {}
    offered = translation_languages()
    for i, raw in enumerate(row):
        name = fold(raw).replace(" ", "_").replace("-", "_")
        base, _, lang = name.rpartition("_")
        if name in _COLUMNS and _COLUMNS[name] not in columns:
            columns[_COLUMNS[name]] = i
        elif base in ("contest", "title") and lang in offered:
            translated[lang] = i
        elif name:
            notes.append(f"column {raw.strip()!r} ignored")
    for needed in ("contest", "candidate"):
        if needed not in columns:
            raise InvalidInput(
                f"the contests file has no {needed!r} column (expected: contest, contest_es, seats, method, "
                "threshold, candidate, no_endorsement)"
            )
    return columns, translated


def _gather_row(
    line: int, row: list[str], columns: dict[str, int], translated: dict[str, int], gathered: dict[str, _Gathered]
) -> None:
    def cell(i: int | None) -> str:
        return row[i].strip() if i is not None and i < len(row) else ""

    title = clean_name(cell(columns["contest"]))
    if not title:
        raise InvalidInput("no contest title")
    entry = gathered.setdefault(fold(title), _Gathered(line, title))
    for name in _CONTEST_FIELDS:
        value = cell(columns.get(name))
        if not value:
            continue
        _FIELD_CHECKS[name](value)  # a bad value is named on its own line
        earlier = entry.fields.get(name)
        if earlier is not None and fold(earlier[1]) != fold(value):
            raise InvalidInput(f"{name} {value!r} differs from {earlier[1]!r} on line {earlier[0]} for {title!r}")
        entry.fields[name] = (line, value)
    for lang, i in translated.items():
        value = cell(i)
        if value:
            if entry.translations.get(lang, value) != value:
                raise InvalidInput(f"a second {lang} title for {title!r}")
            entry.translations[lang] = value
    name = cell(columns["candidate"])
    if not name:
        raise InvalidInput("no candidate name")
    entry.candidates.append(CandidateSpec(name, parse_flag(cell(columns.get("no_endorsement")))))


_FIELD_CHECKS = {
    "seats": lambda v: _whole(v, "seats", 1, MAX_SEATS, 1),
    "method": parse_method,
    "threshold": parse_threshold_percent,
    "decimal_places": lambda v: _whole(v, "decimal places", 1, MAX_DECIMAL_PLACES, 4),
    "seed": lambda v: _whole(v, "seed", 0, MAX_SEED, 0),
}


def parse_contests_csv(csv_text: str, notes: list[str]) -> list[ContestSpec]:
    """The contests of a contests file (see the module docstring), in file order; InvalidInput naming every line
    that is wrong, and then nothing of the file is used."""
    # strict: an unclosed quote is an error, not a candidate whose name swallows the rest of the file
    reader = csv.reader(io.StringIO(csv_text.lstrip("\ufeff"), newline=""), strict=True)
    problems: list[tuple[int, str]] = []  # (line, what is wrong there)
    gathered: dict[str, _Gathered] = {}
    try:
        header = next(reader, None)
        if header is None:
            raise InvalidInput("the contests file is empty")
        columns, translated = _header(header, notes)
        for row in reader:
            if not any(c.strip() for c in row):
                continue
            try:
                _gather_row(reader.line_num, row, columns, translated, gathered)
            except InvalidInput as exc:
                problems.append((reader.line_num, str(exc)))
    except csv.Error as exc:
        problems.append((reader.line_num, f"not readable as CSV ({exc})"))
    specs: list[ContestSpec] = []
    for entry in gathered.values():
        values = {name: value for name, (_, value) in entry.fields.items()}
        try:
            specs.append(
                contest_spec(
                    title=entry.title,
                    candidates=entry.candidates,
                    seats=values.get("seats"),
                    method=values.get("method"),
                    threshold=values.get("threshold"),
                    decimal_places=values.get("decimal_places"),
                    seed=values.get("seed"),
                    translations=entry.translations,
                )
            )
        except InvalidInput as exc:
            problems.append((entry.first_line, str(exc)))
    if problems:
        said = [f"line {line}: {what}" for line, what in sorted(problems)]
        raise InvalidInput("nothing imported: " + "; ".join(said[:20]) + ("; ..." if len(said) > 20 else ""))
    if not specs:
        raise InvalidInput("nothing imported: the contests file has no contests")
    if len(specs) > MAX_CONTESTS:
        raise InvalidInput(f"nothing imported: a meeting has at most {MAX_CONTESTS} contests")
    return specs
