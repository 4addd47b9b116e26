"""Is tonight's inbox plausibly the whole inbox? A missing drive mount or a sync
that stopped must not read as a quiet night.

A council's inbox only grows: statements, invoices and returns arrive and stay
(loading a file again changes nothing). So an inbox holding far fewer files
than the last completed run saw means something is wrong with the folder, not
with the families. The threshold: fewer than half of the files the last run
saw (``EMPTIED_SHARE``).

Example: last night 4,812 files, tonight 1,950 (under 2,406): the run goes on
with what is there, and the summary, the report and the Prefect artifact say
so first. Tonight 4,790 (a few files tidied away): no warning.
"""

from __future__ import annotations

from fractions import Fraction

EMPTIED_SHARE = Fraction(1, 2)


def emptied_inbox_warning(files_now: int, files_before: int | None) -> str | None:
    """A warning in words when the inbox holds under half the files of the last run."""
    if not files_before or files_now >= files_before * EMPTIED_SHARE:
        return None
    return (f"the inbox holds {files_now:,} file(s), fewer than half of the {files_before:,} the last run saw."
            " Check that the inbox folder is the right one and complete (a drive not mounted, a copy or"
            " sync that stopped): this run judged only from what is there.")
