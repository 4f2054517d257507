"""``kiosk init``, ``config``, ``demo`` and ``serve``: the database, the configuration file and the web server."""

from __future__ import annotations

import argparse
from typing import Any

from kiosk.cli.common import CommandAdder, open_tally_for
from kiosk.config import Settings


def cmd_init(args: argparse.Namespace) -> int:
    tally = open_tally_for(args)
    # Meetings closed before the platform existed join it now (once; see kiosk.tally.platform).
    for code, changes in tally.rebuild_platform(actor="cli"):
        added = len(changes.adopted)
        print(f"platform: meeting {code} added {added} plank{'' if added == 1 else 's'}")
    print(f"database ready: {args.settings.database_display}")
    return 0


def cmd_config_template(args: argparse.Namespace) -> int:
    from kiosk.config import template

    print(template(), end="")
    return 0


def cmd_config_check(args: argparse.Namespace) -> int:
    settings: Settings = args.settings
    print(f"configuration OK ({settings.source}); database: {settings.database_display}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from kiosk.server import run_demo

    return run_demo(args.settings, port=args.port, host=args.host, organizer_port=args.organizer_port, reset=args.reset)


def cmd_serve(args: argparse.Namespace) -> int:
    from kiosk.server import run_server

    return run_server(args.settings, host=args.host, port=args.port, organizer_port=args.organizer_port)


def add_init_command(sub: Any, command: CommandAdder) -> None:
    command(sub, "init", cmd_init, "create or upgrade the database")


def add_commands(sub: Any, command: CommandAdder) -> None:
    """``config``, ``demo`` and ``serve``."""
    config = sub.add_parser("config", help="the configuration file").add_subparsers(
        dest="sub", required=True, metavar="ACTION"
    )
    command(config, "template", cmd_config_template, "print a documented configuration file with every default")
    command(config, "check", cmd_config_check, "validate the configuration")

    p = command(sub, "demo", cmd_demo, "run the kiosk with simulated hardware and a seeded demo meeting")
    p.add_argument("--port", type=int, default=None, help="the kiosk's port (default: [server] port, 8080)")
    p.add_argument(
        "--organizer-port", type=int, default=None, help="the organizer pages' port (default: [organizer] port, 8081)"
    )
    p.add_argument(
        "--reset",
        action="store_true",
        help="start over: delete the demo database first (a fresh demo meeting and organizer password)",
    )
    p.add_argument("--host", default="127.0.0.1", help=argparse.SUPPRESS)

    p = command(sub, "serve", cmd_serve, "run the kiosk web server with the configured hardware")
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None, help="the kiosk's port (default: [server] port)")
    p.add_argument(
        "--organizer-port", type=int, default=None, help="the organizer pages' port (default: [organizer] port)"
    )
