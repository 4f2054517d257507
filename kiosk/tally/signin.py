"""Signing in at the door: members found on the roster, walk-ins (guests, or people joining at the door as
pending members), each signed in once per meeting, with a ballot token when they may vote."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, insert, select, update
from sqlalchemy.exc import IntegrityError

from kiosk.errors import InvalidInput, NotFound, StateError
from kiosk.roster import display_name, fold, normalize_phone, search_name
from kiosk.schema import ballot_tokens, members, signins
from kiosk.tally import attendance
from kiosk.tally.ballot_tokens import BallotTokensMixin
from kiosk.tally.eligibility import eligibility
from kiosk.tally.model import SIGNIN_STATES, PersonKey, SignIn, clean_name

MAX_NAME = 200
RECEIPT_LANGUAGES = ("en", "es")
DEFAULT_RECEIPT_LANGUAGE = "en"


class SignInMixin(BallotTokensMixin):
    def sign_in_member(
        self, code: str, member_id: int, *, station: str = "kiosk-1", language: str | None = None
    ) -> SignIn:
        """Sign a roster member in; ``language`` (the kiosk screen's) becomes the language of their texts."""
        with self._write() as conn:
            meeting = self._meeting_row(conn, code)
            member = conn.execute(select(members).where(members.c.id == member_id)).first()
            if member is None:
                raise NotFound(f"no member with id {member_id}")
            if language and member.language != language:
                # The language a member last chose is the one their invitations and reminders go in.
                conn.execute(update(members).where(members.c.id == member_id).values(language=language))
            kind = (
                "member"
                if member.status in ("member", "lapsed")
                else "pending"
                if member.status == "pending"
                else "guest"
            )
            # Only a member's sign-in is held to the attendance rule (guests and pending members vote, or not,
            # by the meeting's guest rule); its count is stored with the sign-in, as decided at the door.
            record = attendance.attendance_of(conn, meeting, member_id) if kind == "member" else None
            eligible, reason = eligibility(meeting, kind, member.status, member.joined, record)
            as_walkin = self._signed_in_as_walkin(conn, meeting, member)
            if as_walkin is not None:
                return self._already_signed_in(conn, meeting, as_walkin)
            return self._sign_in(
                conn,
                meeting,
                PersonKey.member(member_id),
                member_id,
                member.name,
                member.phone,
                kind,
                eligible,
                reason,
                station,
                attended=None if record is None else record.attended,
            )

    def sign_in_guest(
        self, code: str, name: str, phone: str | None = None, *, station: str = "kiosk-1", joining: bool = False
    ) -> SignIn:
        """A walk-in: a guest, or (``joining``) someone who joins at the door and is added as a pending member."""
        name = clean_name(name)
        if not name or len(name) > MAX_NAME:
            raise InvalidInput("please give a name (up to 200 characters)")
        phone_e164 = normalize_phone(phone, self.region) if phone else None
        with self._write() as conn:
            # Locked, so that two kiosks signing in the same walk-in at once cannot both miss the other's sign-in.
            meeting = self._meeting_row(conn, code, lock=True)
            same = self._walkin_signed_in(conn, meeting, name, phone_e164)
            if same is not None:
                return self._already_signed_in(conn, meeting, same)
            member_id = None
            if joining:
                now = self.clock()
                result = conn.execute(
                    insert(members).values(
                        name=name,
                        search_name=search_name(name),
                        phone=phone_e164,
                        email=None,
                        status="pending",
                        joined=None,
                        created_at=now,
                        updated_at=now,
                    )
                )
                member_id = result.inserted_primary_key[0]
                key, kind = PersonKey.member(member_id), "pending"
            else:
                key = PersonKey.phone(phone_e164) if phone_e164 else PersonKey.guest(search_name(name))
                kind = "guest"
            eligible, reason = eligibility(meeting, kind, None, None)
            return self._sign_in(conn, meeting, key, member_id, name, phone_e164, kind, eligible, reason, station)

    def _walkin_signed_in(self, conn: Connection, meeting: Any, name: str, phone: str | None) -> Any:
        """The sign-in at this meeting that a walk-in is already: the same phone, or (no phone given) the same name
        compared as the roster compares names. Without this, "I am joining today" issued a new token each time."""
        if meeting.state not in SIGNIN_STATES:
            return None  # _sign_in says that sign-in is closed
        here = signins.c.meeting_id == meeting.id
        if phone is not None:
            same_phone = and_(here, signins.c.phone == phone)
            return conn.execute(select(signins).where(same_phone).order_by(signins.c.id)).first()
        folded = fold(name)
        for row in conn.execute(select(signins).where(here).order_by(signins.c.id)):
            if fold(row.name) == folded:
                return row
        return None

    def _signed_in_as_walkin(self, conn: Connection, meeting: Any, member: Any) -> Any:
        """A walk-in sign-in at this meeting (a guest, or joining that day) that was this member: the same phone and
        the same name. The other way round from ``_walkin_signed_in``: joining at the door first, then finding
        oneself on the roster, is one person too. (A household's other people share the phone, not the name.)"""
        if not member.phone or meeting.state not in SIGNIN_STATES:
            return None
        rows = conn.execute(
            select(signins).where(
                and_(
                    signins.c.meeting_id == meeting.id,
                    signins.c.phone == member.phone,
                    signins.c.person_key != str(PersonKey.member(member.id)),
                    signins.c.kind != "member",
                )
            )
        ).all()
        folded = fold(member.name)
        return next((row for row in rows if fold(row.name) == folded), None)

    def _already_signed_in(self, conn: Connection, meeting: Any, existing: Any) -> SignIn:
        """What a second sign-in of the same person as ``existing`` gets, with why they may not vote if so."""
        reason = None
        if not existing.eligible:
            member = None
            if existing.member_id is not None:
                member = conn.execute(select(members).where(members.c.id == existing.member_id)).first()
            status, joined = (member.status, member.joined) if member is not None else (None, None)
            record = None
            if meeting.min_attended and existing.attended is not None:
                record = attendance.stored(meeting, attendance.window_size(conn, meeting), existing.attended)
            reason = eligibility(meeting, existing.kind, status, joined, record)[1]
        return self._stored_signin(conn, meeting.code, existing, reason)

    @staticmethod
    def _stored_signin(conn: Connection, meeting_code: str, existing: Any, reason: str | None) -> SignIn:
        """A sign-in already stored, as a second sign-in of the same person gets it: no new token, and the state
        of the one they hold. (The one place this SignIn is built; it was built three times and had drifted.)"""
        state = conn.execute(
            select(ballot_tokens.c.state).where(
                and_(ballot_tokens.c.signin_id == existing.id, ballot_tokens.c.state != "void")
            )
        ).scalar()
        return SignIn(
            existing.id,
            meeting_code,
            display_name(existing.name),
            existing.kind,
            bool(existing.eligible),
            True,
            None,
            state,
            reason,
        )

    @staticmethod
    def _signin_of(conn: Connection, meeting: Any, person_key: str) -> Any:
        return conn.execute(
            select(signins).where(and_(signins.c.meeting_id == meeting.id, signins.c.person_key == person_key))
        ).first()

    def _sign_in(
        self,
        conn: Connection,
        meeting: Any,
        key: PersonKey,
        member_id: int | None,
        name: str,
        phone: str | None,
        kind: str,
        eligible: bool,
        reason: str | None,
        station: str,
        *,
        attended: int | None = None,
    ) -> SignIn:
        if meeting.state not in SIGNIN_STATES:
            raise StateError(f"sign-in for {meeting.code} is not open")
        person_key = str(key)
        existing = self._signin_of(conn, meeting, person_key)
        if existing is not None:
            return self._stored_signin(conn, meeting.code, existing, reason)
        now = self.clock()
        # A savepoint, so that losing a race to another kiosk leaves this transaction usable.
        try:
            with conn.begin_nested():
                result = conn.execute(
                    insert(signins).values(
                        meeting_id=meeting.id,
                        person_key=person_key,
                        member_id=member_id,
                        name=name,
                        phone=phone,
                        kind=kind,
                        eligible=eligible,
                        station=station[:64],
                        signed_in_at=now,
                        attended=attended,
                    )
                )
        except IntegrityError:
            # Another kiosk signed this person in first: theirs is the sign-in (and its token's state is shown).
            existing = self._signin_of(conn, meeting, person_key)
            if existing is None:
                raise
            return self._stored_signin(conn, meeting.code, existing, reason)
        signin_id = result.inserted_primary_key[0]
        self._audit(
            conn,
            station,
            "signed_in",
            meeting.code,
            signin=signin_id,
            name=display_name(name),
            kind=kind,
            eligible=eligible,
        )
        token = self._issue_token(conn, meeting, signin_id, station) if eligible else None
        return SignIn(
            signin_id,
            meeting.code,
            display_name(name),
            kind,
            eligible,
            False,
            token,
            "issued" if token else None,
            reason,
        )

    def remember_receipt_language(self, signin_id: int, language: str) -> None:
        """Keep the language a sign-in's receipt was printed in (the latest, when the attendee switched and
        reprinted), so a reprint at the desk comes out in it."""
        if language not in RECEIPT_LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(RECEIPT_LANGUAGES)}, not {language!r}")
        with self._write() as conn:
            conn.execute(update(signins).where(signins.c.id == signin_id).values(language=language))

    def receipt_language(self, signin_id: int) -> str:
        """The language to reprint a sign-in's receipt in: the one its receipt was printed in, else the member's
        stored language, else English."""
        with self._read() as conn:
            row = conn.execute(
                select(signins.c.language, members.c.language.label("member_language"))
                .select_from(signins.outerjoin(members, members.c.id == signins.c.member_id))
                .where(signins.c.id == signin_id)
            ).first()
        for language in (row.language, row.member_language) if row is not None else ():
            if language in RECEIPT_LANGUAGES:
                return str(language)
        return DEFAULT_RECEIPT_LANGUAGE

    def signins(self, code: str) -> list[dict[str, Any]]:
        with self._read() as conn:
            meeting = self._meeting_row(conn, code)
            rows = conn.execute(select(signins).where(signins.c.meeting_id == meeting.id).order_by(signins.c.id))
            return [
                {
                    "id": r.id,
                    "name": r.name,
                    "phone": r.phone,
                    "kind": r.kind,
                    "eligible": bool(r.eligible),
                    "attended": r.attended,
                    "station": r.station,
                    "signed_in_at": r.signed_in_at.isoformat(),
                }
                for r in rows
            ]
