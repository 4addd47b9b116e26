"""What made a result: a hash of source files and of the libraries' versions.

Two results made from the same inputs by code with the same fingerprint are the
same, so a run may keep what an earlier run wrote instead of making it again,
once it knows the earlier run's code had this fingerprint. The family letters
use it for the code that draws a letter (reports/returns/reuse.drawing), the
nightly run for the code that writes the books
(flows/version.py, kept in land.runs.code_version).

Example: ``code_fingerprint([Path("pipelines/match.py")], ["polars"])`` hashes
the name ``match.py``, its bytes and ``polars=`` the installed version; editing
one byte of match.py, or upgrading Polars, gives another fingerprint.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path


def code_fingerprint(files: Iterable[Path], libraries: Iterable[str], *, root: Path | None = None,
                     also: Iterable[str] = ()) -> str:
    """SHA-256 of each file's name and bytes, in the order given, then each library's
    installed version (``none`` when it is not installed), then the ``also`` texts.

    A file is named by its path under ``root`` (by its bare name without one), so a
    file moved to another folder changes the fingerprint when a root is given."""
    h = hashlib.sha256()
    for path in files:
        name = path.relative_to(root).as_posix() if root is not None else path.name
        h.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    for name in libraries:
        try:
            h.update(f"{name}={version(name)}\0".encode())
        except PackageNotFoundError:
            h.update(f"{name}=none\0".encode())
    for text in also:
        h.update(text.encode() + b"\0")
    return h.hexdigest()
