"""Great Expectations' import leaves scipy.stats (its distribution tests, which no table
declares) to load when first used: a night that validates a file pays about 0.7 s less.
Validation still works, and anything that uses scipy.stats gets all of it."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
from schemas.expectations import gx_module
gx_module()
print(type(sys.modules["scipy.stats"]).__name__)
import polars as pl
from flows.validation import validate_batch
from flows.fanout import text_form
from schemas import inputs
rows = pl.DataFrame({"account_id": ["A", "A"], "transaction_id": ["T1", "T1"], "id_source": ["bank", "bank"],
                     "date": ["2025-04-01", "2025-04-31x"], "amount": ["1.00", "2.00"], "file_id": ["F", "F"]})
print(sorted(validate_batch(inputs.statement_lines, text_form(inputs.statement_lines, rows))))
print(type(sys.modules["scipy.stats"]).__name__)
from scipy import stats
print(stats.norm.cdf(0.0), type(sys.modules["scipy.stats"]).__name__)
"""


def test_scipy_stats_loads_only_when_used_and_validation_still_works() -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[:4] == ["_LazyModule", "[0, 1]", "_LazyModule", "0.5 module"]


def test_a_module_already_loaded_or_missing_is_left_alone() -> None:
    from schemas.expectations import when_used

    before = dict(sys.modules)
    when_used("json")  # loaded already
    when_used("no_such_module_here")
    assert sys.modules.keys() == before.keys() and sys.modules["json"] is before["json"]
