"""The SIM as the inbox: which texts are on it, how their parts join up, and deleting them only once the
gateway has committed them.

Texts stay on the SIM until ``acknowledge()``, so a process killed between reading and deleting reads them
again on the next start, with the same provider_id (derived from the message, not from the SIM index). A slot
is deleted only if it still holds the very PDU that was read, so a slot freed and reused never loses a new text.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import phonenumbers

from sms.backends import InboundText, IncompleteText, SimStatus
from sms.modem_at import AtChannel, fields
from sms.modem_errors import CmsError
from sms.pdu import AddressType, Assembled, Deliver, Incomplete, PduError, decode_deliver
from sms.pdu import reassemble as reassemble_parts

log = logging.getLogger(__name__)

__all__ = ["SimInbox", "provider_id_for"]

_INVALID_INDEX = 321  # +CMS ERROR for an empty (or never used) SIM slot


def provider_id_for(text: Assembled) -> str:
    """A stable id for a received text: the same on every read, across restarts and SIM index changes.

    Derived from the sender, the service-centre time stamp of the first part, the concatenation reference
    and a hash of the body. Two identical texts from one sender in the same second share an id (they are
    treated as a network re-delivery).
    """
    first = text.parts[0]
    c = first.concat
    ref = f"{c.ref_bits}:{c.ref}:{c.total}" if c else "-"
    key = "\x1f".join((text.sender, first.scts.hex(), ref, text.text))
    return "gsm-" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:24]


@dataclass(frozen=True)
class _Stored:
    pdu: str
    deliver: Deliver


def _pairs(lines: list[str], prefix: str) -> Iterable[tuple[str, str]]:
    for header, pdu in itertools.pairwise(lines):
        if header.startswith(prefix) and not pdu.startswith(prefix):
            yield header, pdu


class SimInbox:
    """What this process knows of the texts on the SIM. Not thread-safe: the backend's lock guards it.

    ``clock`` is monotonic (sweeps, re-offers); ``wall_clock`` dates a text whose time stamp is unreadable.
    Un-acknowledged texts are offered again after ``reoffer_after`` seconds; the caller dedupes by provider_id.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float],
        wall_clock: Callable[[], datetime],
        sweep_interval: float,
        reoffer_after: float,
        default_region: str | None,
    ) -> None:
        self._clock = clock
        self._wall = wall_clock
        self._sweep_interval = sweep_interval
        self._reoffer_after = reoffer_after
        self._region = default_region
        self._notified: list[int] = []  # SIM indexes announced by +CMTI, not yet read
        self._parts: dict[Hashable, _Stored] = {}  # SIM index (or ("direct", n)) -> part
        self.undecodable: dict[int, str] = {}
        self._direct_seq = 0
        self._last_sweep: float | None = None
        self._by_pid: dict[str, tuple[Hashable, ...]] = {}
        self._offered: dict[str, float] = {}
        self.pending_acks: set[str] = set()
        self.incomplete: list[Incomplete] = []
        self.storage: tuple[int, int] | None = None  # (used, total) slots

    def status(self) -> SimStatus:
        used, total = self.storage if self.storage else (None, None)
        return SimStatus(
            storage_used=used,
            storage_total=total,
            incomplete_texts=tuple(IncompleteText(i.sender, i.ref, i.total, tuple(i.have)) for i in self.incomplete),
            undecodable=dict(self.undecodable),
            pending_acknowledgements=len(self.pending_acks),
        )

    # ------------------------------------------------------------------ what the modem tells us unasked

    def on_unsolicited(self, line: str) -> bool:
        """Note a ``+CMTI`` (a text stored at a SIM index); False for any other line."""
        if not line.startswith("+CMTI:"):
            return False
        f = fields(line)
        if f and f[-1].isdigit():
            index = int(f[-1])
            if index not in self._notified:
                self._notified.append(index)
            if len(f) >= 2 and f[0].upper() not in ("SM", "MT"):
                log.warning("text stored in %s memory, not SM: the sweep may not see it", f[0])
        return True

    def on_pushed_text(self, pdu: str) -> None:
        try:
            d = decode_deliver(pdu)
        except PduError as exc:
            log.warning("undecodable text pushed by the modem: %s", exc)
            return
        log.warning("modem pushed a text without storing it (+CMT); keeping it in memory only")
        self._direct_seq += 1
        self._parts[("direct", self._direct_seq)] = _Stored(pdu, d)

    # ------------------------------------------------------------------ reading the SIM

    def connected(self) -> None:
        """A (re)opened modem: sweep the whole SIM at the next poll."""
        self._last_sweep = None

    def refresh(self, at: AtChannel) -> None:
        """Read the slots announced since the last poll, and the whole SIM when a sweep is due."""
        self._read_notified(at)
        if self._last_sweep is None or self._clock() - self._last_sweep >= self._sweep_interval:
            self.sweep(at)

    def _read_notified(self, at: AtChannel) -> None:
        while self._notified:
            index = self._notified[0]
            got = self._read_index(at, index)
            if got is None:
                self._parts.pop(index, None)
            else:
                self._remember(index, *got)
            self._notified.pop(0)

    @staticmethod
    def _read_index(at: AtChannel, index: int) -> tuple[int, str] | None:
        """(stat, PDU) at a SIM index, or None when the slot is empty."""
        try:
            lines = at.command(f"AT+CMGR={index}", expect=("+CMGR:",))
        except CmsError as exc:
            if exc.code == _INVALID_INDEX:
                return None
            raise
        for header, pdu in _pairs(lines, "+CMGR:"):
            f = fields(header)
            if f and f[0].isdigit():
                return int(f[0]), pdu
        return None

    def sweep(self, at: AtChannel) -> None:
        lines = at.command("AT+CMGL=4", expect=("+CMGL:",), timeout=2 * at.timeout)  # SIM reads are slow
        seen: dict[int, tuple[int, str]] = {}
        for header, pdu in _pairs(lines, "+CMGL:"):
            f = fields(header)
            if len(f) >= 2 and f[0].isdigit() and f[1].isdigit():
                seen[int(f[0])] = (int(f[1]), pdu)
            else:
                log.warning("unreadable +CMGL line %r", header[:80])
        for key in [k for k in self._parts if isinstance(k, int) and k not in seen]:
            del self._parts[key]
        for index in [i for i in self.undecodable if i not in seen]:
            del self.undecodable[index]
        for index, (stat, pdu) in seen.items():
            self._remember(index, stat, pdu)
        self._notified = [i for i in self._notified if i not in seen]
        if self.storage:
            self.storage = (len(seen), self.storage[1])
            if self.storage[0] >= self.storage[1] - 2:
                # the network holds further texts until there is room; undecodable ones are never deleted
                log.warning("SIM storage nearly full: %d of %d", *self.storage)
        self._last_sweep = self._clock()

    def _remember(self, index: int, stat: int, pdu: str) -> None:
        known = self._parts.get(index)
        if known is not None and known.pdu == pdu:
            return
        if stat > 1:
            self._parts.pop(index, None)  # a stored outgoing text, not ours to read or delete
            return
        try:
            d = decode_deliver(pdu)
        except PduError as exc:
            if self.undecodable.get(index) != str(exc):
                log.warning("SIM index %d holds an undecodable text (kept on the SIM): %s", index, exc)
            self.undecodable[index] = str(exc)
            self._parts.pop(index, None)
            return
        self.undecodable.pop(index, None)
        self._parts[index] = _Stored(pdu, d)

    # ------------------------------------------------------------------ whole texts

    def _sender(self, d: Deliver) -> str:
        if d.sender_type is AddressType.NATIONAL and self._region:
            try:
                number = phonenumbers.parse(d.sender, self._region)
                if phonenumbers.is_possible_number(number):
                    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            except phonenumbers.NumberParseException:
                log.debug("national sender %r is not a number in %s; kept as the modem gave it", d.sender, self._region)
        return d.sender

    def collect(self) -> list[InboundText]:
        """The whole texts due to be offered: new ones, and un-acknowledged ones whose re-offer time came."""
        whole, self.incomplete = reassemble_parts((k, s.deliver) for k, s in self._parts.items())
        by_pid: dict[str, list[Hashable]] = {}
        fresh: dict[str, InboundText] = {}
        now = self._clock()
        for text in whole:
            pid = provider_id_for(text)
            by_pid.setdefault(pid, []).extend(text.keys)
            if pid in self.pending_acks or pid in fresh or not self._due(pid, now):
                continue
            fresh[pid] = self._inbound(pid, text)
        self._by_pid = {pid: tuple(keys) for pid, keys in by_pid.items()}
        for pid in fresh:
            self._offered[pid] = now
        for pid in [p for p in self._offered if p not in self._by_pid]:
            del self._offered[pid]
        return list(fresh.values())

    def _due(self, pid: str, now: float) -> bool:
        offered = self._offered.get(pid)
        return offered is None or now - offered >= self._reoffer_after

    def _inbound(self, pid: str, text: Assembled) -> InboundText:
        received = text.timestamp.astimezone(UTC) if text.timestamp else self._wall()
        if text.damage:
            log.warning("a damaged text from …%s (%s): read as far as it goes", text.sender[-4:], text.damage)
        return InboundText(
            provider_id=pid,
            sender=self._sender(text.parts[0]),
            body=text.text,
            received_at=received,
            damage=text.damage,
        )

    def release(self, provider_ids: Sequence[str]) -> None:
        """Still on the SIM: offered again at the next poll, not after ``reoffer_after``."""
        for pid in provider_ids:
            self._offered.pop(pid, None)

    # ------------------------------------------------------------------ deleting after commit

    def flush_acks(self, at: AtChannel) -> None:
        """Delete from the SIM every text the gateway has committed (``pending_acks``)."""
        if not self.pending_acks:
            return
        if any(pid not in self._by_pid for pid in self.pending_acks):
            # not read by this process yet (e.g. acknowledged right after a restart): look at the SIM first
            self.sweep(at)
            self._collect_quietly()
        for pid in sorted(self.pending_acks):
            for key in self._by_pid.get(pid, ()):
                self._delete(at, key)
            self.pending_acks.discard(pid)
            self._offered.pop(pid, None)
            self._by_pid.pop(pid, None)

    def _collect_quietly(self) -> None:
        offered = dict(self._offered)
        self.collect()
        self._offered = offered

    def _delete(self, at: AtChannel, key: Hashable) -> None:
        stored = self._parts.get(key)
        if not isinstance(key, int):
            self._parts.pop(key, None)  # a pushed text lives only in memory
            return
        # The slot must still hold the same text: a slot freed and reused must not lose a new text.
        current = self._read_index(at, key)
        if stored is not None and (current is None or current[1] != stored.pdu):
            # Rare on its own; more often the answer belonged to another command (a stray "OK" ended one early
            # and its real answer came in here). Read again once the channel is back in step, and trust that.
            at.resync()
            current = self._read_index(at, key)
        if current is None:
            self._parts.pop(key, None)
            return
        if stored is None or current[1] != stored.pdu:
            log.warning("SIM index %d changed since it was read; not deleting it", key)
            self._remember(key, *current)
            return
        at.command(f"AT+CMGD={key}")
        self._parts.pop(key, None)
        log.info("deleted SIM index %d", key)
