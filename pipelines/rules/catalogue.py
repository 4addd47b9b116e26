"""The modules that hold rules: importing this declares every rule in the registry.

A new rule module is added here once; its rules are then run, reported,
simulated and documented without another edit.
"""

from pipelines.rules import (
    balances,
    employer,
    evidence,
    invoices,
    low_balance,
    money_in,
    related,
    reviews,
    spending,
    statements,
)

MODULES = (balances, spending, invoices, statements, evidence, low_balance, money_in, employer, reviews, related)
