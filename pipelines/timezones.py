"""The account holder's own date: a time that carries a zone is converted to
UK local time (Europe/London) before its date is taken; a time without a
zone is taken as written (contract §1, evidence/ "Dates").

Banks write times in many zones. An OFX file may say ``20260630230000[0:GMT]``
(23:00 GMT on 30 June is 00:00 BST on 1 July, so the purchase is a 1 July
one), ``20260701000000[+1:BST]`` (already UK time: 1 July), ``[-5:EST]``,
``[-4.5:VET]``, a bare offset ``[+2]`` or a zone name alone ``[UTC]``. A
prepaid-card platform's CSV may say ``2026-03-29T00:30:00Z`` (the night the
clocks go forward: 00:30 GMT, still 29 March) or ``2026-10-24T23:30:00Z``
(00:30 BST on 25 October). Getting this wrong moves a payment across a
month end: a £450.00 wage paid at 23:30 GMT on 31 March 2026 (00:30 BST on
1 April) belongs to April's period and the new tax quarter.

A zone that cannot be read is a reason, not a guess: the transaction is set
aside rather than dated by the clock time alone.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
# Hours from UTC of the zone names banks write without an offset (or beside one).
ZONE_NAMES = {
    "UTC": 0,
    "GMT": 0,
    "UT": 0,
    "Z": 0,
    "WET": 0,
    "BST": 1,
    "IST": 1,  # Irish Standard Time as Irish banks write it
    "CET": 1,
    "WEST": 1,
    "CEST": 2,
    "EET": 2,
    "EEST": 3,
    "EST": -5,
    "EDT": -4,
    "CST": -6,
    "CDT": -5,
    "MST": -7,
    "MDT": -6,
    "PST": -8,
    "PDT": -7,
    "AEST": 10,
    "AEDT": 11,
}
_LABEL = re.compile(r"[A-Za-z]{0,10}")
_HOURS = re.compile(r"[+-]?[0-9]{1,2}(?:\.[0-9]{1,2})?")
_OFX_TIME = re.compile(r"([0-9]{8})([0-9]{4}(?:[0-9]{2})?)?(?:\.[0-9]{1,6})?")
_ISO_STAMP = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
    r"\s*(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)?",
    re.I,
)
_LONGEST_OFFSET = 14  # hours: no zone on earth is further from UTC


def split_ofx_zone(value: str) -> tuple[str, str | None]:
    """``20260701000000.000[+1:BST]`` -> (``20260701000000.000``, ``+1:BST``)."""
    end = value.rstrip()
    if not end.endswith("]"):
        return value, None
    # the last [...] (string search: a regex was quadratic on long junk)
    opening = value.find("[", value.rfind("]", 0, len(end) - 1) + 1, len(end) - 1)
    if opening < 0:
        return value, None
    return value[:opening].rstrip(), end[opening + 1 : -1]


def zone_offset(zone: str) -> timedelta | None:
    """The offset an OFX zone names, or None when it cannot be read.

    >>> zone_offset("+1:BST"), zone_offset("-4.5:VET"), zone_offset("UTC"), zone_offset("+3")
    (datetime.timedelta(seconds=3600), datetime.timedelta(days=-1, seconds=70200), datetime.timedelta(0), datetime.timedelta(seconds=10800))
    >>> zone_offset("XYZ") is None, zone_offset("+99:ABC") is None
    (True, True)
    """
    number, sep, name = zone.partition(":")
    number, name = number.strip(), name.strip()
    if not sep and not _HOURS.fullmatch(number):
        number, name = "", number  # a zone name alone: [UTC]
    if not _LABEL.fullmatch(name):
        return None
    if number:  # the offset is what the spec requires; a name beside it is a label
        if not _HOURS.fullmatch(number):
            return None
        hours = Decimal(number)
    else:
        named = ZONE_NAMES.get(name.upper())
        if named is None:
            return None
        hours = Decimal(named)
    if abs(hours) > _LONGEST_OFFSET:
        return None
    return timedelta(minutes=int(hours * 60))


def ofx_local_time(value: str) -> tuple[str, str | None]:
    """An OFX date-time as the holder's UK local clock, without zone or
    milliseconds, and a reason when its zone cannot be read.

    >>> ofx_local_time("20260630230000[0:GMT]")
    ('20260701000000', None)
    >>> ofx_local_time("20260701000000.000[+1:BST]")
    ('20260701000000', None)
    >>> ofx_local_time("20260630180000[-5:EST]")
    ('20260701000000', None)
    >>> ofx_local_time("20260630120000")
    ('20260630120000', None)

    A date without a time is the bank's date and is kept as written:
    ``20260630[+10:AEST]`` stays 30 June.
    """
    clock, zone = split_ofx_zone(value)
    m = _OFX_TIME.fullmatch(clock.strip())
    if m is None:
        return clock, None  # not a date at all: the reader says so
    plain = m.group(1) + (m.group(2) or "")
    if zone is None or m.group(2) is None:
        return plain, None
    offset = zone_offset(zone)
    if offset is None:
        return plain, (
            f"the time '{value.strip()[:60]}' names a time zone dprecon cannot read "
            f"('[{zone[:20]}]'), so its UK date is not certain"
        )
    fmt = "%Y%m%d%H%M%S" if len(m.group(2)) == 6 else "%Y%m%d%H%M"
    try:
        when = datetime.strptime(plain, fmt).replace(tzinfo=timezone(offset))
    except ValueError:
        return plain, None  # 31 February: the reader says it is not a real date
    return when.astimezone(LONDON).strftime(fmt), None


def london_date(text: str) -> str | None:
    """The UK date of an ISO timestamp (``2026-03-29T00:30:00Z``,
    ``2026-10-25T00:30:00+01:00``), or None when ``text`` is not one.

    >>> london_date("2026-10-24T23:30:00Z"), london_date("2026-10-24T23:30:00")
    ('2026-10-25', '2026-10-24')
    """
    s = text.strip()
    if not _ISO_STAMP.fullmatch(s):
        return None
    s = s.replace(" ", "T", 1).replace(" ", "")
    if s[-1] in "zZ":
        s = s[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(s)
    except ValueError:
        return None
    if when.tzinfo is not None:
        when = when.astimezone(LONDON)
    return when.date().isoformat()
