"""APScheduler wiring: one job per enabled rule, in exactly one process of the container.

The web app never starts the scheduler: supervisord runs `python -m app.scheduler` as its own program
(container/conf/supervisord.d/exfilwatch-scheduler.conf). An exclusive lock file in the store makes a second
scheduler process (a restart racing the old one, a developer's second terminal) wait instead of
searching the same windows twice. Within the process, `max_instances=1` and the runner's per-rule lock
keep two runs of one rule from overlapping; `coalesce` folds missed ticks into one run, and the checkpoint
and ledger in the store carry everything across restarts.

Stopping (SIGTERM from supervisord, sent by container/clean/cleanup.sh; QRadar kills the container 10 s
after its own SIGTERM): no new job starts, the Ariel searches in flight are canceled and deleted from this
thread at once (the worker's held poll then returns), the interrupted windows go back to `pending` in the
ledger, and the process exits within STOP_BUDGET_S. Nothing is lost: a window is only ever `done` together
with its hits. Switched off by EXFILWATCH_SCHEDULER_ENABLED the process stays up idle, so supervisord
sees a program that started (not one that exited before `startsecs` and ends FATAL).
"""
from __future__ import annotations

import fcntl
import logging
import os
import signal
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger(__name__)

STOP_BUDGET_S = 6.0          # to cancel searches and let the runs record it: inside supervisord's stopwaitsecs
CANCEL_TIMEOUT_S = 2.0       # per REST call at shutdown, without retries


class SchedulerLocked(RuntimeError):
    """Another process holds the scheduler lock."""


@contextmanager
def scheduler_lock(path: str, *, wait: bool = False):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    handle = open(path, "a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise SchedulerLocked(f"another ExfilWatch scheduler holds {path}") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()


def build_scheduler(runtime) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1,
                                                                  "misfire_grace_time": None})
    sync_rule_jobs(scheduler, runtime)
    # The admin page writes rule settings to the store from the web process; this picks them up here.
    scheduler.add_job(sync_rule_jobs, IntervalTrigger(seconds=30), args=[scheduler, runtime], id="settings-sync",
                      name="apply the admin page's rule settings")
    # Hits whose enrichment failed (a lookup 5xx, a timeout) are stored as they are and completed here.
    scheduler.add_job(runtime.enricher.retry_partial, IntervalTrigger(minutes=5), kwargs={"limit": 100},
                      id="enrichment-retry", name="complete partial enrichment")
    # Groups of new hits become LEEF events for QRadar's offense rule; throttled and idempotent across restarts.
    scheduler.add_job(runtime.offenses.dispatch, IntervalTrigger(seconds=runtime.config.offense_interval_s), id="offenses",
                      name="send offense events and notes")
    scheduler.add_job(runtime.purge_expired, IntervalTrigger(hours=1), id="retention", name="purge hits past retention.days")
    return scheduler


def stop_runs(runtime, scheduler) -> bool:
    """Shutdown: no new job, cancel and delete the searches in flight, wait (bounded) for the runs to
    record it. True when every run finished in time."""
    scheduler.shutdown(wait=False)
    quick = runtime.client.with_options(retries=0, timeout=CANCEL_TIMEOUT_S)
    canceled = runtime.inflight.cancel_all(quick)
    idle = runtime.wait_idle(STOP_BUDGET_S)
    log.info("scheduler stopping: %d Ariel search(es) canceled and deleted (%s); runs %s", len(canceled),
             ", ".join(canceled) or "none", "finished" if idle else f"still busy after {STOP_BUDGET_S:.0f} s")
    return idle


def sync_rule_jobs(scheduler, runtime) -> None:
    """One job per enabled rule at its current interval: adds, removes and reschedules to match the store."""
    runtime.apply_settings()
    wanted = {f"rule:{rule.id}": rule for rule in runtime.enabled_rules()}
    for job in scheduler.get_jobs():
        if job.id.startswith("rule:") and job.id not in wanted:
            job.remove()
    for job_id, rule in wanted.items():
        interval = timedelta(minutes=rule.schedule.interval_minutes)
        job = scheduler.get_job(job_id)
        if job is None:
            scheduler.add_job(runtime.run_rule, IntervalTrigger(minutes=rule.schedule.interval_minutes),
                              args=[rule.id], id=job_id, name=rule.name, next_run_time=datetime.now(timezone.utc))
        elif job.trigger.interval != interval:
            job.reschedule(IntervalTrigger(minutes=rule.schedule.interval_minutes))


def main() -> int:   # pragma: no cover - exercised by the end-to-end tests as a subprocess
    from .runtime import Runtime
    logging.basicConfig(level=os.environ.get("EXFILWATCH_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    runtime = Runtime.from_env()
    if not runtime.config.scheduler_enabled:
        log.warning("EXFILWATCH_SCHEDULER_ENABLED is off: no rule runs on a schedule in this container "
                    "(the program stays up, idle)")
        stop.wait()
        return 0
    with scheduler_lock(runtime.store_path("scheduler.lock"), wait=True):
        scheduler = build_scheduler(runtime)
        scheduler.start()
        log.info("scheduler started with %d rule job(s)", len(scheduler.get_jobs()))
        stop.wait()
        idle = stop_runs(runtime, scheduler)
    logging.shutdown()
    if not idle:
        # A run stuck in a console call would keep the interpreter from exiting (the job threads are
        # joined at exit); its window is still owed in the ledger, so leaving now loses nothing.
        os._exit(0)
    return 0


if __name__ == "__main__":   # pragma: no cover
    raise SystemExit(main())
