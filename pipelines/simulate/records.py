"""The simulated council's records, in memory, one account at a time.

Money is whole pence (``int``), dates are day ordinals (see ``common``).
These are the simulator's own working records: ``render`` turns them into
the contract's files, ``truth`` judges them by docs/rules.md. A
:class:`Txn` is one movement of money as it really happened; whether a file
shows it is a separate question (:class:`StatementFile`), because a missing
statement month or a feed that dropped a line hides real money from the
council, and the ground truth may only judge what the files show.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Provider:
    provider_id: str
    name: str
    patterns: tuple[str, ...]  # regular expressions, as in providers.csv
    printed: tuple[str, ...]  # how banks print the payee
    category: str
    approved: bool
    agreed_rate: int | None
    invoices: bool = False  # bills by invoice (else is paid on its own terms)
    ubl: bool = False  # sends UBL 2.1 XML rather than the CSV layout
    unit: str = "hour"
    code: str = ""  # prefix of its invoice numbers


@dataclass(slots=True)
class PlanLine:
    budget_id: str
    line_id: str
    need: str
    outcome_domain: str
    category: str
    provider_id: str | None
    weekly_units_x100: int  # hundredths of a unit: 1250 = 12.5 hours a week
    unit_rate: int
    planned_amount: int
    # how the family buys it: "wages", "invoice", "transfer", "card", "oneoff_card",
    # "oneoff_transfer", "hmrc"
    channel: str = "card"
    merchants: tuple[tuple[str, str], ...] = ()  # card lines: (name, mcc)
    weekday: int = 0  # the fixed day of the week a recurring purchase falls on
    spend_ratio: int = 100  # percent of plan the family actually spends


@dataclass(slots=True)
class Budget:
    budget_id: str
    person_ref: str
    holder_name: str
    managed_by: str
    cohort: str
    account_id: str
    start: int
    end: int
    estimated_amount: int | None
    agreed_amount: int
    payment_frequency: str
    payment_amount: int
    weekly_contribution: int
    review_date: int | None
    status: str
    lines: list[PlanLine] = field(default_factory=list)
    contributor: str = ""  # who pays the contribution, as the bank prints it
    # plan hooks set by problems.py before the ledger runs
    pauses: dict[str, tuple[int, int]] = field(default_factory=dict)  # line_id -> days
    uplift: tuple[int, str, int] | None = None  # (from day, line_id, percent extra)
    contribution_stops: int | None = None
    rate_bump: tuple[str, int, int] | None = None  # (line_id, from day, extra pence)


@dataclass(slots=True)
class Txn:
    day: int
    amount: int  # signed pence: money out is negative
    payee: str
    memo: str = ""
    trntype: str = ""
    mcc: str = ""
    kind: str = ""  # what the simulator meant it to be (not what truth infers)
    line_id: str = ""
    pays: tuple[tuple[str, int], ...] = ()  # (invoice_id, pence) this payment settles
    tag: str = ""  # a planted problem or look-alike this transaction carries
    tid: str = ""
    seq: int = 0
    hidden: bool = False  # no statement file shows it (missing month, dropped line)
    evidenced: bool = True  # the family puts it on their evidence return


@dataclass(slots=True)
class Invoice:
    invoice_id: str
    provider_id: str
    budget_id: str
    issue: int
    due: int
    period_start: int
    period_end: int
    category: str
    units_x100: int
    unit_rate: int
    amount: int
    kind: str = "invoice"  # or "credit_note"
    corrects: str = ""  # a credit note: the invoice it reduces
    resent: bool = False
    item: str = ""


@dataclass(slots=True)
class StatementFile:
    """One statement as a file shows it (for the prepaid feed: one card's rows)."""

    relpath: str
    fmt: str  # "prepaid", "bankcsv", "nationwide", "ofx1", "ofx2"
    lines: list[Txn]
    balances: list[int | None]  # printed running balance per line
    start: int  # what the statement says it covers (OFX); CSV coverage is its lines
    end: int
    closing: int = 0
    corrupt: str = ""  # "truncated" / "garbled": an extra copy a reader must set aside
    note: str = ""


@dataclass(slots=True)
class EvidenceItem:
    ref: str
    evidence_type: str
    file: str
    amount: int | None
    note: str


@dataclass(slots=True)
class EvidenceReturn:
    budget_id: str
    period: int
    submitted: int
    items: list[EvidenceItem]
    files: list[tuple[str, str]]  # (file name, kind: pdf/jpg) actually enclosed
    timing: str = "on_time"  # on_time / late / partial


@dataclass(slots=True)
class Plant:
    """A planted problem (or a look-alike that must not be flagged)."""

    code: str  # a rule code, or "LOOKALIKE_..." for the look-alikes
    budget_id: str
    desc: str
    day: int = 0
    detail: dict = field(default_factory=dict)


@dataclass(slots=True)
class Account:
    index: int
    account_id: str
    channel: str
    budgets: list[Budget]
    pas: list[Provider]
    txns: list[Txn] = field(default_factory=list)
    invoices: list[Invoice] = field(default_factory=list)
    statements: list[StatementFile] = field(default_factory=list)
    returns: list[EvidenceReturn] = field(default_factory=list)
    plants: list[Plant] = field(default_factory=list)
    lookalikes: list[Plant] = field(default_factory=list)
    wants: frozenset[str] = frozenset()
    style: int = 0  # which of the bank's printing habits this account shows
    bank_code: str = ""  # sort code (bank channels)
