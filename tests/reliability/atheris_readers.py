"""Coverage-guided fuzzing of the readers with atheris, for long runs by hand
(CI runs the Hypothesis tests in test_fuzz_readers.py, which check the same
things). atheris is not a project dependency; uv brings it for the run:

    uv run --with atheris python -m tests.reliability.atheris_readers -runs=100000

The first byte of each input picks the reader (OFX, statement CSV, UBL,
invoice CSV, evidence manifest); the rest is the file. The corpus starts from
the same real files as the Hypothesis tests. A failed check stops the run
and atheris writes the input that failed to ``crash-*``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["pipelines"]):
    from tests.reliability import test_fuzz_readers as checks

def _inner(test):
    return test.hypothesis.inner_test  # the check itself, without Hypothesis driving it


READERS = [
    (checks.OFX_SEEDS, _inner(checks.test_fuzz_ofx)),
    (checks.STATEMENT_SEEDS, _inner(checks.test_fuzz_statement_csv)),
    (checks.UBL_SEEDS, _inner(checks.test_fuzz_ubl)),
    (checks.INVOICE_CSV_SEEDS, _inner(checks.test_fuzz_invoice_csv)),
    (checks.MANIFEST_SEEDS, lambda data: _inner(checks.test_fuzz_evidence_manifest)(data, {"receipt1.pdf"})),
]


def one_input(raw: bytes) -> None:
    if raw:
        READERS[raw[0] % len(READERS)][1](raw[1:])


def main() -> None:
    corpus = Path(tempfile.mkdtemp(prefix="dprecon-atheris-"))
    for kind, (seeds, _) in enumerate(READERS):
        for i, seed in enumerate(seeds):
            (corpus / f"{kind}-{i}").write_bytes(bytes([kind]) + seed)
    args = [a for a in sys.argv if a.startswith("-")]
    atheris.Setup([sys.argv[0], *args, str(corpus)], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
