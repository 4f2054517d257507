"""The physical button panel: five arcade buttons with LEDs on GPIO, read with gpiozero.

Owns: the :class:`ButtonPanel` port and its three implementations (:class:`GpioButtonPanel` on real pins,
:class:`SimulatedButtonPanel` on gpiozero's ``MockFactory`` pins, :class:`NoButtonPanel` for touch/keyboard-only
kiosks), :func:`open_button_panel`, the default BCM pins, software debounce, hold and stuck handling, and the
button exceptions (root :class:`ButtonPanelError`).

Wiring (BCM numbers, see :data:`DEFAULT_BUTTON_PINS` / :data:`DEFAULT_LED_PINS`): each button between its pin
and ground, read with the Pi's internal pull-up (pressed = low); each LED from its pin through a resistor to
ground (lit = high). The defaults avoid I2C (2, 3), UART (14, 15), SPI0 (7-11) and the ID EEPROM pins (0, 1),
so a HAT or a serial modem/printer can share the header.

How a press travels: gpiozero calls our edge handler (on mock pins on the caller's thread, on a Pi on lgpio's
single callback thread). The handler only takes a lock, updates a few numbers and puts accepted presses on a
queue; one dispatcher thread per panel calls ``on_press`` in order, so a slow consumer never delays edge
handling (nor the other buttons). ``close()`` stops the dispatcher and releases every pin.

Time comes from an injectable monotonic ``clock``; ``wall_clock`` only turns those readings into datetimes for
:meth:`ButtonPanel.status`.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

log = logging.getLogger(__name__)


class ButtonName(StrEnum):
    YES = "yes"
    NO = "no"
    ABSTAIN = "abstain"
    BACK = "back"
    CONFIRM = "confirm"


DEFAULT_BUTTON_PINS: Mapping[ButtonName, int] = {
    ButtonName.YES: 17,
    ButtonName.NO: 27,
    ButtonName.ABSTAIN: 22,
    ButtonName.BACK: 23,
    ButtonName.CONFIRM: 24,
}
DEFAULT_LED_PINS: Mapping[ButtonName, int] = {
    ButtonName.YES: 5,
    ButtonName.NO: 6,
    ButtonName.ABSTAIN: 13,
    ButtonName.BACK: 19,
    ButtonName.CONFIRM: 26,
}
BACKENDS = ("gpio", "simulated", "none")

_STOP = object()


class ButtonPanelError(Exception):
    """Root of the button panel's errors."""


class ButtonConfigError(ButtonPanelError, ValueError):
    """Bad pins, names or backend: fix the settings."""


class ButtonPanelUnavailable(ButtonPanelError, OSError):
    """The GPIO pins could not be opened (no GPIO chip, pin in use by another device or process)."""


class ButtonPanelClosed(ButtonPanelError, RuntimeError):
    """The panel was used after close()."""


@dataclass(frozen=True)
class ButtonState:
    """What the organizer page shows for one button."""

    name: ButtonName
    pin: int
    last_press: datetime | None
    presses: int
    stuck: bool
    held_since: datetime | None
    led_pin: int | None = None
    lit: bool = False


@runtime_checkable
class ButtonPanel(Protocol):
    backend: str
    detail: str

    def start(self, on_press: Callable[[ButtonName], None]) -> None: ...
    def set_lit(self, lit: Iterable[ButtonName]) -> None: ...
    def status(self) -> list[ButtonState]: ...
    def close(self) -> None: ...


def _pin_map(pins: Mapping[Any, int], what: str) -> dict[ButtonName, int]:
    try:
        mapped = {ButtonName(str(k)): int(v) for k, v in pins.items()}
    except ValueError as exc:
        raise ButtonConfigError(f"{what}: {exc}; names are {', '.join(ButtonName)}") from None
    missing = [n.value for n in ButtonName if n not in mapped]
    if missing:
        raise ButtonConfigError(f"{what}: no pin for {', '.join(missing)}")
    bad = [p for p in mapped.values() if not 0 <= p <= 27]
    if bad:
        raise ButtonConfigError(f"{what}: pins are BCM numbers 0-27, got {bad}")
    return mapped


