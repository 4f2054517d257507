"""The doctor's findings as the terminal report, as JSON, and as an exit status."""

from __future__ import annotations

import json
from dataclasses import asdict

from kiosk.doctor.base import Finding, Status


def failed(findings: list[Finding]) -> bool:
    return any(f.status is Status.FAIL for f in findings)


def format_report(findings: list[Finding]) -> str:
    label = {Status.OK: " OK ", Status.WARN: "WARN", Status.FAIL: "FAIL", Status.SKIP: "SKIP"}
    lines = []
    for f in findings:
        lines.append(f"[{label[f.status]}] {f.check}: {f.message}")
        if f.fix and f.status in (Status.FAIL, Status.WARN):
            lines.append(f"       fix: {f.fix}")
    n_fail = sum(f.status is Status.FAIL for f in findings)
    n_warn = sum(f.status is Status.WARN for f in findings)
    lines.append(f"{n_fail} problem(s), {n_warn} warning(s)" if n_fail or n_warn else "everything looks right")
    return "\n".join(lines)


def report_json(findings: list[Finding]) -> str:
    return json.dumps([asdict(f) for f in findings], ensure_ascii=False, indent=2)
