"""Which providers a bank text matches (all of them: names collide on large registers)."""

from __future__ import annotations

import polars as pl

from pipelines.payees import payee_providers


def test_every_matching_provider_is_kept_and_word_bounds_hold():
    providers = pl.DataFrame({
        "provider_id": ["PA1", "PA2", "AG1", "RX1"],
        "payee_patterns": [r"\bJ SHAW\b|\bJOHN SHAW\b", r"\bJ SHAW\b", "ACME CARE", r"SUNNY\s+DAYS"],
    })
    texts = pl.Series(["FP J SHAW WAGES", "J SHAWCROSS", "acme care ltd inv-1", "SUNNY   DAYS LTD", None])
    got = payee_providers(texts, providers).to_list()
    assert got == [["PA1", "PA2"], [], ["AG1"], ["RX1"], []]
