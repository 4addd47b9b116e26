"""What issuing evidence returns (flows/period_close.py) and recovery notices (flows/notices.py) share.

Both issue documents once: staged in a hidden folder, on disk before a record
says they exist, then put in the post room's folder. Each keeps its own steps,
because they differ where it matters: a period close commits with a journal
of its own (codes, letters and several ledger records must change together,
and letters may join a folder an earlier close filled), while a notice batch
commits with its single ledger line and goes into a folder of its own. What
is the same to the letter is here: one issuer at a time.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flows.warehouse import WarehouseBusy


@contextmanager
def one_at_a_time(lock: Path, busy: str) -> Iterator[None]:
    """Hold ``lock`` (``flock``, never waiting) for the block; when another process holds it, a
    :class:`WarehouseBusy` saying ``busy``, so that two issuers cannot both find the same
    documents due and both send them."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            raise WarehouseBusy(busy) from e
        yield
    finally:
        os.close(fd)
