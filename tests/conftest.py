"""Shared fixtures: a tally on a real database with a controllable clock, a meeting ready to vote, the web app,
a live waitress server and a headless Chromium.

Every test that uses ``db_url`` (directly or through ``tally``) runs twice: on a SQLite file and on a fresh
database of a real PostgreSQL server (see ``tests/postgres_server.py``). Tests marked ``sqlite_only`` run on
SQLite alone, ``postgresql_only`` on PostgreSQL alone, and the screen tests (Chromium) on SQLite. Without a
PostgreSQL server the PostgreSQL variants are skipped, with the reason, unless ``KIOSK_TEST_POSTGRES=require``
(as ``scripts/test`` sets) makes that an error.
"""

from __future__ import annotations

import contextlib
import functools
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kiosk import db
from kiosk.tally import MeetingState, Tally
from tests import postgres_server

FIXTURES = Path(__file__).parent / "fixtures"


class FakeClock:
    """An aware clock that tests move by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 12, 1, 18, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


class SteadyClock:
    """A monotonic clock (seconds, a float) that tests move by hand, with a ``sleep`` that moves it and notes how
    long each sleep was: for code given ``clock=`` and ``sleep=`` (the SMS rate limiter, the audio render's
    GiveWay)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def stop_process(proc: subprocess.Popen[Any], timeout: float = 10.0) -> None:
    """Terminate ``proc`` and wait for it; kill it if it has not gone within ``timeout``."""
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout)


BACKENDS = ("sqlite", "postgresql")


# The screen tests drive Chromium through the web layer, which reaches the database only through the tally:
# they stay on SQLite (the tally's own tests, the web layer's test-client tests and the CLI run on both).
_SCREEN_FIXTURES = {"browser", "page", "live_server", "live_server_factory"}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # ``db_backend`` has no fixture function: every test that needs it (through db_url) is parametrized here.
    if "db_backend" not in metafunc.fixturenames:
        return
    if metafunc.definition.get_closest_marker("postgresql_only"):
        metafunc.parametrize("db_backend", ["postgresql"])
    elif metafunc.definition.get_closest_marker("sqlite_only") or _SCREEN_FIXTURES & set(metafunc.fixturenames):
        metafunc.parametrize("db_backend", ["sqlite"])
    else:
        metafunc.parametrize("db_backend", BACKENDS)


