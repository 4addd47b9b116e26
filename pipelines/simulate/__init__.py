"""A council simulator with ground truth: ``simulate(params)`` streams an inbox.

It simulates lives, not rows: people with personal budgets (adults,
children's short breaks, time-limited mental-health budgets, personal
health budgets), their support plans and providers, and the money that
moves day by day on their accounts; then the files a council would
receive (register, statements, invoices, evidence returns), with planted
problems at realistic rates and the exceptions docs/rules.md must raise
(``expected_exceptions.csv``), computed by an independent evaluator. It also
plays the recovery loop (``recoveries.py``): the officers' decisions it
assumes (``officer_decisions.csv``, applied by
``flows.simulate.apply_officer_decisions``), the families' repayments and
reduced council payments in the accounts' money, and each recovery's truth
(``expected_recoveries.csv``).

Everything is pure: no file is opened here. ``simulate`` yields
:class:`FileChunk` items; ``flows/simulate.py`` writes them. Accounts are
generated one at a time, so memory stays flat however many there are; the
files many accounts share (the register, the monthly prepaid-card feeds,
providers' monthly invoice files, the ground truth) come in pieces: the
first chunk of such a file (``append=False``) starts with its header, every
later one has ``append=True`` and only adds rows. The same seed gives byte-identical files: every account has
its own ``random.Random(f"{seed}:{i}")`` and nothing reads the clock.

Example: 1,000 accounts over 12 months from 1 April 2025 run as of
1 April 2026::

    for chunk in simulate(SimParams(accounts=1000, months=12, seed=7)):
        ...
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from pipelines.rules.registry import codes
from pipelines.simulate import recoveries as sim_recoveries
from pipelines.simulate import render_docs as docs
from pipelines.simulate.account import build_account, judge_account
from pipelines.simulate.common import add_months, iso, month_key, pounds
from pipelines.simulate.records import Account
from pipelines.simulate.render_statements import GENERIC_HEADER, generic_rows, render_statement
from pipelines.simulate.truth import Expected, Judge
from pipelines.simulate.world import build_world
from schemas.policy import Policy

RULE_CODES = codes()  # the registry's codes: a declared rule the simulator does not plant fails its truth test
TOP_LEVEL = ("register", "statements", "invoices", "evidence", "expected_exceptions.csv", "simulation.json",
             "officer_decisions.csv", "expected_recoveries.csv")
_FLUSH_BYTES = 4 << 20


@dataclass(frozen=True)
class SimParams:
    accounts: int
    months: int
    seed: int
    start: date = date(2025, 4, 1)

    @property
    def as_of(self) -> date:
        return add_months(self.start, self.months)


@dataclass(frozen=True)
class FileChunk:
    relpath: str
    data: bytes
    append: bool


class _Shared:
    """Buffers rows for files many accounts share; writes the header first."""

    def __init__(self) -> None:
        self.parts: dict[str, list[str]] = {}
        self.size = 0
        self.started: set[str] = set()  # header queued or written
        self.written: set[str] = set()  # first chunk out: the rest append

    def add(self, relpath: str, text: str, header: str) -> None:
        if not text:
            return
        if relpath not in self.started:
            self.started.add(relpath)
            text = header + text
        self.parts.setdefault(relpath, []).append(text)
        self.size += len(text)

    def flush(self) -> Iterator[FileChunk]:
        for relpath, texts in self.parts.items():
            first = relpath not in self.written
            self.written.add(relpath)
            yield FileChunk(relpath, "".join(texts).encode("utf-8"), append=not first)
        self.parts = {}
        self.size = 0


def simulate(params: SimParams) -> Iterator[FileChunk]:
    if params.accounts < 0 or params.months < 1:
        raise ValueError("accounts must be >= 0 and months >= 1")
    start = params.start.toordinal()
    as_of = params.as_of.toordinal()
    world = build_world(params.seed, start, as_of, params.months)
    policy = Policy()
    judge = Judge(policy, world.providers)
    shared = _Shared()
    for relpath, header in (
        ("register/budgets.csv", docs.BUDGETS_HEADER),
        ("register/plan_lines.csv", docs.PLAN_HEADER),
        ("expected_exceptions.csv", docs.EXPECTED_HEADER),
        ("officer_decisions.csv", sim_recoveries.DECISIONS_HEADER),
        ("expected_recoveries.csv", sim_recoveries.TRUTH_HEADER),
        ("register/providers.csv", docs.PROVIDERS_HEADER),
    ):
        shared.started.add(relpath)
        shared.written.add(relpath)
        if relpath != "register/providers.csv":
            yield FileChunk(relpath, header.encode(), append=False)
    yield FileChunk("register/providers.csv",
                    (docs.PROVIDERS_HEADER + docs.provider_rows(world.providers)).encode(), append=False)
    yield FileChunk("register/council.yaml", docs.COUNCIL_YAML.encode(), append=False)
    tally = _Tally()
    for i in range(params.accounts):
        acct = build_account(world, i)
        rows = judge_account(acct, judge, as_of)
        plan = sim_recoveries.choose(acct, rows, params.seed, as_of)
        if plan is not None:  # the same life again, with the money asked back in it
            acct = build_account(world, i, recovery=plan)
            rows = judge_account(acct, judge, as_of)
            plan = sim_recoveries.expected(plan, acct, rows)
        if plan is not None:
            shared.add("officer_decisions.csv", sim_recoveries.decision_rows(plan), sim_recoveries.DECISIONS_HEADER)
            shared.add("expected_recoveries.csv", sim_recoveries.truth_row(plan), sim_recoveries.TRUTH_HEADER)
            tally.recoveries[plan.status] = tally.recoveries.get(plan.status, 0) + 1
        yield from _account_files(acct, world, shared)
        shared.add("expected_exceptions.csv", _expected_rows(acct, rows), docs.EXPECTED_HEADER)
        tally.add(acct, rows)
        if shared.size > _FLUSH_BYTES:
            yield from shared.flush()
    yield from shared.flush()
    summary = tally.summary(params, policy)
    yield FileChunk("simulation.json", (json.dumps(summary, indent=2, sort_keys=True) + "\n").encode(), False)


def _account_files(acct: Account, world, shared: _Shared) -> Iterator[FileChunk]:
    budgets, lines = docs.budget_rows(acct.budgets)
    shared.add("register/budgets.csv", budgets, docs.BUDGETS_HEADER)
    shared.add("register/plan_lines.csv", lines, docs.PLAN_HEADER)
    shared.add("register/providers.csv", docs.provider_rows(acct.pas), docs.PROVIDERS_HEADER)
    for f in acct.statements:
        if f.fmt == "prepaid":
            shared.add(f.relpath, generic_rows(acct.account_id, f, with_mcc=True), GENERIC_HEADER)
        else:
            yield FileChunk(f.relpath, render_statement(acct, f), append=False)
    holder = {b.budget_id: b.holder_name for b in acct.budgets}
    for inv in acct.invoices:
        provider = world.by_id[inv.provider_id]
        month = month_key(inv.issue)
        if provider.ubl:
            data = docs.ubl(inv, provider, holder[inv.budget_id])
            yield FileChunk(f"invoices/{provider.provider_id}/{month}/{inv.invoice_id}.xml", data, False)
            if _resent(inv, world):
                nxt = month_key(inv.issue + 31)
                yield FileChunk(f"invoices/{provider.provider_id}/{nxt}/{inv.invoice_id}.xml", data, False)
        else:
            row = docs.invoice_row(inv)
            shared.add(f"invoices/{provider.provider_id}/{month}.csv", row, docs.INVOICE_HEADER)
            if _resent(inv, world):
                shared.add(f"invoices/{provider.provider_id}/{month_key(inv.issue + 31)}.csv", row,
                           docs.INVOICE_HEADER)
    for ret in acct.returns:
        folder = f"evidence/{ret.budget_id}_{iso(ret.period)}"
        yield FileChunk(f"{folder}/manifest.csv", docs.manifest(ret), False)
        for name, kind in ret.files:
            yield FileChunk(f"{folder}/{name}", docs.receipt(kind, f"{ret.budget_id} {iso(ret.period)} {name}"), False)


def _resent(inv, world) -> bool:
    """About one invoice in 25 arrives again the next month, same id and content."""
    if inv.issue + 31 >= world.as_of:
        return False
    return sum(map(ord, inv.invoice_id)) % 25 == 0


def _expected_rows(acct: Account, rows: list[Expected]) -> str:
    out = []
    for r in rows:
        out.append(docs.csv_line([r.budget_id, r.rule_code, iso(r.period_start), pounds(r.amount),
                                  _note(acct, r)]))
    return "".join(out)


def _note(acct: Account, r: Expected) -> str:
    subjects = f" [{'; '.join(sorted(set(r.subjects)))}]" if r.subjects else ""
    direct = [p for p in acct.plants if p.code == r.rule_code and p.budget_id == r.budget_id]
    if direct:
        return "planted: " + "; ".join(p.desc for p in direct) + subjects
    if acct.plants:
        return "arises from " + "; ".join(f"{p.code}: {p.desc}" for p in acct.plants) + subjects
    return "baseline: arises from ordinary activity, nothing planted" + subjects


class _Tally:
    def __init__(self) -> None:
        self.rows = dict.fromkeys(RULE_CODES, 0)
        self.budgets = {c: set() for c in RULE_CODES}
        self.unplanted = dict.fromkeys(RULE_CODES, 0)
        self.plants: dict[str, int] = {}
        self.lookalikes: dict[str, list[str]] = {}
        self.channels: dict[str, int] = {}
        self.cohorts: dict[str, int] = {}
        self.n_budgets = 0
        self.n_txns = 0
        self.files = 0
        self.recoveries: dict[str, int] = {}

    def add(self, acct: Account, rows: list[Expected]) -> None:
        self.n_budgets += len(acct.budgets)
        self.n_txns += len(acct.txns)
        self.channels[acct.channel] = self.channels.get(acct.channel, 0) + 1
        for b in acct.budgets[:1]:
            self.cohorts[b.cohort] = self.cohorts.get(b.cohort, 0) + 1
        for p in acct.plants:
            self.plants[p.code] = self.plants.get(p.code, 0) + 1
        for la in acct.lookalikes:
            self.lookalikes.setdefault(la.code, []).append(la.budget_id)
        for r in rows:
            self.rows[r.rule_code] += 1
            self.budgets[r.rule_code].add(r.budget_id)
            if not acct.plants:
                self.unplanted[r.rule_code] += 1

    def summary(self, params: SimParams, policy: Policy) -> dict:
        return {
            "generator": "dprecon simulate",
            "seed": params.seed,
            "accounts": params.accounts,
            "months": params.months,
            "start": params.start.isoformat(),
            "as_of": params.as_of.isoformat(),
            "policy": json.loads(policy.model_dump_json()),
            "budgets": self.n_budgets,
            "transactions": self.n_txns,
            "channels": self.channels,
            "cohorts": self.cohorts,
            "counts": self.rows,
            "budgets_flagged": {c: len(s) for c, s in self.budgets.items()},
            "unplanted_rows": self.unplanted,
            "plants": dict(sorted(self.plants.items())),
            "lookalikes": {k: sorted(v) for k, v in sorted(self.lookalikes.items())},
            "recoveries": dict(sorted(self.recoveries.items())),
        }
