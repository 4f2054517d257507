"""Reading JSON files whose every complaint names the file and the key: RCTab configs and NIST CDF JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kiosk.rcv.model import RcvInputError


def read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise RcvInputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise RcvInputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise RcvInputError(f"{path}: line {exc.lineno}: malformed JSON: {exc.msg}") from exc


class JsonKeys:
    """Typed access to a JSON object that names the file and key path in every complaint."""

    def __init__(self, path: Path, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise RcvInputError(f"{path}: {where or 'the file'} must be a JSON object")
        self.path, self.data, self.where = path, data, where

    def key(self, name: str) -> str:
        return f"{self.where}.{name}" if self.where else name

    def fail(self, name: str, message: str) -> RcvInputError:
        return RcvInputError(f"{self.path}: key {self.key(name)}: {message}")

    def raw(self, name: str, default: Any = None) -> Any:
        return self.data.get(name, default)

    def text(self, name: str, default: str = "") -> str:
        value = self.data.get(name, default)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise self.fail(name, f"expected text, got {value!r}")
        return str(value).strip()

    def flag(self, name: str) -> bool:
        value = self.data.get(name, False)
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise self.fail(name, f"expected true or false, got {value!r}")

    def integer(self, name: str, *, low: int, high: int | None = None, blank: int | None = None) -> int | None:
        text = self.text(name)
        if text == "":
            if blank is None:
                raise self.fail(name, "is required")
            return None if blank == -1 else blank
        try:
            value = int(text)
        except ValueError:
            raise self.fail(name, f"expected a whole number, got {text!r}") from None
        if value < low or (high is not None and value > high):
            raise self.fail(name, f"{value} is out of range ({low}..{high if high is not None else 'any'})")
        return value

    def child(self, name: str) -> JsonKeys:
        return JsonKeys(self.path, self.data.get(name), self.key(name))

    def items(self, name: str) -> list[JsonKeys]:
        value = self.data.get(name)
        if not isinstance(value, list):
            raise self.fail(name, "expected a list")
        return [JsonKeys(self.path, item, f"{self.key(name)}[{i}]") for i, item in enumerate(value)]
