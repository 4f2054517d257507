"""Worker processes for the concurrency and durability tests (run as ``python -m tests.procs ...``).

Each worker opens the tally on the given database URL (SQLite or PostgreSQL), like a separate kiosk would,
and prints one line per acknowledged action, flushed, so the parent knows exactly what was acknowledged
before any kill.
"""

from __future__ import annotations

import sys
import time

from kiosk import db
from kiosk.errors import KioskError
from kiosk.tally import Tally


def spend(url: str, code: str, tokens: list[str], start_at: float) -> None:
    """Race to spend every token; print the verification code for each success."""
    engine = db.make_engine(url)
    tally = Tally(engine)
    while time.time() < start_at:
        time.sleep(0.001)
    for token in tokens:
        try:
            cast = tally.cast_ballot(code, token, {})
            print(f"cast {token} {cast.verification_code}", flush=True)
        except KioskError as exc:
            print(f"refused {token} {type(exc).__name__}", flush=True)


def signin(url: str, code: str, member_ids: list[int], start_at: float) -> None:
    engine = db.make_engine(url)
    tally = Tally(engine)
    while time.time() < start_at:
        time.sleep(0.001)
    for member in member_ids:
        result = tally.sign_in_member(code, member, station=f"proc-{member}")
        print(f"signin {member} {'already' if result.already else 'new'}", flush=True)


def signin_tokens(url: str, code: str, member_ids: list[int], start_at: float) -> None:
    """Sign members in at this kiosk; print each token issued here (a receipt the attendee takes elsewhere)."""
    engine = db.make_engine(url)
    tally = Tally(engine)
    while time.time() < start_at:
        time.sleep(0.001)
    for member in member_ids:
        result = tally.sign_in_member(code, member, station=f"kiosk-{start_at}")
        print(f"token {member} {result.token or '-'}", flush=True)


def audit_first(url: str, start_at: float) -> None:
    """Write an audit entry at the same moment as other kiosks (the first entries of a new database)."""
    engine = db.make_engine(url)
    tally = Tally(engine)
    while time.time() < start_at:
        time.sleep(0.001)
    tally.record_event("kiosk_started", actor="proc")
    print("audited", flush=True)


def cast_forever(url: str, code: str, token_file: str) -> None:
    """Cast one ballot per token until killed; ``ack`` lines are what the kiosk would have shown as cast."""
    engine = db.make_engine(url)
    tally = Tally(engine)
    with open(token_file, encoding="ascii") as handle:
        tokens = handle.read().split()
    for token in tokens:
        cast = tally.cast_ballot(code, token, {})
        print(f"ack {cast.verification_code}", flush=True)
    print("done", flush=True)


if __name__ == "__main__":
    command, url, code, *rest = sys.argv[1:]
    if command == "spend":
        spend(url, code, rest[1:], float(rest[0]))
    elif command == "signin":
        signin(url, code, [int(x) for x in rest[1:]], float(rest[0]))
    elif command == "signin-tokens":
        signin_tokens(url, code, [int(x) for x in rest[1:]], float(rest[0]))
    elif command == "audit-first":
        audit_first(url, float(code))
    elif command == "cast-forever":
        cast_forever(url, code, rest[0])
    else:
        raise SystemExit(f"unknown command {command}")
