"""The soak harness itself: what the voter it plays does when a kill lands between two of its requests."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from flask import Flask

from kiosk.config import Settings
from kiosk.tally import Tally
from kiosk.web.app import create_app
from tests.conftest import LiveServer
from tests.soak_harness import Attendee, Browser, Ledger, Lost, Meeting, voter_phone


def test_a_restart_between_sign_in_and_its_page_is_a_lost_request(
    app: Flask, tally: Tally, voting_meeting: str, live_server_factory: Callable[..., LiveServer]
) -> None:
    # test_soak_kill once failed with "no signed-in page" (seed 1291132990): the kill and restart landed between
    # the sign-in's redirect and the signed-in page, so the new process, which has no session, sent the voter
    # back to the welcome screen. That is what a person sees after a restart, and they start over.
    tally.import_roster(f"name,phone,status,joined\nVoter One,{voter_phone(1)},member,2010-01-01\n")
    before = live_server_factory(app)
    restarted_app = create_app(Settings(), tally, simulated=True, test_config={"TESTING": True})
    after = live_server_factory(restarted_app)
    after_port = int(after.url.rsplit(":", 1)[1])

    class KilledBeforeThePage(Browser):
        def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
            if (method, path) == ("GET", "/kiosk/signed-in"):
                self.close()
                self.port = after_port  # the same address, a new process
            return super().request(method, path, form)

    planks = tuple(p.id for p in tally.planks(voting_meeting))
    ledger = Ledger()
    voter = Attendee(1, Meeting(voters=1, texters=0, plank_ids=planks), 0, ledger, random.Random(1))
    browser = KilledBeforeThePage(int(before.url.rsplit(":", 1)[1]))
    with pytest.raises(Lost, match="session went with a restart"):
        voter._sign_in(browser)
    browser.close()
    assert ledger.signins == set() and voter.token is None
    # Starting over at the restarted kiosk: already signed in, the code never seen (the desk reissues it).
    again = Browser(after_port)
    try:
        page = voter._sign_in(again)
    finally:
        again.close()
    assert "You are already signed in" in page and voter.token is None and ledger.signins == {1}
