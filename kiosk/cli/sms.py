"""``kiosk sms``: handle a text as the gateway would, queue invitations, reminders and texts, the gateway's status,
and the gateway daemon itself."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from functools import partial
from typing import Any

from kiosk.cli.common import CommandAdder, open_tally_for, output_flags, print_json
from kiosk.config import Settings
from kiosk.errors import KioskError, StateError
from kiosk.tally import MeetingState


def _gateway(args: argparse.Namespace) -> Any:
    from sms.gateway import Gateway

    settings: Settings = args.settings
    return Gateway(
        open_tally_for(args), organization=settings.organization.name, replies_per_hour=settings.sms.replies_per_hour
    )


def cmd_sms_receive(args: argparse.Namespace) -> int:
    import uuid

    from sms.backends import InboundText

    gateway = _gateway(args)
    received_at = gateway.tally.clock()  # the tally's clock, like every other moment it records
    handled = gateway.receive(InboundText(f"cli-{uuid.uuid4()}", args.sender, args.text, received_at))
    if args.json:
        print_json(handled.as_dict())
    else:
        print(handled.reply or "(no reply)")
    return 0


def _meeting_to_text(args: argparse.Namespace, tally: Any) -> Any:
    """The meeting named by --meeting (or None); its own invitation and reminder are refused once it is closed."""
    if args.text is None and args.meeting is None:
        raise KioskError("give --text, or --meeting CODE with --invite or --reminder")
    meeting = tally.meeting(args.meeting) if args.meeting else None
    if meeting is not None and args.text is None and meeting.state is MeetingState.CLOSED:
        raise StateError(
            f"meeting {meeting.code} is closed: its invitation and reminder can no longer be sent "
            "(--text sends a text of your own)"
        )
    return meeting


def _meeting_text_renderer(args: argparse.Namespace, gateway: Any, meeting: Any) -> Callable[..., str] | None:
    """The meeting's own invitation or reminder, by language; None for a text of your own (--text)."""
    if args.text is not None or meeting is None:
        return None
    return partial(gateway.reminder_text if args.reminder else gateway.invitation_text, meeting)


def _print_preview(body: str, phones: Any, recipients: Any) -> None:
    from sms.segments import segment_count

    segments = segment_count(body)
    print(body)
    print(
        f"{len(recipients)} recipients × {segments.segments} segment(s) ({segments.encoding}) = "
        f"{len(recipients) * segments.segments} segments; {len(phones) - len(recipients)} opted out and skipped"
    )


def cmd_sms_send(args: argparse.Namespace) -> int:
    gateway = _gateway(args)
    meeting = _meeting_to_text(args, gateway.tally)
    render = _meeting_text_renderer(args, gateway, meeting)
    body = args.text if render is None else render()
    audience = "to" if args.to else args.audience
    if audience == "yes" and meeting is None:
        raise KioskError("--audience yes needs --meeting CODE")
    code = meeting.code if meeting else None
    who = gateway.audience(audience, code, to=args.to)
    _print_preview(body, who.phones, who.texted)
    if not args.yes:
        print("nothing sent: add --yes to queue these texts")
        return 0
    kind = "reminder" if args.reminder else "invitation" if meeting is not None else "manual"
    # the same path as the organizer page: the same text (or --key) to the same audience is queued once; the
    # meeting's own invitation or reminder goes to each member in their language
    queued = gateway.queue_to_audience(
        body, kind=kind, audience=audience, meeting_code=code, to=args.to, name=args.key, render=render
    )
    print(f"queued {queued} texts (already-queued ones are never sent twice)")
    return 0


def cmd_sms_status(args: argparse.Namespace) -> int:
    from kiosk.device_status import device_statuses

    gateway = _gateway(args)
    info = {
        "backend": args.settings.sms.backend,
        "queue": gateway.queue_counts(),
        "devices": {k: v["summary"] for k, v in device_statuses(gateway.engine).items() if k.startswith("sms")},
        "inbox": len(gateway.inbox()),
    }
    if args.json:
        print_json(info)
    else:
        for key, value in info.items():
            print(f"{key}: {value}")
    return 0


def cmd_sms_run(args: argparse.Namespace) -> int:
    import threading

    from sms.daemon import install_signal_handlers, run_gateway
    from sms.factory import open_backend

    stop = threading.Event()
    install_signal_handlers(stop)
    from kiosk.backup import sqlite_path
    from kiosk.db_inuse import holding

    backend = open_backend(args.settings)
    with holding(sqlite_path(args.settings)):  # so `kiosk restore` refuses while the gateway runs
        print(f"SMS gateway running with the {backend.name} backend", flush=True)
        from kiosk.server import freeze_startup_objects

        freeze_startup_objects()  # what was imported lives as long as the daemon: no collection walks it
        run_gateway(args.settings, open_tally_for(args), backend, stop=stop)
    return 0


def add_commands(sub: Any, command: CommandAdder) -> None:
    sms = sub.add_parser("sms", help="texts: RSVPs, replies, reminders").add_subparsers(
        dest="sub", required=True, metavar="ACTION"
    )
    p = command(
        sms, "receive", cmd_sms_receive, "handle one inbound text exactly as the gateway would; print the reply"
    )
    p.add_argument("--from", dest="sender", required=True, metavar="PHONE")
    p.add_argument("text")
    output_flags(p)
    p = command(sms, "send", cmd_sms_send, "queue an invitation, a reminder or a text (shows recipients × segments)")
    p.add_argument("--meeting", metavar="CODE")
    kind = p.add_mutually_exclusive_group()
    kind.add_argument("--invite", action="store_true", help="the meeting's invitation (default with --meeting)")
    kind.add_argument("--reminder", action="store_true", help="the meeting's reminder, with plank titles")
    kind.add_argument("--text", help="your own text")
    p.add_argument("--to", metavar="PHONE", help="one number instead of a list")
    p.add_argument(
        "--audience",
        choices=("members", "yes"),
        default="members",
        help="members with a phone (default) or the meeting's YES RSVPs",
    )
    p.add_argument("--key", help="a name for this send, so repeating the command never texts anyone twice")
    p.add_argument("--yes", action="store_true", help="really queue the texts")
    p = command(sms, "status", cmd_sms_status, "the backend, the outbound queue and the inbox")
    output_flags(p)
    command(sms, "run", cmd_sms_run, "run the SMS gateway daemon (for systemd)")
