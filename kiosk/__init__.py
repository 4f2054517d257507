"""Assembly Kiosk: meeting sign-in, secret ballots, receipts and RSVPs by text."""

__version__ = "0.1.0"