def _names(lit: Iterable[ButtonName | str]) -> frozenset[ButtonName]:
    try:
        return frozenset(ButtonName(str(n)) for n in lit)
    except ValueError as exc:
        raise ButtonConfigError(f"{exc}; names are {', '.join(ButtonName)}") from None


@dataclass
class _Line:
    """Mutable per-button state, guarded by the panel's lock. Times are ``clock()`` readings."""

    name: ButtonName
    pin: int
    last_edge: float | None = None
    last_press: float | None = None
    presses: int = 0
    down_since: float | None = None
    stuck: bool = False


class GpioButtonPanel:
    """The real panel: gpiozero input devices and LEDs on ``pin_factory`` (gpiozero's default when None).

    Debounce (our own; gpiozero's ``bounce_time`` is ignored by the mock and untrustworthy on a Pi): a falling
    edge (press) is accepted *at once* when the line had no edge of either kind in the previous ``debounce_s``;
    edges inside that window only move the window on. Accepting the first edge costs no latency (the page
    updates within a millisecond of the contact closing) where waiting for the line to settle would add the
    whole ``debounce_s`` to every press; counting release edges too means the bounce of a *release* cannot
    pass for a new press. The price: a press within ``debounce_s`` of a release is lost (no human is that quick)
    and a lone noise spike counts as a press (short wires and the pull-up make that rare).
    """

    backend = "gpio"

    def __init__(
        self,
        pins: Mapping[ButtonName, int] = DEFAULT_BUTTON_PINS,
        led_pins: Mapping[ButtonName, int] | None = DEFAULT_LED_PINS,
        *,
        pin_factory: Any = None,
        debounce_s: float = 0.05,
        stuck_after_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        stuck_sweep_s: float = 1.0,
    ) -> None:
        if debounce_s < 0 or stuck_after_s <= 0 or stuck_sweep_s <= 0:
            raise ButtonConfigError("debounce_s must be >= 0, stuck_after_s and stuck_sweep_s > 0")
        self._pins = _pin_map(pins, "button pins")
        self._led_pins = _pin_map(led_pins, "LED pins") if led_pins is not None else None
        used = list(self._pins.values()) + list((self._led_pins or {}).values())
        if len(set(used)) != len(used):
            raise ButtonConfigError(f"each pin may be used only once, got {sorted(used)}")
        self._factory = pin_factory
        self._debounce_s = debounce_s
        self._stuck_after_s = stuck_after_s
        # Stuck buttons are noticed on every edge of any button, in status(), and by the idle dispatcher every
        # stuck_sweep_s real seconds (a timed wait on its queue, not a busy loop), so a stuck button is logged
        # even when nothing else happens and nobody looks at the organizer page.
        self._stuck_sweep_s = stuck_sweep_s
        self._clock = clock
        self._wall_clock = wall_clock
        self._lock = threading.Lock()
        self._lines = {n: _Line(n, p) for n, p in self._pins.items()}
        self._lit: frozenset[ButtonName] = frozenset()
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._on_press: Callable[[ButtonName], None] | None = None
        self._dispatcher: threading.Thread | None = None
        self._closed = False
        self._buttons: dict[ButtonName, Any] = {}
        self._leds: dict[ButtonName, Any] = {}
        self._open_devices()
        self.detail = f"{len(self._buttons)} buttons on BCM pins {sorted(self._pins.values())}" + (
            f", LEDs on {sorted(self._led_pins.values())}" if self._led_pins else ", no LEDs"
        )

    def _open_devices(self) -> None:
        from gpiozero import LED, DigitalInputDevice, GPIOZeroError

        try:
            for name, pin in self._pins.items():
                # Not gpiozero's Button: its hold machinery runs one polling thread per button (5 threads waking
                # every 0.1 s on a Pi, and close() waits for each) and we need none of it. bounce_time=None:
                # debounce is ours (see the class docstring).
                self._buttons[name] = DigitalInputDevice(pin, pull_up=True, bounce_time=None, pin_factory=self._factory)
            for name, pin in (self._led_pins or {}).items():
                self._leds[name] = LED(pin, initial_value=False, pin_factory=self._factory)
        except (GPIOZeroError, OSError, RuntimeError) as exc:
            self._close_devices()
            raise ButtonPanelUnavailable(f"cannot open the button panel's GPIO pins: {exc}") from exc

    # -- the port ---------------------------------------------------------------------------------------------

    def start(self, on_press: Callable[[ButtonName], None]) -> None:
        with self._lock:
            self._check_open()
            if self._on_press is not None:
                raise ButtonPanelError("the button panel is already started")
            self._on_press = on_press
            now = self._clock()
            for name, button in self._buttons.items():
                if button.is_active:  # held (or shorted) since before start(): not a press, may become stuck
                    self._lines[name].down_since = now
                    self._lines[name].last_edge = now
            self._dispatcher = threading.Thread(target=self._dispatch, name="button-dispatch", daemon=True)
            self._dispatcher.start()
        for name, button in self._buttons.items():
            button.when_activated = self._edge_handler(name, True)
            button.when_deactivated = self._edge_handler(name, False)

    def set_lit(self, lit: Iterable[ButtonName]) -> None:
        wanted = _names(lit)
        with self._lock:
            self._check_open()
            if wanted == self._lit:
                return
            # Only the LEDs that change are written: on a Pi every write is a system call.
            for name in wanted ^ self._lit:
                led = self._leds.get(name)
                if led is not None:
                    led.value = name in wanted
            self._lit = wanted

    def status(self) -> list[ButtonState]:
        with self._lock:
            now = self._clock()
            wall = self._wall_clock()
            self._sweep_stuck(now)

            def when(t: float | None) -> datetime | None:
                return None if t is None else wall - timedelta(seconds=now - t)

            return [
                ButtonState(
                    name=line.name,
                    pin=line.pin,
                    last_press=when(line.last_press),
                    presses=line.presses,
                    stuck=line.stuck,
                    held_since=when(line.down_since),
                    led_pin=(self._led_pins or {}).get(line.name),
                    lit=line.name in self._lit,
                )
                for line in self._lines.values()
            ]

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            dispatcher = self._dispatcher
        self._close_devices()
        if dispatcher is not None:
            self._queue.put(_STOP)
            if dispatcher is not threading.current_thread():
                dispatcher.join(timeout=5.0)
                if dispatcher.is_alive():
                    log.warning("button dispatcher still busy in on_press after close(); left to finish")

    def __enter__(self) -> GpioButtonPanel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- edges ------------------------------------------------------------------------------------------------

    def _edge_handler(self, name: ButtonName, pressed: bool) -> Callable[[], None]:
        def handler() -> None:
            self._edge(name, pressed)

        return handler

    def _edge(self, name: ButtonName, pressed: bool) -> None:
        """Runs on gpiozero's callback thread: keep it tiny."""
        with self._lock:
            if self._closed:
                return
            now = self._clock()
            line = self._lines[name]
            quiet = line.last_edge is None or now - line.last_edge >= self._debounce_s
            line.last_edge = now
            if pressed:
                if line.down_since is None:
                    line.down_since = now
                accept = quiet and not line.stuck
                if accept:
                    line.presses += 1
                    line.last_press = now
                    self._queue.put(name)
            else:
                line.down_since = None
                if line.stuck:
                    line.stuck = False
                    log.info("button %s (BCM %d) released: no longer stuck", name, line.pin)
            self._sweep_stuck(now)

    def _sweep_stuck(self, now: float) -> None:
        """Mark (and log, once) buttons held longer than stuck_after_s. Call with the lock held."""
        for line in self._lines.values():
            if line.down_since is not None and not line.stuck and now - line.down_since >= self._stuck_after_s:
                line.stuck = True
                log.warning(
                    "button %s (BCM %d) held down for %.0f s: reported stuck, its presses ignored until released",
                    line.name,
                    line.pin,
                    now - line.down_since,
                )

    def _dispatch(self) -> None:
        on_press = self._on_press
        assert on_press is not None
        while True:
            try:
                item = self._queue.get(timeout=self._stuck_sweep_s)
            except queue.Empty:
                with self._lock:
                    if not self._closed:
                        self._sweep_stuck(self._clock())
                continue
            if item is _STOP:
                return
            try:
                on_press(item)  # type: ignore[arg-type]
            except Exception:
                log.exception("on_press failed for button %s; later presses still delivered", item)

    # -- helpers ----------------------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise ButtonPanelClosed("the button panel is closed")

    def _close_devices(self) -> None:
        for led in self._leds.values():
            # A closed line keeps its level on some chips: leave no LED lit behind a closed panel.
            try:
                led.off()
            except Exception:
                log.exception("turning %r off failed", led)
        for device in [*self._buttons.values(), *self._leds.values()]:
            try:
                device.close()
            except Exception:  # closing must release the rest even if one pin misbehaves
                log.exception("closing %r failed", device)
        self._buttons.clear()
        self._leds.clear()


