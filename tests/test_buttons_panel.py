"""The button panel on gpiozero's MockFactory pins: presses, debounce, holds, stuck buttons, LEDs, threads, close."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from gpiozero import Button
from gpiozero.pins.mock import MockFactory

from hardware.buttons import (
    BACKENDS,
    DEFAULT_BUTTON_PINS,
    DEFAULT_LED_PINS,
    ButtonConfigError,
    ButtonName,
    ButtonPanel,
    ButtonPanelClosed,
    ButtonPanelUnavailable,
    GpioButtonPanel,
    NoButtonPanel,
    SimulatedButtonPanel,
    open_button_panel,
)

WAIT_S = 5.0


class Tick:
    """A monotonic clock that tests move by hand (thread-safe reads)."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


class Presses:
    """Collects on_press calls; waits (bounded) for a number of them."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.names: list[ButtonName] = []
        self.threads: set[int] = set()
        self.delay_s = delay_s
        self._cond = threading.Condition()

    def __call__(self, name: ButtonName) -> None:
        if self.delay_s:
            time.sleep(self.delay_s)
        with self._cond:
            self.names.append(name)
            self.threads.add(threading.get_ident())
            self._cond.notify_all()

    def wait_for(self, count: int, timeout: float = WAIT_S) -> list[ButtonName]:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.names) >= count, timeout), (count, self.names)
            return list(self.names)

    def settle(self, expected: int) -> list[ButtonName]:
        """Wait for ``expected`` presses, then a little more to catch any extra one."""
        got = self.wait_for(expected)
        time.sleep(0.05)
        with self._cond:
            assert len(self.names) == expected, self.names
            return got


@pytest.fixture(autouse=True)
def no_stray_dispatchers() -> Iterator[None]:
    yield
    assert [t for t in threading.enumerate() if t.name == "button-dispatch"] == []


@pytest.fixture
def tick() -> Tick:
    return Tick()


@pytest.fixture
def factory() -> Iterator[MockFactory]:
    f = MockFactory()
    yield f
    f.reset()


@pytest.fixture
def panel(factory: MockFactory, tick: Tick) -> Iterator[SimulatedButtonPanel]:
    p = SimulatedButtonPanel(pin_factory=factory, clock=tick, wall_clock=lambda: datetime(2026, 12, 1, tzinfo=UTC))
    yield p
    p.close()


def started(panel: SimulatedButtonPanel, presses: Presses | None = None) -> Presses:
    presses = presses or Presses()
    panel.start(presses)
    return presses


def test_one_press_per_button_reaches_on_press_with_its_name(panel: SimulatedButtonPanel, tick: Tick) -> None:
    presses = started(panel)
    for name in ButtonName:
        panel.press(name)
        tick.advance(0.2)
    assert presses.settle(5) == list(ButtonName)
    assert threading.get_ident() not in presses.threads  # on the dispatcher, not gpiozero's thread
    by_name = {s.name: s for s in panel.status()}
    assert all(by_name[n].presses == 1 and not by_name[n].stuck and by_name[n].held_since is None for n in ButtonName)
    assert by_name[ButtonName.YES].pin == 17 and by_name[ButtonName.YES].led_pin == 5


def test_leds_follow_set_lit_exactly(panel: SimulatedButtonPanel, factory: MockFactory) -> None:
    assert panel.lit() == set()
    panel.set_lit([ButtonName.YES, ButtonName.CONFIRM])
    assert panel.lit() == {ButtonName.YES, ButtonName.CONFIRM}
    assert factory.pin(5).state and factory.pin(26).state and not factory.pin(6).state
    panel.set_lit({ButtonName.NO})
    assert panel.lit() == {ButtonName.NO}
    panel.set_lit({ButtonName.NO})  # idempotent
    assert panel.lit() == {ButtonName.NO}
    panel.set_lit(["back"])  # plain strings are accepted too
    assert panel.lit() == {ButtonName.BACK}
    assert {s.name for s in panel.status() if s.lit} == {ButtonName.BACK}
    panel.set_lit([])
    assert panel.lit() == set()
    with pytest.raises(ButtonConfigError, match="names are yes, no, abstain, back, confirm"):
        panel.set_lit(["maybe"])


def test_set_lit_writes_only_changed_leds(panel: SimulatedButtonPanel, factory: MockFactory) -> None:
    panel.set_lit({ButtonName.YES})
    factory.pin(5).clear_states()
    factory.pin(6).clear_states()
    for _ in range(100):
        panel.set_lit({ButtonName.YES})
    panel.set_lit({ButtonName.YES, ButtonName.NO})
    assert len(factory.pin(5).states) == 1  # untouched (clear_states keeps the current state only)
    assert len(factory.pin(6).states) == 2


def test_bouncing_contact_gives_one_press(panel: SimulatedButtonPanel, tick: Tick) -> None:
    presses = started(panel)
    pin = ButtonName.YES
    # Five falling edges (with their rising edges) within 10 ms, then the contact settles closed.
    for _ in range(5):
        panel.hold(pin)
        tick.advance(0.001)
        panel.release(pin)
        tick.advance(0.001)
    panel.hold(pin)
    tick.advance(0.1)
    panel.release(pin)
    # ...and the release bounces too: not a new press either.
    tick.advance(0.002)
    panel.hold(pin)
    tick.advance(0.002)
    panel.release(pin)
    assert presses.settle(1) == [ButtonName.YES]


def test_two_deliberate_presses_200ms_apart_give_two(panel: SimulatedButtonPanel, tick: Tick) -> None:
    presses = started(panel)
    panel.press(ButtonName.NO)
    tick.advance(0.2)
    panel.press(ButtonName.NO)
    assert presses.settle(2) == [ButtonName.NO, ButtonName.NO]


def test_debounce_is_per_button(panel: SimulatedButtonPanel, tick: Tick) -> None:
    presses = started(panel)
    panel.press(ButtonName.YES)
    tick.advance(0.001)
    panel.press(ButtonName.CONFIRM)  # a different button 1 ms later is its own press
    assert presses.settle(2) == [ButtonName.YES, ButtonName.CONFIRM]


def test_held_button_gives_one_press_then_stuck_and_others_still_work(
    panel: SimulatedButtonPanel, tick: Tick, caplog: pytest.LogCaptureFixture
) -> None:
    presses = started(panel)
    panel.hold(ButtonName.ABSTAIN)
    assert presses.wait_for(1) == [ButtonName.ABSTAIN]
    tick.advance(4.9)
    state = {s.name: s for s in panel.status()}[ButtonName.ABSTAIN]
    assert not state.stuck and state.held_since == datetime(2026, 12, 1, tzinfo=UTC) - timedelta(seconds=4.9)
    with caplog.at_level(logging.WARNING, logger="hardware.buttons"):
        tick.advance(5.1)  # held 10 s
        assert {s.name: s.stuck for s in panel.status()} == {n: n is ButtonName.ABSTAIN for n in ButtonName}
        panel.status()
        tick.advance(0.5)
        panel.press(ButtonName.YES)  # another button works (and a sweep on its edge logs nothing new)
        tick.advance(0.5)
        panel.press(ButtonName.NO)
    assert sum("stuck" in r.getMessage() for r in caplog.records) == 1  # logged once
    assert presses.wait_for(3) == [ButtonName.ABSTAIN, ButtonName.YES, ButtonName.NO]

    tick.advance(1.0)
    panel.release(ButtonName.ABSTAIN)
    state = {s.name: s for s in panel.status()}[ButtonName.ABSTAIN]
    assert not state.stuck and state.held_since is None and state.presses == 1
    tick.advance(0.2)
    panel.press(ButtonName.ABSTAIN)  # works again after release
    assert presses.settle(4)[-1] == ButtonName.ABSTAIN


def test_stuck_is_noticed_on_another_buttons_edge(panel: SimulatedButtonPanel, tick: Tick) -> None:
    presses = started(panel)
    panel.hold(ButtonName.BACK)
    tick.advance(6.0)
    panel.press(ButtonName.YES)
    presses.wait_for(2)
    assert panel._lines[ButtonName.BACK].stuck  # set by the YES edge, before anyone asked for status()


def test_idle_dispatcher_notices_and_logs_a_stuck_button(
    factory: MockFactory, tick: Tick, caplog: pytest.LogCaptureFixture
) -> None:
    with SimulatedButtonPanel(pin_factory=factory, clock=tick, stuck_sweep_s=0.005) as panel:
        presses = started(panel)
        with caplog.at_level(logging.WARNING, logger="hardware.buttons"):
            panel.hold(ButtonName.CONFIRM)
            presses.wait_for(1)
            tick.advance(5.0)
            deadline = time.monotonic() + WAIT_S
            while not any("stuck" in r.getMessage() for r in caplog.records):
                assert time.monotonic() < deadline, "the idle sweep never noticed the stuck button"
                time.sleep(0.005)
            time.sleep(0.05)  # several more sweeps: still logged once
        assert sum("stuck" in r.getMessage() for r in caplog.records) == 1
        assert "CONFIRM" in caplog.records[0].getMessage().upper()


def test_stuck_button_chattering_while_held_stays_ignored(panel: SimulatedButtonPanel, tick: Tick) -> None:
    presses = started(panel)
    panel.hold(ButtonName.YES)
    tick.advance(6.0)
    assert {s.name: s for s in panel.status()}[ButtonName.YES].stuck
    # gpiozero reports only real level changes; a second "press" without a release is no edge at all.
    panel.hold(ButtonName.YES)
    assert presses.settle(1) == [ButtonName.YES]


def test_button_held_before_start_is_not_a_press_and_can_become_stuck(factory: MockFactory, tick: Tick) -> None:
    with SimulatedButtonPanel(pin_factory=factory, clock=tick) as panel:
        panel.hold(ButtonName.YES)  # before start(): no callback is attached yet
        presses = started(panel)
        tick.advance(5.0)
        assert {s.name: s for s in panel.status()}[ButtonName.YES].stuck
        tick.advance(1.0)
        panel.release(ButtonName.YES)
        tick.advance(1.0)
        panel.press(ButtonName.YES)
        assert presses.settle(1) == [ButtonName.YES]


def test_slow_consumer_loses_and_reorders_nothing(panel: SimulatedButtonPanel, tick: Tick) -> None:
    presses = started(panel, Presses(delay_s=0.03))
    sequence = [list(ButtonName)[i % 5] for i in range(20)]
    t0 = time.perf_counter()
    for name in sequence:
        panel.press(name)
        tick.advance(0.1)
    assert time.perf_counter() - t0 < 0.3  # pressing never waited for the slow consumer (20 x 30 ms)
    assert presses.settle(20) == sequence


def test_on_press_exception_does_not_stop_later_presses(
    panel: SimulatedButtonPanel, tick: Tick, caplog: pytest.LogCaptureFixture
) -> None:
    got: list[ButtonName] = []
    done = threading.Event()

    def on_press(name: ButtonName) -> None:
        got.append(name)
        if name is ButtonName.YES:
            raise RuntimeError("consumer bug")
        done.set()

    panel.start(on_press)
    with caplog.at_level(logging.ERROR, logger="hardware.buttons"):
        panel.press(ButtonName.YES)
        tick.advance(0.1)
        panel.press(ButtonName.NO)
        assert done.wait(WAIT_S)
    assert got == [ButtonName.YES, ButtonName.NO]
    assert any("on_press failed" in r.getMessage() for r in caplog.records)


def test_concurrent_presses_from_threads_all_arrive(factory: MockFactory) -> None:
    # Real clock, no debounce window: every thread hammers its own button as fast as it can.
    panel = SimulatedButtonPanel(pin_factory=factory, debounce_s=0.0, stuck_after_s=60.0)
    presses = started(panel)
    per_button = 200
    barrier = threading.Barrier(len(ButtonName))

    def hammer(name: ButtonName) -> None:
        barrier.wait(timeout=WAIT_S)
        for _ in range(per_button):
            panel.press(name)

    threads = [threading.Thread(target=hammer, args=(n,)) for n in ButtonName]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=WAIT_S)
    got = presses.settle(per_button * len(ButtonName))
    panel.close()
    assert {n: got.count(n) for n in ButtonName} == dict.fromkeys(ButtonName, per_button)
    assert all(s.presses == per_button for s in panel.status())


def test_set_lit_and_presses_from_many_threads(panel: SimulatedButtonPanel) -> None:
    started(panel)
    names = list(ButtonName)
    errors: list[BaseException] = []

    def flip(i: int) -> None:
        try:
            for j in range(200):
                panel.set_lit({names[(i + j) % 5]})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=flip, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=WAIT_S)
    assert errors == []
    panel.set_lit({ButtonName.BACK})
    assert panel.lit() == {ButtonName.BACK}


def _panel_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "button-dispatch"]


def test_close_releases_pins_and_stops_the_dispatcher(factory: MockFactory, tick: Tick) -> None:
    before = len(_panel_threads())
    panel = SimulatedButtonPanel(pin_factory=factory, clock=tick)
    started(panel)
    panel.set_lit({ButtonName.YES})
    assert len(_panel_threads()) == before + 1
    panel.close()
    panel.close()  # idempotent
    assert len(_panel_threads()) == before
    assert not factory.pin(5).state  # the LED went off with its device
    with pytest.raises(ButtonPanelClosed):
        panel.set_lit({ButtonName.NO})
    with pytest.raises(ButtonPanelClosed):
        panel.press(ButtonName.NO)

    again = SimulatedButtonPanel(pin_factory=factory, clock=tick)  # same pins, same factory
    presses = started(again)
    again.press(ButtonName.CONFIRM)
    assert presses.settle(1) == [ButtonName.CONFIRM]
    again.close()
    assert len(_panel_threads()) == before


def test_close_waits_for_a_slow_on_press(factory: MockFactory, tick: Tick) -> None:
    panel = SimulatedButtonPanel(pin_factory=factory, clock=tick)
    presses = started(panel, Presses(delay_s=0.1))
    panel.press(ButtonName.YES)
    time.sleep(0.01)
    panel.close()
    assert presses.names == [ButtonName.YES]
    assert _panel_threads() == []


def test_pin_in_use_is_a_plain_panel_error_and_nothing_leaks(factory: MockFactory) -> None:
    squatter = Button(24, pin_factory=factory)  # the Confirm pin, held by someone else
    with pytest.raises(ButtonPanelUnavailable, match="cannot open the button panel's GPIO pins") as err:
        SimulatedButtonPanel(pin_factory=factory)
    assert isinstance(err.value, OSError)
    squatter.close()
    SimulatedButtonPanel(pin_factory=factory).close()  # the pins opened before the failure were released


@pytest.mark.parametrize(
    ("pins", "message"),
    [
        ({**DEFAULT_BUTTON_PINS, "maybe": 4}, "names are yes, no, abstain, back, confirm"),
        ({k: v for k, v in DEFAULT_BUTTON_PINS.items() if k != ButtonName.BACK}, "no pin for back"),
        ({**DEFAULT_BUTTON_PINS, ButtonName.YES: 40}, "BCM numbers 0-27"),
        ({**DEFAULT_BUTTON_PINS, ButtonName.YES: 5}, "only once"),  # clashes with the Yes LED
    ],
)
def test_bad_pins_are_config_errors(factory: MockFactory, pins: dict, message: str) -> None:
    with pytest.raises(ButtonConfigError, match=message):
        SimulatedButtonPanel(pins, pin_factory=factory)


def test_panel_without_leds(factory: MockFactory, tick: Tick) -> None:
    with SimulatedButtonPanel(led_pins=None, pin_factory=factory, clock=tick) as panel:
        panel.set_lit({ButtonName.YES})
        assert panel.lit() == set()
        assert all(s.led_pin is None for s in panel.status())
        assert "no LEDs" in panel.detail


def test_status_reports_presses_with_wall_times(panel: SimulatedButtonPanel, tick: Tick) -> None:
    started(panel)
    panel.press(ButtonName.YES)
    tick.advance(3.0)
    state = {s.name: s for s in panel.status()}[ButtonName.YES]
    assert state.presses == 1
    assert state.last_press == datetime(2026, 12, 1, tzinfo=UTC) - timedelta(seconds=3)
    assert {s.name: s for s in panel.status()}[ButtonName.NO].last_press is None


def test_start_twice_is_an_error(panel: SimulatedButtonPanel) -> None:
    started(panel)
    with pytest.raises(Exception, match="already started"):
        started(panel)


def test_open_button_panel_backends(factory: MockFactory) -> None:
    simulated = open_button_panel("simulated", DEFAULT_BUTTON_PINS, DEFAULT_LED_PINS, debounce_s=0.02)
    assert isinstance(simulated, SimulatedButtonPanel) and isinstance(simulated, ButtonPanel)
    simulated.close()
    # "gpio" is the real class; here it is given mock pins (never lgpio in tests).
    gpio = open_button_panel("gpio", DEFAULT_BUTTON_PINS, DEFAULT_LED_PINS, pin_factory=factory)
    assert type(gpio) is GpioButtonPanel and gpio.backend == "gpio"
    gpio.close()
    none = open_button_panel("none", DEFAULT_BUTTON_PINS, DEFAULT_LED_PINS)
    assert isinstance(none, NoButtonPanel) and isinstance(none, ButtonPanel)
    none.start(lambda name: None)
    none.set_lit({ButtonName.YES})
    assert none.status() == [] and "no physical buttons" in none.detail
    none.close()
    assert BACKENDS == ("gpio", "simulated", "none")


@pytest.mark.parametrize("backend", ["gpiozero", "", "GPIO"])
def test_open_button_panel_unknown_backend_names_the_allowed_ones(backend: str) -> None:
    with pytest.raises(ValueError, match="use one of gpio, simulated, none"):
        open_button_panel(backend, DEFAULT_BUTTON_PINS, DEFAULT_LED_PINS)


def test_config_style_string_keys_are_accepted(factory: MockFactory) -> None:
    pins = {"yes": 17, "no": 27, "abstain": 22, "back": 23, "confirm": 24}
    panel = open_button_panel("simulated", pins, {n.value: p for n, p in DEFAULT_LED_PINS.items()}, pin_factory=factory)
    assert [s.pin for s in panel.status()] == [17, 27, 22, 23, 24]
    panel.close()
