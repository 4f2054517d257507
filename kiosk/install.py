"""``kiosk install``: set up a Raspberry Pi to run the kiosk under systemd (and ``--uninstall`` to take it away).

What it does, as root, every step safe to repeat:

- creates the system user ``assembly-kiosk`` (groups gpio, dialout, lp: buttons, modem, printer) that runs the
  web app and the SMS gateway, and ``kiosk-screen`` (video, render, input) that runs Chromium, so the browser
  cannot read the tally database;
- creates the data folder (mode 0700, owned by the service user) and writes the configuration template to
  ``/etc/assembly-kiosk/kiosk.toml`` (0640, readable by the service user: it may hold the Twilio token) unless
  a configuration is there already (it is never overwritten);
- writes the units from ``systemd/*.in`` with this machine's paths (the venv's ``kiosk``), with device access
  derived from the configuration (GPIO only with ``buttons = "gpio"``, the printer's and the modem's devices),
  Chromium's managed policy and, for a USB printer, a udev rule; then enables them.

``--uninstall`` disables and removes the units, the policy and the udev rule, and never the data, the
configuration or the users. ``--root DIR`` writes into a directory instead of ``/`` (tests, image building):
users are then not created, ownership is not changed, and units are enabled with ``systemctl --root``.

This module plans and applies the steps; what the files say (units, policy, udev rule, template) and the
``Layout`` of paths are in ``kiosk.install_files`` (re-exported here).
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path, PurePosixPath

from kiosk.config import Settings
from kiosk.db import postgresql_driver_problem
from kiosk.install_files import (
    BACKUP,
    ENABLED,
    SCREEN,
    SCREEN_GROUPS,
    SERVICE_GROUPS,
    SMS,
    TARGET,
    TIMER,
    UNITS,
    WEB,
    InstallError,
    Layout,
    chromium_policy,
    config_text,
    effective_settings,
    render_units,
    screen_url,
    udev_rule,
)

__all__ = [
    "BACKUP",
    "ENABLED",
    "SCREEN",
    "SMS",
    "TARGET",
    "TIMER",
    "UNITS",
    "WEB",
    "InstallError",
    "Layout",
    "Step",
    "StepKind",
    "apply_step",
    "chromium_policy",
    "config_text",
    "layout_for",
    "plan_install",
    "plan_uninstall",
    "render_units",
    "run",
    "screen_url",
    "units_up_to_date",
]


class StepKind(StrEnum):
    MKDIR = "mkdir"
    WRITE = "write"
    REMOVE = "remove"
    RUN = "run"


@dataclass(frozen=True)
class Step:
    kind: StepKind
    path: PurePosixPath | None = None
    content: str | None = None
    mode: int | None = None
    owner: str | None = None  # "user" or "user:group"
    argv: tuple[str, ...] = ()
    why: str = ""
    skip_if: Callable[[], bool] | None = field(default=None, compare=False)

    def describe(self) -> str:
        if self.kind is StepKind.RUN:
            return f"run: {' '.join(self.argv)}" + (f"  ({self.why})" if self.why else "")
        extra = f" mode {self.mode:04o}" if self.mode is not None else ""
        extra += f" owner {self.owner}" if self.owner else ""
        what = {"mkdir": "create folder", "write": "write", "remove": "remove"}[self.kind]
        return f"{what} {self.path}{extra}" + (f"  ({self.why})" if self.why else "")


# --- planning --------------------------------------------------------------------------------------------


def _existing_groups(names: tuple[str, ...]) -> list[str]:
    out = []
    for name in names:
        try:
            grp.getgrnam(name)
        except KeyError:
            continue
        out.append(name)
    return out


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _checked_settings(layout: Layout) -> tuple[Settings, bool, Layout]:
    """The configuration to install for, whether it exists yet, and the layout with its data folder; refuses a
    configuration the services could not run with."""
    settings, have_config = effective_settings(layout)
    if have_config:
        if not PurePosixPath(settings.kiosk.data_dir).is_absolute():
            raise InstallError(
                f"{layout.config}: [kiosk] data_dir must be an absolute path for the services "
                f'(e.g. data_dir = "{layout.data}")'
            )
        layout = replace(layout, data=PurePosixPath(settings.kiosk.data_dir))
    if settings.database.url.strip().lower().startswith("postgresql"):
        problem = postgresql_driver_problem()
        if problem:  # the services would fail at every start; say so now, while someone is at the terminal
            raise InstallError(f"{layout.config}: [database] url is a PostgreSQL database, but {problem}")
    return settings, have_config, layout


def _user_steps(layout: Layout) -> list[Step]:
    """The two system users and their device groups (only on the real system)."""
    steps: list[Step] = []
    if layout.real:
        for user, home, groups, comment in [
            (layout.user, layout.data, SERVICE_GROUPS, "Assembly Kiosk"),
            (layout.screen_user, layout.screen_home, SCREEN_GROUPS, "Assembly Kiosk screen"),
        ]:
            steps.append(
                Step(
                    StepKind.RUN,
                    argv=(
                        "useradd",
                        "--system",
                        "--user-group",
                        "--home-dir",
                        str(home),
                        "--no-create-home",
                        "--shell",
                        "/usr/sbin/nologin",
                        "--comment",
                        comment,
                        user,
                    ),
                    why="the user the services run as",
                    skip_if=lambda u=user: _user_exists(u),  # type: ignore[misc]
                )
            )
            present = _existing_groups(groups)
            if present:
                steps.append(Step(StepKind.RUN, argv=("usermod", "--append", "--groups", ",".join(present), user)))
    return steps


def plan_install(layout: Layout, *, systemctl: bool = True) -> list[Step]:
    settings, have_config, layout = _checked_settings(layout)
    owner = f"{layout.user}:{layout.user}"
    steps = _user_steps(layout)
    steps.append(Step(StepKind.MKDIR, layout.data, mode=0o700, owner=owner, why="the database and state"))
    steps.append(
        Step(StepKind.MKDIR, layout.screen_home, mode=0o700, owner=f"{layout.screen_user}:{layout.screen_user}")
    )
    steps.append(Step(StepKind.MKDIR, layout.config.parent, mode=0o750, owner=f"root:{layout.user}"))
    if not have_config:
        steps.append(
            Step(StepKind.WRITE, layout.config, config_text(layout), 0o640, f"root:{layout.user}", why="edit me")
        )
    for name, text in render_units(settings, layout).items():
        steps.append(Step(StepKind.WRITE, layout.unit_dir / name, text, 0o644))
    policy = json.dumps(chromium_policy(settings), indent=2) + "\n"
    steps.append(Step(StepKind.MKDIR, layout.policy.parent, mode=0o755))
    steps.append(Step(StepKind.WRITE, layout.policy, policy, 0o644, why="Chromium shows only the kiosk"))
    rule = udev_rule(settings, layout)
    if rule:
        steps.append(Step(StepKind.WRITE, layout.udev_rule, rule, 0o644, why="USB printer access"))
        if layout.real:
            steps.append(Step(StepKind.RUN, argv=("udevadm", "control", "--reload-rules")))
            steps.append(Step(StepKind.RUN, argv=("udevadm", "trigger", "--subsystem-match=usb")))
    if systemctl:
        if layout.real:
            steps.append(Step(StepKind.RUN, argv=("systemctl", "daemon-reload")))
            steps.append(Step(StepKind.RUN, argv=("systemctl", "enable", *ENABLED)))
        else:
            steps.append(Step(StepKind.RUN, argv=("systemctl", f"--root={layout.root}", "enable", *ENABLED)))
    return steps


def plan_uninstall(layout: Layout, *, systemctl: bool = True) -> list[Step]:
    steps: list[Step] = []
    if systemctl:
        if layout.real:
            steps.append(Step(StepKind.RUN, argv=("systemctl", "disable", "--now", *UNITS)))
        else:
            steps.append(Step(StepKind.RUN, argv=("systemctl", f"--root={layout.root}", "disable", *UNITS)))
    for name in UNITS:
        steps.append(Step(StepKind.REMOVE, layout.unit_dir / name))
    steps.append(Step(StepKind.REMOVE, layout.policy))
    steps.append(Step(StepKind.REMOVE, layout.udev_rule))
    if systemctl and layout.real:
        steps.append(Step(StepKind.RUN, argv=("systemctl", "daemon-reload")))
    return steps


# --- applying --------------------------------------------------------------------------------------------


def _chown(layout: Layout, path: Path, owner: str | None) -> str:
    if not owner or not layout.real:
        return ""
    user, _, group = owner.partition(":")
    try:
        uid = pwd.getpwnam(user).pw_uid
        gid = grp.getgrnam(group or user).gr_gid
    except KeyError:
        return f" (owner {owner} does not exist yet)"
    st = path.stat()
    if (st.st_uid, st.st_gid) != (uid, gid):
        os.chown(path, uid, gid)
        return " (owner set)"
    return ""


def apply_step(step: Step, layout: Layout) -> str | None:
    """Do one step; a line saying what changed, or None when it was already so."""
    if step.kind is StepKind.RUN:
        return _run_command(step)
    assert step.path is not None
    path = layout.on_disk(step.path)
    if step.kind is StepKind.REMOVE:
        if not path.exists():
            return None
        path.unlink()
        return f"removed {step.path}"
    changed = _make_dir(step, path) if step.kind is StepKind.MKDIR else _write_file(step, path)
    if step.mode is not None and (path.stat().st_mode & 0o7777) != step.mode:
        os.chmod(path, step.mode)
        changed = True
    note = _chown(layout, path, step.owner)
    if changed or note:
        return f"{step.describe()}{note}"
    return None


def _run_command(step: Step) -> str | None:
    if step.skip_if is not None and step.skip_if():
        return None
    exe = shutil.which(step.argv[0])
    if exe is None:
        raise InstallError(f"{step.argv[0]} is not installed; cannot {step.describe()}")
    proc = subprocess.run([exe, *step.argv[1:]], capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise InstallError(f"`{' '.join(step.argv)}` failed: {(proc.stderr or proc.stdout).strip()}")
    return f"ran {' '.join(step.argv)}"


def _make_dir(step: Step, path: Path) -> bool:
    if path.is_dir():
        return False
    path.mkdir(parents=True, mode=step.mode or 0o755)
    return True


def _write_file(step: Step, path: Path) -> bool:
    """Write the step's content atomically (a temporary file renamed over), only when it differs."""
    assert step.content is not None
    if path.exists() and path.read_text(encoding="utf-8") == step.content:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.new")
    tmp.write_text(step.content, encoding="utf-8")
    os.chmod(tmp, step.mode or 0o644)
    tmp.replace(path)
    return True


