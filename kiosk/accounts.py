"""Organizer accounts: argon2id password hashes, and the slow-down after repeated failed logins.

Failed logins are counted per account name and client address in the database (``login_attempts``), so a
restart does not reset them. After ``FREE_FAILURES`` failures each further one locks that name+address for
twice as long as the last (2 s, 4 s, 8 s, ... up to 15 minutes); a successful login clears the count. While
locked, a login is refused without even checking the password.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from kiosk import db
from kiosk.errors import InvalidInput
from kiosk.schema import login_attempts, organizers

log = logging.getLogger(__name__)

FREE_FAILURES = 3
MAX_LOCK_S = 15 * 60
MIN_PASSWORD = 10

# One of OWASP's equivalent argon2id settings (12 MiB, 3 passes, 1 lane) rather than the library's default
# (64 MiB, 3 passes, 4 lanes): on a Pi the default takes several seconds per login and adds 64 MiB to the web
# process for each one, beside Chromium on the same board; of OWASP's equal-strength choices this one needs the
# least memory. Older hashes are redone at the next login.
_hasher = PasswordHasher(time_cost=3, memory_cost=12 * 1024, parallelism=1)


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


def authenticate(
    engine: Engine, name: str, password: str, address: str, *, clock: Callable[[], datetime] = _utcnow
) -> LoginResult:
    name = name.strip()[:64]
    key = f"{name.lower()}|{address}"[:200]
    now = clock()
    dummy = _dummy_hash()  # made before looking the name up, so the first login costs the same either way
    with db.read_transaction(engine) as conn:
        attempt = conn.execute(select(login_attempts).where(login_attempts.c.key == key)).first()
        row = conn.execute(select(organizers).where(organizers.c.name == name)).first()
    if attempt is not None and attempt.locked_until is not None and attempt.locked_until > now:
        wait = int((attempt.locked_until - now).total_seconds()) + 1
        return LoginResult(LoginOutcome.LOCKED, retry_after_s=wait)
    try:
        _hasher.verify(row.password_hash if row is not None else dummy, password)
        good = row is not None
    except (VerificationError, InvalidHashError):
        good = False
    with db.write_transaction(engine) as conn:
        if good:
            conn.execute(delete(login_attempts).where(login_attempts.c.key == key))
            if _hasher.check_needs_rehash(row.password_hash):
                conn.execute(
                    update(organizers)
                    .where(organizers.c.id == row.id)
                    .values(password_hash=_hasher.hash(password), updated_at=now)
                )
            return LoginResult(LoginOutcome.OK, name=row.name)
        current = conn.execute(select(login_attempts.c.failures).where(login_attempts.c.key == key)).scalar()
        failures = (current or 0) + 1
        wait = lock_seconds(failures)
        locked_until = now + timedelta(seconds=wait) if wait else None
        if current is None:
            conn.execute(insert(login_attempts).values(key=key, failures=1, locked_until=None, updated_at=now))
        else:
            conn.execute(
                update(login_attempts)
                .where(login_attempts.c.key == key)
                .values(failures=failures, locked_until=locked_until, updated_at=now)
            )
    log.warning("failed organizer login for %r from %s (%d in a row)", name, address, failures)
    return LoginResult(LoginOutcome.WRONG, retry_after_s=wait)
