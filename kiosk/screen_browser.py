"""The kiosk screen's browser: Chromium's command-line flags, in one place.

``kiosk install`` writes them into the screen unit (systemd/assembly-kiosk-screen.service.in, ``@CHROMIUM_FLAGS@``)
and ``bench/bench_memory.py`` starts Chromium with the same ones, so the memory figure is the screen's.

Why these (issue 15: web + SMS + screen must fit a 1 GB Pi 3 with room): the screen shows one local page, and
the managed policy (``kiosk.install.chromium_policy``) lets nothing else load. So the protections that cost a
process per site (site isolation, a spare renderer kept warm, the back-forward cache keeping left pages alive)
buy nothing here, and the background services (translation, sync, component and extension updates, media
router, crash uploads) only use memory and network. Measured with ``bench/bench_memory.py``: about 25 MB and two
processes fewer than the unit's earlier flags (see docs/benchmarks.md and docs/pi-setup.md).
"""

from __future__ import annotations

# Features turned off: translation prompts, per-site processes (IsolateOrigins, site-per-process), the
# back-forward cache, background fetchers a kiosk never uses, and the address bar's suggestion popup, which
# Chromium 156 preloads as two pages of its own (chrome://omnibox-popup.top-chrome/) in a second renderer although
# kiosk mode shows no address bar: about 43 MB (bench/bench_memory.py --browser; docs/benchmarks.md).
_DISABLED_FEATURES = (
    "Translate",
    "TranslateUI",
    "IsolateOrigins",
    "site-per-process",
    "BackForwardCache",
    "OptimizationHints",
    "MediaRouter",
    "DialMediaRouteProvider",
    "AutofillServerCommunication",
    "CertificateTransparencyComponentUpdater",
    "InterestFeedContentSuggestions",
    "WebUIOmniboxPopup",
    "WebUIOmniboxAimPopup",
)

SCREEN_CHROMIUM_FLAGS: tuple[str, ...] = (
    "--kiosk",
    "--ozone-platform=wayland",
    "--noerrdialogs",
    "--disable-infobars",
    "--no-first-run",
    "--disable-session-crashed-bubble",
    "--password-store=basic",
    "--check-for-update-interval=31536000",
    # One renderer for the one page (with site isolation off there is no reason for a second).
    "--renderer-process-limit=1",
    "--disable-site-isolation-trials",
    "--disable-features=" + ",".join(_DISABLED_FEATURES),
    # The network service inside the browser process: one process fewer (about 20 MB).
    "--enable-features=NetworkServiceInProcess2",
    "--disable-extensions",
    "--disable-component-extensions-with-background-pages",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-breakpad",
    # The audio ballot speaks when a button is pressed, which Chromium does not count as a user gesture.
    "--autoplay-policy=no-user-gesture-required",
    # The page's script is small: a bounded JavaScript heap turns a leak into a renderer restart, not swapping.
    "--js-flags=--max-old-space-size=64",
)

# Flags that need the Pi's display (cage, Wayland): left out when the bench runs Chromium headless.
DISPLAY_ONLY_FLAGS = ("--ozone-platform=wayland",)


def screen_flags() -> str:
    """The flags as the unit's ExecStart line takes them."""
    return " ".join(SCREEN_CHROMIUM_FLAGS)
