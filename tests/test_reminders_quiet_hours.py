"""Quiet hours and Sundays in the practice's time zone (plans.quiet_hours, pure)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plans.quiet_hours import is_allowed, next_allowed

CHICAGO = ZoneInfo("America/Chicago")
EIGHT, TWENTY = datetime.time(8, 0), datetime.time(20, 0)


def chicago(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=CHICAGO)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        # Wednesday 4 March 2026.
        (chicago(2026, 3, 4, 12, 0), chicago(2026, 3, 4, 12, 0)),
        (chicago(2026, 3, 4, 8, 0), chicago(2026, 3, 4, 8, 0)),
        (chicago(2026, 3, 4, 7, 59), chicago(2026, 3, 4, 8, 0)),
        (chicago(2026, 3, 4, 20, 0), chicago(2026, 3, 5, 8, 0)),
        (chicago(2026, 3, 4, 23, 30), chicago(2026, 3, 5, 8, 0)),
        # Saturday night waits for Monday morning: Sunday is quiet for texts.
        (chicago(2026, 3, 7, 21, 0), chicago(2026, 3, 9, 8, 0)),
        (chicago(2026, 3, 8, 11, 0), chicago(2026, 3, 9, 8, 0)),
    ],
)
def test_texts_wait_for_eight_in_the_morning_and_skip_sundays(at, expected):
    result = next_allowed(at, tz=CHICAGO, start=TWENTY, end=EIGHT, sundays=False)

    assert result == expected
    assert result.tzinfo == datetime.UTC


def test_with_sundays_allowed_sunday_morning_is_fine():
    sunday_night = chicago(2026, 3, 7, 21, 0)

    result = next_allowed(sunday_night, tz=CHICAGO, start=TWENTY, end=EIGHT, sundays=True)

    assert result == chicago(2026, 3, 8, 8, 0)  # the day daylight saving starts, 8:00 CDT


def test_the_same_time_twice_means_no_quiet_hours():
    midnight = datetime.time(0, 0)
    at = chicago(2026, 3, 4, 3, 0)

    assert next_allowed(at, tz=CHICAGO, start=midnight, end=midnight, sundays=True) == at


def test_quiet_hours_inside_the_day():
    lunch = {"start": datetime.time(12, 0), "end": datetime.time(13, 30)}

    assert next_allowed(chicago(2026, 3, 4, 12, 10), tz=CHICAGO, sundays=True, **lunch) == (
        chicago(2026, 3, 4, 13, 30)
    )
    assert next_allowed(chicago(2026, 3, 4, 11, 0), tz=CHICAGO, sundays=True, **lunch) == (
        chicago(2026, 3, 4, 11, 0)
    )


def test_local_time_not_utc_decides():
    # 01:30 UTC on Thursday is 19:30 on Wednesday in Chicago: still allowed there.
    at = datetime.datetime(2026, 3, 5, 1, 30, tzinfo=datetime.UTC)

    assert next_allowed(at, tz=CHICAGO, start=TWENTY, end=EIGHT, sundays=False) == at
    tokyo = next_allowed(at, tz=ZoneInfo("Asia/Tokyo"), start=TWENTY, end=EIGHT, sundays=False)
    assert tokyo == at  # 10:30 in Tokyo


ZONES = ["UTC", "America/Chicago", "America/New_York", "Europe/Berlin", "Australia/Sydney"]
# Quiet-hour boundaries outside 0:00-3:59, where daylight saving moves the clocks.
BOUNDARIES = st.builds(
    datetime.time, st.integers(min_value=4, max_value=23), st.sampled_from([0, 15, 30, 45])
)


@settings(max_examples=150, deadline=None)
@given(
    at=st.datetimes(
        min_value=datetime.datetime(2025, 1, 1),  # noqa: DTZ001 hypothesis wants naive bounds
        max_value=datetime.datetime(2027, 12, 31),  # noqa: DTZ001
        timezones=st.just(datetime.UTC),
    ),
    zone=st.sampled_from(ZONES),
    start=BOUNDARIES,
    end=BOUNDARIES,
    sundays=st.booleans(),
)
def test_the_next_allowed_moment_is_allowed_and_nothing_earlier_is(at, zone, start, end, sundays):
    rules = {"tz": ZoneInfo(zone), "start": start, "end": end, "sundays": sundays}

    result = next_allowed(at, **rules)

    assert result >= at
    assert is_allowed(result, **rules)
    assert result - at <= datetime.timedelta(days=2, hours=1)  # a quiet Sunday after a night
    # No allowed minute in between.
    probe = at
    while probe < result:
        assert not is_allowed(probe, **rules), probe
        probe += datetime.timedelta(minutes=1)
