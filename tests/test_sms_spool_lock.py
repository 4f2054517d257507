"""The spool's lock holds across processes: the webhook (web process) and the daemon (its own process)."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sms.backends import InboundText
from sms.spool import Spool

HOLDER = """
import sys, time
from pathlib import Path
from sms.spool import Spool
with Spool(Path(sys.argv[1]))._locked():
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_a_claim_waits_for_another_process_appending(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    spool.append(InboundText("SM1", "+15105550101", "yes", datetime.now(UTC)))
    # Another process is in the middle of an append (it holds the lock between opening and writing).
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(spool.folder), "0.6"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        claimed = spool.claim()
        waited = time.monotonic() - started
    finally:
        try:
            code = holder.wait(10)
        except subprocess.TimeoutExpired:
            holder.kill()
            holder.wait()
            raise
        assert holder.stdout is not None
        holder.stdout.close()
    assert code == 0
    assert waited >= 0.3, f"the claim did not wait for the other process ({waited:.2f} s)"
    assert [t.provider_id for path in claimed for t in Spool.read(path)] == ["SM1"]
