"""A clock for tests: `sleep` records the pause and moves the clock on, without waiting.

Handed to the CLI as Environment fields: `nim(..., clock=fake.clock, sleep=fake.sleep)`, or to
a use case as its `clock=` / `sleep=` parameters.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)


class FakeClock:
    def __init__(self, start: float = 0.0, wall: datetime = EPOCH):
        self.now_seconds = start
        self.wall = wall
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now_seconds

    def now(self) -> datetime:
        return self.wall + timedelta(seconds=self.now_seconds)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now_seconds += seconds

    def environment(self) -> dict:
        """The Environment fields this clock supplies (waits poll: a watch waits on the real
        clock, which this one replaces)."""
        return {"clock": self.clock, "now": self.now, "sleep": self.sleep, "watch": False}
