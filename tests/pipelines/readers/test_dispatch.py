"""classify on plain strings names every path as PurePosixPath's parts would."""

from __future__ import annotations

from pathlib import PurePosixPath

from hypothesis import given
from hypothesis import strategies as st

from pipelines.readers.dispatch import classify

SEGMENT = st.sampled_from(["statements", "invoices", "evidence", "register", "x", "manifest.csv", "MANIFEST.CSV",
                           "a.OFX", "b.qfx", "c.csv", "d.xml", "e.", ".hidden", "f.tar.gz", "g.Csv", "budgets.csv",
                           "policy.yaml", "council.yaml", "h.XML", "noext"])


def by_parts(relpath: str) -> str | None:
    p = PurePosixPath(relpath)
    top = p.parts[0] if p.parts else ""
    suffix = p.suffix.lower()
    if relpath in ("register/budgets.csv", "register/plan_lines.csv", "register/providers.csv"):
        return p.stem
    if relpath == "register/policy.yaml":
        return "policy"
    if relpath == "register/council.yaml":
        return "council"
    kinds = {("statements", ".ofx"): "statement_ofx", ("statements", ".qfx"): "statement_ofx",
             ("statements", ".csv"): "statement_csv", ("invoices", ".csv"): "invoice_csv",
             ("invoices", ".xml"): "invoice_ubl"}
    if (top, suffix) in kinds:
        return kinds[(top, suffix)]
    if top == "evidence" and p.name.lower() == "manifest.csv":
        return "evidence_manifest"
    return None


@given(st.lists(SEGMENT, min_size=1, max_size=4))
def test_classify_agrees_with_path_parts(segments):
    relpath = "/".join(segments)
    assert classify(relpath) == by_parts(relpath)
