"""Payee text: what the bank prints must be judged the way the simulator meant it."""

from __future__ import annotations

import re

from pipelines.simulate import SimParams, names
from pipelines.simulate.account import build_account
from pipelines.simulate.truth import Judge
from pipelines.simulate.world import build_world
from schemas.policy import Policy


def _words(text: str) -> set[str]:
    return set(re.findall(r"[A-Z']+", text.upper()))


def test_pa_surnames_appear_in_no_other_text() -> None:
    """So a payment to a stranger, a merchant or a provider can never match a PA's pattern."""
    others = [p[0] for p in names.PROVIDERS]
    others += [m for pool in names.MERCHANTS.values() for m, _ in pool]
    others += [m for m, _ in names.INELIGIBLE_MERCHANTS]
    others += list(names.BANK_BOOKMAKERS) + list(names.ATM_TEXTS) + list(names.TOWNS)
    others += [names.COUNCIL, "HMRC PAYE", "REFUND", "SESSIONS", "WAGES", "CONTRIB"]
    pa = set(names.PA_SURNAMES)
    for text in others:
        assert not (_words(text) & pa), text
    assert not pa & set(names.STRANGER_SURNAMES)
    for stranger in names.STRANGER_SURNAMES:
        assert not any(stranger.startswith(s) for s in pa), stranger


def test_ordinary_texts_trip_no_policy_pattern() -> None:
    policy = Policy()
    ruled_out = re.compile("|".join(policy.ineligible_payee_patterns + policy.cash_payee_patterns
                                    + policy.statutory_payee_patterns), re.IGNORECASE)
    ordinary = [p[0] for p in names.PROVIDERS] + [m for pool in names.MERCHANTS.values() for m, _ in pool]
    ordinary += [f"{f} {s}" for f in names.FIRST_NAMES + names.ACCENTED_FIRST_NAMES for s in names.PA_SURNAMES]
    for text in ordinary:
        assert not ruled_out.search(text), text
    for text, _ in names.INELIGIBLE_MERCHANTS[:2]:
        assert re.search("|".join(policy.ineligible_payee_patterns), text, re.IGNORECASE)
    for text in names.ATM_TEXTS:
        assert re.search("|".join(policy.cash_payee_patterns), text, re.IGNORECASE)


def test_money_in_is_recognised_as_meant() -> None:
    """Council payments and contributions classify as such under the default policy."""
    params = SimParams(accounts=120, months=12, seed=5)
    world = build_world(params.seed, params.start.toordinal(), params.as_of.toordinal(), params.months)
    judge = Judge(Policy(), world.providers)
    for i in range(params.accounts):
        acct = build_account(world, i)
        for t in acct.txns:
            council, contribution, cash, statutory, ineligible = judge.text_tests(t.payee, t.memo)
            if t.kind == "council":
                assert council, t
            elif t.kind == "contribution":
                assert contribution and not council, t
            elif t.kind == "hmrc":
                assert statutory, t
            elif t.kind == "cash":
                assert cash, t
            elif t.kind in ("wages", "invoice_payment", "transfer"):
                assert not (cash or statutory or ineligible or council), t
