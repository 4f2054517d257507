"""A fake of the Twilio REST API's Messages resource on 127.0.0.1, for driving the real ``twilio`` client.

It checks HTTP basic auth, records sends with timestamps, answers with JSON shaped like Twilio's, can be told
to fail a number with a Twilio error code, answer 500/429 or stall, and lists messages (newest first, paged
with ``next_page_uri`` and a ``PageToken`` like Twilio; ``DateSent>`` filters by date only, as documented).
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

API = "/2010-04-01"
_MESSAGES = re.compile(r"^/2010-04-01/Accounts/(?P<sid>AC[0-9a-fA-F]+)/Messages\.json$")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


@dataclass
class FakeMessage:
    sid: str
    to: str
    from_: str
    body: str
    direction: str
    date_created: datetime
    date_sent: datetime | None
    status: str
    monotonic: float = 0.0  # time.monotonic() when the fake received it (sends only)


@dataclass
class _Failure:
    status: int
    code: int | None
    message: str
    remaining: int | None  # None = until cleared


@dataclass
class _State:
    messages: list[FakeMessage] = field(default_factory=list)
    number_failures: dict[str, _Failure] = field(default_factory=dict)
    send_failure: _Failure | None = None
    list_failure: _Failure | None = None
    stall_seconds: float = 0.0
    requests: list[tuple[str, str]] = field(default_factory=list)


ERROR_MESSAGES = {
    21211: "The 'To' number is not a valid phone number.",
    21604: "A 'To' phone number is required.",
    21610: "Attempt to send to unsubscribed recipient",
    21614: "'To' number is not a valid mobile number",
    20003: "Authenticate",
    20429: "Too Many Requests",
    20500: "An internal server error has occurred",
}


class FakeTwilio:
    """Start with ``with FakeTwilio() as fake:``; point the client at ``fake.base_url``."""

    def __init__(self, account_sid: str = "AC" + "1" * 32, auth_token: str = "secret-token") -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self._state = _State()
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._ids = itertools.count(1)
        fake = self

        class Handler(_Handler):
            owner = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # Non-daemon handler threads are joined by server_close(): nothing outlives close().
        self._server.daemon_threads = False
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name="fake-twilio", daemon=True
        )

    # --- lifecycle -------------------------------------------------------------------------------------
    def start(self) -> FakeTwilio:
        self._thread.start()
        return self

    def close(self) -> None:
        self._release.set()  # wake stalled handlers so they finish and the server can join them
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeTwilio:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # --- control ---------------------------------------------------------------------------------------
    def fail_number(self, number: str, code: int = 21610, status: int = 400) -> None:
        """Every send to ``number`` answers ``status`` with Twilio error ``code``."""
        with self._lock:
            self._state.number_failures[number] = _Failure(status, code, ERROR_MESSAGES.get(code, "Error"), None)

    def fail_sends(self, status: int, code: int | None = None, times: int | None = None) -> None:
        """The next ``times`` sends (all, if None) answer ``status`` (e.g. 500, 429)."""
        code = code if code is not None else {429: 20429, 500: 20500}.get(status)
        with self._lock:
            self._state.send_failure = _Failure(status, code, ERROR_MESSAGES.get(code or 0, "Error"), times)

    def fail_lists(self, status: int, times: int | None = None) -> None:
        with self._lock:
            self._state.list_failure = _Failure(status, None, "Error", times)

    def stall(self, seconds: float) -> None:
        """Every request waits ``seconds`` before answering (0 to stop stalling)."""
        with self._lock:
            self._state.stall_seconds = seconds

    def clear_failures(self) -> None:
        with self._lock:
            self._state.number_failures.clear()
            self._state.send_failure = None
            self._state.list_failure = None
            self._state.stall_seconds = 0.0

    def add_inbound(self, from_: str, body: str, to: str, date_sent: datetime | None = None) -> str:
        """A member texted ``to`` (our number); returns the message SID."""
        when = date_sent or datetime.now(UTC)
        sid = self._new_sid("SM")
        with self._lock:
            self._state.messages.append(FakeMessage(sid, to, from_, body, "inbound", when, when, "received"))
        return sid

    def sent(self) -> list[FakeMessage]:
        """Texts sent through the API, in arrival order."""
        with self._lock:
            return [m for m in self._state.messages if m.direction == "outbound-api"]

    def requests(self) -> list[tuple[str, str]]:
        """(method, path with query) of every request received."""
        with self._lock:
            return list(self._state.requests)

    # --- internals -------------------------------------------------------------------------------------
    def _new_sid(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):032x}"

    def _message_json(self, m: FakeMessage) -> dict[str, Any]:
        uri = f"{API}/Accounts/{self.account_sid}/Messages/{m.sid}.json"
        return {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": m.body,
            "date_created": format_datetime(m.date_created),
            "date_sent": format_datetime(m.date_sent) if m.date_sent else None,
            "date_updated": format_datetime(m.date_created),
            "direction": m.direction,
            "error_code": None,
            "error_message": None,
            "from": m.from_,
            "messaging_service_sid": None,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": m.sid,
            "status": m.status,
            "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
            "to": m.to,
            "uri": uri,
        }

    def _take_failure(self, attr: str) -> _Failure | None:
        failure: _Failure | None = getattr(self._state, attr)
        if failure is None:
            return None
        if failure.remaining is not None:
            failure.remaining -= 1
            if failure.remaining <= 0:
                setattr(self._state, attr, None)
        return failure

    def _create(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        to, from_, body = form.get("To", ""), form.get("From", ""), form.get("Body", "")
        with self._lock:
            failure = self._take_failure("send_failure") or self._state.number_failures.get(to)
        if failure is not None:
            return failure.status, _error(failure)
        if not to:
            return 400, _error(_Failure(400, 21604, ERROR_MESSAGES[21604], None))
        if not _E164.match(to):
            return 400, _error(_Failure(400, 21211, ERROR_MESSAGES[21211], None))
        now = datetime.now(UTC)
        message = FakeMessage(
            self._new_sid("SM"), to, from_, body, "outbound-api", now, None, "queued", time.monotonic()
        )
        with self._lock:
            self._state.messages.append(message)
        return 201, self._message_json(message)

    def _list(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            failure = self._take_failure("list_failure")
            messages = list(self._state.messages)
        if failure is not None:
            return failure.status, _error(failure)
        page_size = max(1, min(int(query.get("PageSize", "50")), 1000))
        page = int(query.get("Page", "0"))
        selected = [m for m in messages if _matches(m, query)]
        # Newest first, like Twilio; ties broken by arrival (later first).
        order = sorted(
            range(len(selected)),
            key=lambda i: (selected[i].date_sent or selected[i].date_created, i),
            reverse=True,
        )
        selected = [selected[i] for i in order]
        start = 0
        token = query.get("PageToken")
        if token:
            after = token.removeprefix("PA")
            start = next((i + 1 for i, m in enumerate(selected) if m.sid == after), len(selected))
        chunk = selected[start : start + page_size]
        base = {k: v for k, v in query.items() if k not in ("Page", "PageToken")}
        next_uri = None
        if start + page_size < len(selected) and chunk:
            next_query = {
                **base,
                "PageSize": str(page_size),
                "Page": str(page + 1),
                "PageToken": "PA" + chunk[-1].sid,
            }
            next_uri = f"{path}?{urlencode(next_query)}"
        return 200, {
            "messages": [self._message_json(m) for m in chunk],
            "end": start + len(chunk) - 1,
            "first_page_uri": f"{path}?{urlencode({**base, 'PageSize': page_size, 'Page': 0})}",
            "next_page_uri": next_uri,
            "page": page,
            "page_size": page_size,
            "previous_page_uri": None,
            "start": start,
            "uri": f"{path}?{urlencode(query)}",
        }


def _error(failure: _Failure) -> dict[str, Any]:
    return {
        "code": failure.code,
        "message": failure.message,
        "more_info": f"https://www.twilio.com/docs/errors/{failure.code}",
        "status": failure.status,
    }


def _matches(m: FakeMessage, query: dict[str, str]) -> bool:
    if "To" in query and m.to != query["To"]:
        return False
    if "From" in query and m.from_ != query["From"]:
        return False
    when = (m.date_sent or m.date_created).date()
    # Twilio filters by date only: the time part of DateSent> is ignored.
    if "DateSent>" in query and when < date.fromisoformat(query["DateSent>"][:10]):
        return False
    if "DateSent<" in query and when > date.fromisoformat(query["DateSent<"][:10]):
        return False
    return not ("DateSent" in query and when != date.fromisoformat(query["DateSent"][:10]))


class _Handler(BaseHTTPRequestHandler):
    owner: FakeTwilio
    # HTTP/1.0: one request per connection, so no handler thread lingers on an idle keep-alive socket.
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output clean

    def _authorized(self) -> bool:
        expected = base64.b64encode(f"{self.owner.account_sid}:{self.owner.auth_token}".encode()).decode()
        return self.headers.get("Authorization", "") == f"Basic {expected}"

    def _answer(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # the client gave up (timeout) while we stalled

    def _common(self) -> tuple[str, dict[str, str]] | None:
        owner = self.owner
        with owner._lock:
            owner._state.requests.append((self.command, self.path))
            stall = owner._state.stall_seconds
        if stall:
            owner._release.wait(stall)
        parts = urlsplit(self.path)
        match = _MESSAGES.match(parts.path)
        if not self._authorized():
            self._answer(401, _error(_Failure(401, 20003, ERROR_MESSAGES[20003], None)))
            return None
        if not match or match.group("sid") != owner.account_sid:
            self._answer(404, {"code": 20404, "message": "The requested resource was not found", "status": 404})
            return None
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        return parts.path, query

    def do_GET(self) -> None:
        common = self._common()
        if common is not None:
            self._answer(*self.owner._list(*common))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length).decode()
        common = self._common()
        if common is not None:
            form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
            self._answer(*self.owner._create(form))
