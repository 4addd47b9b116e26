"""The words the simulated council uses: people, providers, merchants, needs.

Two surname pools are kept apart on purpose. Personal assistants (PAs) take
their names from ``PA_SURNAMES``; the strangers a family wrongly pays come
from ``STRANGER_SURNAMES``; no merchant, provider or town contains a PA
surname as a word (a test checks it). That is what lets the ground truth
judge a payee against only the shared register and the account's own PAs:
a payment to "K OKAFOR" can match no PA anywhere in the register.

The needs are in the field's own words (support plans, short-break pages):
"help with washing, dressing and eating meals", "a break for the family".
"""

from __future__ import annotations

COUNCIL = "NORTHSHIRE"

FIRST_NAMES = (
    "JANE", "JOHN", "MARY", "DAVID", "SARAH", "PETER", "AMINA", "MOHAMMED", "PRIYA",
    "TOMASZ", "AGNIESZKA", "CHLOE", "LIAM", "GRACE", "OWEN", "FATIMA", "SEAN", "KWAME",
    "NIAMH", "HELEN", "IMRAN", "LUCY", "GARETH", "ELLIE", "RUTH", "CARLOS", "YASMIN",
    "DANIEL", "HANNAH", "OLUWASEUN", "MEGAN", "RAJESH", "SIOBHAN", "KAREN", "BEN",
)
# Names a bank prints with an accent: CP1252 and Latin-1 statements carry them.
ACCENTED_FIRST_NAMES = ("RENÉE", "ZOË", "JOSÉ", "CÉLINE", "ANDRÉ")

PA_SURNAMES = (
    "SMITH", "JONES", "TAYLOR", "BROWN", "WILLIAMS", "WILSON", "JOHNSON", "DAVIES",
    "ROBINSON", "WRIGHT", "THOMPSON", "EVANS", "WALKER", "ROBERTS", "THOMAS",
    "JACKSON", "CLARKE", "PATEL", "KHAN", "HUGHES", "EDWARDS", "MARTIN", "COOPER",
    "AHMED", "DUBOIS", "MORGAN", "NOWAK", "KOWALSKI", "MURPHY", "OKONKWO", "PARKER",
    "CARTER", "SHAW", "PHILLIPS", "TURNER", "COLLINS", "HUSSAIN", "BEGUM", "SINGH",
    "CHEN", "NGUYEN", "MOORE", "ALLEN", "YOUNG", "SCOTT", "HARRISON", "MITCHELL",
)
STRANGER_SURNAMES = (
    "OKAFOR", "BRENNAN", "FITZGERALD", "MCALLISTER", "PRZYBYLSKI", "ADEYEMI",
    "LINDQVIST", "HARGREAVES", "DOYLE", "NWOSU", "QUINN", "SUTCLIFFE", "FERREIRA",
    "ROSSI", "YILDIZ", "KAUR", "GALLAGHER", "ABERNETHY",
)
TITLES = ("Mr", "Mrs", "Ms", "Miss")
TOWNS = ("HALIFAX", "LEEDS", "BRADFORD", "HUDDERSFIELD", "KEIGHLEY", "SKIPTON", "OTLEY", "ILKLEY")

# name, the words every printed variant keeps (the payee pattern), category,
# invoices?, kind of unit, (rate range in pence), on the approved framework?
PROVIDERS = (
    ("BRIGHTSIDE CARE LTD", "BRIGHTSIDE", "agency_care", True, "hour", (2300, 2800), True),
    ("MEADOWVIEW CARE SERVICES", "MEADOWVIEW", "agency_care", True, "hour", (2350, 2850), True),
    ("KINGFISHER HOMECARE", "KINGFISHER", "agency_care", True, "hour", (2400, 2900), True),
    ("CEDARTREE HOMECARE LTD", "CEDARTREE", "agency_care", True, "hour", (2300, 2700), True),
    ("HOLLYBANK SUPPORT LTD", "HOLLYBANK", "agency_care", True, "hour", (2450, 2950), True),
    ("RIVERSIDE CARE AGENCY", "RIVERSIDE CARE", "agency_care", True, "hour", (2250, 2750), True),
    ("SUNFLOWER HOME CARE", "SUNFLOWER", "agency_care", True, "hour", (2400, 2800), True),
    ("ABBEYFIELD HOME SUPPORT", "ABBEYFIELD", "agency_care", True, "hour", (2350, 2900), True),
    ("HOMELY HELPERS LTD", "HOMELY HELPERS", "agency_care", True, "hour", (2600, 3200), False),
    ("QUICKCARE STAFFING", "QUICKCARE", "agency_care", True, "hour", (2800, 3400), False),
    ("OAKWOOD DAY CENTRE", "OAKWOOD DAY", "day_activity", True, "session", (4200, 6000), True),
    ("LINDEN RESOURCE CENTRE", "LINDEN RES", "day_activity", True, "session", (4000, 5800), True),
    ("ORCHARD DAY SERVICES", "ORCHARD DAY", "day_activity", True, "session", (4500, 6400), True),
    ("WILLOWS SHORT BREAKS", "WILLOWS SHORT", "short_break", True, "night", (18000, 26000), True),
    ("LITTLE OAKS RESPITE", "LITTLE OAKS", "short_break", True, "night", (17000, 24000), True),
    ("HARBOUR HOUSE SHORT BREAKS", "HARBOUR HOUSE", "short_break", True, "night", (19000, 25000), True),
    ("ADVENTURE PLAYSCHEME CIC", "ADVENTURE PLAY", "short_break", True, "session", (2500, 4000), True),
    ("GATEWAY CLUB", "GATEWAY CLUB", "social_activity", False, "session", (800, 1800), True),
    ("FRIENDSHIP CIRCLE CIC", "FRIENDSHIP CIR", "social_activity", False, "session", (1000, 2000), True),
    ("MINDFUL STEPS CIC", "MINDFUL STEPS", "social_activity", False, "session", (1200, 2500), True),
    ("ALLSORTS YOUTH CLUB", "ALLSORTS", "social_activity", False, "session", (600, 1500), True),
    ("DALESIDE COMMUNITY TRANSPORT", "DALESIDE", "transport", False, "trip", (600, 1400), True),
    ("RING AND RIDE NORTHSHIRE", "RING AND RIDE", "transport", False, "trip", (400, 900), True),
    ("MOBILITY WORLD LTD", "MOBILITY WORLD", "equipment", False, "item", (0, 0), True),
    ("CAREFREE AIDS", "CAREFREE AIDS", "equipment", False, "item", (0, 0), True),
)