@pytest.fixture(scope="session")
def postgres() -> Iterator[postgres_server.Server]:
    """A PostgreSQL server for the session (started on first use, stopped at the end)."""
    try:
        with postgres_server.server() as server:
            yield server
            return
    except postgres_server.Unavailable as exc:
        reason = f"no PostgreSQL server: {exc}"
    if postgres_server.mode() == "require":
        pytest.fail(f"KIOSK_TEST_POSTGRES=require, but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_head_template(postgres: postgres_server.Server) -> str:
    """A database at the newest schema, migrated once, that each test's database is copied from."""
    name = postgres.create_database()
    engine = db.make_engine(postgres.url_for(name))
    db.upgrade(engine)
    engine.dispose()
    return name


@pytest.fixture
def db_url(db_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A URL of a fresh database: a SQLite file, or a PostgreSQL database dropped after the test.

    The PostgreSQL one is already at the newest schema (copied from a template migrated once per session: the
    migrations take longer than the copy), unless the test is marked ``empty_database``.
    """
    if db_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'tally.db'}"
        return
    server: postgres_server.Server = request.getfixturevalue("postgres")
    if request.node.get_closest_marker("empty_database"):
        name = server.create_database()
    else:
        name = server.create_database(template=request.getfixturevalue("postgres_head_template"))
    try:
        yield server.url_for(name)
    finally:
        server.drop_database(name)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if postgres_server.startup_seconds is not None:
        terminalreporter.write_line(
            f"PostgreSQL: throwaway cluster made and started in {postgres_server.startup_seconds:.2f} s"
        )


@pytest.fixture
def tally(db_url: str, clock: FakeClock) -> Iterator[Tally]:
    engine = db.make_engine(db_url)
    db.upgrade(engine)
    yield Tally(engine, region="US", timezone="America/Los_Angeles", clock=clock)
    engine.dispose()


@pytest.fixture
def roster_csv() -> str:
    return (FIXTURES / "roster-messy.csv").read_text(encoding="utf-8")


@pytest.fixture
def planks_csv() -> str:
    return (FIXTURES / "planks.csv").read_text(encoding="utf-8")


@pytest.fixture
def voting_meeting(tally: Tally, roster_csv: str, planks_csv: str) -> str:
    """GA12 on Dec 3 2026 at 19:00 Pacific, messy roster imported, six planks, voting open."""
    tally.import_roster(roster_csv)
    tally.create_meeting(code="GA12", title="General Assembly", starts="2026-12-03T19:00", quorum="20%")
    tally.import_planks("GA12", planks_csv)
    tally.set_state("GA12", MeetingState.VOTING_OPEN)
    return "GA12"


def upcoming_starts(timezone: str = "America/Los_Angeles") -> str:
    """Tomorrow at 19:00 in ``timezone``, as ``--starts`` takes it: for tests that run on the wall clock.

    A fixed date works only until it passes (the SMS gateway reads "the next meeting" from the clock), so tests
    whose tally, daemon or server keeps the real clock make their meeting relative to today."""
    tz = ZoneInfo(timezone)
    starts = datetime.combine(datetime.now(tz).date() + timedelta(days=1), dtime(19, 0))
    return f"{starts:%Y-%m-%dT%H:%M}"


def wait_until(check: Callable[[], object], timeout: float = 10.0) -> bool:
    """Poll ``check`` every 50 ms until it is true or ``timeout`` seconds pass; returns its last answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return bool(check())


def member_id(tally: Tally, code: str, name: str) -> int:
    people = [p for p in tally.find_people(code, name) if p.member_id is not None]
    assert len(people) == 1, people
    assert people[0].member_id is not None
    return people[0].member_id


# --- web: the app, a live waitress server, headless Chromium ------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Extra Flask config for the ``app`` fixture; override this fixture in a test module to change it."""
    return {"TESTING": True}


@pytest.fixture
def app(tally: Tally, app_config: dict[str, Any]) -> Iterator[Flask]:
    """The web app over ``tally``, in simulation mode (mock button pins, the simulate endpoint)."""
    from kiosk.config import Settings
    from kiosk.web.app import create_app

    application = create_app(Settings(), tally, simulated=True, test_config=app_config)
    yield application
    application.extensions["kiosk"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class LiveServer:
    """A Flask app served by waitress on 127.0.0.1 (a port chosen by the OS) in a thread."""

    def __init__(self, app: Flask, *, threads: int = 8, **adjustments: Any) -> None:
        from kiosk.http_server import create_http_server

        self.app = app
        self.server = create_http_server(app, host="127.0.0.1", port=0, threads=threads, **adjustments)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"  # type: ignore[union-attr]
        self.thread = threading.Thread(target=self._run, name="live-server", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        with contextlib.suppress(OSError, ValueError):  # sockets closed under the loop at shutdown
            self.server.run()

    def stop(self) -> None:
        kiosk = self.app.extensions.get("kiosk")
        if kiosk is not None:
            kiosk.close()  # ends open event streams, so worker threads finish

        def close_all() -> None:  # runs on the server's loop thread: the loop ends when its map is empty
            for dispatcher in list(self.server._map.values()):  # type: ignore[union-attr]
                with contextlib.suppress(OSError):
                    dispatcher.close()

        try:
            self.server.trigger.pull_trigger(close_all)  # type: ignore[union-attr]
        except OSError:
            # The loop already closed its wake-up pipe (seen rarely after the browser dropped its connections):
            # close what is left from here; the loop ends when its map is empty.
            close_all()
        self.thread.join(5)
        self.server.task_dispatcher.shutdown(timeout=5)  # type: ignore[union-attr]


@pytest.fixture
def live_server_factory() -> Iterator[Callable[..., LiveServer]]:
    servers: list[LiveServer] = []

    def start(app: Flask, *, threads: int = 8, **adjustments: Any) -> LiveServer:
        server = LiveServer(app, threads=threads, **adjustments)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def live_server(app: Flask, live_server_factory: Callable[..., LiveServer]) -> LiveServer:
    return live_server_factory(app)


@pytest.fixture(scope="session")
def playwright_session() -> Iterator[Any]:
    """The one Playwright driver of the session: its sync API refuses to start while another instance's event loop
    runs, so every browser a test launches (the shared one below, the audio ballot's own) comes from this one."""
    if not CHROMIUM.exists():
        pytest.skip("browser tests need Chromium at /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_session: Any) -> Iterator[Any]:
    """One headless Chromium for the whole session (Debian's /usr/bin/chromium; nothing is downloaded)."""
    chromium = playwright_session.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def page(browser_context: Callable[..., Any]) -> Any:
    """A fresh browser context and page (no cookies shared between tests), 800x480 like the Pi touchscreen."""
    context = browser_context(viewport={"width": 800, "height": 480}, has_touch=True)
    context.set_default_timeout(5000)
    return context.new_page()


# --- accessibility: axe-core on every page the browser tests open ------------------------------------------

AXE_DIR = Path(__file__).parent / "vendor" / "axe-core"
# The rules the suite holds every page to (WCAG 2.0, 2.1 and 2.2 A and AA, and axe's best practices).
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice")


@functools.cache
def _axe_script() -> str:
    runner = (Path(__file__).parent / "axe_runner.js").read_text(encoding="utf-8")
    return (AXE_DIR / "axe.min.js").read_text(encoding="utf-8") + "\n;\n" + runner


def _describe_violations(report: dict[str, Any]) -> list[str]:
    if report.get("error"):
        return [f"{report.get('url')}: axe-core failed: {report['error']}"]
    lines = []
    for v in report.get("violations", []):
        where = "; ".join(f"{n['target']}: {n['summary']}" for n in v["nodes"])
        lines.append(f"{report['url']}: [{v['impact']}] {v['id']}: {v['help']} -- {where}")
    return lines


@dataclass
class AccessibilityLog:
    """What axe-core found on the pages of one browser context: every page is checked when it loads."""

    checked: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)

    def record(self, report: dict[str, Any]) -> None:
        self.checked.append(str(report.get("url")))
        self.violations.extend(_describe_violations(report))


def watch_accessibility(context: Any) -> AccessibilityLog:
    """Run axe-core on every page ``context`` loads (and on demand, see ``assert_accessible``)."""
    log = AccessibilityLog()
    context.add_init_script(script=_axe_script())
    context.expose_binding("__axeReport", lambda _source, report: log.record(report))
    return log


def assert_accessible(page: Any) -> None:
    """Check the page as it is now (e.g. a screen its script drew): any axe-core violation fails the test.

    A page answering a form post can be checked as soon as its text is there, before its stylesheet has come: on
    a loaded machine axe then measured the unstyled 23x21 px keys (target-size). Its load event comes after
    the stylesheet, so that is waited for first."""
    page.wait_for_load_state("load")
    report = page.evaluate("() => window.__axeCheck()")
    problems = _describe_violations(report)
    assert not problems, "axe-core violations:\n" + "\n".join(problems)


@pytest.fixture
def browser_context(browser: Any) -> Iterator[Callable[..., Any]]:
    """Make browser contexts whose every page axe-core checks; the test fails on any violation found.

    Each page is checked on load, and once more as it is at the end of the test."""
    made: list[tuple[Any, AccessibilityLog]] = []

    def new_context(**options: Any) -> Any:
        context = browser.new_context(**options)
        made.append((context, watch_accessibility(context)))
        return context

    yield new_context
    problems: list[str] = []
    for context, log in made:
        for pg in context.pages:
            with contextlib.suppress(Exception):  # a page closed or navigating away has been checked on load
                # A page the test's last step started loading (an idle reset, "back to the start") is checked once
                # its stylesheet is there, as on load: before it, axe measured unstyled buttons (target-size).
                pg.wait_for_load_state("load", timeout=10_000)
                log.record(pg.evaluate("() => window.__axeCheck ? window.__axeCheck() : {url: location.href}"))
        with contextlib.suppress(Exception):
            context.close()
        problems.extend(dict.fromkeys(log.violations))
    assert not problems, "axe-core violations:\n" + "\n".join(problems)
