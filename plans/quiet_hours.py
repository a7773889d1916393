"""When an automatic reminder may go out: quiet hours and Sundays, practice time zone (pure).

Quiet hours run from `start` to `end` on the local clock, across midnight when `end` is earlier
(20:00 to 8:00 by default); the same time in both means no quiet hours. Without `sundays`, the
whole local Sunday is quiet too.
"""

import datetime
from zoneinfo import ZoneInfo

UTC = datetime.UTC
_MIDNIGHT = datetime.time(0, 0)


def _quiet_at(local: datetime.datetime, start: datetime.time, end: datetime.time) -> bool:
    clock = local.time()
    if start == end:
        return False
    if start < end:
        return start <= clock < end
    return clock >= start or clock < end


def is_allowed(
    at: datetime.datetime,
    *,
    tz: ZoneInfo,
    start: datetime.time,
    end: datetime.time,
    sundays: bool,
) -> bool:
    local = at.astimezone(tz)
    if not sundays and local.weekday() == 6:
        return False
    return not _quiet_at(local, start, end)


def _allowed_windows(
    start: datetime.time, end: datetime.time
) -> list[tuple[datetime.time, datetime.time | None]]:
    """The parts of a local day outside quiet hours; None as an end means midnight after."""
    if start == end:
        return [(_MIDNIGHT, None)]
    if end < start:  # quiet across midnight: allowed in the middle of the day
        return [(end, start)]
    return [(_MIDNIGHT, start), (end, None)]


def _instant(day: datetime.date, clock: datetime.time, tz: ZoneInfo) -> datetime.datetime:
    # The first instant of that wall-clock time (fold=0 is the earlier of a repeated hour).
    return datetime.datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)


def next_allowed(
    at: datetime.datetime,
    *,
    tz: ZoneInfo,
    start: datetime.time,
    end: datetime.time,
    sundays: bool,
) -> datetime.datetime:
    """`at` itself when a reminder may go out then, else the first moment after it that may."""
    at = at.astimezone(UTC)
    today = at.astimezone(tz).date()
    for offset in range(9):  # a week and a margin: some day is always allowed
        day = today + datetime.timedelta(days=offset)
        if not sundays and day.weekday() == 6:
            continue
        for window_start, window_end in _allowed_windows(start, end):
            opens = _instant(day, window_start, tz)
            closes = (
                _instant(day + datetime.timedelta(days=1), _MIDNIGHT, tz)
                if window_end is None
                else _instant(day, window_end, tz)
            )
            if at < closes:
                return max(at, opens)
    raise AssertionError("no allowed moment within nine days")  # unreachable: Monday is allowed
