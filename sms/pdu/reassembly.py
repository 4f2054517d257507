"""Joining the parts of a long text, in any arrival order; a text still missing parts is held, never dropped."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sms.pdu.alphabets import decode_text
from sms.pdu.values import Deliver

__all__ = ["Assembled", "Incomplete", "reassemble"]


@dataclass(frozen=True)
class Assembled:
    """A whole text: one part, or every part of a concatenated text.

    ``keys`` are the caller's keys (SIM indexes) of every part, duplicates included, so all can be deleted.
    """

    keys: tuple[Hashable, ...]
    sender: str
    text: str
    timestamp: datetime | None
    parts: tuple[Deliver, ...]

    @property
    def damage(self) -> str | None:
        """Why some part's user data is not whole, or None when every part is sound."""
        found = [
            f"part {i}: {p.damage}" if len(self.parts) > 1 else p.damage
            for i, p in enumerate(self.parts, 1)
            if p.damage
        ]
        return "; ".join(found) or None


@dataclass(frozen=True)
class Incomplete:
    """A concatenated text still missing parts: held, never dropped."""

    keys: tuple[Hashable, ...]
    sender: str
    ref: int
    total: int
    have: tuple[int, ...]


def _join(parts: Sequence[Deliver]) -> str:
    encodings = {p.encoding for p in parts}
    # Joined before decoding (a phone may split an escape or surrogate pair), unless a part is damaged: a UCS-2
    # part with an odd octet would shift every character after it.
    if len(encodings) == 1 and not any(p.damage for p in parts):
        return decode_text(parts[0].encoding, b"".join(p.payload for p in parts))
    return "".join(p.text for p in parts)


def reassemble(parts: Iterable[tuple[Hashable, Deliver]]) -> tuple[list[Assembled], list[Incomplete]]:
    """Group parts by sender and concatenation reference, in any arrival order.

    Returns the complete texts and the incomplete sets. A repeated sequence number (the network delivered a
    part twice) keeps the first copy for the text and every key for deletion.
    """
    whole: list[Assembled] = []
    groups: dict[tuple[str, int, int, int], dict[int, list[tuple[Hashable, Deliver]]]] = {}
    for key, d in parts:
        c = d.concat
        if c is None or c.total == 1:
            whole.append(Assembled(keys=(key,), sender=d.sender, text=d.text, timestamp=d.timestamp, parts=(d,)))
            continue
        groups.setdefault((d.sender, c.ref_bits, c.ref, c.total), {}).setdefault(c.seq, []).append((key, d))
    incomplete = []
    for (sender, _bits, ref, total), by_seq in groups.items():
        keys = tuple(k for seq in sorted(by_seq) for k, _ in by_seq[seq])
        if len(by_seq) == total:
            ordered = [by_seq[seq][0][1] for seq in range(1, total + 1)]
            whole.append(
                Assembled(
                    keys=keys,
                    sender=sender,
                    text=_join(ordered),
                    timestamp=ordered[0].timestamp,
                    parts=tuple(ordered),
                )
            )
        else:
            incomplete.append(Incomplete(keys=keys, sender=sender, ref=ref, total=total, have=tuple(sorted(by_seq))))
    whole.sort(key=lambda a: (a.timestamp is None, a.timestamp or datetime.min.replace(tzinfo=UTC)))
    return whole, incomplete
