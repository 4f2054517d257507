"""The web edge: Flask pages for attendees (the kiosk) and organizers, over the tally.

Kept in its own package so that the tally and the daemons never import Flask.
"""
