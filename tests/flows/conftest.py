"""Fixtures shared by the flows' tests."""

from __future__ import annotations

import pytest

from tests.flows.helpers import statements_council


@pytest.fixture(scope="session")
def incremental_council(tmp_path_factory) -> dict:
    """One statements-only council for the modules that narrow a night to its accounts
    (tests/flows/test_incremental_*.py): built once, read or copied, never changed."""
    return statements_council(tmp_path_factory.mktemp("incremental"))
