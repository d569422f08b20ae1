"""Standard crontab expressions turned into APScheduler 3 cron triggers.

APScheduler 3.x numbers weekdays from Monday = 0, while crontab(5) numbers them
from Sunday = 0 (7 is Sunday too); ``CronTrigger.from_crontab`` passes the numbers
through unchanged, so ``0 6 * * 1-5`` would run Tuesday to Saturday. This module
rewrites numeric weekdays as names, which both agree on.

When both day of month and day of week are restricted, crontab(5) fires on a day
that matches either field and APScheduler only on a day that matches both, so
such expressions are rejected.
"""

from __future__ import annotations

import re
from datetime import tzinfo

from apscheduler.triggers.cron import CronTrigger

_WEEKDAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_NUMERIC_WEEKDAYS = re.compile(r"^(?:(\*)|(\d)(?:-(\d))?)(?:/(\d+))?$")


def _weekday_element(element: str) -> str:
    match = _NUMERIC_WEEKDAYS.match(element)
    if match is None:
        # Names (mon-fri), and anything APScheduler will reject with its own message.
        return element
    star, first, last, step = match.groups()
    if star and not step:
        return element
    if star:
        start, end = 0, 6
    else:
        start = int(first)
        if last is not None:
            end = int(last)
        elif step:
            end = 7  # "5/2" in crontab means "from 5 to the end of the week, every second day"
        else:
            end = start
    if start > 7 or end > 7:
        raise ValueError(f"day of week {element!r} is out of range: use 0-7 (0 and 7 are Sunday) or mon-sun")
    if start > end:
        raise ValueError(f"day of week range {element!r} runs backwards")
    days = range(start, end + 1, int(step) if step else 1)
    names = dict.fromkeys(_WEEKDAY_NAMES[day % 7] for day in days)
    return ",".join(names)


def translate_weekdays(field: str) -> str:
    """Rewrite a crontab day-of-week field (Sunday = 0 or 7) with weekday names."""
    return ",".join(_weekday_element(element) for element in field.split(","))


def crontab_trigger(expression: str, timezone: tzinfo | str | None = None) -> CronTrigger:
    """Build a trigger from a five-field crontab expression: minute hour day month weekday.

    Raises ValueError naming the field that is invalid.
    """
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(
            f"cron expression {expression!r} has {len(fields)} fields; "
            "give five: minute hour day-of-month month day-of-week"
        )
    minute, hour, day, month, weekday = fields
    if day != "*" and weekday != "*":
        raise ValueError(
            f"cron expression {expression!r} restricts both the day of month and the day of week; "
            "restrict only one, because crontab and APScheduler combine the two differently"
        )
    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=translate_weekdays(weekday),
        timezone=timezone,
    )
