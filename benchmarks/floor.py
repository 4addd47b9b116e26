"""The floor the nightly job is measured against: parsing the same inputs once with the
libraries alone, serially, in one process, and nothing else (issue 20's definition):

* every ``.ofx``/``.qfx`` through ``ofxparse.OfxParser.parse``,
* every ``.csv`` through ``polars.read_csv(path, infer_schema_length=0)``,
* every ``.xml`` through ``xml.etree.ElementTree.parse``.

A file a library cannot parse still costs the time it took to fail. The job uses both
cores and does far more (validation, reconciliation, rules, reports); the target is the
job's end-to-end time at most 1.0x this floor.

    uv run python benchmarks/floor.py data/sim/inbox
"""

from __future__ import annotations

import os
import sys
import time
import warnings
import xml.etree.ElementTree as ET  # noqa: S405 (our own simulated files, timing only)
from pathlib import Path

import ofxparse
import polars as pl


def inputs(inbox: Path) -> list[Path]:
    out = []
    for root, _dirs, files in os.walk(inbox):
        for name in files:
            if name.lower().endswith((".ofx", ".qfx", ".csv", ".xml")):
                out.append(Path(root) / name)
    return sorted(out)


def parse(path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix in (".ofx", ".qfx"):
        with path.open("rb") as f:
            ofxparse.OfxParser.parse(f)
    elif suffix == ".csv":
        pl.read_csv(path, infer_schema_length=0)
    else:
        ET.parse(path)  # noqa: S314


def floor(inbox: Path) -> tuple[float, int, int]:
    """Seconds to parse every input once, the number of files, and how many a library refused."""
    files = inputs(inbox)
    failed = 0
    warnings.simplefilter("ignore")
    t = time.perf_counter()
    for path in files:
        try:
            parse(path)
        except Exception:  # noqa: BLE001 (a refusal still counts its time)
            failed += 1
    return time.perf_counter() - t, len(files), failed


if __name__ == "__main__":
    seconds, n, failed = floor(Path(sys.argv[1]))
    print(f"floor: {seconds:.1f} s for {n} files ({failed} refused by their library)")
