"""How members are reached by text: the phones on the roster and the language each member's texts go in.

A phone may be shared by a household (several members). What a text from such a phone says about language
cannot be pinned on one of them, so the language a text is written in becomes a member's language only when
exactly one member has that phone. The roster import and the kiosk's sign-in screen set it too (``people``,
``signin``). Inside an edge's own transaction these run through the unit of work (``uow.people``).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, and_, func, or_, select, update

from kiosk.schema import members
from kiosk.tally.storage import TallyBase

TEXT_LANGUAGES = ("en", "es")
# Who is texted an invitation "to the members": members in good standing and those who joined pending.
TEXTED_STATUSES = ("member", "pending")


class ContactsMixin(TallyBase):
    def member_phones(self, statuses: Iterable[str] = TEXTED_STATUSES) -> list[str]:
        """Every distinct phone of the members with one of ``statuses``, sorted."""
        with self._read() as conn:
            phones = conn.execute(
                select(members.c.phone).where(and_(members.c.phone.is_not(None), members.c.status.in_(tuple(statuses))))
            ).scalars()
            return sorted(set(phones))

    def phone_languages(self, phones: Iterable[str]) -> dict[str, set[str]]:
        """The languages stored for the members on each of ``phones`` (only phones that have one): a phone
        shared by members of different languages has several."""
        with self._read() as conn:
            return self._phone_languages(conn, phones)

    @staticmethod
    def _phone_languages(conn: Connection, phones: Iterable[str]) -> dict[str, set[str]]:
        wanted = set(phones)
        stored: dict[str, set[str]] = {}
        if not wanted:
            return stored
        query = select(members.c.phone, members.c.language).where(members.c.phone.is_not(None))
        if len(wanted) == 1:
            query = query.where(members.c.phone == next(iter(wanted)))
        for phone, lang in conn.execute(query):
            if phone in wanted and lang in TEXT_LANGUAGES:
                stored.setdefault(phone, set()).add(lang)
        return stored

    @staticmethod
    def _members_on_phone(conn: Connection, phone: str) -> int:
        return conn.execute(select(func.count()).select_from(members).where(members.c.phone == phone)).scalar_one()

    def _note_text_language(self, conn: Connection, phone: str, language: str) -> bool:
        """The language a member last wrote in is the one their invitations and reminders go in; a phone shared
        by a household says nothing about which of them wrote, so theirs stay as they are. Whether it changed."""
        if language not in TEXT_LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(TEXT_LANGUAGES)}, not {language!r}")
        if self._members_on_phone(conn, phone) != 1:
            return False
        changed = conn.execute(
            update(members)
            .where(and_(members.c.phone == phone, or_(members.c.language.is_(None), members.c.language != language)))
            .values(language=language)
        )
        return changed.rowcount > 0
