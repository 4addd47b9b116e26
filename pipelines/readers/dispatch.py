"""Which reader reads which inbox file (contract §1 layout).

``classify`` names the kind of a file from its place in the inbox;
``read_file`` runs the right reader on its bytes. Neither touches the disk.
Paths are inbox-relative with forward slashes.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from pipelines.model import Parsed
from schemas import inputs
from schemas.profiles import COUNCIL_FOLDER, ProfileBook, ProfileError, parse_profile

REGISTER = {
    "register/budgets.csv": inputs.budgets,
    "register/plan_lines.csv": inputs.plan_lines,
    "register/providers.csv": inputs.providers,
}
POLICY = "register/policy.yaml"
COUNCIL = "register/council.yaml"  # read by flows/council.py before the run; logged here like policy.yaml
PROFILES = COUNCIL_FOLDER + "/"  # register/profiles/*.toml: the council's bank layouts


def _split(relpath: str) -> tuple[str, str, str]:
    """``(top folder, file name, suffix)`` as PurePosixPath would give them, on plain
    strings: classify runs once per inbox file, tens of thousands a night."""
    top = relpath.split("/", 1)[0]
    name = relpath.rsplit("/", 1)[-1]
    i = name.rfind(".")
    return top, name, name[i:] if 0 < i < len(name) - 1 else ""


def classify(relpath: str) -> str | None:
    """The kind of file, or None for something dprecon does not read."""
    if relpath in REGISTER:
        return PurePosixPath(relpath).stem
    if relpath == POLICY:
        return "policy"
    if relpath == COUNCIL:
        return "council"
    if relpath.startswith(PROFILES) and relpath.count("/") == 2 and relpath.lower().endswith(".toml"):
        return "bank_profile"
    top, name, suffix = _split(relpath)
    suffix = suffix.lower()
    if top == "statements" and suffix in (".ofx", ".qfx"):
        return "statement_ofx"
    if top == "statements" and suffix == ".csv":
        return "statement_csv"
    if top == "invoices" and suffix == ".csv":
        return "invoice_csv"
    if top == "invoices" and suffix == ".xml":
        return "invoice_ubl"
    if top == "evidence" and name.lower() == "manifest.csv":
        return "evidence_manifest"
    return None


def is_evidence_attachment(relpath: str) -> bool:
    """A receipt or timesheet inside an evidence return: read through its manifest."""
    top, name, _suffix = _split(relpath)
    return "/" in relpath and top == "evidence" and name.lower() != "manifest.csv"


def unreadable_reason(relpath: str) -> str:
    p = PurePosixPath(relpath)
    top = p.parts[0] if len(p.parts) > 1 else "the inbox root"
    return (
        f"dprecon does not read '{p.suffix or p.name}' files in {top}: statements are .ofx, .qfx "
        "or .csv; invoices are .csv or UBL .xml; the register is budgets.csv, plan_lines.csv, "
        "providers.csv, policy.yaml and council.yaml"
    )


def read_file(
    kind: str,
    relpath: str,
    data: bytes,
    siblings: frozenset[str] = frozenset(),
    profiles: ProfileBook | None = None,
) -> Parsed:
    """Run the reader for ``kind``. Never raises: a reader bug is a file error too.

    ``profiles``: the bank layouts for statement CSVs, the council's included
    (``schemas.profiles.profile_book(inbox / "register/profiles")``); default
    the shipped ones.
    """
    try:
        return _read(kind, relpath, data, siblings, profiles)
    except Exception as e:  # noqa: BLE001 - bad input must never crash a run
        return Parsed.failed(kind, f"dprecon could not read this file ({type(e).__name__}: {e})")


def _read(
    kind: str, relpath: str, data: bytes, siblings: frozenset[str], profiles: ProfileBook | None
) -> Parsed:
    if kind in ("budgets", "plan_lines", "providers"):
        from pipelines.readers.contract_csv import read_contract_csv

        return read_contract_csv(data, relpath, inputs.ALL_INPUTS[kind], format="csv:register")
    if kind == "statement_ofx":
        from pipelines.readers.ofx import read_ofx

        return read_ofx(data, relpath)
    if kind == "statement_csv":
        from pipelines.readers.statement_csv import read_statement_csv

        return read_statement_csv(data, relpath, profiles)
    if kind == "invoice_csv":
        from pipelines.readers.invoices import read_invoice_csv

        return read_invoice_csv(data, relpath)
    if kind == "invoice_ubl":
        from pipelines.readers.invoices import read_ubl

        return read_ubl(data, relpath)
    if kind == "bank_profile":
        return _read_profile_file(relpath, data)
    if kind == "evidence_manifest":
        from pipelines.readers.evidence import read_manifest

        return read_manifest(data, relpath, set(siblings))
    return Parsed.failed(kind, unreadable_reason(relpath))


def _read_profile_file(relpath: str, data: bytes) -> Parsed:
    """A council bank layout (register/profiles/*.toml): no rows, but logged as
    accepted, or quarantined with the problem naming the file and the key."""
    try:
        profile = parse_profile(data.decode("utf-8"), relpath)
    except UnicodeDecodeError:
        return Parsed.failed("toml", f"{relpath}: not UTF-8 text")
    except ProfileError as exc:
        return Parsed.failed("toml", str(exc))
    return Parsed(format="toml", notes=[f"bank layout {profile.name!r} ({profile.bank or 'no bank named'})"])
