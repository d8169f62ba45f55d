"""Periodic jobs, declared as data; `flask scheduler` enqueues them when due."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from croniter import croniter


@dataclass(frozen=True)
class PeriodicJob:
    """A job function (dotted path under ``app.jobs``) run on a cron schedule (UTC)."""

    name: str
    func: str
    cron: str

    def last_slot(self, now: dt.datetime) -> dt.datetime:
        """The most recent time at or before ``now`` this job was due."""
        return croniter(self.cron, now + dt.timedelta(seconds=1)).get_prev(dt.datetime)

    def job_id(self, slot: dt.datetime) -> str:
        """The deterministic job id of one run: two schedulers never double it."""
        return f"periodic-{self.name}-{slot:%Y%m%dT%H%M}"


SCHEDULE: tuple[PeriodicJob, ...] = (
    PeriodicJob("prune-job-runs", "app.jobs.maintenance.prune_job_runs", "17 3 * * *"),
    PeriodicJob("poll-mailboxes", "app.jobs.mail.poll_mailboxes", "* * * * *"),
    PeriodicJob("flush-outbox", "app.jobs.mail.flush_outbox", "* * * * *"),
    PeriodicJob("scan-sla", "app.jobs.sla.scan_sla", "* * * * *"),
    PeriodicJob("time-rules", "app.jobs.automation.run_time_rules", "*/5 * * * *"),
)
