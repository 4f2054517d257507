"""Regenerate docs/configuration.md from the settings declared in kiosk/config.py."""

from pathlib import Path

from kiosk.config import _toml_value, documented_settings, template

ROOT = Path(__file__).resolve().parents[1]

lines = [
    "# Configuration",
    "",
    "One TOML file holds every setting; `kiosk demo` needs none. Pass it with `kiosk --config PATH ...` or set",
    "`KIOSK_CONFIG=PATH`. `KIOSK_DATABASE_URL` overrides `[database] url`. A bad file or an unknown key stops",
    "start-up with a message naming the file, the key and what is allowed. `kiosk config template` prints the",
    "file below; `kiosk config check` validates yours.",
    "",
    "| setting | default | what it does |",
    "| --- | --- | --- |",
]
for section, key, default, doc in documented_settings():
    shown = _toml_value(default)  # as it is written in the TOML file (false, not Python's False)
    lines.append(f"| `[{section}] {key}` | `{shown}` | {doc.replace('|', '/')} |")
lines += ["", "## The template", "", "```toml", template().rstrip(), "```", ""]
(ROOT / "docs" / "configuration.md").write_text("\n".join(lines), encoding="utf-8")
print("wrote docs/configuration.md")