class SimulatedButtonPanel(GpioButtonPanel):
    """The same panel on gpiozero's mock pins (a fresh ``MockFactory`` unless one is given), for demos and tests."""

    backend = "simulated"

    def __init__(
        self,
        pins: Mapping[ButtonName, int] = DEFAULT_BUTTON_PINS,
        led_pins: Mapping[ButtonName, int] | None = DEFAULT_LED_PINS,
        *,
        pin_factory: Any = None,
        **options: Any,
    ) -> None:
        if pin_factory is None:
            from gpiozero.pins.mock import MockFactory

            pin_factory = MockFactory()
        super().__init__(pins, led_pins, pin_factory=pin_factory, **options)
        self.detail = "simulated " + self.detail

    def hold(self, name: ButtonName) -> None:
        """Close the contact (drive the mock pin low) and leave it closed."""
        self._mock_pin(name).drive_low()

    def release(self, name: ButtonName) -> None:
        """Open the contact (drive the mock pin high)."""
        self._mock_pin(name).drive_high()

    def press(self, name: ButtonName, hold_s: float = 0.0) -> None:
        """Press and release, holding ``hold_s`` real seconds in between."""
        self.hold(name)
        try:
            if hold_s > 0:
                time.sleep(hold_s)
        finally:
            self.release(name)

    def lit(self) -> set[ButtonName]:
        """The LEDs whose mock pins are high."""
        self._check_open()
        return {n for n, p in (self._led_pins or {}).items() if self._factory.pin(p).state}

    def _mock_pin(self, name: ButtonName) -> Any:
        self._check_open()
        return self._factory.pin(self._pins[ButtonName(name)])


