"""What a file import did, for every import (roster, planks, contests, the ledger's files): lines imported
(added, updated, unchanged), refused with their reasons, and notes. A module of its own, without the tally, so
the pure ledger package can share it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ImportReport:
    imported: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Walk-ins who joined at the door (pending members) merged into the roster entry the file gave for them.
    merged: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "imported": self.imported,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "merged": self.merged,
            "refused": self.refused,
            "notes": self.notes,
        }

    def summary(self) -> str:
        parts = [
            f"{self.imported} lines imported ({self.added} added, {self.updated} updated, "
            f"{self.unchanged} unchanged), {len(self.refused)} refused"
            + (f", {self.merged} walk-ins merged into their roster entry" if self.merged else "")
        ]
        parts += [f"  refused {reason}" for reason in self.refused]
        parts += [f"  note: {note}" for note in self.notes]
        return "\n".join(parts)
