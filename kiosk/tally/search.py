"""Finding people at the door: the sign-in look-up by phone number or by name, RSVP'd numbers included.

The look-up is what an attendee waits for at the door, on a Pi: one statement per search, compiled once and run
on the driver (see ``kiosk.db.DriverStatement``), each telling whether the person is signed in already.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Integer, String, and_, bindparam, cast, func, literal, select

from kiosk import db
from kiosk.errors import InvalidInput
from kiosk.roster import display_name, fold, normalize_phone
from kiosk.schema import members, rsvps, signins
from kiosk.tally.model import Meeting, Person, PersonKey, PersonKind
from kiosk.tally.storage import TallyBase

# A member's person key, built in SQL: "m:" and the id.
_MEMBER_KEY = literal(PersonKey.prefix(PersonKind.MEMBER)) + cast(members.c.id, String)


def _signed_in_member() -> Any:
    return (
        select(signins.c.id)
        .where(and_(signins.c.meeting_id == bindparam("meeting_in"), signins.c.person_key == _MEMBER_KEY))
        .exists()
    )


def _lookup_statement(matches: Any) -> Any:
    """Members matching ``matches`` (at most ``limit_in``, in name order), each with whether they are signed in
    to ``meeting_in`` (the unique sign-in index answers that)."""
    order = (members.c.search_name, members.c.id)
    # The pattern is tested on the search-name index alone (a covering scan, in order, stopping at the limit);
    # only the few rows found are then read: 2-5x faster over a 10,000-member roster.
    first = select(members.c.id).where(matches).order_by(*order).limit(bindparam("limit_in")).scalar_subquery()
    return (
        select(members.c.id, members.c.name, members.c.phone, members.c.status, _signed_in_member())
        .where(members.c.id.in_(first))
        .order_by(*order)
    )


# The people the in-memory name index chose (kiosk.tally.name_index), read as stored now; up to this many ids
# a statement, the ones not needed given as NULL (which no id equals).
_BY_IDS = 8


def _by_ids_statement() -> Any:
    ids = [bindparam(f"id{i}_in", type_=Integer, required=False) for i in range(_BY_IDS)]
    return select(members.c.id, members.c.name, members.c.phone, members.c.status, _signed_in_member()).where(
        members.c.id.in_(ids)
    )


_PADDED_NAME = literal(" ") + func.replace(members.c.search_name, "-", " ") + literal(" ")
_LOOKUP = db.DriverStatements(
    by_name=_lookup_statement(members.c.search_name.like(bindparam("pattern_in"))),
    by_word=_lookup_statement(_PADDED_NAME.like(bindparam("pattern_in"))),
    by_phone=select(members.c.id, members.c.name, members.c.phone, members.c.status, _signed_in_member())
    .where(members.c.phone == bindparam("phone_in"))
    .order_by(members.c.name)
    .limit(bindparam("limit_in")),
    rsvp=select(
        rsvps.c.name,
        select(signins.c.id)
        .where(and_(signins.c.meeting_id == bindparam("meeting_in"), signins.c.person_key == bindparam("key_in")))
        .exists(),
    )
    .where(and_(rsvps.c.meeting_id == bindparam("meeting_in"), rsvps.c.person_key == bindparam("key_in")))
    .order_by(rsvps.c.id.desc())
    .limit(1),
    by_ids=_by_ids_statement(),
)


def is_phone_query(query: str) -> bool:
    """The one rule for "is this a phone number or a name": seven digits or more and no letter.

    >>> is_phone_query("(510) 555-0101"), is_phone_query("Ana 5"), is_phone_query("555")
    (True, False, False)
    """
    digits = sum(ch.isdigit() for ch in query)
    return digits >= 7 and not any(ch.isalpha() for ch in query)


def name_pattern(query: str) -> tuple[str, str] | None:
    """Which name statement to run and its LIKE pattern, or None for a query too short to search.

    Three or more letters match anywhere in a name. Two letters match a whole word only, so that Li, Wu, Vũ or
    Hồ can find themselves by surname without every Lisa and Wulf crowding them out.

    >>> name_pattern("Vũ"), name_pattern("ana r"), name_pattern("a")
    (('by_word', '% vu %'), ('by_name', '%ana r%'), None)
    """
    folded = " ".join("".join(ch for ch in fold(query) if ch.isalnum() or ch in " '-.").split())
    letters = sum(ch.isalnum() for ch in folded)
    if letters < 2:
        return None
    if letters == 2:
        # A whole word: the name is tested with a space either side and hyphens read as spaces.
        return "by_word", f"% {folded.replace('-', ' ')} %"
    return "by_name", f"%{folded}%"


class SearchMixin(TallyBase):
    def find_people(self, code: str, query: str, *, limit: int = 8) -> list[Person]:
        """Sign-in look-up by phone number or by a name; RSVP'd numbers not on the roster too (see
        :func:`name_pattern` for how names match)."""
        with self._read() as conn:
            meeting_id = int(self._meeting_row(conn, code).id)
            return self._find_people(conn, meeting_id, query, limit)

    def find_people_in(self, meeting: Meeting, query: str, *, limit: int = 8) -> list[Person]:
        """:meth:`find_people` for a meeting already read (the kiosk reads it once per request anyway)."""
        with self._read() as conn:
            return self._find_people(conn, meeting.id, query, limit)

    def _find_people(self, conn: Connection, meeting_id: int, query: str, limit: int) -> list[Person]:
        query = query.strip()
        if is_phone_query(query):
            return self._find_by_phone(conn, meeting_id, query, limit)
        found = name_pattern(query)
        if found is None:
            return []
        statement, pattern = found
        rows = self._by_name_index(conn, meeting_id, statement, pattern, limit)
        if rows is None:  # a database without the roster version: the same search, in SQL
            rows = (
                _LOOKUP.on(conn)[statement]
                .execute(conn, {"pattern_in": pattern, "meeting_in": meeting_id, "limit_in": limit})
                .fetchall()
            )
        return [
            Person(m_id, display_name(name), phone, status, bool(signed)) for m_id, name, phone, status, signed in rows
        ]

    def _by_name_index(
        self, conn: Connection, meeting_id: int, statement: str, pattern: str, limit: int
    ) -> list[Any] | None:
        """What the ``statement`` (by_name or by_word) would find for ``pattern``, chosen by the in-memory name
        index and read from ``members``; None when the index cannot answer."""
        ids = self._name_index.candidates(conn, pattern.strip("%"), whole_word=statement == "by_word", limit=limit)
        if ids is None:
            return None
        by_ids = _LOOKUP.on(conn)["by_ids"]
        rows: dict[int, Any] = {}
        for start in range(0, len(ids), _BY_IDS):
            chunk = ids[start : start + _BY_IDS]
            args = {f"id{i}_in": chunk[i] if i < len(chunk) else None for i in range(_BY_IDS)}
            for row in by_ids.execute(conn, {**args, "meeting_in": meeting_id}).fetchall():
                rows[row[0]] = row
        return [rows[i] for i in ids if i in rows]  # in the index's order: the database's (search_name, id)

    def _find_by_phone(self, conn: Connection, meeting_id: int, query: str, limit: int) -> list[Person]:
        hot = _LOOKUP.on(conn)
        try:
            phone = normalize_phone(query, self.region)
        except InvalidInput:
            phone = None
        if phone is None:
            return []
        args = {"phone_in": phone, "meeting_in": meeting_id, "limit_in": limit}
        rows = hot["by_phone"].execute(conn, args).fetchall()
        if rows:
            return [
                Person(m_id, display_name(name), m_phone, status, bool(signed))
                for m_id, name, m_phone, status, signed in rows
            ]
        key = str(PersonKey.phone(phone))
        rsvp = hot["rsvp"].execute(conn, {"key_in": key, "meeting_in": meeting_id}).fetchone()
        if rsvp is None:
            return []
        name, signed = rsvp
        label = display_name(name) if name else "RSVP ···" + phone[-4:]
        return [Person(None, label, phone, "rsvp", bool(signed))]
