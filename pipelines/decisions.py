"""Officers' decisions over the rules' view of each exception (the one review override).

The rules say whether a problem is ``open`` (still raised) or ``resolved``
(raised on an earlier night, not tonight). An officer's latest decision on an
exception (``confirmed``, ``dismissed``, ``recovered``, ``referred``)
overrides that, whatever the rules say later: a surplus of £1,500.00 the
officer marked ``recovered`` on 3 April stays ``recovered`` on 4 April even
though it is still raised; if the officer first ``confirmed`` it and later
``dismissed`` it, it is ``dismissed``. Decisions on ids the rules never
raised change nothing.
"""

from __future__ import annotations

import polars as pl


def latest_decisions(reviews: pl.DataFrame) -> pl.DataFrame:
    """``exception_id, decision``: each exception's most recent decision (ties: the later row)."""
    if reviews.height == 0:
        return pl.DataFrame(schema={"exception_id": pl.String, "decision": pl.String})
    return (
        reviews.with_row_index("__row")
        .sort("decided_at", "__row")
        .unique("exception_id", keep="last", maintain_order=True)
        .select("exception_id", "decision")
    )


def apply_decisions(exceptions: pl.DataFrame, reviews: pl.DataFrame) -> pl.DataFrame:
    """``exceptions`` with each ``status`` replaced by its latest officer decision, if any."""
    if reviews.height == 0 or exceptions.height == 0:
        return exceptions
    return (
        exceptions.join(latest_decisions(reviews), on="exception_id", how="left")
        .with_columns(pl.coalesce("decision", "status").alias("status"))
        .drop("decision")
    )
