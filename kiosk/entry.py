"""The ``kiosk`` command's entry point (``[project.scripts]``, and ``python -m kiosk``).

The garbage collector is off while the command's modules load: start-up makes a couple of hundred thousand
objects that live as long as the process (SQLAlchemy, Flask, Jinja, our own modules) and almost no garbage, yet
the collector's full passes walked all of them, about a tenth of ``kiosk serve``'s start-up CPU (40 ms of 430 ms
pinned here, a quarter of a second at Pi speed). :func:`kiosk.cli.main` turns it back on before any command runs,
except the long-running ones, which do so once their objects are frozen (``kiosk.server.freeze_startup_objects``).
Only here, not in ``kiosk.cli`` itself, so that importing the package (tests do) never leaves it off.
"""

from __future__ import annotations

import gc


def main() -> int:
    gc.disable()
    from kiosk.cli import main as run_command

    return run_command()
