"""``kiosk platform``: the organization's platform (what closed meetings adopted, amended and repealed) as text,
JSON or CSV, in English or Spanish, on the receipt printer; and ``kiosk platform rebuild``."""

from __future__ import annotations

import argparse
from typing import Any

from kiosk import i18n
from kiosk.cli.common import CommandAdder, open_tally_for, print_json
from kiosk.config import Settings
from kiosk.receipts.wording import format_day
from kiosk.tally import PlatformPlank, PlatformState


def _describe(plank: PlatformPlank, lang: str) -> list[str]:
    adopted = plank.adopted
    lines = [
        i18n.translate(
            "platform_adopted",
            lang,
            meeting=f"{adopted.meeting_code} ({adopted.meeting_title})",
            date=format_day(adopted.date, lang),
            yes=adopted.yes,
            no=adopted.no,
            threshold=i18n.translate(f"platform_threshold_{adopted.threshold}", lang),
        )
    ]
    if plank.ended is not None:
        key = "platform_amended" if plank.state is PlatformState.AMENDED else "platform_repealed"
        ended = plank.ended
        lines.append(
            i18n.translate(key, lang, meeting=ended.meeting_code, date=format_day(ended.date, lang), by=ended.by_title)
        )
    return lines


def _print_text(planks: list[PlatformPlank], lang: str) -> None:
    current = [p for p in planks if p.state is PlatformState.CURRENT]
    ended = [p for p in planks if p.state is not PlatformState.CURRENT]
    print(i18n.translate("platform_title", lang))
    if not current:
        print(i18n.translate("platform_empty", lang))
    else:
        print(i18n.translate("platform_count_one" if len(current) == 1 else "platform_count", lang, n=len(current)))
    for heading, group in ((None, current), (i18n.translate("platform_history_title", lang), ended)):
        if heading and group:
            print(f"\n{heading}")
        for n, plank in enumerate(group, start=1):
            print(f"\n{n}. {plank.title_in(lang).text}")
            text = plank.text_in(lang).text
            for line in [text, *_describe(plank, lang)] if text else _describe(plank, lang):
                print(f"   {line}")


def cmd_platform(args: argparse.Namespace) -> int:
    from kiosk.platform_export import platform_csv, platform_document

    tally = open_tally_for(args)
    lang = args.lang
    if args.print:
        return _queue_tape(args, tally, lang or i18n.DEFAULT_LANGUAGE)
    if args.csv:
        print(platform_csv(tally, history=args.history), end="")
        return 0
    planks = tally.platform(history=args.history)
    if args.json:
        print_json(platform_document(planks, lang=lang))
    else:
        _print_text(planks, lang or i18n.DEFAULT_LANGUAGE)
    return 0


def _queue_tape(args: argparse.Namespace, tally: Any, lang: str) -> int:
    from kiosk.platform_export import platform_tape_job
    from kiosk.print_queue import PrintQueue

    settings: Settings = args.settings
    key, tape = platform_tape_job(
        tally,
        organization=settings.organization.name,
        columns=settings.printer.columns,
        printed_at=tally.clock(),
        language=lang,
    )
    if PrintQueue(tally.engine).submit("platform", key, tape.to_json()):
        print("the platform tape is queued for the printer")
    else:
        print("this platform tape is already queued; nothing has changed since")
    return 0


def cmd_platform_rebuild(args: argparse.Namespace) -> int:
    applied = open_tally_for(args).rebuild_platform(actor="cli")
    for code, changes in applied:
        print(
            f"meeting {code}: {len(changes.adopted)} adopted, {len(changes.amended)} amended, "
            f"{len(changes.repealed)} repealed"
        )
    if not applied:
        print("the platform already holds every closed meeting")
    return 0


def add_commands(sub: Any, command: CommandAdder) -> None:
    """``platform`` (show, export, print) and ``platform rebuild``."""
    p = command(sub, "platform", cmd_platform, "the platform: every plank adopted at a closed meeting and in force")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--json", action="store_true", help="print JSON")
    group.add_argument("--csv", action="store_true", help="print CSV (with --history, also planks no longer in force)")
    group.add_argument("--print", action="store_true", help="queue the platform as a receipt-printer tape")
    p.add_argument("--lang", choices=tuple(i18n.LANGUAGES), default=None, help="titles and texts in this language")
    p.add_argument("--history", action="store_true", help="also the amended and repealed planks, with what ended them")
    actions = p.add_subparsers(dest="platform_action", metavar="ACTION")
    command(actions, "rebuild", cmd_platform_rebuild, "add meetings closed before the platform existed (once each)")
