"""The token key: the secret under which ballot tokens are hashed (HMAC), kept outside the database.

It lives in ``<data_dir>/token-key`` (32 random bytes, mode 0600), made on the first start of any kiosk process
(``kiosk init``, ``kiosk demo``, ``kiosk serve``). A copy of the database alone (an SD card, a backup) then
cannot be searched for the unspent tokens, which would vote.

The database keeps a fingerprint of the key (an HMAC of a fixed text, which says nothing about the key) in
``kiosk_keys``, so a kiosk with another key is caught at start-up instead of refusing every token at the desk:

* PostgreSQL (several kiosks, one database): every kiosk must hold the same file; a different or missing key is
  an error naming the fix (copy ``token-key`` from the first kiosk, docs/multi-kiosk.md).
* SQLite: a missing or different key is an error only while tokens hashed with the old key are still unspent
  (they could no longer vote); otherwise (a restore onto a new card) the new key is recorded and used.

Core-side: standard library and SQLAlchemy only.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, func, insert, select, update

from kiosk import db
from kiosk.errors import ConfigError
from kiosk.schema import ballot_tokens, kiosk_keys
from kiosk.tokens import KEYED_PREFIX

log = logging.getLogger(__name__)

FILE_NAME = "token-key"
KEY_BYTES = 32
_ROW = "token"


def key_path(data_dir: Path) -> Path:
    return Path(data_dir) / FILE_NAME


def fingerprint(key: bytes) -> str:
    return hmac.new(key, b"assembly-kiosk token key fingerprint", hashlib.sha256).hexdigest()[:32]


def _read(path: Path) -> bytes | None:
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(
            f"cannot read the token key {path}: {exc.strerror} (it must be readable by the kiosk user)"
        ) from None
    if len(key) != KEY_BYTES:
        raise ConfigError(f"the token key {path} is damaged ({len(key)} bytes, expected {KEY_BYTES})")
    return key


def _create(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(KEY_BYTES)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another kiosk process starting at the same moment made it: use theirs
        for _ in range(50):
            theirs = path.read_bytes()
            if len(theirs) == KEY_BYTES:
                return theirs
            time.sleep(0.02)
        raise ConfigError(f"the token key {path} is damaged (wrong length)") from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
        fh.flush()
        os.fsync(fh.fileno())
    if os.geteuid() == 0:  # root running a command: the file belongs to the service user owning the folder
        st = path.parent.stat()
        os.chown(path, st.st_uid, st.st_gid)
    log.info("created the token key %s", path)
    return key


def _unspent_keyed_tokens(engine: Engine) -> int:
    with db.read_transaction(engine) as conn:
        return conn.execute(
            select(func.count())
            .select_from(ballot_tokens)
            .where(ballot_tokens.c.state == "issued", ballot_tokens.c.token_hash.startswith(KEYED_PREFIX))
        ).scalar_one()


def load_token_key(engine: Engine, data_dir: Path, *, now: datetime | None = None) -> bytes:
    """This kiosk's token key, checked against the database's fingerprint (created when safe)."""
    path = key_path(data_dir)
    with db.read_transaction(engine) as conn:
        recorded = conn.execute(select(kiosk_keys.c.fingerprint).where(kiosk_keys.c.name == _ROW)).scalar()
    key = _read(path)
    if key is not None and recorded == fingerprint(key):
        return key
    shared = not db.is_sqlite(engine)
    if recorded is not None:
        open_tokens = _unspent_keyed_tokens(engine)
        if shared or open_tokens:
            what = "is missing" if key is None else "is not the key this database's tokens were made with"
            fix = (
                "copy token-key from the kiosk that first used this database (same file on every kiosk, mode 0600; "
                "docs/multi-kiosk.md)"
                if shared
                else f"restore it from where you keep it; without it the {open_tokens} unspent ballot token(s) "
                "cannot vote (an organizer can reissue them at the desk)"
            )
            raise ConfigError(f"the token key {path} {what}: {fix}")
    if key is None:
        key = _create(path)
    stamp = now or datetime.now(UTC)
    with db.write_transaction(engine) as conn:
        values = {"fingerprint": fingerprint(key), "updated_at": stamp}
        if conn.execute(update(kiosk_keys).where(kiosk_keys.c.name == _ROW).values(**values)).rowcount == 0:
            conn.execute(insert(kiosk_keys).values(name=_ROW, **values))
    if recorded is not None:
        log.warning("the token key changed (no unspent token used the old one); recorded the new one")
    return key
