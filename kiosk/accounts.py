"""Organizer accounts: argon2id password hashes, the slow-down after repeated failed logins, and login sessions.

Failed logins are counted per account name and client address in the database (``login_attempts``), so a
restart does not reset them. After ``FREE_FAILURES`` failures each further one locks that name+address for
twice as long as the last (2 s, 4 s, 8 s, ... up to 15 minutes); a successful login clears the count. While
locked, a login is refused without even checking the password.

The attempt is reserved before the password is checked: one write transaction (the row locked) counts it as a
failure and sets the lock it would earn, and only then is the password verified; a right password clears the
count. So parallel guesses cannot all pass the "not locked" check before any of them is counted (24 parallel
wrong passwords were all checked before this; now ``FREE_FAILURES``).

Sessions live in the database (``organizer_sessions``, only the SHA-256 of each random session id), so logging
out, removing an organizer or a session's end takes effect on the server, not only in the browser's cookie.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from kiosk import db
from kiosk.errors import InvalidInput, NotFound
from kiosk.schema import login_attempts, organizer_sessions, organizers

log = logging.getLogger(__name__)

FREE_FAILURES = 3
MAX_LOCK_S = 15 * 60
MIN_PASSWORD = 10

# One of OWASP's equivalent argon2id settings (12 MiB, 3 passes, 1 lane) rather than the library's default
# (64 MiB, 3 passes, 4 lanes): on a Pi the default takes several seconds per login and adds 64 MiB to the web
# process for each one, beside Chromium on the same board; of OWASP's equal-strength choices this one needs the
# least memory. Older hashes are redone at the next login.
ARGON2_MEMORY_KIB = 12 * 1024  # the benchmarks' page quotes it (bench/run_all.py)
_hasher = PasswordHasher(time_cost=3, memory_cost=ARGON2_MEMORY_KIB, parallelism=1)


@functools.cache
def _dummy_hash() -> str:
    """Verified when the name is unknown, so a wrong name costs as much time as a wrong password.

    Made on the first login, not at import: each argon2 hash briefly takes ``memory_cost`` (12 MiB)
    of resident memory, which every process importing this module (the web server at start) would pay.
    """
    return _hasher.hash("not-a-password-of-anyone")


def _utcnow() -> datetime:
    return datetime.now(UTC)


class LoginOutcome(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    name: str | None = None
    retry_after_s: int = 0

    @property
    def ok(self) -> bool:
        return self.outcome is LoginOutcome.OK


def check_name(name: str) -> str:
    name = name.strip()
    if not (1 <= len(name) <= 64) or not all(ch.isalnum() or ch in "._-@" for ch in name):
        raise InvalidInput("an organizer name is 1-64 letters, digits and . _ - @")
    return name


def add_organizer(engine: Engine, name: str, password: str, *, clock: Callable[[], datetime] = _utcnow) -> bool:
    """Create an organizer, or set a new password for an existing one; True when the account is new."""
    name = check_name(name)
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD} characters")
    digest = _hasher.hash(password)
    now = clock()
    with db.write_transaction(engine) as conn:
        updated = conn.execute(
            update(organizers).where(organizers.c.name == name).values(password_hash=digest, updated_at=now)
        )
        if updated.rowcount:
            return False
        try:
            conn.execute(insert(organizers).values(name=name, password_hash=digest, created_at=now, updated_at=now))
        except IntegrityError:  # pragma: no cover - a concurrent add of the same name
            raise InvalidInput(f"organizer {name!r} was just added by someone else") from None
    return True


def organizer_names(engine: Engine) -> list[str]:
    with db.read_transaction(engine) as conn:
        return list(conn.execute(select(organizers.c.name).order_by(organizers.c.name)).scalars())


def lock_seconds(failures: int) -> int:
    """How long a name+address is locked after this many consecutive failures."""
    if failures < FREE_FAILURES:
        return 0
    return min(MAX_LOCK_S, 2 ** (failures - FREE_FAILURES + 1))


def _reserve_attempt(engine: Engine, key: str, now: datetime) -> LoginResult | None:
    """Count this attempt as a failure (with the lock it earns) before the password is checked.

    Returns a LOCKED result when the name+address is locked, else None (the attempt may go on).
    """
    try:  # the row exists before it is locked, so concurrent attempts all wait on the same row lock
        with db.write_transaction(engine) as conn:
            conn.execute(insert(login_attempts).values(key=key, failures=0, locked_until=None, updated_at=now))
    except IntegrityError:
        pass  # already there (or a concurrent insert won): either way the row exists now
    with db.write_transaction(engine) as conn:
        attempt = conn.execute(select(login_attempts).where(login_attempts.c.key == key).with_for_update()).first()
        failures = attempt.failures if attempt is not None else 0
        if attempt is not None and attempt.locked_until is not None and attempt.locked_until > now:
            wait = int((attempt.locked_until - now).total_seconds()) + 1
            return LoginResult(LoginOutcome.LOCKED, retry_after_s=wait)
        failures += 1
        wait = lock_seconds(failures)
        values = {
            "failures": failures,
            "locked_until": now + timedelta(seconds=wait) if wait else None,
            "updated_at": now,
        }
        if attempt is None:
            conn.execute(insert(login_attempts).values(key=key, **values))
        else:
            conn.execute(update(login_attempts).where(login_attempts.c.key == key).values(**values))
    return None


def authenticate(
    engine: Engine, name: str, password: str, address: str, *, clock: Callable[[], datetime] = _utcnow
) -> LoginResult:
    # Tabs and line breaks (a browser sends them from a pasted name) never belong to an organizer name (see
    # check_name); as single spaces, nothing invisible reaches the attempts table, whose key holds the name.
    name = " ".join(name.split())[:64]
    key = f"{name.lower()}|{address}"[:200]
    now = clock()
    dummy = _dummy_hash()  # made before looking the name up, so the first login costs the same either way
    locked = _reserve_attempt(engine, key, now)
    if locked is not None:
        return locked
    with db.read_transaction(engine) as conn:
        row = conn.execute(select(organizers).where(organizers.c.name == name)).first()
        failures = conn.execute(select(login_attempts.c.failures).where(login_attempts.c.key == key)).scalar() or 0
    try:
        _hasher.verify(row.password_hash if row is not None else dummy, password)
        good = row is not None
    except (VerificationError, InvalidHashError):
        good = False
    if not good:
        log.warning("failed organizer login for %r from %s (%d in a row)", name, address, failures)
        return LoginResult(LoginOutcome.WRONG, retry_after_s=lock_seconds(failures))
    with db.write_transaction(engine) as conn:
        conn.execute(delete(login_attempts).where(login_attempts.c.key == key))
        if _hasher.check_needs_rehash(row.password_hash):
            conn.execute(
                update(organizers)
                .where(organizers.c.id == row.id)
                .values(password_hash=_hasher.hash(password), updated_at=now)
            )
    return LoginResult(LoginOutcome.OK, name=row.name)


# --- accounts and sessions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrganizerInfo:
    name: str
    created_at: datetime
    sessions: int  # sessions open now


def list_organizers(engine: Engine, *, clock: Callable[[], datetime] = _utcnow) -> list[OrganizerInfo]:
    now = clock()
    with db.read_transaction(engine) as conn:
        rows = conn.execute(select(organizers.c.name, organizers.c.created_at).order_by(organizers.c.name)).all()
        open_sessions: dict[str, int] = {}
        for (owner,) in conn.execute(
            select(organizer_sessions.c.organizer_name).where(organizer_sessions.c.expires_at > now)
        ):
            open_sessions[owner] = open_sessions.get(owner, 0) + 1
    return [OrganizerInfo(r.name, r.created_at, open_sessions.get(r.name, 0)) for r in rows]


def remove_organizer(engine: Engine, name: str) -> int:
    """Delete the account and end all its sessions; returns how many sessions ended. NotFound if unknown."""
    name = name.strip()
    with db.write_transaction(engine) as conn:
        ended = conn.execute(delete(organizer_sessions).where(organizer_sessions.c.organizer_name == name)).rowcount
        if conn.execute(delete(organizers).where(organizers.c.name == name)).rowcount == 0:
            raise NotFound(f"there is no organizer named {name!r} (see `kiosk organizer list`)")
    log.warning("organizer %s removed; %d session(s) ended", name, ended)
    return int(ended)


def _session_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("ascii", "replace")).hexdigest()


def start_session(engine: Engine, name: str, *, lifetime: timedelta, clock: Callable[[], datetime] = _utcnow) -> str:
    """A new session for ``name``: the random id goes in the (signed) cookie, its hash in the database."""
    session_id = secrets.token_urlsafe(32)
    now = clock()
    with db.write_transaction(engine) as conn:
        conn.execute(delete(organizer_sessions).where(organizer_sessions.c.expires_at <= now))  # tidy up
        conn.execute(
            insert(organizer_sessions).values(
                id_hash=_session_hash(session_id), organizer_name=name, created_at=now, expires_at=now + lifetime
            )
        )
    return session_id


def session_owner(engine: Engine, session_id: str, *, clock: Callable[[], datetime] = _utcnow) -> str | None:
    """The organizer a live session belongs to, or None (logged out, removed, expired, or never existed)."""
    with db.read_transaction(engine) as conn:
        row = conn.execute(
            select(organizer_sessions.c.organizer_name, organizer_sessions.c.expires_at).where(
                organizer_sessions.c.id_hash == _session_hash(session_id)
            )
        ).first()
    if row is None or row.expires_at <= clock():
        return None
    return str(row.organizer_name)


def end_session(engine: Engine, session_id: str) -> None:
    with db.write_transaction(engine) as conn:
        conn.execute(delete(organizer_sessions).where(organizer_sessions.c.id_hash == _session_hash(session_id)))
