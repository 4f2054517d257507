"""``kiosk audio``: the audio ballot (its handlers live with it, in ``kiosk.audio.cli``)."""

from __future__ import annotations

from typing import Any

from kiosk.cli.common import CommandAdder, output_flags


def add_commands(sub: Any, command: CommandAdder) -> None:
    from kiosk.audio.cli import cmd_audio_build

    audio_cmd = sub.add_parser("audio", help="the audio ballot (headphones)").add_subparsers(
        dest="sub", required=True, metavar="ACTION"
    )
    p = command(audio_cmd, "build", cmd_audio_build, "render a meeting's audio ballot now (espeak-ng, offline)")
    p.add_argument("code")
    output_flags(p)
