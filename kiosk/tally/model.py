"""The tally's values: meeting states, answers, person keys and the frozen records every edge is handed.

Nothing here touches the database; the concept modules beside it build these from rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from kiosk.import_report import ImportReport  # noqa: F401  (re-exported: the tally's imports return it)
from kiosk.plank_texts import PlankTranslation, Shown, shown
from kiosk.results import Choice, Threshold
from kiosk.roster import strip_invisible


class MeetingState(StrEnum):
    DRAFT = "draft"
    SIGNIN_OPEN = "signin_open"
    VOTING_OPEN = "voting_open"
    CLOSED = "closed"


# Forward only; a step may be skipped (opening voting also keeps sign-in open for late arrivals).
STATE_ORDER = [MeetingState.DRAFT, MeetingState.SIGNIN_OPEN, MeetingState.VOTING_OPEN, MeetingState.CLOSED]


# The states in which people may sign in, and in which a meeting's planks may still change.
SIGNIN_STATES = (MeetingState.SIGNIN_OPEN, MeetingState.VOTING_OPEN)
PLANKS_EDITABLE = (MeetingState.DRAFT, MeetingState.SIGNIN_OPEN)


class Answer(StrEnum):
    YES = "yes"
    NO = "no"
    MAYBE = "maybe"


class PersonKind(StrEnum):
    """Whom a stored person key names; the value is the key's prefix in the database."""

    MEMBER = "m"  # someone on the roster: the member id
    PHONE = "p"  # a number not on the roster (an RSVP by text, a walk-in who gave a phone): E.164
    GUEST = "g"  # a walk-in without a phone: the name folded as the roster folds names


@dataclass(frozen=True)
class PersonKey:
    """One person at one meeting, as the ``person_key`` columns of RSVPs and sign-ins store it: ``m:12``,
    ``p:+15105550101``, ``g:ana lopez``. Built and read only here, so the three spellings cannot drift.

    >>> str(PersonKey.member(12)), PersonKey.parse("p:+15105550101")
    ('m:12', PersonKey(kind=<PersonKind.PHONE: 'p'>, value='+15105550101'))
    """

    kind: PersonKind
    value: str

    @classmethod
    def member(cls, member_id: int) -> PersonKey:
        return cls(PersonKind.MEMBER, str(int(member_id)))

    @classmethod
    def phone(cls, e164: str) -> PersonKey:
        return cls(PersonKind.PHONE, e164)

    @classmethod
    def guest(cls, folded_name: str) -> PersonKey:
        return cls(PersonKind.GUEST, folded_name)

    @classmethod
    def parse(cls, text: str) -> PersonKey:
        prefix, sep, value = text.partition(":")
        try:
            kind = PersonKind(prefix)
        except ValueError:
            raise ValueError(f"{text!r} is not a person key (m:, p: or g:)") from None
        if not sep or not value:
            raise ValueError(f"{text!r} is not a person key (m:, p: or g:)")
        return cls(kind, value)

    @staticmethod
    def prefix(kind: PersonKind) -> str:
        """What every key of ``kind`` starts with (for building keys inside SQL)."""
        return f"{kind.value}:"

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.value}"


@dataclass(frozen=True)
class Meeting:
    id: int
    code: str
    title: str
    starts_at: datetime
    timezone: str
    place: str
    state: MeetingState
    quorum_kind: str
    quorum_value: int
    min_membership_days: int | None
    guests_may_vote: bool
    show_choices_on_receipt: bool
    live_results_shown: bool = False
    results_hidden_until_close: bool = False
    # The attendance rule: at least ``min_attended`` of the last ``of_last`` closed meetings (both or neither).
    min_attended: int | None = None
    of_last: int | None = None

    @property
    def local_start(self) -> datetime:
        return self.starts_at.astimezone(ZoneInfo(self.timezone))

    @property
    def quorum_text(self) -> str:
        return f"{self.quorum_value}%" if self.quorum_kind == "percent" else str(self.quorum_value)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "title": self.title,
            "starts_at": self.local_start.isoformat(),
            "place": self.place,
            "state": str(self.state),
            "quorum": self.quorum_text,
            "min_membership_days": self.min_membership_days,
            "guests_may_vote": self.guests_may_vote,
            "show_choices_on_receipt": self.show_choices_on_receipt,
            "live_results_shown": self.live_results_shown,
            "results_hidden_until_close": self.results_hidden_until_close,
            "min_attended": self.min_attended,
            "of_last": self.of_last,
        }