# merchant, MCC: what a prepaid card's feed prints for ordinary purchases
MERCHANTS = {
    "social_activity": (
        ("PUREGYM", "7997"), ("ODEON CINEMAS", "7832"), ("COSTA COFFEE", "5814"),
        ("NANDOS", "5812"), ("CALDER LEISURE CENTRE", "7997"), ("THEATRE ROYAL", "7922"),
        ("STEPS DANCE ACADEMY", "7911"), ("JUMP TRAMPOLINE PARK", "7996"),
        ("CITY SWIM CLUB", "7997"), ("CAFÉ ROUGE", "5812"),
    ),
    "transport": (
        ("STREAMLINE TAXIS", "4121"), ("DELTA CARS", "4121"), ("FIRST BUS", "4131"),
        ("NORTHERN TRAINS", "4111"), ("SHELL", "5541"), ("NCP CAR PARK", "7523"),
    ),
    "equipment": (
        ("ARGOS", "5311"), ("BOOTS", "5912"), ("CARE CO LTD", "5047"), ("CURRYS", "5732"),
        ("HOMEBASE", "5200"), ("WHSMITH", "5943"), ("HOBBYCRAFT", "5945"),
    ),
    "day_activity": (
        ("CALDERDALE ADULT COLLEGE", "8299"), ("LEARNING CENTRE", "8299"),
        ("SUMMER ACTIVITY CAMP", "7032"),
    ),
}
INELIGIBLE_MERCHANTS = (
    ("BET365", "7995"), ("PADDY POWER", "7995"), ("BARGAIN BOOZE", "5921"),
    ("THE RED LION", "5813"), ("WETHERSPOON", "5813"), ("SMOKE AND VAPE", "5993"),
    ("DATEMATCH", "7273"),
)
BANK_BOOKMAKERS = ("BET365", "PADDYPOWER", "SKYBET", "BETFRED")
ATM_TEXTS = ("ATM WITHDRAWAL NOTEMACHINE", "CASH WITHDRAWAL HSBC", "ATM LLOYDS HIGH ST", "CASH SAINSBURYS BANK")

NEEDS = {
    "personal_assistant": (
        "help with washing, dressing and eating meals",
        "someone I know to support me at home and when I go out",
        "support to get up in the morning and go to bed",
    ),
    "agency_care": (
        "personal care - including help with washing, dressing and eating meals",
        "two visits a day to help with medication and meals",
        "help to stay safe at home",
    ),
    "short_break": (
        "overnight short breaks so the family can rest",
        "a break for my mum and dad",
        "short-term breaks (respite care)",
    ),
    "day_activity": (
        "going along to a centre each week",
        "learning new skills at college",
        "day time activities with my friends",
    ),
    "social_activity": (
        "getting out of the house and mixing with other people",
        "joining a specific club or activity class",
        "keeping fit for my mental health and wellbeing",
    ),
    "transport": (
        "getting to my activities",
        "confidence to get out and about",
    ),
    "equipment": (
        "equipment so I can stay safe at home",
        "a laptop to look for work",
    ),
    "employer_costs": (
        "payroll, tax and employer's insurance for my PA",
    ),
}
DOMAINS = {
    "personal_assistant": ("daily_living", "safety"),
    "agency_care": ("daily_living", "physical_health"),
    "short_break": ("carer_break",),
    "day_activity": ("social_participation", "work_learning", "confidence_skills"),
    "social_activity": ("social_participation", "wellbeing"),
    "transport": ("social_participation", "confidence_skills"),
    "equipment": ("safety", "physical_health", "work_learning"),
    "employer_costs": ("daily_living",),
}
