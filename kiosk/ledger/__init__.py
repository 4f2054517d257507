"""The accountability ledger (issue 17): the officials the organization endorses, their pledges to the platform,
their recorded votes, and the scorecard computed from them.

Pure values and parsers live here (no database, no Flask); the tally stores and reads them
(``kiosk.tally.ledger``):

==============  ===============================================================================================
``model``       the choices (a recorded vote, what a yes means, a pledge, a position) and the rows read from files
``table``       reading a messy spreadsheet CSV into cells by column name, with line numbers and refusals
``files``       the three CSV files: officials, pledges, recorded votes
``ocd``         Open Civic Data VoteEvent JSON files and the map from matters to platform planks
``scorecard``   the arithmetic: for / against / abstain / absent, alignment, broken pledges
==============  ===============================================================================================
"""
