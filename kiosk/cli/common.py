"""What every ``kiosk`` command module shares: the exit status, JSON and file helpers, opening the tally, and the
shape of the ``command`` helper that registers a subcommand."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.errors import KioskError
from kiosk.tally import Tally

EXIT_ERROR = 1

Handler = Callable[[argparse.Namespace], int]
# command(subparsers, name, handler, help) -> the new subparser, with the common options (--config, -v)
CommandAdder = Callable[[Any, str, Handler, str], Any]


def print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2))


def read_file(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise KioskError(f"{path}: file not found") from None
    except UnicodeDecodeError:
        raise KioskError(f"{path}: not UTF-8 text (save the CSV as UTF-8)") from None
    except OSError as exc:
        raise KioskError(f"{path}: cannot read: {exc.strerror}") from None


def open_tally_for(args: argparse.Namespace) -> Tally:
    from kiosk.runtime import open_tally

    return open_tally(args.settings)


def output_flags(p: argparse.ArgumentParser, csv_too: bool = False) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument("--json", action="store_true", help="print JSON")
    if csv_too:
        group.add_argument("--csv", action="store_true", help="print CSV")
    p.set_defaults(csv=False)