def run(layout: Layout, *, uninstall: bool = False, dry_run: bool = False, systemctl: bool | None = None) -> list[str]:
    """Install (or uninstall) into ``layout``; returns the lines to print. ``systemctl`` None: use it if present."""
    if systemctl is None:
        systemctl = shutil.which("systemctl") is not None
    if not dry_run:
        _check_can_apply(layout, uninstall=uninstall)
    steps = plan_uninstall(layout, systemctl=systemctl) if uninstall else plan_install(layout, systemctl=systemctl)
    if dry_run:
        return ["would " + s.describe() for s in steps]
    lines = [line for s in steps if (line := apply_step(s, layout))]
    if not lines:
        lines = ["nothing to change: already installed" if not uninstall else "nothing to remove"]
    if uninstall:
        lines.append(f"kept: the data in {layout.data}, the configuration {layout.config} and the users")
    return lines


def _check_can_apply(layout: Layout, *, uninstall: bool) -> None:
    if layout.real and os.geteuid() != 0:
        raise InstallError("kiosk install changes the system: run it as root (sudo .venv/bin/kiosk install)")
    if not uninstall and not Path(layout.kiosk_exe).exists() and layout.real:
        raise InstallError(f"{layout.kiosk_exe} does not exist; run kiosk install from the venv's kiosk")


def layout_for(root: str | None, kiosk_exe: str | None = None) -> Layout:
    layout = Layout()
    if root:
        layout = replace(layout, root=Path(root))
    if kiosk_exe:
        layout = replace(layout, kiosk_exe=PurePosixPath(kiosk_exe))
    return layout


def units_up_to_date(settings: Settings, layout: Layout | None = None) -> list[str]:
    """Installed units that differ from what this configuration would write (for ``kiosk doctor``)."""
    layout = layout or Layout()
    stale = []
    for name, text in render_units(settings, layout).items():
        path = layout.on_disk(layout.unit_dir / name)
        if path.exists() and path.read_text(encoding="utf-8") != text:
            stale.append(name)
    return stale
