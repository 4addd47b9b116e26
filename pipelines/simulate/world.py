"""The people, their budgets and support plans, and the providers they use.

A council's register is built once (agencies, day centres, short-break
providers, clubs, transport and equipment suppliers, with their framework
rates); then each account is a life: a cohort (adult social care, a child's
short-break budget, a time-limited mental-health budget, a personal health
budget), terms that start and end at different dates and are often renewed
(same account, new ``budget_id``, new term), and a support plan costed line
by line.

Worked example: an adult with a PA for 10 hours a week at £13.50 and an
agency for 7 hours at £25.00, a 365-day term. The PA line plans
10 × £13.50 × 365 / 7 = £7,039.29, the agency line 7 × £25.00 × 365 / 7 =
£9,125.00, the employer-costs line 8% of the PA line = £563.14; the agreed
budget is their sum, £16,727.43. With a £20 weekly contribution
(£1,042.86 over the term) and four-weekly payments (14 of them) the council
pays (£16,727.43 − £1,042.86) / 14 = £1,120.33 each time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from pipelines.simulate import names
from pipelines.simulate.common import add_months_ord, money_weeks, rhe
from pipelines.simulate.records import Budget, PlanLine, Provider

COHORT_TERMS = {"adult": (6, 12, 12, 12), "child": (12,), "mental_health": (3, 6, 6), "health": (6, 12, 12)}
RENEWAL = {"adult": 0.85, "child": 0.9, "mental_health": 0.55, "health": 0.8}
MAJOR = ("personal_assistant", "agency_care")
# problems and look-alikes that need a personal assistant on the plan
PA_WANTS = frozenset({"EMPLOYER_DUTIES", "LOOKALIKE_PAYROLL_SERVICE", "LOOKALIKE_PA_BELOW_THRESHOLD",
                      "LOOKALIKE_RELATED_PA"})
INVOICE_WANTS = frozenset(
    {"RATE_ABOVE_AGREED", "INVOICE_UNPAID", "LOOKALIKE_LATE_PAID", "DUPLICATE_PAYMENT"}
)


@dataclass
class World:
    seed: int
    start: int  # first day simulated
    as_of: int  # the run date: start + months
    months: int
    providers: list[Provider]
    by_id: dict[str, Provider] = field(default_factory=dict)
    offsets: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        self.by_id = {p.provider_id: p for p in self.providers}

    def approved(self, category: str, unit: str | None = None) -> list[Provider]:
        return [
            p
            for p in self.providers
            if p.approved and p.category == category and (unit is None or p.unit == unit)
        ]


def build_world(seed: int, start: int, as_of: int, months: int) -> World:
    rng = random.Random(f"{seed}:world")
    providers = []
    for n, (name, key, category, invoices, unit, (lo, hi), approved) in enumerate(names.PROVIDERS, 1):
        rate = rng.randrange(lo, hi + 1, 10) if hi else None
        short = name.replace(" LTD", "").replace(" CIC", "")
        printed = tuple(dict.fromkeys((name, name[:18].rstrip(), short)))
        providers.append(
            Provider(
                provider_id=f"PR{n:03d}",
                name=name.title().replace("Cic", "CIC"),
                patterns=(key, short) if short != key else (key,),
                printed=printed,
                category=category,
                approved=approved,
                agreed_rate=rate,
                invoices=invoices,
                ubl=invoices and rng.random() < 0.3,
                unit=unit,
                code=key.replace(" ", "")[:3],
            )
        )
    offsets = tuple(rng.randrange(10**10) for _ in range(4))
    return World(seed=seed, start=start, as_of=as_of, months=months, providers=providers, offsets=offsets)


def account_ids(world: World, i: int, channel: str) -> tuple[str, str]:
    """(account_id as the statements name it, the bank's sort code)."""
    o = world.offsets
    if channel == "prepaid":
        return f"PC{(i * 7919 + o[0]) % 10**10:010d}", ""
    if channel == "nationwide":
        # the register names the account as the bank masks it; the statement preamble adds the product name
        return f"****{(i * 7 + o[1]) % 10**5:05d}", "070116"
    sort_code = ("309634", "200415", "401276", "601613")[(i + o[2]) % 4]
    return f"{sort_code}{(i * 1000003 + o[3]) % 10**8:08d}", sort_code


def plan_terms(rng: random.Random, world: World, cohort: str, wants: set[str]) -> list[tuple[int, int]]:
    """The account's terms, in order: each starts the day after the last ends, or later."""
    window = world.as_of - world.start
    if "OUTSIDE_TERM" in wants:
        s = world.start + rng.randrange(0, 21)
        for months in (6, 3):
            e = add_months_ord(s, months) - 1
            if e <= world.as_of - 40:
                return [(s, e)]
        wants.discard("OUTSIDE_TERM")
    long_needed = wants & {"SURPLUS_BALANCE", "OVERSPEND"}
    s = world.start + rng.randrange(0, max(1, min(120, window // 3)))
    if long_needed:
        s = world.start + rng.randrange(0, max(1, min(30, window // 6)))
    terms = []
    while s < world.as_of:
        months = 12 if long_needed and not terms else rng.choice(COHORT_TERMS[cohort])
        e = add_months_ord(s, months) - 1
        terms.append((s, e))
        if e >= world.as_of - 1 or rng.random() >= RENEWAL[cohort]:
            break
        gap = rng.randrange(7, 29) if cohort == "mental_health" and rng.random() < 0.5 else 0
        s = e + 1 + gap
    return terms


def _line_specs(rng: random.Random, world: World, cohort: str, card: bool, wants: set[str]) -> list[dict]:
    """What the plan buys, before it is costed for a term."""
    specs: list[dict] = []
    need_invoice = bool(wants & INVOICE_WANTS) or bool(wants & {"SURPLUS_BALANCE", "OVERSPEND"})

    def add(category: str, units: int, rate: int, channel: str, provider: Provider | None = None) -> None:
        merchants: tuple[tuple[str, str], ...] = ()
        if channel in ("card", "oneoff_card"):
            pool = names.MERCHANTS[category]
            merchants = tuple(rng.sample(pool, min(len(pool), rng.choice((1, 2, 2, 3)))))
        specs.append(
            {
                "category": category,
                "units": units,
                "rate": rate,
                "channel": channel,
                "provider": provider,
                "merchants": merchants,
                "weekday": rng.randrange(7),
                # how much of the plan the family really uses: major lines nearly all of it
                "ratio": rng.randint(*{"invoice": (94, 101), "wages": (95, 101), "card": (86, 97)}.get(
                    channel, (90, 100))),
                "need": rng.choice(names.NEEDS[category]),
                "domain": rng.choice(names.DOMAINS[category]),
            }
        )

    def agency(lo: int, hi: int) -> None:
        p = rng.choice(world.approved("agency_care"))
        rate = p.agreed_rate or 2500
        if rng.random() < 0.1:  # a rate agreed in the plan above the framework's
            rate += rng.randrange(100, 250, 10)
        add("agency_care", rng.randrange(lo, hi + 1, 50), rate, "invoice", p)

    def pa(lo: int, hi: int) -> None:
        add("personal_assistant", rng.randrange(lo, hi + 1, 50), rng.randrange(1260, 1551, 10), "wages")

    def sessions(category: str, units: tuple[int, ...], lo: int, hi: int) -> None:
        if card:
            add(category, rng.choice(units), rng.randrange(lo, hi + 1, 10), "card")
        else:
            p = rng.choice(world.approved(category))
            add(category, rng.choice(units), p.agreed_rate or lo, "transfer", p)

    if cohort in ("adult", "health"):
        has_pa = rng.random() < (0.45 if cohort == "adult" else 0.5) or bool(wants & PA_WANTS)
        has_agency = need_invoice or rng.random() < (0.55 if has_pa else 0.9) or not has_pa
        if has_pa:
            if wants & {"EMPLOYER_DUTIES", "LOOKALIKE_PAYROLL_SERVICE"}:
                pa(2000, 2600)  # well above the PAYE threshold
            elif "LOOKALIKE_PA_BELOW_THRESHOLD" in wants:
                pa(600, 1000)  # a few hours a week: below both thresholds
            else:
                pa(600, 2000)
        if has_agency:
            agency(400, 1400) if cohort == "adult" else agency(700, 2100)
        if cohort == "adult" and rng.random() < 0.3:
            p = rng.choice(world.approved("day_activity"))
            add("day_activity", rng.choice((100, 200)), p.agreed_rate or 5000, "invoice", p)
        if rng.random() < (0.55 if cohort == "adult" else 0.25):
            sessions("social_activity", (100, 200), 800, 2500)
        if rng.random() < 0.3:
            sessions("transport", (100, 200, 300), 600, 1500)
        if rng.random() < (0.15 if cohort == "adult" else 0.3):
            specs.append({"category": "equipment", "oneoff": True})
    elif cohort == "child":
        nights = rng.random() < 0.6 or need_invoice
        if nights:
            p = rng.choice(world.approved("short_break", "night"))
            add("short_break", rng.choice((25, 50, 50, 75)), p.agreed_rate or 20000, "invoice", p)
        if not nights or rng.random() < 0.3:
            p = world.approved("short_break", "session")[0]
            add("short_break", rng.choice((100, 200)), p.agreed_rate or 3000, "invoice", p)
        if rng.random() < 0.7:
            sessions("social_activity", (100, 200), 600, 1800)
        if rng.random() < 0.25:
            pa(300, 800)
        if rng.random() < 0.2:
            sessions("transport", (100, 200), 600, 1200)
    else:  # mental_health: time-limited, recovery-focused
        if rng.random() < 0.85 or not card:
            sessions("social_activity", (100, 200), 1000, 2500)
        if need_invoice or rng.random() < 0.4:
            if card and not need_invoice:
                add("day_activity", 100, rng.randrange(1500, 3501, 10), "card")
            else:
                p = rng.choice(world.approved("day_activity"))
                add("day_activity", 100, p.agreed_rate or 5000, "invoice", p)
        if rng.random() < 0.3:
            sessions("transport", (100, 200), 600, 1200)
        if rng.random() < 0.1:
            pa(300, 600)
        if rng.random() < 0.15:
            specs.append({"category": "equipment", "oneoff": True})
    if not any(s.get("channel") in ("card", "wages", "transfer", "invoice") for s in specs):
        sessions("social_activity", (100,), 800, 2000)
    if card and not any(s.get("channel") in ("card", "wages") for s in specs):
        # every card sees a purchase each week: the monthly feed then covers the month
        add("transport", 100, rng.randrange(600, 1201, 10), "card")
    return specs


def cost_plan(
    rng: random.Random, world: World, specs: list[dict], budget_id: str, days: int, card: bool
) -> list[PlanLine]:
    lines: list[PlanLine] = []
    weekly = 0
    for spec in specs:
        if spec.get("oneoff"):
            continue
        weekly += rhe(spec["units"] * spec["rate"], 100)
        provider = spec["provider"]
        lines.append(
            PlanLine(
                budget_id=budget_id,
                line_id="",
                need=spec["need"],
                outcome_domain=spec["domain"],
                category=spec["category"],
                provider_id=provider.provider_id if provider else None,
                weekly_units_x100=spec["units"],
                unit_rate=spec["rate"],
                planned_amount=money_weeks(spec["units"], spec["rate"], days),
                channel=spec["channel"],
                merchants=spec["merchants"],
                weekday=spec["weekday"],
                spend_ratio=spec["ratio"],
            )
        )
    pa = next((ln for ln in lines if ln.category == "personal_assistant"), None)
    if pa is not None:
        amount = rhe(pa.planned_amount * 8, 100)
        lines.append(
            PlanLine(budget_id, "", rng.choice(names.NEEDS["employer_costs"]), "daily_living",
                     "employer_costs", None, 0, amount, amount, channel="hmrc")
        )
    agreed_so_far = sum(ln.planned_amount for ln in lines)
    for spec in specs:
        if spec.get("oneoff") and days >= 150 and agreed_so_far >= 500000:
            price = min(rng.randrange(8000, 60001, 100), agreed_so_far * 4 // 100)
            if card:
                merchants = (rng.choice(names.MERCHANTS["equipment"]),)
                lines.append(PlanLine(budget_id, "", rng.choice(names.NEEDS["equipment"]),
                                      rng.choice(names.DOMAINS["equipment"]), "equipment", None,
                                      0, price, price, channel="oneoff_card", merchants=merchants))
            else:
                p = rng.choice(world.approved("equipment"))
                lines.append(PlanLine(budget_id, "", rng.choice(names.NEEDS["equipment"]),
                                      rng.choice(names.DOMAINS["equipment"]), "equipment",
                                      p.provider_id, 0, price, price, channel="oneoff_transfer"))
    for n, line in enumerate(lines, 1):
        line.line_id = f"L{n}"
    return lines


def make_pa(rng: random.Random, i: int, accented: bool, surname: str | None = None) -> Provider:
    first = rng.choice(names.ACCENTED_FIRST_NAMES if accented else names.FIRST_NAMES)
    drawn = rng.choice(names.PA_SURNAMES)
    surname = surname or drawn
    initial = first[0]
    return Provider(
        provider_id=f"PA{i:06d}",
        name=f"{first.title()} {surname.title()}",
        patterns=(rf"\b{initial} {surname}\b", rf"\b{first} {surname}\b"),
        printed=(f"{initial} {surname}", f"{first} {surname}"),
        category="personal_assistant",
        approved=False,
        agreed_rate=None,
        unit="hour",
    )


def payment_schedule(start: int, end: int, frequency: str) -> list[int]:
    days = []
    k = 0
    while True:
        if frequency == "weekly":
            day = start + 7 * k
        elif frequency == "four_weekly":
            day = start + 28 * k
        else:
            day = add_months_ord(start, k)
        if day > end:
            return days
        days.append(day)
        k += 1


def make_budget(
    rng: random.Random,
    world: World,
    *,
    budget_id: str,
    person: dict,
    cohort: str,
    account_id: str,
    term: tuple[int, int],
    lines: list[PlanLine],
    frequency: str,
    contribution: int,
) -> Budget:
    s, e = term
    days = e - s + 1
    agreed = sum(ln.planned_amount for ln in lines)
    contribution_total = rhe(contribution * days, 7)
    n = len(payment_schedule(s, e, frequency))
    payment = rhe(agreed - contribution_total, n)
    estimated = None if rng.random() < 0.1 else rhe(agreed * rng.randint(85, 115), 100 * 1000) * 1000
    # the register shows the next planned review (first at six months, then yearly);
    # a budget too new for its first review may have none recorded yet
    review = next_review(s, world.as_of)
    if rng.random() < 0.15 and (add_months_ord(s, 6) >= world.as_of or e < world.as_of):
        review = None
    return Budget(
        budget_id=budget_id,
        person_ref=person["ref"],
        holder_name=person["holder"],
        managed_by=person["managed_by"],
        cohort=cohort,
        account_id=account_id,
        start=s,
        end=e,
        estimated_amount=estimated,
        agreed_amount=agreed,
        payment_frequency=frequency,
        payment_amount=payment,
        weekly_contribution=contribution,
        review_date=review,
        status="ended" if e < world.as_of else "active",
        lines=lines,
        contributor=person["contributor"],
    )


def next_review(start: int, as_of: int) -> int:
    """The first review date on or after ``as_of``: six months after the start, then every twelve."""
    k = 0
    while add_months_ord(start, 6 + 12 * k) < as_of:
        k += 1
    return add_months_ord(start, 6 + 12 * k)


def make_person(rng: random.Random, world: World, i: int, cohort: str) -> dict:
    first = rng.choice(names.FIRST_NAMES)
    surname = rng.choice(names.PA_SURNAMES + names.STRANGER_SURNAMES)
    title = rng.choice(names.TITLES)
    if cohort == "child":
        managed_by = "family"
    elif cohort == "mental_health":
        managed_by = "self" if rng.random() < 0.8 else "representative"
    else:
        managed_by = rng.choices(("self", "family", "representative", "managed_account"), (45, 30, 10, 15))[0]
    return {
        "ref": f"P{(i * 104729 + world.offsets[0]) % 10**7:07d}",
        "holder": f"{title} {first[0]} {surname.title()}",
        "contributor": f"{first[0]} {surname}",
        "managed_by": managed_by,
    }


def weekly_cost(lines: list[PlanLine]) -> int:
    return sum(rhe(ln.weekly_units_x100 * ln.unit_rate, 100) for ln in lines if ln.weekly_units_x100)
