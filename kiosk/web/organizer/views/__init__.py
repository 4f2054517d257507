"""The organizer pages (``/organizer/...``) and the public ballot verification page (``/verify``).

Every organizer view requires a login; every form posts a CSRF token (see ``security``). Actions that cannot
be undone (opening sign-in or voting, closing, reissuing a ballot code, sending texts) go through a
confirmation page first and are recorded in the audit log with the organizer's name.

One module per page group, each registering its views on the blueprints in ``base`` (endpoint names are the
function names: ``organizer.dashboard``, ``public.verify``, ...): ``login``, ``meetings`` (list and setup),
``contests`` (ranked-choice contests on the setup page), ``dashboard`` (live figures, projector, event stream,
devices), ``people`` (sign-ins, reissue), ``texts`` (RSVPs and texts), ``exports`` (tally tape, downloads),
``verify`` (public).
"""

from kiosk.web.organizer.views import contests, dashboard, exports, login, meetings, people, texts, verify
from kiosk.web.organizer.views.base import StreamRegistry, bp, public
from kiosk.web.organizer.views.exports import EXPORT_NAMES

# imported: their views are registered
PAGE_MODULES = (login, meetings, contests, dashboard, people, texts, exports, verify)

__all__ = ["EXPORT_NAMES", "PAGE_MODULES", "StreamRegistry", "bp", "public"]
