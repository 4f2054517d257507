"""Twilio as an SMS backend: sending, inbound by polling, and the checks an inbound webhook needs.

Sends go through the real ``twilio`` client. ``api_base`` points that client at another host (a local fake
API in tests) through a ``TwilioHttpClient`` subclass that rewrites the host of every URL.

Provider errors never raise out of ``send``; they are classified:

- 21610 (the recipient opted out at the carrier) → OPTED_OUT
- 429, 5xx, timeouts, connection and DNS errors → TRANSIENT (the Pi may be offline: fail fast, retry later;
  after a network failure sends fail at once for ``offline_backoff`` seconds instead of each waiting out the
  timeout). Note that ``timeout`` bounds connecting and each read, not name resolution: with a resolver
  configured but unreachable, the first lookup can take the system resolver's own timeout.
- 401/403 (wrong account SID or auth token) → TRANSIENT: the credentials, not the text, are at fault, and
  queued texts should go out once an organizer fixes them
- any other 4xx (21211 invalid number, 21614 not a mobile number, ...) → PERMANENT

Inbound polling lists Messages sent to ``from_number`` over a sliding window of days (Twilio's
``DateSent>`` filter works by date only) and deduplicates by message SID. See ``TwilioBackend.poll``.

Webhooks: ``validate_webhook`` must be given the public URL Twilio called. Behind a reverse proxy the URL
Flask sees (``http://127.0.0.1:8000/sms``) is not the one Twilio signed (``https://kiosk.example.org/sms``):
use the configured ``public_url`` setting, or rebuild it from X-Forwarded-Proto/Host with ``webhook_url``.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse

from sms.backends import BackendStatus, InboundText, SendResult, SendStatus, SmsConfigError, SmsInputError

log = logging.getLogger(__name__)

OPTED_OUT_CODE = 21610
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


class _RedirectingHttpClient(TwilioHttpClient):
    """The stock HTTP client, with every ``*.twilio.com`` URL sent to ``api_base`` instead."""

    def __init__(self, api_base: str, timeout: float) -> None:
        super().__init__(timeout=timeout)
        parts = urlsplit(api_base)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise SmsConfigError(f"api_base must look like http://host:port, not {api_base!r}")
        self._scheme, self._netloc = parts.scheme, parts.netloc
        if self.session is not None:
            # A local fake must not be reached through a proxy from the environment.
            self.session.trust_env = False

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        parts = urlsplit(url)
        if parts.hostname and parts.hostname.endswith("twilio.com"):
            url = urlunsplit((self._scheme, self._netloc, parts.path, parts.query, parts.fragment))
        return super().request(method, url, *args, **kwargs)


def classify_error(error: TwilioRestException) -> SendStatus:
    """Which ``SendStatus`` a Twilio API error means for the text that caused it."""
    if error.code == OPTED_OUT_CODE:
        return SendStatus.OPTED_OUT
    if error.status == 429 or error.status >= 500 or error.status in (401, 403):
        return SendStatus.TRANSIENT
    if 400 <= error.status < 500:
        return SendStatus.PERMANENT
    return SendStatus.TRANSIENT


class TwilioBackend:
    """Sends and polls through one Twilio phone number.

    ``seen`` restores SIDs of inbound texts already committed (from ``seen_sids()`` of an earlier run), so a
    restart neither reads a text twice nor skips one still inside the ``lookback`` window.
    """

    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        *,
        api_base: str | None = None,
        timeout: float = 10.0,
        seen: Iterable[str] = (),
        lookback: timedelta = timedelta(days=2),
        max_seen: int = 20_000,
        page_size: int = 200,
        max_new_per_poll: int = 500,
        offline_backoff: float = 30.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
        poll_inbound: bool = True,
    ) -> None:
        # False when texts arrive by webhook: then poll() never calls the API.
        self._poll_inbound = poll_inbound
        if not account_sid.startswith("AC"):
            raise SmsConfigError("The Twilio account SID starts with AC")
        if not auth_token:
            raise SmsConfigError("The Twilio auth token is empty")
        if not _E164.match(from_number):
            raise SmsConfigError(f"The Twilio number must be in E.164 form (+15551234567), not {from_number!r}")
        if timeout <= 0:
            raise SmsConfigError("timeout must be positive")
        self._from = from_number
        self._timeout = timeout
        self._lookback = lookback
        self._max_seen = max_seen
        self._page_size = page_size
        self._max_new = max_new_per_poll
        self._clock = clock
        self._monotonic = monotonic
        self._offline_backoff = offline_backoff
        self._offline_until: float | None = None
        http_client = _RedirectingHttpClient(api_base, timeout) if api_base else TwilioHttpClient(timeout=timeout)
        self._client = Client(account_sid, auth_token, http_client=http_client)
        self._lock = threading.Lock()
        # Acknowledged (committed) SIDs, oldest first; OrderedDict as an ordered set.
        self._seen: OrderedDict[str, None] = OrderedDict((sid, None) for sid in seen)
        self._trim_seen()
        # Handed out by poll() but not yet acknowledged: never handed out again by this process.
        self._delivered: OrderedDict[str, None] = OrderedDict()
        self._last_success: datetime | None = None
        self._last_error: str | None = None
        self._last_error_at: datetime | None = None
        self._last_poll: datetime | None = None
        self._sent = 0
        self._failed_sends = 0

    # --- sending -------------------------------------------------------------------------------------------
    def send(self, to: str, body: str) -> SendResult:
        """Send one text. After a network failure (no connection, no answer in ``timeout``) further sends
        fail at once as TRANSIENT for ``offline_backoff`` seconds, so a queue drained while the Pi is offline
        costs one timeout, not one per text."""
        with self._lock:
            until = self._offline_until
        if until is not None and self._monotonic() < until:
            return SendResult(
                SendStatus.TRANSIENT, None, f"Twilio unreachable; retrying after {self._offline_backoff:g} s"
            )
        try:
            message = self._client.messages.create(to=to, from_=self._from, body=body)
        except TwilioRestException as error:
            status = classify_error(error)
            detail = f"Twilio {error.status} error {error.code}: {error.msg}"
            return self._failed(status, detail)
        except requests.ReadTimeout:
            # Twilio had the request and did not answer: it may have sent the text, and texts go at most once.
            self._went_offline()
            return self._failed(
                SendStatus.UNKNOWN,
                f"Twilio did not answer within {self._timeout:g} s (it may have sent the text; not sent again)",
            )
        except requests.Timeout:
            self._went_offline()
            return self._failed(SendStatus.TRANSIENT, f"Twilio did not answer within {self._timeout:g} s")
        except requests.ConnectionError as error:
            self._went_offline()
            return self._failed(SendStatus.TRANSIENT, f"Cannot reach Twilio (no internet?): {_short(error)}")
        except (requests.RequestException, TwilioException, OSError, ValueError) as error:
            return self._failed(SendStatus.TRANSIENT, f"Sending failed: {_short(error)}")
        status_text = str(message.status or "")
        if status_text in ("failed", "undelivered"):
            return self._failed(
                SendStatus.PERMANENT, f"Twilio marked the text {status_text} (error {message.error_code})"
            )
        with self._lock:
            self._offline_until = None
            self._last_success = self._clock()
            self._sent += 1
        return SendResult(SendStatus.SENT, message.sid, status_text or "accepted")

    def _went_offline(self) -> None:
        if self._offline_backoff > 0:
            with self._lock:
                self._offline_until = self._monotonic() + self._offline_backoff

    def _failed(self, status: SendStatus, detail: str) -> SendResult:
        log.warning("Twilio send %s: %s", status, detail)
        with self._lock:
            self._last_error = detail
            self._last_error_at = self._clock()
            self._failed_sends += 1
        return SendResult(status, None, detail)

    # --- receiving -----------------------------------------------------------------------------------------
    def poll(self) -> list[InboundText]:
        """Inbound texts not yet handed out, oldest first.

        Lists every Message to our number sent on or after the date ``lookback`` ago (the filter is by date
        only, so the window is at least ``lookback`` and at most a day more). A text is handed out once per
        process (again after ``release``, when the gateway could not store it); after ``acknowledge`` its
        SID joins ``seen_sids()``. After a complete listing, seen SIDs that
        are no longer in the window are forgotten: the window only moves forward, so they cannot come back.
        A text older than the window when first polled (the Pi was off for longer than ``lookback``) is
        not read: choose ``lookback`` accordingly.
        """
        if not self._poll_inbound:
            return []
        now = self._clock()
        texts: list[InboundText] = []  # filled as pages arrive: what came before a failure is kept
        listed: set[str] = set()
        complete = False
        try:
            complete = self._list_new(now, texts, listed)
        except TwilioRestException as error:
            self._poll_error(f"Twilio {error.status} error {error.code}: {error.msg}")
        except requests.Timeout:
            self._poll_error(f"Twilio did not answer within {self._timeout:g} s")
        except (requests.RequestException, TwilioException, OSError, ValueError) as error:
            self._poll_error(f"Cannot list inbound texts: {_short(error)}")
        # Twilio lists newest first and dates have whole seconds: reverse, then a stable sort keeps
        # same-second texts in arrival order.
        texts.reverse()
        texts.sort(key=lambda t: t.received_at)
        self._note_polled(texts, listed if complete else None, now)
        return texts

    def _list_new(self, now: datetime, texts: list[InboundText], listed: set[str]) -> bool:
        """Append to ``texts`` the inbound texts in the window not yet handed out, and every listed SID to
        ``listed``; True when the whole window was listed (not cut at ``max_new_per_poll``)."""
        since = now - self._lookback
        stream = self._client.messages.stream(to=self._from, date_sent_after=since, page_size=self._page_size)
        with self._lock:
            known = set(self._seen) | set(self._delivered)
        for message in stream:
            sid = str(message.sid)
            listed.add(sid)
            if sid in known or not str(message.direction or "").startswith("inbound"):
                continue
            received = message.date_sent or message.date_created or now
            texts.append(InboundText(sid, str(message.from_ or ""), str(message.body or ""), received))
            known.add(sid)
            if len(texts) >= self._max_new:
                return False  # the rest come with the next poll
        return True

    def _note_polled(self, texts: list[InboundText], listed: set[str] | None, now: datetime) -> None:
        """Mark ``texts`` handed out; after a complete listing (``listed``), forget seen SIDs gone from it."""
        with self._lock:
            for text in texts:
                self._delivered[text.provider_id] = None
            if listed is not None:
                self._offline_until = None  # Twilio answered: sends may go again
                for sid in [s for s in self._seen if s not in listed]:
                    del self._seen[sid]
                self._last_poll = now
            while len(self._delivered) > self._max_seen:
                self._delivered.popitem(last=False)

    def _poll_error(self, detail: str) -> None:
        log.warning("Twilio poll failed: %s", detail)
        with self._lock:
            self._last_error = detail
            self._last_error_at = self._clock()

    def acknowledge(self, provider_id: str) -> None:
        with self._lock:
            self._delivered.pop(provider_id, None)
            self._seen[provider_id] = None
            self._seen.move_to_end(provider_id)
            self._trim_seen()

    def release(self, provider_ids: Sequence[str]) -> None:
        with self._lock:  # no longer "known": the next poll lists them again (they are still in its window)
            for sid in provider_ids:
                self._delivered.pop(sid, None)

    def _trim_seen(self) -> None:
        if len(self._seen) > self._max_seen:
            log.warning("More than %d inbound texts in the polling window; forgetting the oldest", self._max_seen)
            while len(self._seen) > self._max_seen:
                self._seen.popitem(last=False)

    def seen_sids(self) -> list[str]:
        """SIDs of acknowledged texts still inside the polling window, oldest first: store these and pass them
        back as ``seen`` on the next start."""
        with self._lock:
            return list(self._seen)

    # --- organizer page ------------------------------------------------------------------------------------
    def status(self) -> BackendStatus:
        with self._lock:
            offline = self._offline_until is not None and self._monotonic() < self._offline_until
            return BackendStatus(
                backend=self.name,
                connected=not offline,
                last_success_at=self._last_success,
                last_error=self._last_error,
                last_error_at=self._last_error_at,
                sent=self._sent,
                failed=self._failed_sends,
                extra={
                    "from_number": self._from,
                    "last_poll": self._last_poll,
                    "seen": len(self._seen),
                    "unacknowledged": len(self._delivered),
                },
            )

    def close(self) -> None:
        session = getattr(self._client.http_client, "session", None)
        if session is not None:
            session.close()


def _short(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text if len(text) <= 200 else text[:197] + "..."


# --- webhooks ----------------------------------------------------------------------------------------------


def validate_webhook(url: str, params: Mapping[str, str], signature: str | None, auth_token: str) -> bool:
    """True if ``signature`` (the X-Twilio-Signature header) is Twilio's for this request.

    ``url`` must be the public URL Twilio called, with its query string: the ``public_url`` setting, or one
    rebuilt with ``webhook_url`` behind a reverse proxy. ``params`` are the POSTed form fields.
    """
    if not signature or not auth_token:
        return False
    try:
        return bool(RequestValidator(auth_token).validate(url, dict(params), signature))
    except (TypeError, ValueError, UnicodeError):
        return False


def webhook_url(request_url: str, headers: Mapping[str, str], *, public_url: str | None = None) -> str:
    """The URL Twilio signed, given the URL this server saw and the request headers.

    With ``public_url`` (the configured webhook address) that address wins, keeping the request's query string
    if it has none of its own. Otherwise X-Forwarded-Proto and X-Forwarded-Host (first value of each, as set
    by the nearest proxy) replace the scheme and host. Trust these headers only behind your own proxy.
    """
    seen = urlsplit(request_url)
    if public_url:
        public = urlsplit(public_url)
        query = public.query or seen.query
        return urlunsplit((public.scheme, public.netloc, public.path or seen.path, query, ""))
    lowered = {k.lower(): v for k, v in headers.items()}
    scheme = lowered.get("x-forwarded-proto", "").split(",")[0].strip() or seen.scheme
    host = lowered.get("x-forwarded-host", "").split(",")[0].strip() or seen.netloc
    return urlunsplit((scheme, host, seen.path, seen.query, ""))


def inbound_from_webhook(params: Mapping[str, str], received_at: datetime | None = None) -> InboundText:
    """The inbound text in a validated webhook's form fields (MessageSid, From, Body)."""
    sid = params.get("MessageSid") or params.get("SmsSid") or ""
    if not sid or not params.get("From"):
        raise SmsInputError("The webhook request has no MessageSid or From")
    return InboundText(sid, params["From"], params.get("Body", ""), received_at or datetime.now(UTC))


def twiml_empty() -> str:
    """An empty TwiML answer: Twilio sends nothing back, replies go through the outbound queue."""
    return str(MessagingResponse())
