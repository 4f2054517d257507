"""RSVPs: answers by text or from the organizer pages; the latest answer per person counts, earlier ones are kept
as history. Inside an edge's own transaction they are recorded through the unit of work (``uow.rsvps``)."""

from __future__ import annotations

from sqlalchemy import Connection, and_, func, insert, select, update

from kiosk.errors import InvalidInput, NotFound, StateError
from kiosk.roster import normalize_phone
from kiosk.schema import members, rsvps
from kiosk.tally.model import Answer, MeetingState, PersonKey, RsvpView, clean_name
from kiosk.tally.storage import TallyBase

MAX_GUESTS = 10
MAX_NAME = 200


class RsvpsMixin(TallyBase):
    def record_rsvp(
        self,
        code: str,
        *,
        answer: Answer | str,
        guests: int = 0,
        source: str = "sms",
        phone: str | None = None,
        member_id: int | None = None,
        name: str | None = None,
    ) -> RsvpView:
        """Record an answer; the latest answer per person counts and earlier ones are kept as history.

        A phone that belongs to exactly one member is recorded against that member. A phone shared by a
        household (several members) is recorded against the phone: the text cannot say who is answering.
        """
        with self._write() as conn:
            return self._record_rsvp(
                conn, code, answer=answer, guests=guests, source=source, phone=phone, member_id=member_id, name=name
            )

    def _record_rsvp(
        self,
        conn: Connection,
        code: str,
        *,
        answer: Answer | str,
        guests: int = 0,
        source: str = "sms",
        phone: str | None = None,
        member_id: int | None = None,
        name: str | None = None,
    ) -> RsvpView:
        answer = Answer(answer)
        if not 0 <= guests <= MAX_GUESTS:
            raise InvalidInput(f"guests must be between 0 and {MAX_GUESTS}")
        if phone is not None:
            phone = normalize_phone(phone, self.region)
        if phone is None and member_id is None:
            raise InvalidInput("an RSVP needs a phone number or a member")
        if name is not None:
            name = clean_name(name)[:MAX_NAME] or None
        meeting = self._meeting_row(conn, code)
        if meeting.state == MeetingState.CLOSED:
            raise StateError(f"meeting {meeting.code} is closed")
        if member_id is None and phone is not None:
            owners = conn.execute(select(members.c.id).where(members.c.phone == phone)).scalars().all()
            if len(owners) == 1:
                member_id = owners[0]
        if member_id is not None:
            member = conn.execute(select(members).where(members.c.id == member_id)).first()
            if member is None:
                raise NotFound(f"no member with id {member_id}")
            key, name = str(PersonKey.member(member_id)), member.name
            phone = phone or member.phone
        else:
            assert phone is not None  # checked above: a phone or a member
            key = str(PersonKey.phone(phone))
            if name is None:
                name = self._last_rsvp_name(conn, key)
        now = self.clock()
        conn.execute(
            insert(rsvps).values(
                meeting_id=meeting.id,
                person_key=key,
                member_id=member_id,
                phone=phone,
                name=name,
                answer=str(answer),
                guests=guests,
                source=source,
                created_at=now,
            )
        )
        return RsvpView(phone, name, member_id, answer, guests, source, now)

    @staticmethod
    def _last_rsvp_name(conn: Connection, key: str) -> str | None:
        """The name a number not on the roster gave last (at any meeting)."""
        return conn.execute(
            select(rsvps.c.name)
            .where(and_(rsvps.c.person_key == key, rsvps.c.name.is_not(None)))
            .order_by(rsvps.c.id.desc())
            .limit(1)
        ).scalar()

    def name_rsvp(self, code: str, phone: str, name: str) -> None:
        """Attach a name given by text to the latest RSVP from a number that is not on the roster."""
        with self._write() as conn:
            self._name_rsvp(conn, code, phone, name)

    def _name_rsvp(self, conn: Connection, code: str, phone: str, name: str) -> None:
        phone_e164 = normalize_phone(phone, self.region)
        name = clean_name(name)[:MAX_NAME]
        if not name:
            raise InvalidInput("an empty name")
        meeting = self._meeting_row(conn, code)
        if phone_e164 is None:
            raise NotFound("no RSVP from that number")
        latest = conn.execute(
            select(rsvps.c.id)
            .where(and_(rsvps.c.meeting_id == meeting.id, rsvps.c.person_key == str(PersonKey.phone(phone_e164))))
            .order_by(rsvps.c.id.desc())
            .limit(1)
        ).scalar()
        if latest is None:
            raise NotFound("no RSVP from that number")
        conn.execute(update(rsvps).where(rsvps.c.id == latest).values(name=name))

    def current_rsvps(self, code: str) -> list[RsvpView]:
        with self._read() as conn:
            meeting = self._meeting_row(conn, code)
            latest = (
                select(func.max(rsvps.c.id)).where(rsvps.c.meeting_id == meeting.id).group_by(rsvps.c.person_key)
            ).scalar_subquery()
            rows = conn.execute(select(rsvps).where(rsvps.c.id.in_(latest)).order_by(rsvps.c.id)).all()
            return [
                RsvpView(r.phone, r.name, r.member_id, Answer(r.answer), r.guests, r.source, r.created_at) for r in rows
            ]

    def rsvp_history(self, code: str) -> list[RsvpView]:
        with self._read() as conn:
            meeting = self._meeting_row(conn, code)
            rows = conn.execute(select(rsvps).where(rsvps.c.meeting_id == meeting.id).order_by(rsvps.c.id)).all()
            return [
                RsvpView(r.phone, r.name, r.member_id, Answer(r.answer), r.guests, r.source, r.created_at) for r in rows
            ]
