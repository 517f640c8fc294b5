"""The one retry policy of kubectl-nim's adapters.

What is transient: HTTP 429 and 5xx, and a request that got no answer (timeout, connection
reset). What is not: every other 4xx (retrying cannot change the answer) and failures that prove
nothing was reached but will not heal by waiting (a TLS or DNS failure). Between attempts:
Retry-After when the server gives one (capped, a CLI user will not wait minutes), else
exponential backoff with jitter, so that concurrent clients do not retry in lock-step.

Used by the cluster adapter for reads (GET retries, as kubectl's client does), by `--wait`'s
polling (until its own deadline rather than a number of attempts) and by the NGC client.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable, Optional

RETRY_STATUSES = frozenset({429}) | frozenset(range(500, 600))


@dataclass(frozen=True)
class Policy:
    attempts: int = 4             # total, the first included
    backoff: float = 0.5          # seconds before the second attempt (then doubled)
    max_backoff: float = 8.0
    retry_after_cap: float = 30.0

    def delay(self, attempt: int, retry_after: Optional[float] = None,
              jitter: Callable[[], float] = random.random) -> float:
        """Seconds to wait after failed attempt number `attempt` (0-based)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.retry_after_cap)
        ceiling = min(self.max_backoff, self.backoff * 2 ** attempt)
        return ceiling * (0.5 + jitter() / 2)


# Cluster reads: short, because a CLI user waits on them; kubectl's client retries similarly.
CLUSTER_READS = Policy(attempts=4, backoff=0.25, max_backoff=2.0, retry_after_cap=10.0)
# Writes of the use cases (read-modify-write, deletes, the restart patch): few and short.
WRITES = Policy(attempts=4, backoff=0.2, max_backoff=2.0, retry_after_cap=10.0)
# Two deploys of one name at once: the winner re-creates what the loser is rolling back.
CONTENTION = Policy(attempts=20, backoff=0.1, max_backoff=1.0)
# A rollback's deletes while the API server starts again (app/deploy_rollback.PATIENCE): at
# most 10 retries over all of them.
ROLLBACK = Policy(attempts=11, backoff=0.2, max_backoff=2.0, retry_after_cap=10.0)
# Looking for creates the server may still carry out late (a rollback's grace): until its end.
LATE_CREATES = Policy(attempts=1_000_000, backoff=0.05, max_backoff=1.0)
# Polling (`--wait`): keeps going until the wait's own deadline; this only spaces the retries.
POLLING = Policy(attempts=1_000_000, backoff=1.0, max_backoff=10.0, retry_after_cap=30.0)


class Attempts:
    """`for attempt in Attempts(policy, sleep):` - the attempt numbers of a retried step, with the
    policy's pause before each retry (the Retry-After of the failure noted by `failed`, else
    backoff with jitter). The one loop every retry of the use cases goes through."""

    def __init__(self, policy: Policy, sleep: Callable[[float], None],
                 jitter: Callable[[], float] = random.random):
        self.policy, self.sleep, self.jitter = policy, sleep, jitter
        self._retry_after: Optional[float] = None

    def __iter__(self):
        for attempt in range(self.policy.attempts):
            if attempt:
                self.sleep(self.policy.delay(attempt - 1, self._retry_after, self.jitter))
            self._retry_after = None
            yield attempt

    def failed(self, error: object) -> None:
        """Note a failed attempt: its Retry-After (if the server gave one) sets the next pause."""
        retry_after = getattr(error, "retry_after", None)
        self._retry_after = retry_after if isinstance(retry_after, (int, float)) else None

    @property
    def total(self) -> int:
        return self.policy.attempts


class Budget:
    """Retries of several steps that share one deadline and one count (a rollback retrying each
    of its deletes while the API server restarts): `wait(error)` pauses as the policy says (the
    failure's Retry-After, else backoff with jitter), never past the deadline, and says False
    once the time or the policy's retries are spent. The clock bounds it in real runs, the count
    also when a test's clock stands still."""

    def __init__(self, policy: Policy, seconds: float, *, sleep: Callable[[float], None],
                 clock: Callable[[], float], jitter: Callable[[], float] = random.random):
        self.policy, self.sleep, self.clock, self.jitter = policy, sleep, clock, jitter
        self.deadline = clock() + seconds
        self.retries = 0

    def wait(self, error: object = None) -> bool:
        left = self.deadline - self.clock()
        if left <= 0 or self.retries >= self.policy.attempts - 1:
            return False
        retry_after = getattr(error, "retry_after", None)
        retry_after = retry_after if isinstance(retry_after, (int, float)) else None
        self.sleep(min(self.policy.delay(self.retries, retry_after, self.jitter), left))
        self.retries += 1
        return True


def transient_status(status: Optional[int]) -> bool:
    return status is not None and status in RETRY_STATUSES


def parse_retry_after(value: Optional[str]) -> Optional[float]:
    """The seconds form of Retry-After; the HTTP-date form falls back to our own backoff."""
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and seconds >= 0 and seconds != float("inf") else None
