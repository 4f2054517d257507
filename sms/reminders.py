"""Texts to an audience: who is in it (members with a phone, a meeting's YES RSVPs, one number), the
invitation and reminder texts, the one path that queues a text to an audience (used by ``kiosk sms send``
and the organizer texts page), and the automatic reminders 24 h and 2 h before a meeting."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select

from kiosk import db
from kiosk.errors import InvalidInput
from kiosk.schema import sms_conversations
from kiosk.tally import Meeting, MeetingState, Tally
from sms import replies
from sms.outbound import OutboundQueue, audience_key
from sms.reader import Language

__all__ = ["REMINDER_OFFSETS", "Audience", "AudienceTexts", "Recipients"]

REMINDER_OFFSETS = {"24h": timedelta(hours=24), "2h": timedelta(hours=2)}


class Audience(StrEnum):
    MEMBERS = "members"  # members (and pending members) with a phone
    YES = "yes"  # the meeting's current YES RSVPs
    ONE = "to"  # one number given by hand


@dataclass(frozen=True)
class Recipients:
    """An audience resolved: everyone in it, and those who will be texted (not opted out)."""

    phones: tuple[str, ...]
    texted: tuple[str, ...]

    @property
    def opted_out(self) -> int:
        return len(self.phones) - len(self.texted)


class AudienceTexts:
    """Invitations, reminders and organizers' texts, each queued once per recipient (see ``audience_key``)."""

    def __init__(self, tally: Tally, queue: OutboundQueue, *, organization: str, clock: Callable[[], datetime]) -> None:
        self.tally = tally
        self.queue = queue
        self.organization = organization
        self.clock = clock

    # --- who ----------------------------------------------------------------------------------------------

    def yes_phones(self, code: str) -> list[str]:
        return sorted({r.phone for r in self.tally.current_rsvps(code) if r.answer == "yes" and r.phone})

    def member_phones(self) -> list[str]:
        return self.tally.member_phones()

    def recipients(
        self, audience: Audience | str, meeting_code: str | None = None, to: str | None = None
    ) -> Recipients:
        """Who ``audience`` is: the meeting's YES RSVPs need ``meeting_code``; one number needs ``to``."""
        audience = Audience(audience)
        if audience is Audience.ONE:
            if not to:
                raise InvalidInput("a text to one number needs the number")
            phones = [to]
        elif audience is Audience.YES:
            if meeting_code is None:
                raise InvalidInput("the YES RSVPs of which meeting? Give its code")
            phones = self.yes_phones(meeting_code)
        else:
            phones = self.member_phones()
        return Recipients(tuple(phones), tuple(self.queue.recipients(phones)))

    # --- what ---------------------------------------------------------------------------------------------

    def languages_of(self, phones: Iterable[str]) -> dict[str, Language]:
        """Each phone's language for invitations and reminders: the member's stored language (set by the roster,
        the kiosk or their last text), else the language of their texts so far, else English."""
        wanted = set(phones)
        stored = self.tally.phone_languages(wanted)
        with db.read_transaction(self.tally.engine) as conn:
            talked = {
                phone: lang
                for phone, lang in conn.execute(select(sms_conversations.c.phone, sms_conversations.c.language))
                if phone in wanted and lang in ("en", "es")
            }
        result: dict[str, Language] = {}
        for phone in wanted:
            langs = stored.get(phone, set())
            # A phone shared by members of different languages: the conversation decides, as for replies.
            lang = next(iter(langs)) if len(langs) == 1 else talked.get(phone, "en")
            result[phone] = "es" if lang == "es" else "en"
        return result

    def reminder_text(self, meeting: Meeting, lang: str = "en") -> str:
        # Plank titles in the member's language where the organizer gave a translation.
        titles = [p.title_in(lang).text for p in self.tally.planks(meeting.code)]
        return replies.reminder(
            lang,
            self.organization,
            meeting.title,
            meeting.local_start,  # type: ignore[arg-type]
            meeting.place,
            titles,
        )

    def invitation_text(self, meeting: Meeting, lang: str = "en") -> str:
        return replies.invitation(
            lang,
            self.organization,
            meeting.title,
            meeting.local_start,  # type: ignore[arg-type]
            meeting.place,
            meeting.code,
        )

    # --- queueing -----------------------------------------------------------------------------------------

    def queue_to_audience(
        self,
        body: str,
        *,
        kind: str,
        audience: Audience | str,
        meeting_code: str | None = None,
        to: str | None = None,
        name: str | None = None,
        render: Callable[[Language], str] | None = None,
    ) -> int:
        """Queue ``body`` to everyone in ``audience`` who has not opted out; returns how many were queued now.

        The same text (or the same ``name`` for a send) to the same audience is queued once, however often this
        is called; a different text is a new send, whatever its length. With ``render`` (the meeting's own
        invitation or reminder), each recipient gets ``render(their language)`` instead of ``body``; the send is
        still known by ``body``.
        """
        audience = Audience(audience)
        who = self.recipients(audience, meeting_code, to)
        key = audience_key(meeting_code, str(audience), body, name)
        if render is None:
            return self.queue.queue_bulk(who.texted, body, kind=kind, key_prefix=key)
        return self.queue_in_languages(who.texted, render, kind=kind, key_prefix=key)

    def queue_in_languages(
        self, phones: Iterable[str], render: Callable[[Language], str], *, kind: str, key_prefix: str
    ) -> int:
        """Queue ``render(language)`` to each phone in that phone's own language (see ``languages_of``)."""
        phones = list(phones)
        languages = self.languages_of(phones)
        bodies = {lang: render(lang) for lang in sorted(set(languages.values()))}
        count = 0
        for lang, body in bodies.items():
            count += self.queue.queue_bulk(
                [p for p in phones if languages[p] == lang], body, kind=kind, key_prefix=key_prefix
            )
        return count

    def schedule_reminders(self) -> int:
        """Queue due reminders (24 h and 2 h before) to YES RSVPs of every open meeting; each at most once."""
        now = self.clock()
        queued = 0
        for meeting in self.tally.meetings():
            if meeting.state is MeetingState.CLOSED or meeting.starts_at <= now:
                continue
            for label, offset in REMINDER_OFFSETS.items():
                if meeting.starts_at - offset <= now:
                    queued += self.queue_in_languages(
                        self.yes_phones(meeting.code),
                        lambda lang, meeting=meeting: self.reminder_text(meeting, lang),
                        kind="reminder",
                        key_prefix=f"reminder:{meeting.code}:{label}",
                    )
        return queued
