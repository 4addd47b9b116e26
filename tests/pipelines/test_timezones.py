"""The holder's UK date from a zoned time: OFX zones and ISO timestamps,
checked against zoneinfo around both clock changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.readers.ofx import read_ofx
from pipelines.text import normalise_date
from pipelines.timezones import london_date, ofx_local_time, zone_offset

LONDON = ZoneInfo("Europe/London")
# The last Sundays of March and October 2026: clocks forward at 01:00 UTC on
# 29 March, back at 01:00 UTC on 25 October.
CLOCK_CHANGES = [datetime(2026, 3, 29, 1, tzinfo=UTC), datetime(2026, 10, 25, 1, tzinfo=UTC)]
near_a_change = st.builds(
    lambda change, minutes: change + timedelta(minutes=minutes),
    st.sampled_from(CLOCK_CHANGES),
    st.integers(-36 * 60, 36 * 60),
)
# whole and half-hour offsets banks write, -12 to +14
offsets = st.integers(-24, 28).map(lambda halves: timedelta(minutes=30 * halves))


def ofx_zone(offset: timedelta) -> str:
    hours = offset.total_seconds() / 3600
    text = f"{hours:+.1f}".replace(".0", "")
    return f"[{text}:XXX]"


@settings(max_examples=400, deadline=None)
@given(near_a_change, offsets)
def test_ofx_time_in_any_zone_is_the_london_date(moment, offset):
    written = moment.astimezone(timezone(offset))
    value = written.strftime("%Y%m%d%H%M%S") + ofx_zone(offset)
    local, problem = ofx_local_time(value)
    assert problem is None
    expected = moment.astimezone(LONDON)
    assert local == expected.strftime("%Y%m%d%H%M%S")


@settings(max_examples=400, deadline=None)
@given(near_a_change, offsets, st.sampled_from(["T", " "]), st.booleans())
def test_iso_timestamp_with_offset_is_the_london_date(moment, offset, sep, colon):
    written = moment.astimezone(timezone(offset))
    stamp = written.strftime(f"%Y-%m-%d{sep}%H:%M:%S%z")
    if colon:
        stamp = stamp[:-2] + ":" + stamp[-2:]
    assert london_date(stamp) == moment.astimezone(LONDON).date().isoformat()
    assert normalise_date(stamp) == moment.astimezone(LONDON).date().isoformat()


@settings(max_examples=200, deadline=None)
@given(near_a_change)
def test_z_suffix_is_utc(moment):
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert london_date(stamp) == moment.astimezone(LONDON).date().isoformat()


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1)))
def test_a_time_without_a_zone_is_taken_as_written(naive):
    value = naive.strftime("%Y%m%d%H%M%S")
    assert ofx_local_time(value) == (value, None)
    assert london_date(naive.strftime("%Y-%m-%dT%H:%M:%S")) == naive.date().isoformat()


@pytest.mark.parametrize(
    ("value", "day"),
    [
        ("20260630230000[0:GMT]", "2026-07-01"),  # contract §1
        ("20260701000000[+1:BST]", "2026-07-01"),
        ("20260329003000[0:UTC]", "2026-03-29"),  # 00:30 GMT: before the change
        ("20260329013000[0:UTC]", "2026-03-29"),  # 02:30 BST
        ("20260328233000[0:UTC]", "2026-03-28"),  # still GMT: stays the 28th
        ("20261024230000[0:UTC]", "2026-10-25"),  # 00:00 BST on the 25th
        ("20261024225959[0:UTC]", "2026-10-24"),  # a second before: still the 24th
        ("20261025233000[0:UTC]", "2026-10-25"),  # GMT again: 23:30 stays the 25th
        ("20260630180000[-5:EST]", "2026-07-01"),
        ("20260630173000[-5:EST]", "2026-06-30"),
        ("20260630193000[-4.5:VET]", "2026-07-01"),
        ("20260630233000[+0]", "2026-07-01"),
        ("20260630233000[UTC]", "2026-07-01"),
        ("20260701080000[+9:JST]", "2026-07-01"),
        ("20260701070000[+9:JST]", "2026-06-30"),  # 22:00 UTC, 23:00 BST on the 30th
        ("20260630[+10:AEST]", "2026-06-30"),  # a date alone is the bank's date
    ],
)
def test_known_times(value, day):
    local, problem = ofx_local_time(value)
    assert problem is None
    assert f"{local[:4]}-{local[4:6]}-{local[6:8]}" == day


@pytest.mark.parametrize("zone", ["XYZ", "+99:ABC", "1:2:3", "+1.333:X", "--1"])
def test_unreadable_zones_are_reasons(zone):
    assert zone_offset(zone) is None
    local, problem = ofx_local_time(f"20260630233000[{zone}]")
    assert local == "20260630233000" and "time zone" in problem


def test_unreadable_zone_sets_the_transaction_aside():
    data = (
        b"<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>GBP<BANKACCTFROM><ACCTID>1"
        b"</BANKACCTFROM><BANKTRANLIST><STMTTRN><TRNTYPE>DEBIT"
        b"<DTPOSTED>20260630233000[Mars]<TRNAMT>-1.00<FITID>A</STMTTRN>"
        b"<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20260630233000[0:GMT]<TRNAMT>-2.00<FITID>B</STMTTRN>"
        b"</BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>"
    )
    parsed = read_ofx(data, "x.ofx")
    [q] = parsed.quarantined
    assert "[Mars]" in q.reason
    assert parsed.tables["statement_lines"]["date"].to_list() == ["2026-07-01"]


def test_look_alikes_are_not_timestamps():
    for text in ("2026-06-30", "30/06/2026", "2026-06-30T", "2026-13-01T00:00:00Z", "20260630"):
        assert london_date(text) is None
    assert normalise_date("2026-06-30") == date(2026, 6, 30).isoformat()


def test_a_remembered_date_is_read_again_with_the_formats_asked_for() -> None:
    # normalise_date remembers its answers (issue 20); the same text read with a
    # layout's own formats must not get the answer given for the default ones
    assert normalise_date("01/02/2026") == "2026-02-01"
    assert normalise_date("01/02/2026", ("%m/%d/%Y",)) == "2026-01-02"
    assert normalise_date(" 01/02/2026 ") == "2026-02-01"
    assert normalise_date("01/02/2026", ("%Y-%m-%d",)) is None
    assert normalise_date("x" * 100_000 + " 2026-01-02") is None
