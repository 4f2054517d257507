"""STAND-IN button panel: the agreed API on gpiozero, without debounce or stuck-button detection.

The real module (debounce, stuck buttons, a dispatcher thread) is written on the ``buttons`` branch and
replaces this file when merged. Only the API below is relied on by the kiosk pages.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

log = logging.getLogger(__name__)


class ButtonName(StrEnum):
    YES = "yes"
    NO = "no"
    ABSTAIN = "abstain"
    BACK = "back"
    CONFIRM = "confirm"


@dataclass(frozen=True)
class ButtonState:
    name: ButtonName
    pin: int
    pressed: bool
    stuck: bool
    lit: bool


class ButtonPanel(Protocol):
    def start(self, on_press: Callable[[ButtonName], None]) -> None: ...

    def set_lit(self, lit: Iterable[ButtonName]) -> None: ...

    def status(self) -> list[ButtonState]: ...

    def close(self) -> None: ...


class NoButtonPanel:
    """No buttons at all (``[hardware] buttons = "none"``)."""

    def start(self, on_press: Callable[[ButtonName], None]) -> None:
        pass

    def set_lit(self, lit: Iterable[ButtonName]) -> None:
        pass

    def status(self) -> list[ButtonState]:
        return []

    def close(self) -> None:
        pass


class GpioButtonPanel:
    def __init__(
        self,
        pins: Mapping[ButtonName, int],
        led_pins: Mapping[ButtonName, int],
        *,
        pin_factory: Any = None,
        **options: Any,
    ) -> None:
        from gpiozero import LED, Button

        self._pins = {ButtonName(k): v for k, v in pins.items()}
        self._lock = threading.Lock()
        self._on_press: Callable[[ButtonName], None] | None = None
        self._buttons = {name: Button(pin, pin_factory=pin_factory) for name, pin in self._pins.items()}
        self._leds = {ButtonName(name): LED(pin, pin_factory=pin_factory) for name, pin in led_pins.items()}
        for name, button in self._buttons.items():
            button.when_pressed = lambda _device=None, name=name: self._pressed(name)

    def _pressed(self, name: ButtonName) -> None:
        callback = self._on_press
        if callback is not None:
            callback(name)

    def start(self, on_press: Callable[[ButtonName], None]) -> None:
        self._on_press = on_press

    def set_lit(self, lit: Iterable[ButtonName]) -> None:
        wanted = {ButtonName(n) for n in lit}
        with self._lock:
            for name, led in self._leds.items():
                if name in wanted:
                    led.on()
                else:
                    led.off()

    def lit(self) -> set[ButtonName]:
        with self._lock:
            return {name for name, led in self._leds.items() if led.is_lit}

    def status(self) -> list[ButtonState]:
        lit = self.lit()
        return [
            ButtonState(name, self._pins[name], bool(b.is_pressed), False, name in lit)
            for name, b in self._buttons.items()
        ]

    def close(self) -> None:
        self._on_press = None
        for device in [*self._buttons.values(), *self._leds.values()]:
            device.close()


class SimulatedButtonPanel(GpioButtonPanel):
    """Mock pins (gpiozero MockFactory, one per panel so several panels can coexist in tests)."""

    def __init__(self, pins: Mapping[ButtonName, int], led_pins: Mapping[ButtonName, int], **options: Any) -> None:
        from gpiozero.pins.mock import MockFactory

        self._factory = MockFactory()
        super().__init__(pins, led_pins, pin_factory=self._factory)

    def press(self, name: ButtonName, hold_s: float = 0.0) -> None:
        pin = self._factory.pin(self._pins[ButtonName(name)])
        pin.drive_low()
        if hold_s:
            time.sleep(hold_s)
        pin.drive_high()


def open_button_panel(
    backend: str, pins: Mapping[ButtonName, int], led_pins: Mapping[ButtonName, int], **options: Any
) -> ButtonPanel:
    if backend == "none":
        return NoButtonPanel()
    if backend == "simulated":
        return SimulatedButtonPanel(pins, led_pins, **options)
    if backend == "gpio":
        return GpioButtonPanel(pins, led_pins, **options)
    raise ValueError(f"unknown button backend {backend!r}; use gpio, simulated or none")
