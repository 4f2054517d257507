"""The doctor: loads the configuration, then runs every registered check in order (``registry``), so that one
broken check never hides the others."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from kiosk.config import Settings, load_settings
from kiosk.doctor import configuration
from kiosk.doctor.base import Environment, Finding, Status
from kiosk.doctor.registry import CHECKS, SYSTEM_CHECKS
from kiosk.errors import KioskError

log = logging.getLogger(__name__)


@dataclass
class Doctor(Environment):
    """Runs the checks. Every outside thing it asks is a parameter (see ``Environment``), for tests."""

    def run(self, config_path: str | None, env: dict[str, str] | None = None) -> list[Finding]:
        try:
            settings = load_settings(config_path, env)
        except KioskError as exc:
            return [configuration.unreadable(exc), *self._system_findings()]
        findings: list[Finding] = []
        for check in CHECKS:
            findings.extend(self._guarded(check.name, lambda run=check.run: run(self, settings)))
        return [*findings, *self._system_findings()]

    def check(self, name: str, settings: Settings) -> list[Finding]:
        """One check by its registry name, unguarded: what it finds, or the exception it raises."""
        for check in CHECKS:
            if check.name == name:
                return check.run(self, settings)
        raise KeyError(f"no doctor check named {name!r}")

    def _system_findings(self) -> list[Finding]:
        findings: list[Finding] = []
        for check in SYSTEM_CHECKS:
            findings.extend(self._guarded(check.name, lambda run=check.run: run(self)))
        return findings

    @staticmethod
    def _guarded(name: str, run: Callable[[], list[Finding]]) -> list[Finding]:
        try:
            return run()
        except Exception as exc:  # one broken check must not hide the others
            log.debug("check failed", exc_info=True)
            return [Finding(name, Status.FAIL, f"the check itself failed: {exc}", "Run with -v and report it.")]