class NoButtonPanel:
    """A kiosk without physical buttons (touch and keyboard only): no presses, no LEDs, an empty status."""

    backend = "none"
    detail = "no physical buttons: voting by touch and keyboard only"

    def start(self, on_press: Callable[[ButtonName], None]) -> None:
        log.info("no button panel configured: %s", self.detail)

    def set_lit(self, lit: Iterable[ButtonName]) -> None:
        _names(lit)

    def status(self) -> list[ButtonState]:
        return []

    def close(self) -> None:
        pass


def open_button_panel(
    backend: str,
    pins: Mapping[ButtonName, int] = DEFAULT_BUTTON_PINS,
    led_pins: Mapping[ButtonName, int] | None = DEFAULT_LED_PINS,
    **options: Any,
) -> ButtonPanel:
    """Open the panel named by the ``[hardware] buttons`` setting: ``gpio``, ``simulated`` or ``none``.

    ``options`` go to the panel (``debounce_s``, ``stuck_after_s``, ``clock``, ``pin_factory``, ...).
    """
    if backend == "gpio":
        return GpioButtonPanel(pins, led_pins, **options)
    if backend == "simulated":
        return SimulatedButtonPanel(pins, led_pins, **options)
    if backend == "none":
        return NoButtonPanel()
    raise ButtonConfigError(f"unknown button panel {backend!r}: use one of {', '.join(BACKENDS)}")
