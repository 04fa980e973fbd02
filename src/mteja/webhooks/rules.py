"""Pure rules of delivery: which endpoint wants which event, and when to try again."""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import timedelta

ALL_EVENTS = "*"
# Doubling from the first retry, each delay capped: with the defaults (30 s first retry,
# three days of retries) attempts come at about 0, 30 s, 1.5 min, 3.5 min, … 17 h, then
# every 12 h until three days have passed: 16 attempts.
_MAX_DELAY_SHARE_OF_WINDOW = 1 / 6
_JITTER = 0.2


def subscribes(enabled_events: Iterable[str], event_type: str) -> bool:
    resource = event_type.partition(".")[0]
    wanted = set(enabled_events)
    return ALL_EVENTS in wanted or event_type in wanted or f"{resource}.*" in wanted


def retry_delay(
    attempts: int, *, first_retry: timedelta, window: timedelta, rng: random.Random | None = None
) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: exponential, capped, with jitter
    (±20 %) so that endpoints coming back are not hit by every retry at once."""
    ceiling = window * _MAX_DELAY_SHARE_OF_WINDOW
    delay = min(first_retry * (1 << min(attempts - 1, 40)), ceiling)
    spread = float((rng or random).uniform(1 - _JITTER, 1 + _JITTER))
    return delay * spread


def retry_schedule(*, first_retry: timedelta, window: timedelta) -> list[timedelta]:
    """When each attempt happens, without jitter, counted from the first: for the docs."""
    schedule = [timedelta(0)]
    ceiling = window * _MAX_DELAY_SHARE_OF_WINDOW
    while True:
        attempts = len(schedule)
        delay = min(first_retry * (1 << min(attempts - 1, 40)), ceiling)
        if schedule[-1] + delay > window:
            return schedule
        schedule.append(schedule[-1] + delay)