@dataclass(frozen=True)
class Plank:
    id: int
    position: int
    title: str  # the original: the plank's identity for results, exports and the audit log
    text: str
    threshold: Threshold
    translations: tuple[PlankTranslation, ...] = ()

    def title_in(self, lang: str) -> Shown:
        """The title in ``lang``, or the original (with its own language) when it has no translation."""
        return shown(self.title, self.translations, lang, "title")

    def text_in(self, lang: str) -> Shown:
        return shown(self.text, self.translations, lang, "text")


class PlatformState(StrEnum):
    CURRENT = "current"  # in force
    AMENDED = "amended"  # replaced by a later plank (``replaced_by_id``)
    REPEALED = "repealed"  # removed by a later meeting


@dataclass(frozen=True)
class Adoption:
    """The closed meeting at which a plank passed, and its final counts (abstentions are not votes cast)."""

    meeting_code: str
    meeting_title: str
    date: date  # the meeting's day, in its own time zone
    yes: int
    no: int
    threshold: Threshold
    abstain: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "meeting": self.meeting_code,
            "meeting_title": self.meeting_title,
            "date": self.date.isoformat(),
            "yes": self.yes,
            "no": self.no,
            "abstain": self.abstain,
            "threshold": str(self.threshold),
        }


@dataclass(frozen=True)
class PlatformEnding:
    """How a platform plank stopped being in force: the meeting and the plank that amended or repealed it."""

    state: PlatformState  # AMENDED or REPEALED
    meeting_code: str
    meeting_title: str
    date: date
    by_title: str  # the plank that amended or repealed it (for an amendment, also the successor's title)


@dataclass(frozen=True)
class PlatformPlank:
    """A plank of the organization's platform (``Tally.platform``): what passed, where and by how much.

    ``title`` and ``text`` are the adopted plank's own words; ``title_in`` / ``text_in`` give them in another
    language from the adopted plank's translations, as ``Plank`` does."""

    id: int
    title: str
    text: str
    adopted: Adoption
    state: PlatformState = PlatformState.CURRENT
    translations: tuple[PlankTranslation, ...] = ()
    replaced_by_id: int | None = None
    ended: PlatformEnding | None = None

    def title_in(self, lang: str) -> Shown:
        return shown(self.title, self.translations, lang, "title")

    def text_in(self, lang: str) -> Shown:
        return shown(self.text, self.translations, lang, "text")

    def as_dict(self, lang: str | None = None) -> dict[str, Any]:
        """The JSON form (``kiosk platform --json``): title and text in ``lang`` when given (falling back to the
        original), the adoption, and for a plank no longer in force its state and what ended it."""
        entry: dict[str, Any] = {
            "title": self.title_in(lang).text if lang else self.title,
            "text": self.text_in(lang).text if lang else self.text,
            "adopted": self.adopted.as_dict(),
            "state": str(self.state),
        }
        if lang and entry["title"] != self.title:
            entry["original_title"] = self.title
        if self.ended is not None:
            entry["ended"] = {
                "meeting": self.ended.meeting_code,
                "meeting_title": self.ended.meeting_title,
                "date": self.ended.date.isoformat(),
                "by": self.ended.by_title,
            }
            if self.state is PlatformState.AMENDED:
                entry["replaced_by"] = self.ended.by_title
        return entry


@dataclass(frozen=True)
class Person:
    """A match for the sign-in look-up: only what a kiosk screen may show."""

    member_id: int | None
    display_name: str
    phone: str | None  # kept server-side for signing in an RSVP'd number; never shown
    kind: str  # member, lapsed, pending, guest, or "rsvp" for an RSVP'd number not on the roster
    signed_in: bool


@dataclass(frozen=True)
class SignIn:
    id: int
    meeting_code: str
    display_name: str
    kind: str
    eligible: bool
    already: bool
    # Only when a token was issued by this call: the receipt's only copy (never in a repr, so never in a log).
    token: str | None = field(repr=False)
    token_state: str | None  # issued, spent, void or None (not eligible)
    ineligible_reason: str | None = None


@dataclass(frozen=True)
class CastBallot:
    # Kept out of reprs: a code plus /verify gives the choices, and a repr may end up in a log.
    verification_code: str = field(repr=False)
    meeting_code: str
    choices: tuple[tuple[str, Choice], ...] = field(repr=False)
    # Each contest on the ballot (in ballot order): its title and the candidates' names ranked, first choice first
    # (a blank ranking: ()).
    rankings: tuple[tuple[str, tuple[str, ...]], ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class RsvpView:
    phone: str | None
    name: str | None
    member_id: int | None
    answer: Answer
    guests: int
    source: str
    at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "phone": self.phone,
            "name": self.name,
            "answer": str(self.answer),
            "guests": self.guests,
            "source": self.source,
        }


def clean_name(name: str) -> str:
    """A name as stored: no control or invisible characters (whichever edge it came from), single spaces."""
    return " ".join(strip_invisible(name).split())
