"""Hardware adapters: the button panel (gpiozero) and the receipt printer (python-escpos)."""
