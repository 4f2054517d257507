"""The organizer blueprints and what every page module shares: the app's tally, settings, live figures and SMS
gateway, the meeting or a 404, the acting organizer, the count of open event streams, and what a closed meeting
refuses."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    request,
)

from kiosk.errors import NotFound
from kiosk.tally import MeetingState, Tally
from kiosk.web.organizer.live import LiveFigures
from kiosk.web.organizer.security import current_organizer

# The templates and static files sit beside this package, in kiosk/web/organizer/.
_ORGANIZER_DIR = str(Path(__file__).resolve().parents[1])
bp = Blueprint(
    "organizer",
    __name__,
    url_prefix="/organizer",
    template_folder="templates",
    static_folder="static",
    root_path=_ORGANIZER_DIR,
)
public = Blueprint("public", __name__, template_folder="templates", root_path=_ORGANIZER_DIR)


MAX_ID = 2**31 - 1  # row ids are 32-bit integers on PostgreSQL (SQLite's are 64-bit)


@bp.url_value_preprocessor
def _ids_in_range(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    # ``<int:...>`` takes any number of digits: a row id no database column can hold is simply not there (an
    # overflow error otherwise: "integer out of range" on PostgreSQL, OverflowError on SQLite).
    if values and any(isinstance(v, int) and not 0 <= v <= MAX_ID for v in values.values()):
        abort(404)


class StreamRegistry:
    """Counts open event streams, and ends them all when the server stops (each holds a waitress thread)."""

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self.open = 0

    def opened(self) -> None:
        with self._lock:
            self.open += 1

    def closed(self) -> None:
        with self._lock:
            self.open -= 1


def _tally() -> Tally:
    return current_app.extensions["tally"]


def _live() -> LiveFigures:
    return current_app.extensions["organizer_live"]


def _settings() -> Any:
    return current_app.config["SETTINGS"]


def _gateway() -> Any:
    return current_app.extensions["organizer_gateway"]


def _meeting_or_404(code: str) -> Any:
    try:
        return _tally().meeting(code)
    except NotFound:
        abort(404)


def _actor() -> str:
    return f"organizer:{current_organizer()}"


def _now() -> datetime:
    return _tally().clock()


def _client_address() -> str:
    return request.remote_addr or "unknown"


# What can no longer happen once a meeting is closed: the pages do not offer it, and the routes refuse it.
CLOSED_REFUSALS = {
    "reissue": "Meeting {code} is closed: voting has ended, so ballot codes can no longer be reissued.",
    "texts": "Meeting {code} is closed: invitations and reminders for it can no longer be sent. "
    "A text of your own can still be sent.",
    "state": "Meeting {code} is closed, and closing is final: it cannot be opened again.",
}


def _closed_refusal(m: Any, what: str, to: str) -> Any:
    """A redirect back with the reason flashed when ``m`` is closed, else None."""
    if m.state is not MeetingState.CLOSED:
        return None
    flash(CLOSED_REFUSALS[what].format(code=m.code), "error")
    return redirect(to, code=303 if request.method == "POST" else 302)
