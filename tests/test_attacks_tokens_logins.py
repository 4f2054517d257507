"""Attacks on stored ballot tokens and on organizer logins (issues 12.8 and 12.10), performed for real: a copy of
the database file searched by brute force, wrong passwords raced by parallel threads against a running
`kiosk serve`, a session cookie replayed after logout and after the organizer was removed, forged
X-Forwarded-For headers."""

from __future__ import annotations

import hashlib
import http.cookiejar
import itertools
import os
import re
import sqlite3
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from kiosk import accounts, db
from kiosk.config import Settings, load_settings
from kiosk.doctor import Doctor, Options, Status
from kiosk.errors import ConfigError
from kiosk.runtime import open_tally
from kiosk.schema import login_attempts
from kiosk.tally import MeetingState, Tally
from kiosk.token_key import load_token_key
from kiosk.tokens import ALPHABET, legacy_token_hash, normalize_code
from kiosk.web.organizer import create_organizer_app
from tests.conftest import FIXTURES, member_id, upcoming_starts
from tests.test_attacks_storage import kiosk
from tests.test_concurrency import ROOT
from tests.test_organizer_serve import NoRedirect, free_port

PASSWORD = "correct horse battery"


def write_config(tmp_path: Path, extra: str = "") -> Path:
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[kiosk]\ndata_dir = "{tmp_path / "data"}"\n{extra}', encoding="utf-8")
    return config


def open_meeting(tally: Tally, names: int) -> list[str]:
    tally.import_roster("name,status,joined\n" + "".join(f"Voter {i:03d},member,2000-01-01\n" for i in range(names)))
    tally.create_meeting(code="GA12", title="General Assembly", starts=upcoming_starts(), quorum="1")
    tally.import_planks("GA12", (FIXTURES / "planks.csv").read_text(encoding="utf-8"))
    tally.set_state("GA12", MeetingState.VOTING_OPEN)
    tokens = []
    for i in range(names):
        signin = tally.sign_in_member("GA12", member_id(tally, "GA12", f"Voter {i:03d}"))
        assert signin.token
        tokens.append(signin.token)
    return tokens


# --- 12.8: token hashes ------------------------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_a_copy_of_the_database_alone_does_not_give_up_unspent_tokens(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    assert kiosk(config, "init").returncode == 0
    key_file = tmp_path / "data" / "token-key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600 and len(key_file.read_bytes()) == 32
    tally = open_tally(load_settings(config))
    tokens = open_meeting(tally, 6)
    stolen = tmp_path / "stolen.db"  # what whoever holds the SD card or a backup has: the database, not the key
    with sqlite3.connect(tmp_path / "data" / "tally.db") as src, sqlite3.connect(stolen) as dst:
        src.backup(dst)
    with sqlite3.connect(stolen) as conn:
        stored = {r[0] for r in conn.execute("SELECT token_hash FROM ballot_tokens WHERE state = 'issued'")}
    # The whole space is 24**8; the attack here knows the first 5 characters of each token and tries every
    # ending (24**3 each), against the stored hashes, as an offline search of the full space would.
    old_style = {legacy_token_hash(t) for t in tokens}  # what the database held before the token key
    found_now, found_before, tried = [], [], 0
    started = time.monotonic()
    for token in tokens:
        prefix = normalize_code(token)[:5]
        for tail in itertools.product(ALPHABET, repeat=3):
            digest = hashlib.sha256((prefix + "".join(tail)).encode()).hexdigest()
            tried += 1
            if digest in stored:
                found_now.append(prefix + "".join(tail))
            if digest in old_style:
                found_before.append(prefix + "".join(tail))
    seconds = time.monotonic() - started
    with capsys.disabled():
        print(
            f"\n  token brute force over {tried} candidates ({seconds:.1f} s): against unkeyed hashes (before) "
            f"{len(found_before)} of {len(tokens)} found; against the stored keyed hashes {len(found_now)}"
        )
    assert sorted(found_before) == sorted(normalize_code(t) for t in tokens)  # the attack works on unkeyed hashes
    assert found_now == []
    assert all(h.startswith("h:") and len(h) == 64 for h in stored)
    tally.cast_ballot("GA12", tokens[0], {})  # and the real tokens still vote
    tally.engine.dispose()

    key_file.rename(tmp_path / "key-elsewhere")  # a kiosk started without its key, tokens still open
    refused = kiosk(config, "meeting", "list")
    assert refused.returncode != 0
    assert "token key" in refused.stderr and "is missing" in refused.stderr and "5 unspent" in refused.stderr


