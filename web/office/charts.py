"""The budget's spend against its plan, drawn as the officers' report draws it (inline SVG, Decimal)."""

from __future__ import annotations

from decimal import Decimal

from markupsafe import Markup

from reports.exceptions.render import pair_svg


def budget_chart(positions: list[dict], lines: list[dict]) -> Markup:
    """One pair of bars per plan line: spent so far (blue) against the line's plan for the whole term (grey)."""
    items = [(f"{r['line_id']} {r['category'].replace('_', ' ')}", r["spent"] or Decimal("0.00"),
              r["planned_amount"] or Decimal("0.00")) for r in lines]
    return pair_svg(items) if items else Markup("")
