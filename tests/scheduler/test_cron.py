"""Cron semantics: 5-field unix-cron only, IANA zones only, and the daylight-saving
rules of docs/concepts/schedules.md ("Daylight saving") in real time zones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.errors import BadRequest
from shared.scheduler.cron import Schedule, check_cron, check_timezone


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def slots(expression: str, zone: str, after: datetime, n: int) -> list[datetime]:
    found = []
    for slot in Schedule(expression, zone).after(after):
        found.append(slot.at)
        if len(found) == n:
            return found
    return found


@pytest.mark.parametrize(
    "expression",
    [
        "0 0 * * * *",
        "* * * *",
        "61 * * * *",
        "0 0 L * *",
        "@daily",
        "0 0 ? * MON",
        "H 0 * * *",
        "",
        "nonsense",
    ],
)
def test_anything_but_five_field_unix_cron_is_invalid(expression: str) -> None:
    with pytest.raises(BadRequest) as caught:
        check_cron(expression)
    assert caught.value.message == "Invalid cron expression"


@pytest.mark.parametrize(
    "expression", ["*/5 * * * *", "0 9 * * 1-5", "30 2 1,15 JAN-MAR SUN", "0 0 * * 7"]
)
def test_five_field_unix_cron_is_accepted(expression: str) -> None:
    assert check_cron(f"  {expression} ") == expression


NEVER_FIRES = ["0 0 30 2 *", "0 0 31 4 *", "0 0 31 2,4,6 *", "0 0 30-31 2 MON"]


@pytest.mark.parametrize("expression", NEVER_FIRES)
def test_a_cron_whose_days_never_occur_in_its_months_is_invalid(expression: str) -> None:
    with pytest.raises(BadRequest) as caught:
        check_cron(expression)
    assert caught.value.message.startswith("Invalid cron expression: cronExpression never fires")
    assert caught.value.details == {"success": False}


def test_29_february_is_accepted_and_found_across_a_century_without_a_leap_year() -> None:
    assert check_cron("0 0 29 2 *") == "0 0 29 2 *"
    assert slots("0 0 29 2 *", "UTC", utc(2096, 3, 1), 2) == [utc(2104, 2, 29), utc(2108, 2, 29)]


@pytest.mark.parametrize("expression", NEVER_FIRES)
def test_a_schedule_that_never_fires_has_no_slots_and_no_next_run(expression: str) -> None:
    """What a row stored before the check would give: the search ends, it never hangs."""
    schedule = Schedule(expression, "Europe/Berlin")
    assert schedule.next_after(utc(2026, 1, 1)) is None
    assert schedule.between(utc(2026, 1, 1), utc(2030, 1, 1), 10) == ([], False)
    assert schedule.latest_at_or_before(utc(2026, 1, 1), timedelta(days=400)) is None


@pytest.mark.parametrize("zone", ["Mars/Olympus", "localtime", "../etc/passwd", "", "utc+2"])
def test_a_time_zone_must_be_an_iana_name(zone: str) -> None:
    with pytest.raises(BadRequest, match="timezone"):
        check_timezone(zone)


def test_slots_are_computed_in_the_tasks_time_zone() -> None:
    assert slots("0 9 * * *", "Asia/Tokyo", utc(2026, 11, 27, 0, 30), 1) == [
        utc(2026, 11, 28, 0, 0)
    ]


def test_spring_forward_fires_at_the_first_instant_after_the_gap_new_york() -> None:
    # 2026-03-08 02:30 does not exist in New York: clocks go from 02:00 EST to 03:00 EDT.
    assert slots("30 2 * * *", "America/New_York", utc(2026, 3, 7, 12), 2) == [
        utc(2026, 3, 8, 7, 0),  # 03:00 EDT
        utc(2026, 3, 9, 6, 30),  # 02:30 EDT
    ]


def test_spring_forward_fires_at_the_first_instant_after_the_gap_berlin() -> None:
    assert slots("30 2 * * *", "Europe/Berlin", utc(2026, 3, 28, 12), 2) == [
        utc(2026, 3, 29, 1, 0),  # 03:00 CEST
        utc(2026, 3, 30, 0, 30),
    ]


def test_fall_back_fires_a_repeated_time_once_at_its_first_occurrence_new_york() -> None:
    # 2026-11-01 01:30 happens at 05:30Z (EDT) and again at 06:30Z (EST).
    assert slots("30 1 * * *", "America/New_York", utc(2026, 10, 31, 12), 2) == [
        utc(2026, 11, 1, 5, 30),
        utc(2026, 11, 2, 6, 30),
    ]


def test_fall_back_fires_a_repeated_time_once_at_its_first_occurrence_berlin() -> None:
    assert slots("30 2 * * *", "Europe/Berlin", utc(2026, 10, 24, 12), 2) == [
        utc(2026, 10, 25, 0, 30),  # 02:30 CEST; 02:30 CET (01:30Z) does not fire again
        utc(2026, 10, 26, 1, 30),
    ]


def test_the_next_slot_from_inside_the_repeated_hour_skips_the_second_pass() -> None:
    schedule = Schedule("30 1 * * *", "America/New_York")
    assert schedule.next_after(utc(2026, 11, 1, 6, 10)) == utc(2026, 11, 2, 6, 30)


def test_a_delivery_for_the_second_pass_of_a_repeated_time_is_the_first_slot() -> None:
    schedule = Schedule("30 1 * * *", "America/New_York")
    first = schedule.slot_of(utc(2026, 11, 1, 6, 30))
    assert first is not None and first.at == utc(2026, 11, 1, 5, 30)


def test_a_delivery_inside_a_gap_maps_to_the_shifted_slot() -> None:
    schedule = Schedule("30 2 * * *", "America/New_York")
    for sent in (utc(2026, 3, 8, 7, 0), utc(2026, 3, 8, 7, 30)):
        slot = schedule.slot_of(sent)
        assert slot is not None and slot.at == utc(2026, 3, 8, 7, 0)


def test_a_schedule_time_that_is_no_slot_stands_for_none() -> None:
    assert Schedule("0 9 * * *", "UTC").slot_of(utc(2026, 11, 27, 9, 17, 23)) is None


def test_between_counts_up_to_its_limit() -> None:
    found, more = Schedule("* * * * *", "UTC").between(utc(2026, 1, 1), utc(2026, 1, 2), 10)
    assert len(found) == 10 and more
