"""How often etcd is snapshotted and how many snapshots are kept, from ``slo.rpo``.

The first backup tier, L1, is the etcd snapshot; its recovery point objective is
the spec's ``slo.rpo``. The rule: the interval between two snapshots never exceeds the
RPO, so a failure just before the next snapshot loses at most one RPO of cluster state.
The interval is the longest regular cron step that fits:

- RPO of a day or more: daily, at 00:00 UTC;
- RPO from one hour to under a day: every *h* hours, *h* the largest divisor of 24 not
  above the RPO in hours (``1h`` gives hourly, ``5h`` every 4 hours);
- RPO under an hour: every *m* minutes, *m* the largest divisor of 60 not above it.

Divisors keep the steps even across midnight (``*/5`` hours would leave a 4-hour gap).
The same rule drives RKE2's ``etcd-snapshot-schedule-cron`` (node bootstrap) and the
kubeadm CronJob (a platform manifest); it sits beside both so neither imports the other.

Retention keeps a day of snapshots, at least 5 (RKE2's default, so a daily schedule
still spans five days) and at most 48 (a 5-minute schedule must not fill the disk).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from stackyard.render.tree import RenderError
from stackyard.spec.units import parse_duration

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR
MIN_RETENTION = 5
MAX_RETENTION = 48


@dataclass(frozen=True)
class SnapshotSchedule:
    """A snapshot cron schedule (UTC), its interval in seconds, and the count to keep."""

    cron: str
    interval: int
    retention: int


def _largest_divisor(total: int, limit: float) -> int:
    return max(d for d in range(1, total + 1) if total % d == 0 and d <= limit)


def snapshot_schedule(rpo: str) -> SnapshotSchedule:
    """The etcd snapshot schedule that meets ``rpo`` (a duration such as ``24h``).

    Raises:
        RenderError: the RPO is under a minute, finer than any cron schedule.
    """
    seconds = parse_duration(rpo)
    if seconds >= DAY:
        cron, interval = "0 0 * * *", DAY
    elif seconds >= HOUR:
        hours = _largest_divisor(24, seconds / HOUR)
        cron = "0 * * * *" if hours == 1 else f"0 */{hours} * * *"
        interval = hours * HOUR
    elif seconds >= MINUTE:
        minutes = _largest_divisor(60, seconds / MINUTE)
        cron = "* * * * *" if minutes == 1 else f"*/{minutes} * * * *"
        interval = minutes * MINUTE
    else:
        raise RenderError(
            f"slo.rpo {rpo} is under a minute: etcd snapshots run on a cron schedule, "
            "at most once a minute"
        )
    retention = min(MAX_RETENTION, max(MIN_RETENTION, math.ceil(DAY / interval)))
    return SnapshotSchedule(cron, interval, retention)
