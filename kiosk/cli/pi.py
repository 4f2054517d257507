"""Running on a Pi: ``kiosk install``, ``doctor``, ``backup`` and ``restore`` (kiosk/install.py, doctor/,
backup.py)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from kiosk.cli.common import EXIT_ERROR, CommandAdder


def cmd_install(args: argparse.Namespace) -> int:
    from kiosk.install import layout_for, run

    systemctl = False if args.no_systemctl else None
    for line in run(
        layout_for(args.root, args.kiosk_exe), uninstall=args.uninstall, dry_run=args.dry_run, systemctl=systemctl
    ):
        print(line)
    if not args.uninstall and not args.dry_run:
        print("next: edit /etc/assembly-kiosk/kiosk.toml, then `sudo systemctl start assembly-kiosk.target`")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from kiosk.doctor import Doctor, Options, failed, format_report, report_json

    options = Options(print_test=args.print_test, buttons=args.buttons, online=args.online)
    findings = Doctor(options).run(getattr(args, "config", None))
    print(report_json(findings) if args.json else format_report(findings))
    return EXIT_ERROR if failed(findings) else 0


def cmd_backup(args: argparse.Namespace) -> int:
    from kiosk.backup import backup_database

    result = backup_database(args.settings, Path(args.folder) if args.folder else None)
    print(f"backed up to {result.backup.path} ({result.backup.size} bytes, {result.seconds:.2f} s)")
    for path in result.deleted:
        print(f"deleted old backup {path}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from kiosk.backup import restore_database

    kept = restore_database(args.settings, Path(args.file), force=args.force)
    print(f"restored {args.file}; the replaced database is kept as {kept}" if kept else f"restored {args.file}")
    print("check it: `kiosk audit verify` and `kiosk meeting list`; then start the kiosk again")
    return 0


def add_commands(sub: Any, command: CommandAdder) -> None:
    p = command(sub, "install", cmd_install, "set up this Raspberry Pi: user, data folder, systemd units (as root)")
    p.add_argument("--dry-run", action="store_true", help="print what would be done and change nothing")
    p.add_argument("--uninstall", action="store_true", help="remove the units (never the data or configuration)")
    p.add_argument("--root", metavar="DIR", help="install into DIR instead of / (for tests and image building)")
    p.add_argument("--no-systemctl", action="store_true", help="write the units but do not enable them")
    p.add_argument("--kiosk-exe", metavar="PATH", help=argparse.SUPPRESS)
    p = command(sub, "doctor", cmd_doctor, "check configuration, database, disk, printer, buttons, SMS and clock")
    p.add_argument("--print-test", action="store_true", help="print a test page")
    p.add_argument("--buttons", action="store_true", help="ask for a press of each button")
    p.add_argument("--online", action="store_true", help="call the Twilio API to check the credentials")
    p.add_argument("--json", action="store_true", help="print JSON")
    p = command(sub, "backup", cmd_backup, "copy the database to the backup folder (consistent while running)")
    p.add_argument("--folder", metavar="DIR", help="another folder, e.g. a USB stick (default: [backup] folder)")
    p = command(sub, "restore", cmd_restore, "put a backup in place of the database (keeps the replaced one)")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--force", action="store_true", help="restore even though the kiosk service is running")
