"""Check: the arcade buttons' configuration, and with ``--buttons`` a real press on each pin."""

from __future__ import annotations

from dataclasses import fields

from kiosk.config import ButtonPins, Settings
from kiosk.doctor.base import Environment, Finding, Status
from kiosk.doctor.host import GROUND_PINS, pin_label


def check(env: Environment, settings: Settings) -> list[Finding]:
    mode = settings.hardware.buttons
    if mode == "none":
        return [Finding("buttons", Status.OK, "no buttons configured (touch and keyboard only)")]
    if mode == "simulated":
        return [
            Finding(
                "buttons",
                Status.WARN,
                "buttons are simulated (on-screen panel)",
                'For the arcade buttons set [hardware] buttons = "gpio".',
            )
        ]
    pins = {f.name: getattr(settings.buttons, f.name) for f in fields(ButtonPins)}
    listing = ", ".join(f"{name} {pin_label(pin)}" for name, pin in pins.items())
    if not env.options.buttons:
        return [Finding("buttons", Status.OK, f"configured: {listing} (add --buttons to test each one)")]
    if env.service_active("assembly-kiosk-web.service"):
        return [
            Finding(
                "buttons",
                Status.FAIL,
                "the kiosk web app is running and holds the button pins",
                "Stop it for the test (sudo systemctl stop assembly-kiosk-web), then start it again.",
            )
        ]
    return [_press(env, name, pin) for name, pin in pins.items()]


def _press(env: Environment, name: str, pin: int) -> Finding:
    from gpiozero import Button
    from gpiozero.exc import GPIOZeroError

    wiring = (
        f"Check the wires: one leg of the {name} button to {pin_label(pin)}, the other to a ground pin "
        f"(e.g. header pin {GROUND_PINS[1]}); check the pin number in [buttons] {name}."
    )
    try:
        button = Button(pin, pull_up=True, bounce_time=None)
    except (GPIOZeroError, OSError) as exc:
        return Finding(f"button {name}", Status.FAIL, f"cannot open {pin_label(pin)}: {exc}", wiring)
    try:
        if button.is_pressed:
            return Finding(
                f"button {name}",
                Status.FAIL,
                f"{pin_label(pin)} reads pressed before anyone pressed it (stuck button or a short to ground)",
                wiring,
            )
        env.prompt(name, pin)
        if button.wait_for_press(timeout=env.options.press_timeout):
            return Finding(f"button {name}", Status.OK, f"press seen on {pin_label(pin)}")
        return Finding(
            f"button {name}",
            Status.FAIL,
            f"no press seen on {pin_label(pin)} within {env.options.press_timeout:g} s",
            wiring,
        )
    finally:
        button.close()
