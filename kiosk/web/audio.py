"""The audio ballot's web side (issue 18): the rendered clips and their manifest for the kiosk page, and the
organizer's view of whether audio is ready.

* ``GET /kiosk/audio/manifest.json``: for the kiosk's current meeting, ``{"ready", "default_rate", "rates",
  "clips": {rate: {lang: {key: url}}}}``. The first time a voting meeting has no audio at all, it starts the
  background render (so a meeting opened with ``kiosk meeting open-voting`` gets audio too).
* ``GET /kiosk/audio/clip/<hash>.wav``: one clip. Clip names are hashes of generic text (the same "Yes
  selected." for everyone), served with a long cache lifetime; the page fetches every clip of its language and
  rate before the ballot speaks, so which clip plays is never visible as a request. (The kiosk listens on
  loopback anyway.)

Not part of the ``kiosk`` blueprint on purpose: these answers carry no session and may be cached.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, current_app, jsonify, send_file, url_for

from kiosk.audio.service import AudioBuilder
from kiosk.errors import DatabaseError, NotFound
from kiosk.tally import MeetingState

bp = Blueprint("kiosk_audio", __name__, url_prefix="/kiosk/audio")


def builder() -> AudioBuilder:
    return current_app.extensions["audio"]  # type: ignore[no-any-return]


@bp.get("/manifest.json")
def manifest() -> Any:
    from kiosk.web.kiosk.common import current_meeting, state

    b = builder()
    try:
        meeting = current_meeting()
    except (DatabaseError, NotFound):
        meeting = None
    if meeting is None or not b.settings.audio.enabled:
        return jsonify(ready=False, clips={}, rates=[], default_rate=b.settings.audio.default_rate)
    clips = b.clips(meeting.code)
    if not clips and meeting.state is MeetingState.VOTING_OPEN and b.status(meeting.code)["state"] == "none":
        tally = state().tally
        b.start(meeting.code, tally.planks(meeting.code), tally.contests(meeting.code), again=False)
    by_rate: dict[str, dict[str, dict[str, str]]] = {}
    for clip in clips:
        url = url_for("kiosk_audio.clip", name=clip["file"])
        by_rate.setdefault(str(clip["rate"]), {}).setdefault(clip["lang"], {})[clip["key"]] = url
    response = jsonify(
        ready=bool(by_rate),
        default_rate=b.settings.audio.default_rate,
        rates=sorted(int(r) for r in by_rate),
        clips=by_rate,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/clip/<name>")
def clip(name: str) -> Any:
    path = builder().clip_path(name)
    if path is None:
        abort(404)
    response = send_file(path, mimetype="audio/wav", max_age=7 * 24 * 3600, conditional=True)
    response.headers["Cache-Control"] = "private, max-age=604800, immutable"
    return response


def init_app(app: Flask, audio_builder: AudioBuilder) -> None:
    app.extensions["audio"] = audio_builder
    kiosk_state = app.extensions.get("kiosk")
    if kiosk_state is not None:  # a background render gives way to the kiosk's attendees (AudioBuilder.give_way)
        hub, sessions = kiosk_state.hub, kiosk_state.sessions

        def last_used() -> float | None:  # both on time.monotonic()
            return max((t for t in (hub.last_press_at(), sessions.last_used_at()) if t is not None), default=None)

        audio_builder.give_way.watch(last_used)
    app.register_blueprint(bp)
