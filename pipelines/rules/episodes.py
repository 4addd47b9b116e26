"""One exception per problem: a rule's findings in consecutive periods become one
exception for as long as the condition lasts (an *episode*).

The rules judge each monitoring period on its own; this step, after them, merges
the findings of every rule declared ``persists`` in the registry:

* the findings of one rule, budget and subject (a plan line; for a rate, the
  provider and the rate) in consecutive judged periods are one exception;
* its ``period_start`` is where the episode began, its ``period_end`` the last
  period the condition held; its id is the id of its first finding, so it stays
  the same (and an officer's decision stays attached) while the episode lasts;
* its amount is the current size (the latest finding's: a balance or arrears
  restate the running total each period), or, for a rule declared ``sums``,
  the findings' total (each invoice charged above the rate is new money);
* it is *current* while its last finding is in the latest period the rule
  judged for that budget; a condition that cleared is resolved, and if it comes
  back later that is a new episode with a new id. A ``sums`` episode stays
  current: the money charged is not undone by a later correct invoice.

Periods a rule could not judge because of a statement gap (pipelines/rules/gaps.py)
neither continue nor end an episode: they are skipped.

Example (SURPLUS_BALANCE, quarters from 1 April, weekly payment £300.00, 8 weeks):
excess £1,500.00 at 30 June, £1,750.00 at 30 September, £900.00 at 31 December.
That is one exception, period_start 1 April, amount £900.00 (the surplus now),
not three adding up to £4,150.00. If at 31 March the account holds less than
8 weeks, the exception is resolved; a surplus at 30 June next year is a new one.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import polars as pl

from pipelines.rules.registry import Rule

PERIOD_SCHEMA = {
    "exception_id": pl.String, "flag_id": pl.String, "rule_code": pl.String, "budget_id": pl.String,
    "period_start": pl.Date, "period_end": pl.Date, "amount": pl.Decimal(18, 2),
}


def _day(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


def _gbp(v: Decimal) -> str:
    return f"-£{abs(v):,.2f}" if v < 0 else f"£{v:,.2f}"


def merge_episodes(flags: pl.DataFrame, periods: pl.DataFrame, unknown: pl.DataFrame,
                   rules: dict[str, Rule]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``(exceptions, findings)``: one row per exception (the flags' columns plus
    ``current``), and one row per period's finding naming its exception."""
    persistent = {c for c, r in rules.items() if r.persists}
    cols = [c for c in flags.columns if c != "episode"]
    plain = flags.filter(~pl.col("rule_code").is_in(list(persistent)))
    out = [dict(r, current=True) for r in plain.select(cols).iter_rows(named=True)]
    found = [dict(exception_id=r["exception_id"], flag_id=r["exception_id"], rule_code=r["rule_code"],
                  budget_id=r["budget_id"], period_start=r["period_start"], period_end=r["period_end"],
                  amount=r["amount"]) for r in out]
    merged = flags.filter(pl.col("rule_code").is_in(list(persistent)))
    if merged.height:
        ex, fp = _episodes(merged, periods, unknown, rules, cols)
        out += ex
        found += fp
    schema = {**flags.select(cols).schema, "current": pl.Boolean}
    exceptions = pl.DataFrame(out, schema=schema, orient="row") if out else pl.DataFrame(schema=schema)
    findings = pl.DataFrame(found, schema=PERIOD_SCHEMA, orient="row") if found else pl.DataFrame(schema=PERIOD_SCHEMA)
    return exceptions.sort("exception_id"), findings.sort("exception_id", "period_start", "flag_id")


def _judged(periods: pl.DataFrame, unknown: pl.DataFrame) -> dict[tuple[str, str], list[date]]:
    """For each (rule, budget) with a statement gap, the periods it could not judge."""
    skip: dict[tuple[str, str], set[date]] = defaultdict(set)
    for code, b, ps in unknown.select("rule_code", "budget_id", "period_start").iter_rows():
        skip[(code, b)].add(ps)
    return skip


def _episodes(flags: pl.DataFrame, periods: pl.DataFrame, unknown: pl.DataFrame, rules: dict[str, Rule],
              cols: list[str]) -> tuple[list[dict], list[dict]]:
    by_budget: dict[str, list[tuple[date, bool]]] = defaultdict(list)
    for b, ps, closed in periods.sort("period_start").select("budget_id", "period_start", "closed").iter_rows():
        by_budget[b].append((ps, closed))
    skip = _judged(periods, unknown)
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in flags.sort("period_start", "exception_id").iter_rows(named=True):
        groups[(r["rule_code"], r["budget_id"], r["episode"])].append(r)
    exceptions, findings = [], []
    for (code, budget, key), rows in groups.items():
        rule = rules[code]
        skipped = skip.get((code, budget), set())
        flagged = {r["period_start"] for r in rows}
        # the periods this rule judged for this budget, in order (closed ones, unless
        # a 'sums' rule, which judges each invoice as it comes), plus any it flagged
        seq = sorted({ps for ps, closed in by_budget.get(budget, []) if (closed or rule.sums) and ps not in skipped}
                     | flagged)
        index = {ps: i for i, ps in enumerate(seq)}
        runs: list[list[dict]] = []
        for r in rows:
            if runs and index[r["period_start"]] - index[runs[-1][-1]["period_start"]] <= 1:
                runs[-1].append(r)
            else:
                runs.append([r])
        for run in runs:
            ex = _one(run, rule, key, cols, current=rule.sums or index[run[-1]["period_start"]] == len(seq) - 1)
            exceptions.append(ex)
            findings += [dict(exception_id=ex["exception_id"], flag_id=r["exception_id"], rule_code=code,
                              budget_id=budget, period_start=r["period_start"], period_end=r["period_end"],
                              amount=r["amount"]) for r in run]
    return exceptions, findings


def _one(run: list[dict], rule: Rule, key: str | None, cols: list[str], current: bool) -> dict:
    first, last = run[0], run[-1]
    ex = {c: last[c] for c in cols}
    ex.update(exception_id=first["exception_id"], period_start=first["period_start"], current=current,
              subject=key)
    evidence = sorted({e for r in run for e in (r["evidence"] or "").split()})
    ex["evidence"] = " ".join(evidence) or None
    if rule.sums:
        amounts = [r["amount"] for r in run if r["amount"] is not None]
        ex["amount"] = sum(amounts, Decimal("0.00")) if amounts else None
        if len(run) > 1:
            ex["explanation"] = (f"{last['explanation']} The same was found {len(run)} times from"
                                 f" {_day(first['period_start'])} to {_day(last['period_end'])}"
                                 + (f": {_gbp(ex['amount'])} in all." if ex["amount"] is not None else "."))
    elif len(run) > 1:
        ex["explanation"] = (f"{last['explanation']} This has held in every period since"
                             f" {_day(first['period_start'])}; the amount is its size now.")
    return ex
