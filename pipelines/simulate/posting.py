"""How a bank posts a day's money: credits before debits, each line with its bank id.

Example: on 3 March a £300.00 council payment and a £12.50 card purchase are
posted credit first; a current account numbers them ``202603030001`` and
``202603030002`` (date and counter), a prepaid card ``4000007`` + a running
number, and an OFX export cuts a payee to the 32 characters NAME holds.
"""

from __future__ import annotations

from pipelines.simulate.common import ymd
from pipelines.simulate.records import Account


def finalise(acct: Account) -> None:
    """Order the day's money as a bank posts it (credits first) and give each an id."""
    acct.txns.sort(key=lambda t: (t.day, t.amount < 0, t.seq))
    if acct.channel in ("ofx1", "ofx2"):
        for t in acct.txns:  # OFX's NAME holds 32 characters; banks cut the rest
            t.payee = t.payee[:32].rstrip()
    i = acct.index
    if acct.channel == "prepaid":
        for n, t in enumerate(acct.txns, 1):
            t.tid = f"4{i:06d}{n:05d}"
    else:
        prefix = "BK" if acct.channel == "bankcsv" else ""
        last = 0
        n = 0
        for t in acct.txns:
            n = n + 1 if t.day == last else 1
            last = t.day
            t.tid = f"{prefix}{ymd(t.day)}{n:04d}"
