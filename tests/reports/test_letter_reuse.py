"""A letter is copied from an earlier night only when nothing in it has changed
(reports/returns/reuse.py): its fingerprint moves with every field, and a copy
is refused when the earlier files no longer hash as recorded."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from reports.returns.letter import Letter, Payment, Statement
from reports.returns.reuse import Drawn, content, fingerprint
from schemas.council import Council


def letter(**changes) -> Letter:
    base = Letter(
        council=Council(name="Northshire County Council", phone="01234 567890"), as_of=date(2026, 4, 1),
        budget_id="DP000011-1", holder_name="Zoë Miller", period_start=date(2026, 1, 1),
        period_end=date(2026, 3, 31), due_date=date(2026, 4, 28),
        statement=Statement(Decimal("1250.00"), Decimal("3900.00"), Decimal("370.50"), Decimal("370.50"),
                            Decimal("4102.35"), Decimal("1418.15")),
        payments=[Payment(date(2026, 2, 3), "WILLOWS SHORT BREAKS", Decimal("120.00"), "T0001", False)],
    )
    return dataclasses.replace(base, **changes)


@pytest.mark.parametrize("change", [
    {"as_of": date(2026, 4, 2)},
    {"dated": date(2026, 4, 3)},
    {"holder_name": "Zoe Miller"},
    {"council": Council(name="Northshire County Council", phone="01234 567891")},
    {"statement": Statement(Decimal("1250.00"), Decimal("3900.00"), Decimal("370.50"), Decimal("370.50"),
                            Decimal("4102.35"), Decimal("1418.150"))},  # equal, written otherwise
    {"payments": [Payment(date(2026, 2, 3), "WILLOWS SHORT BREAKS", Decimal("120.00"), "T0001", True)]},
    {"access_code": "ABCD-EFGH"},
    {"warning": True},
])
def test_every_field_moves_the_fingerprint(change):
    assert fingerprint(letter()) == fingerprint(letter())
    assert fingerprint(letter(**change)) != fingerprint(letter())


def test_a_value_the_fingerprint_does_not_know_is_refused():
    with pytest.raises(TypeError):
        content(letter(holder_name=object()))


def test_a_copy_is_refused_when_the_earlier_files_changed(tmp_path: Path):
    (tmp_path / "reports" / "2026-04-01" / "returns").mkdir(parents=True)
    earlier = Drawn()
    earlier.path = tmp_path / "w.duckdb.letters.json"
    pdf, html = b"%PDF-1.4 letter", b"<html>letter</html>"
    folder = tmp_path / "reports" / "2026-04-01" / "returns"
    (folder / "DP000011-1_2026-01-01.pdf").write_bytes(pdf)
    (folder / "DP000011-1_2026-01-01.html").write_bytes(html)
    earlier.note("DP000011-1_2026-01-01", fingerprint(letter()), pdf, html)
    earlier.save(date(2026, 4, 1))

    tonight = Drawn(earlier.path, tmp_path / "reports")
    assert tonight.copy(fingerprint(letter())) == (pdf, html)
    assert tonight.copy(fingerprint(letter(holder_name="Zoe Miller"))) is None
    (folder / "DP000011-1_2026-01-01.pdf").write_bytes(pdf + b" edited")
    assert tonight.copy(fingerprint(letter())) is None
    earlier.path.write_text("not json")
    assert Drawn(earlier.path, tmp_path / "reports").copy(fingerprint(letter())) is None
