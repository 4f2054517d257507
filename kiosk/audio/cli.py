"""``kiosk audio build CODE [--json]``: render a meeting's audio ballot now (also done in the background when
voting opens). Prints ``[{"lang", "key", "file", "seconds", "rate", "wpm"}]`` with ``--json``, else a summary."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from hardware.speech import SpeechUnavailable
from kiosk.audio.service import AudioBuilder

EXIT_ERROR = 1


def cmd_audio_build(args: argparse.Namespace) -> int:
    from kiosk.runtime import open_tally

    tally = open_tally(args.settings)
    meeting = tally.meeting(args.code)
    builder = AudioBuilder(args.settings)
    try:
        result = builder.build(meeting.code, tally.planks(meeting.code), tally.contests(meeting.code))
    except SpeechUnavailable as exc:
        print(f"no audio ballot: {exc}", file=sys.stderr)
        return EXIT_ERROR
    files = builder.root / "clips"
    if args.json:
        rows = [{**asdict(c), "file": str(files / c.file)} for c in result.clips]
        print(json.dumps(rows, ensure_ascii=False, indent=1))
    else:
        print(builder.status(meeting.code)["message"])
        print(
            f"{len(result.clips)} clips ({result.synthesized} new), {result.seconds:.0f} s of speech, "
            f"rendered in {result.render_s:.1f} s, in {files}"
        )
    for problem in result.problems[:10]:
        print(f"problem: {problem}", file=sys.stderr)
    return EXIT_ERROR if not result.clips else 0