@pytest.mark.sqlite_only
def test_tokens_issued_before_the_upgrade_still_vote_and_are_reported(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    settings = load_settings(config)
    tally = open_tally(settings)
    old_kiosk = Tally(tally.engine, token_key=None)  # an older version: unkeyed hashes
    legacy_tokens = open_meeting(old_kiosk, 3)
    findings = Doctor(Options()).check("secrecy", settings)
    assert any(f.check == "token key" and f.status is Status.WARN and "3 unspent" in f.message for f in findings)
    tally.cast_ballot("GA12", legacy_tokens[0], {})
    assert tally.results("GA12").ballots_cast == 1


@pytest.mark.postgresql_only
def test_every_kiosk_on_a_shared_database_needs_the_same_key(db_url: str, tmp_path: Path) -> None:
    engine = db.make_engine(db_url)
    first = load_token_key(engine, tmp_path / "kiosk-1")
    (tmp_path / "kiosk-2").mkdir()
    with pytest.raises(ConfigError, match="copy token-key from the kiosk that first used this database"):
        load_token_key(engine, tmp_path / "kiosk-2")  # a second kiosk without the file: refused, not a new key
    (tmp_path / "kiosk-2" / "token-key").write_bytes(first)
    assert load_token_key(engine, tmp_path / "kiosk-2") == first
    engine.dispose()


# --- 12.10: organizer logins -------------------------------------------------------------------------------


class Browser:
    """One browser: its own cookies, following no redirects."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), NoRedirect)

    def request(self, path: str, form: dict[str, str] | None = None) -> tuple[int, str]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        try:
            with self.opener.open(self.base + path, data=data, timeout=60) as response:
                return int(response.status), response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def csrf(self, path: str) -> str:
        _, page = self.request(path)
        match = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert match, page[:300]
        return match.group(1)

    def log_in(self, name: str, password: str) -> int:
        token = self.csrf("/organizer/login")
        status, _ = self.request("/organizer/login", {"name": name, "password": password, "csrf_token": token})
        return status

    def copy(self) -> Browser:
        other = Browser(self.base)
        for cookie in self.cookies:
            other.cookies.set_cookie(cookie)
        return other


@pytest.mark.sqlite_only
def test_logins_against_a_running_server(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    organizer_port = free_port()
    config = write_config(tmp_path, f"[organizer]\nport = {organizer_port}\n")
    for name in ("alice", "bob"):
        added = subprocess.run(
            [sys.executable, "-m", "kiosk", "--config", str(config), "organizer", "add", name, "--password-stdin"],
            input=PASSWORD + "\n",
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")},
            timeout=60,
        )
        assert added.returncode == 0, added.stderr
    server = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "--config", str(config), "serve", "--port", str(free_port())],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{organizer_port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                Browser(base).request("/organizer/login")
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None
                time.sleep(0.1)

        # The race: 24 browsers, each with its own session and CSRF token, send a wrong password at once.
        browsers = [Browser(base) for _ in range(24)]
        forms = [
            {"name": "alice", "password": "wrong guess", "csrf_token": b.csrf("/organizer/login")} for b in browsers
        ]
        barrier = threading.Barrier(len(browsers))
        outcomes: list[int] = []

        def guess(browser: Browser, form: dict[str, str]) -> None:
            barrier.wait()
            outcomes.append(browser.request("/organizer/login", form)[0])

        threads = [threading.Thread(target=guess, args=pair) for pair in zip(browsers, forms, strict=True)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        elapsed = time.monotonic() - started
        counts = Counter(outcomes)
        # Beyond the free failures, one more check is allowed each time a lock (2 s, 4 s, 8 s, ...) runs out
        # while the race lasts (a loaded machine serves 24 argon2 checks slowly).
        expired = 0
        while sum(accounts.lock_seconds(accounts.FREE_FAILURES + i) for i in range(expired + 1)) <= elapsed:
            expired += 1
        with capsys.disabled():
            print(
                f"\n  24 parallel wrong passwords in {elapsed:.1f} s: {counts[401]} checked, {counts[429]} refused as "
                f"locked (free failures {accounts.FREE_FAILURES}, locks run out meanwhile {expired})"
            )
        assert counts[401] <= accounts.FREE_FAILURES + expired and counts[401] + counts[429] == 24

        # Logging out ends the session on the server: a copy of the cookie no longer works.
        rosa = Browser(base)
        assert rosa.log_in("bob", PASSWORD) == 302
        stolen = rosa.copy()
        assert stolen.request("/organizer/")[0] == 200
        assert rosa.request("/organizer/logout", {"csrf_token": rosa.csrf("/organizer/")})[0] == 302
        assert stolen.request("/organizer/")[0] == 302  # to the login page

        # Removing an organizer ends their sessions at once.
        again = Browser(base)
        assert again.log_in("bob", PASSWORD) == 302 and again.request("/organizer/")[0] == 200
        listed = kiosk(config, "organizer", "list")
        assert "alice" in listed.stdout and re.search(r"bob\s.*1 session", listed.stdout), listed.stdout
        removed = kiosk(config, "organizer", "remove", "bob")
        assert removed.returncode == 0 and "1 logged-in session(s) ended" in removed.stdout, removed.stderr
        assert again.request("/organizer/")[0] == 302
        assert again.log_in("bob", PASSWORD) == 401
        assert kiosk(config, "organizer", "remove", "nobody").returncode != 0
    finally:
        server.terminate()
        server.wait(timeout=20)


def _organizer_app(tally: Tally, tmp_path: Path, db_url: str, proxies: int) -> object:
    settings = Settings()
    settings = replace(
        settings,
        kiosk=replace(settings.kiosk, data_dir=str(tmp_path / "data")),
        database=replace(settings.database, url=db_url),
        organizer=replace(settings.organizer, trusted_proxies=proxies),
    )
    return create_organizer_app(settings, tally, test_config={"TESTING": True})


@pytest.mark.sqlite_only
def test_forwarded_addresses_count_only_behind_the_configured_proxies(
    tally: Tally, tmp_path: Path, db_url: str
) -> None:
    accounts.add_organizer(tally.engine, "rosa", PASSWORD)

    def guesses(proxies: int) -> list[int]:
        client = _organizer_app(tally, tmp_path, db_url, proxies).test_client()  # type: ignore[attr-defined]
        statuses = []
        for i in range(6):  # each with a different forged address, as an attacker dodging the slow-down would
            page = client.get("/organizer/login").get_data(as_text=True)
            token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
            response = client.post(
                "/organizer/login",
                data={"name": "rosa", "password": "wrong", "csrf_token": token},
                headers={"X-Forwarded-For": f"203.0.113.{i}"},
            )
            statuses.append(response.status_code)
        return statuses

    assert guesses(0) == [401, 401, 401, 429, 429, 429]  # no proxy: the header is ignored, one address
    with tally.engine.connect() as conn:
        keys = set(conn.execute(select(login_attempts.c.key)).scalars())
    assert keys == {"rosa|127.0.0.1"}
    assert guesses(1) == [401] * 6  # behind one proxy: its X-Forwarded-For is the client (each a new address)
    with tally.engine.connect() as conn:
        keys = set(conn.execute(select(login_attempts.c.key)).scalars())
    assert {f"rosa|203.0.113.{i}" for i in range(6)} <= keys
