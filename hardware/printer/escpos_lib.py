"""python-escpos, imported once and without side effects.

Importing python-escpos calls ``logging.basicConfig()`` and makes a temporary folder (``escpos.capabilities`` calls
``mkdtemp()`` and, unless ``ESCPOS_CAPABILITIES_PICKLE_DIR`` is set, writes a pickle cache of the printer database
into it; the pickle is read only during that import). We import it lazily, once, restore the root logger's handlers
and level, and remove that folder when it is the one escpos made (under the temp dir, named ``tmp*``, holding
nothing but the pickle). With the environment variable set the empty folder escpos made cannot be told apart from
others and is left alone.
"""

from __future__ import annotations

import logging
import os
import platform
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

from hardware.codepages import plan_pages

log = logging.getLogger(__name__)

_escpos_lock = threading.Lock()
_escpos: SimpleNamespace | None = None


@contextmanager
def root_logger_kept() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
                handler.close()
        root.setLevel(level)


def _remove_escpos_tempdir(capabilities: Any) -> None:
    if "ESCPOS_CAPABILITIES_PICKLE_DIR" in os.environ:
        return
    folder = os.path.abspath(str(getattr(capabilities, "pickle_dir", "")))
    expected = {f"{platform.python_version()}.capabilities.pickle"}
    try:
        if (
            os.path.dirname(folder) == os.path.abspath(tempfile.gettempdir())
            and os.path.basename(folder).startswith("tmp")
            and os.path.isdir(folder)
            and not os.path.islink(folder)
            and set(os.listdir(folder)) <= expected
        ):
            shutil.rmtree(folder)
    except OSError as exc:  # only tidiness is lost
        log.debug("could not remove python-escpos's temporary folder %s: %s", folder, exc)


def escpos_modules() -> SimpleNamespace:
    """python-escpos's modules, imported on first use with its logging and temp-folder side effects undone."""
    global _escpos
    with _escpos_lock:
        if _escpos is None:
            fresh = "escpos.capabilities" not in sys.modules
            with root_logger_kept():
                from escpos import capabilities, constants, exceptions
                from escpos.printer import Dummy, Usb
            if fresh:
                _remove_escpos_tempdir(capabilities)
            _escpos = SimpleNamespace(
                capabilities=capabilities, constants=constants, exceptions=exceptions, Dummy=Dummy, Usb=Usb
            )
        return _escpos


_profile_names: frozenset[str] | None = None


def _profiles() -> frozenset[str]:
    """The printer profiles python-escpos knows, read from its capabilities file without importing it.

    Why: importing python-escpos costs about 0.2 s of CPU (1.3 s on a Pi 4 core), and the web process checks the
    configured profile when it starts, before the screen's first page; the receipts themselves import it later.
    The file is the one python-escpos reads (``ESCPOS_CAPABILITIES_FILE`` if set, else its packaged JSON)."""
    global _profile_names
    if _profile_names is None:
        try:
            import importlib.util
            import json
            from pathlib import Path

            spec = importlib.util.find_spec("escpos")
            packaged = Path(spec.origin).with_name("capabilities.json") if spec and spec.origin else None
            path = Path(os.environ.get("ESCPOS_CAPABILITIES_FILE") or str(packaged))
            names = frozenset(json.loads(path.read_text(encoding="utf-8"))["profiles"])
        except (OSError, ValueError, KeyError, TypeError):
            names = frozenset(escpos_modules().capabilities.CAPABILITIES["profiles"])
        _profile_names = names
    return _profile_names


def known_profiles() -> list[str]:
    return sorted(_profiles())


def check_profile(profile: str, codepage: str = "auto") -> None:
    if profile not in _profiles():
        raise ValueError(
            f"unknown printer profile {profile!r}; python-escpos knows e.g. TM-T20II, TM-T88V, TM-T20, default "
            f"({len(known_profiles())} in all)"
        )
    if codepage != "auto":
        # A page named in the configuration is checked at start-up (this imports python-escpos, which "auto"
        # leaves to the first receipt, to keep the screen's cold start short).
        plan_pages(escpos_modules().capabilities.get_profile(profile), codepage)  # ValueError names the pages
