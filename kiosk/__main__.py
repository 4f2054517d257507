"""``python -m kiosk``: the same as the ``kiosk`` command."""

import sys

from kiosk.entry import main

sys.exit(main())
