"""The council's calendar: dates are the account holder's local dates (Europe/London).

Batch and web both ask "what day is it for the council?"; the answer lives
here so that neither has to import the other. At 23:30 UTC on 30 June 2026
(BST) it is already 1 July in London, so a run started then judges from
1 July.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def today_london() -> date:
    """Today where the council is: the default day a run judges from."""
    return datetime.now(LONDON).date()
