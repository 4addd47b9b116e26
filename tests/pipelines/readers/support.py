"""Shared by the CSV, invoice and manifest reader tests: the golden-case list
and a Hypothesis strategy that mutates real input files."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from hypothesis import strategies as st

GOLDEN = Path(__file__).resolve().parents[2] / "golden"


def regen_module():
    """tests/golden/regen_readers.py, the one place golden cases are listed."""
    name = "dprecon_golden_regen_readers"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, GOLDEN / "regen_readers.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@st.composite
def mutated(draw, seeds, spice):
    """One of ``seeds`` with 1–6 edits: cuts, insertions of ``spice`` or random
    bytes, byte flips, truncation, and duplicated stretches."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 6))):
        i = draw(st.integers(0, len(data)))
        op = draw(st.integers(0, 4))
        if op == 0:
            del data[i : i + draw(st.integers(1, 40))]
        elif op == 1:
            data[i:i] = draw(st.sampled_from(spice) | st.binary(max_size=8))
        elif op == 2 and i < len(data):
            data[i] = draw(st.integers(0, 255))
        elif op == 3:
            del data[i:]
        else:
            j = draw(st.integers(0, len(data)))
            data[i:i] = data[min(i, j) : max(i, j)][:200]
    return bytes(data)
