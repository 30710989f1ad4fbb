"""Cron schedules evaluated in an IANA time zone, with the daylight-saving rules stated
in the design: a local time that does not exist (spring forward) fires at the first
instant after the gap; a local time that occurs twice (fall back) fires once, at its
first occurrence.

croniter is used on naive local wall-clock times only, so its own DST handling (which
fires a repeated local time twice) never applies: each matching wall-clock time is
mapped to exactly one UTC instant here. Pure domain logic, no I/O. croniter is imported
where it is used: every function imports this module, and most never evaluate a cron."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from shared.clock import as_utc
from shared.errors import BadRequest

INVALID_CRON = "Invalid cron expression"

# unix-cron as Cloud Scheduler accepts it: numbers, JAN..DEC / SUN..SAT names, '*',
# ranges, steps and lists; no seconds field, no L / W / # / ? / H extensions, no macros.
_ATOM = r"(?:\*|[0-9]{1,2}|[A-Za-z]{3})"
_ITEM = rf"{_ATOM}(?:-{_ATOM})?(?:/[0-9]{{1,2}})?"
_FIELD = re.compile(rf"^{_ITEM}(?:,{_ITEM})*$")
_NOT_ZONES = {"localtime", "posixrules", "Factory"}
# Whether a cron fires does not depend on the year (it has no year field), and the
# longest wait between two slots is 8 years: 29 February across a century that is no
# leap year. Searching further only costs time on a cron that never fires (30 February).
MAX_YEARS_BETWEEN_SLOTS = 9
NEVER_FIRES_PROBE = datetime(2096, 3, 1, tzinfo=UTC)  # the 8-year wait is the next one


def check_cron(expression: object) -> str:
    """The expression, normalised to single spaces, or 400 ``Invalid cron expression``."""
    if not isinstance(expression, str):
        raise BadRequest(INVALID_CRON, details={"success": False})
    fields = expression.split()
    if len(fields) != 5 or not all(_FIELD.match(f) for f in fields):
        raise BadRequest(INVALID_CRON, details={"success": False})
    normalised = " ".join(fields)
    from croniter import croniter

    if not croniter.is_valid(normalised):
        raise BadRequest(INVALID_CRON, details={"success": False})
    if next(Schedule(normalised, "UTC").after(NEVER_FIRES_PROBE), None) is None:
        raise BadRequest(
            f"{INVALID_CRON}: cronExpression never fires (no month it names has that day)",
            details={"success": False},
        )
    return normalised


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones() - _NOT_ZONES)


def check_timezone(name: object) -> str:
    """An IANA time zone name (``Europe/Berlin``, ``UTC``), or 400 naming the field."""
    if not isinstance(name, str) or name not in _zone_names():
        shown = repr(name)[:60]
        raise BadRequest(f"timezone: {shown} is not an IANA time zone name (e.g. Europe/Berlin)")
    return name


@dataclass(frozen=True)
class Slot:
    """One firing: the UTC instant, and the local wall-clock time the cron matched."""

    at: datetime
    wall: datetime  # naive local time
    shifted: bool = False  # the wall time fell in a spring-forward gap


class Schedule:
    def __init__(self, expression: str, timezone: str) -> None:
        self.expression = expression
        self.zone = ZoneInfo(timezone)

    def _instant(self, wall: datetime) -> tuple[datetime, bool]:
        """The UTC instant of a naive local time: its first occurrence, or the end of
        the gap it falls in."""
        first = wall.replace(tzinfo=self.zone, fold=0).astimezone(UTC)
        if first.astimezone(self.zone).replace(tzinfo=None) == wall:
            return first, False
        # Nonexistent: with fold=1 the post-transition offset gives an instant before
        # the transition, fold=0 one after it. Search for the transition in between.
        other = wall.replace(tzinfo=self.zone, fold=1).astimezone(UTC)
        low, high = min(other, first), max(other, first)
        after = high.astimezone(self.zone).utcoffset()
        while high - low > timedelta(seconds=1):
            mid = low + (high - low) / 2
            if mid.astimezone(self.zone).utcoffset() == after:
                high = mid
            else:
                low = mid
        return high.replace(microsecond=0), True

    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.zone).replace(tzinfo=None)

    def _walls(self, start_wall: datetime) -> Iterator[datetime]:
        from croniter import croniter

        # With the bound given, croniter ends the iteration when no slot comes within it
        # instead of raising: a cron that never fires has no slots.
        it = croniter(
            self.expression, start_wall, max_years_between_matches=MAX_YEARS_BETWEEN_SLOTS
        )
        yield from it.all_next(datetime)

    def after(self, moment: datetime) -> Iterator[Slot]:
        """Slots strictly after ``moment``, in order, each UTC instant once."""
        last: datetime | None = None
        # Mapping wall times to instants never goes backwards, so slots before `moment`
        # only occur in a repeated hour: skip them.
        start = self.local(moment).replace(second=0, microsecond=0) - timedelta(minutes=1)
        for wall in self._walls(start):
            at, shifted = self._instant(wall)
            if at <= moment or at == last:
                continue
            last = at
            yield Slot(at, wall, shifted)

    def next_after(self, moment: datetime) -> datetime | None:
        """None for a cron that never fires (``check_cron`` refuses one): a task with
        no next run is never due."""
        slot = next(self.after(moment), None)
        return slot.at if slot is not None else None

    def between(self, start: datetime, end: datetime, limit: int) -> tuple[list[Slot], bool]:
        """Slots in (start, end], at most ``limit``; and whether there were more."""
        found: list[Slot] = []
        for slot in self.after(start):
            if slot.at > end:
                return found, False
            if len(found) == limit:
                return found, True
            found.append(slot)
        return found, False  # a cron that never fires

    def latest_at_or_before(self, moment: datetime, horizon: timedelta) -> Slot | None:
        """The last slot at or before ``moment``, looking back at most ``horizon``."""
        latest: Slot | None = None
        for slot in self.after(moment - horizon):
            if slot.at > moment:
                break
            latest = slot
        return latest

    def matches_wall(self, wall: datetime) -> bool:
        from croniter import croniter

        return bool(croniter.match(self.expression, wall.replace(second=0, microsecond=0)))

    def slot_of(self, schedule_time: datetime) -> Slot | None:
        """The slot a delivery's schedule time stands for, or None when it stands for
        none (a forced run, whose schedule time is the moment it was forced).

        It stands for a slot when it is that slot's instant, when its local wall time
        is a matching wall time (the second pass through a repeated hour is the same
        slot as the first), or when it falls inside the gap a shifted slot came from."""
        wall = self.local(schedule_time).replace(second=0, microsecond=0, fold=0)
        if self.matches_wall(wall):
            at, shifted = self._instant(wall)
            return Slot(at, wall, shifted)
        latest = self.latest_at_or_before(schedule_time, timedelta(hours=3))
        if latest is None:
            return None
        if latest.at == schedule_time:
            return latest
        if latest.shifted and schedule_time - latest.at < timedelta(hours=1):
            return latest
        return None


def rfc3339(value: datetime) -> str:
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


class Schedules:
    """Schedules that remember their answers, for one pass over many tasks (a tick's
    batch): tasks that share a cron and a time zone ask the same questions, and each is
    worked out once. Made per pass, so nothing accumulates in a warm instance."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, str], _Remembering] = {}

    def of(self, expression: str, timezone: str) -> Schedule:
        key = (expression, timezone)
        if key not in self._known:
            self._known[key] = _Remembering(expression, timezone)
        return self._known[key]


class _Remembering(Schedule):
    def __init__(self, expression: str, timezone: str) -> None:
        super().__init__(expression, timezone)
        self._between: dict[tuple[datetime, datetime, int], tuple[list[Slot], bool]] = {}
        self._next: dict[datetime, datetime | None] = {}

    def between(self, start: datetime, end: datetime, limit: int) -> tuple[list[Slot], bool]:
        key = (start, end, limit)
        if key not in self._between:
            self._between[key] = super().between(start, end, limit)
        return self._between[key]

    def next_after(self, moment: datetime) -> datetime | None:
        if moment not in self._next:
            self._next[moment] = super().next_after(moment)
        return self._next[moment]
