"""The supervisor behind `dialer run`: claim due attempts, pace them, dial through the call workers,
record each result, and shut down without losing an attempt.

    claim (policy gate) -> pace (trunk channels, calls/s; caller ID) -> dialing -> WorkerPool.submit
         ^ held claims wait for the pacer          live calls: leases renewed |
         |                                                                    v
    SIGTERM: no new claims, held claims released,         result -> to_outcome -> record_outcome (fenced)
    live calls finish (run.drain_seconds), exit 0         -> metrics, structured log line
    SIGHUP: policy profiles reloaded at once; scripts checked, then the call workers are recycled once
    their live calls have ended (no new claims meanwhile)

Nothing rings for nothing: at start-up a running campaign whose script or caller IDs cannot work is paused
with the reason (`preflight.py`); before each dial the script is checked again and the worker's handler
prepares the call; a failure before the INVITE is recorded `not_placed` (never in the compliance history),
backs the campaign off and, after `scheduler.pause_after_failures` in a row, pauses it with the reason.
Trunk failures back the trunk off (`scheduler.lifecycle`).

The ledger unreachable (a database restart) stops nothing but new dialling: live calls go on and each
ended call's result is kept until the ledger takes it; errors that would fail again are not waited out.

A restart under a fixed `scheduler.host_id` takes back its own leases at once (claimed: released;
dialling: interrupted, re-decided by the planner); other hosts' expired leases are recovered by the
planner tick. Nothing here redials an attempt that may have reached the network.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import queue
import signal
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from dialer.logs import mask_number
from dialer.settings import Settings, site_path
from dialer.sip.interfaces import CallResult, EngineError
from dialer.sip.workers import WorkerPool
from dialer.supervisor.callspec import (
    AttemptFacts,
    SpecError,
    call_request,
    load_facts,
    recording_path,
    session_spec,
)
from dialer.supervisor.metrics import Metrics, MetricsServer
from dialer.supervisor.outage import LedgerOutage
from dialer.supervisor.passes import start_passes
from dialer.supervisor.preflight import ScriptChecks, caller_id_problems
from dialer.supervisor.recorder import Recorder, RunSummary
from dialer.supervisor.reload import checked_scripts, counting_gate, load_policy
from scheduler import migrations
from scheduler import supervision as ledger_ops
from scheduler.caller_id import choose_caller_id
from scheduler.claims import Claim, ClaimStore, claims_engine, default_owner
from scheduler.jobs import JobContext, planner_tick
from scheduler.pacing import Pacer, TrunkLimits
from sip_config.loader import load_for_settings
from sip_config.schema import Profile

log = logging.getLogger("dialer.run")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class SupervisorError(Exception):
    """The daemon cannot start (ledger schema, SIP profile, ports); the message says which."""


@dataclass
class _Live:
    facts: AttemptFacts
    future: Future[CallResult]
    dialled_at: float


@dataclass
class _Held:
    claim: Claim
    facts: AttemptFacts
    retry_at: dt.datetime


class Supervisor:
    def __init__(
        self,
        settings: Settings,
        environ: Mapping[str, str],
        *,
        campaigns: Sequence[str] = (),
        until_idle: bool = False,
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        self.settings = settings
        self.run = settings.run
        self.until_idle = until_idle
        self.clock = clock
        url = settings.database_url
        try:
            if not migrations.is_current(url):
                raise SupervisorError("the ledger schema is not current: run `dialer db upgrade`")
        except SupervisorError:
            raise
        except Exception as exc:
            raise SupervisorError(f"cannot open the ledger: {type(exc).__name__}") from exc
        self.engine = claims_engine(url)
        try:
            self.campaign_ids = ledger_ops.campaign_ids(self.engine, list(campaigns)) if campaigns else {}
        except ledger_ops.UnknownCampaign as exc:
            raise SupervisorError(str(exc)) from exc
        try:
            self.profile: Profile = load_for_settings(
                site_path(settings, settings.sip.profile), settings.sip.secrets_file, environ
            )
        except Exception as exc:  # ProfileError names file, line and field (never the secret)
            raise SupervisorError(str(exc)) from exc
        self.owner = settings.scheduler.host_id or default_owner()
        self.metrics = Metrics()
        profiles = load_policy(settings.scheduler.profiles_dir)
        lease = dt.timedelta(seconds=settings.scheduler.lease_seconds)
        self.claims = ClaimStore(
            self.engine, owner=self.owner, lease=lease, gate=counting_gate(profiles, self.metrics)
        )
        self.pacer = Pacer(self.engine, self._limits)
        self.ctx = JobContext(
            self.engine, profiles, settings.scheduler, settings.data_dir, self.owner, clock=clock
        )
        self.summary = RunSummary(sorted(self.campaign_ids))
        backoff = settings.scheduler.backoff()
        self.recorder = Recorder(
            self.engine, self.owner, settings.data_dir, self.metrics, self.summary, backoff
        )
        self.scripts = ScriptChecks(settings)
        self.capacity = min(settings.sip.workers * settings.sip.calls_per_worker, self.profile.channel_limit)
        self._live: dict[int, _Live] = {}
        self._held: dict[int, _Held] = {}
        self._done: queue.Queue[tuple[int, CallResult]] = queue.Queue()
        self._tick_lock = threading.Lock()
        self._stop = threading.Event()
        self._reload = threading.Event()
        self._recycle = False
        self._ready = False
        self._last_renew = 0.0
        self._unrecorded: tuple[int, CallResult, _Live | None] | None = None  # waits for the ledger
        self.outage = LedgerOutage()
        self.pool: WorkerPool | None = None
        self.scheduler: BackgroundScheduler | None = None
        self.server: MetricsServer | None = None

    def _limits(self, trunk: str | None) -> TrunkLimits:
        """The loaded profile's limits for its own trunk (or the default trunk); others get the
        scheduler's defaults."""
        if trunk is None or trunk == self.profile.name:
            return TrunkLimits(self.profile.channel_limit, self.profile.calls_per_second)
        sched = self.settings.scheduler
        return TrunkLimits(sched.trunk_channels, sched.trunk_calls_per_second)

    # -- control -------------------------------------------------------------------------------------
    def request_stop(self, why: str = "stop") -> None:
        self.summary.stopped_by = self.summary.stopped_by or why
        self._stop.set()

    def request_reload(self) -> None:
        self._reload.set()

    def install_signals(self) -> None:
        signal.signal(signal.SIGTERM, lambda *_: self.request_stop("SIGTERM"))
        signal.signal(signal.SIGINT, lambda *_: self.request_stop("SIGINT"))
        signal.signal(signal.SIGHUP, lambda *_: self.request_reload())

    def health(self) -> tuple[bool, dict[str, Any]]:
        ok = self._ready and not self._stop.is_set()
        body = {
            "status": "ok" if ok else ("draining" if self._stop.is_set() else "starting"),
            "owner": self.owner,
            "calls_live": len(self._live),
            "claims_held": len(self._held),
            "capacity": self.capacity,
            "workers": self.pool.pids() if self.pool is not None else [],
        }
        return ok, body

    # -- lifecycle -----------------------------------------------------------------------------------
    def serve(self) -> RunSummary:
        started = time.monotonic()
        try:
            self._start()
            self._loop()
        finally:
            self._drain()
            self.summary.seconds = time.monotonic() - started
        return self.summary

    def _start(self) -> None:
        m = self.settings.metrics
        if m.port:
            self.server = MetricsServer(self.metrics, self.health, m.host, m.port)
            self.server.start()
        self.recorder.recover_own(self.claims, self.clock())
        self._preflight(starting=True)
        self.tick()
        self.scheduler = start_passes(self.settings, self.ctx, self.engine, self._locked_tick)
        self.pool = self._start_pool()
        self._ready = True
        log.info(
            "event=run.started owner=%s campaigns=%s capacity=%d handler=%s",
            self.owner, ",".join(self.summary.campaigns) or "*", self.capacity, self.run.handler,
        )  # fmt: skip

    def _preflight(self, starting: bool = False) -> list[str]:
        """Pause every selected running campaign whose script or caller IDs cannot work, with the reason
        (one line each). At start-up, a selection left with nothing to run is an error."""
        selected = list(self.campaign_ids.values())
        campaigns = ledger_ops.running_campaigns(self.engine, selected)
        paused = []
        now = self.clock()
        for campaign in campaigns:
            script = self.scripts.problem(campaign.script)
            problems = [script] if script else caller_id_problems(campaign.caller_id_pool, self._owned())
            if not problems:
                continue
            reason = f"refused to dial: {problems[0]}"
            if self.recorder.lifecycle.pause(campaign.id, reason, now):
                self.summary.paused[campaign.name] = reason
                self.metrics.campaign_paused(campaign.name, reason)
            log.error("event=campaign.paused campaign=%s reason=%s", campaign.name, reason)
            paused.append(campaign.name)
        if starting and selected and campaigns and len(paused) == len(campaigns):
            raise SupervisorError(
                f"campaign {paused[0]!r} cannot run: {self.summary.paused.get(paused[0], 'see the log')}"
            )
        return paused

    def _owned(self) -> tuple[str, ...]:
        owned = self.profile.owned_numbers
        return (*owned, self.profile.caller_id) if owned else ()

    def _start_pool(self) -> WorkerPool:
        deadline = time.monotonic() + self.run.worker_start_seconds
        while True:
            pool = WorkerPool.from_settings(
                self.settings.sip, self.profile, handler=self.run.handler, settings=self.settings
            )
            try:
                # a worker that cannot bind says so at once; one still loading its models is let finish
                pool.start(timeout=max(1.0, deadline - time.monotonic()))
                if pool.speech is not None:
                    self.metrics.watch_speech(pool.speech_stats)
                return pool
            except EngineError as exc:
                if time.monotonic() >= deadline or self._stop.is_set():
                    raise SupervisorError(f"call workers did not start: {exc}") from exc
                log.warning("event=workers.retry reason=%s", exc)
                self._stop.wait(1.0)

    def _locked_tick(self) -> dict[str, int]:
        with self._tick_lock:
            return planner_tick(self.ctx)

    def tick(self) -> dict[str, int]:
        """One planner tick now (recovery of expired leases, then planning), never two at once."""
        return self._locked_tick()

    # -- the loop ------------------------------------------------------------------------------------
    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if self._step():
                    break
            except Exception as exc:
                self._ledger_down(exc)  # live calls go on; their results wait for the ledger
                self._stop.wait(1.0)
                continue
            self.outage.over()
            self._stop.wait(self.run.claim_interval_seconds if not self._live else 0.2)

    def _step(self) -> bool:
        """One pass: results, leases, reload, dialling, claiming. True when an idle run is done."""
        self._collect()
        self._renew()
        if self._reload.is_set():
            self._reload.clear()
            self._do_reload()
        if self._recycle:
            self._try_recycle()
        else:
            self._dial_held()
            self._claim()
        if self.until_idle and self._idle():
            self.request_stop("idle")
            return True
        return False

    def _ledger_down(self, exc: Exception) -> None:
        """An unreachable ledger is noted (and waited out by the caller); any other error is raised."""
        waiting = int(self._unrecorded is not None) + self._done.qsize()
        self.outage.absorb(exc, len(self._live), waiting)

    def _idle(self) -> bool:
        if self._live or self._held or self._unrecorded is not None or not self._done.empty():
            return False
        ids = list(self.campaign_ids.values())
        if ledger_ops.pending_work(self.engine, ids, self.clock()):
            return False
        self.tick()  # results may have made retries due at once
        return ledger_ops.pending_work(self.engine, ids, self.clock()) == 0

    def _claim(self) -> None:
        free = self.capacity - len(self._live) - len(self._held)
        if free <= 0:
            return
        now = self.clock()
        targets: list[int | None] = list(self.campaign_ids.values()) or [None]
        for campaign_id in targets:
            if free <= 0:
                break
            claims = self.claims.claim(now, limit=free, campaign_id=campaign_id)
            free -= len(claims)
            self.metrics.claims.inc(len(claims))
            self.summary.claimed += len(claims)
            for claim in claims:
                self._prepare(claim, now)

    def _prepare(self, claim: Claim, now: dt.datetime) -> None:
        try:
            facts = load_facts(self.engine, claim.attempt_id, self.run.default_time_zone, self.ctx.profiles)
        except SpecError as exc:
            self._cancel(claim.attempt_id, now, str(exc))
            return
        self._held[claim.attempt_id] = _Held(claim, facts, now)
        self._dial(self._held[claim.attempt_id], now)

    def _dial_held(self) -> None:
        now = self.clock()
        for held in [h for h in self._held.values() if h.retry_at <= now]:
            self._dial(held, now)

    def _dial(self, held: _Held, now: dt.datetime) -> None:
        facts = held.facts
        attempt_id = facts.attempt_id
        try:
            max_seconds = min(self.settings.session.max_call_seconds, self.profile.max_call_duration)
            spec = session_spec(facts, self.run, max_seconds)
        except SpecError as exc:
            self._held.pop(attempt_id, None)
            self._cancel(attempt_id, now, str(exc))
            return
        problem = self.scripts.problem(facts.script)
        if problem:  # deleted or broken since start-up: never ring a phone with nothing to say
            self._held.pop(attempt_id, None)
            self.recorder.not_placed(attempt_id, problem, facts.campaign, now)
            return
        caller_id = choose_caller_id(facts.caller_id_pool, facts.e164) or self.profile.caller_id or None
        pace = self.pacer.start_call(attempt_id, self.owner, now, caller_id)
        if not pace.started:
            if pace.retry_after is None:  # the lease is gone: another host owns it now
                self._held.pop(attempt_id, None)
                log.warning("event=attempt.lost attempt=%d reason=%s", attempt_id, pace.reason)
            else:
                held.retry_at = pace.retry_after
            return
        self._held.pop(attempt_id, None)
        record = recording_path(self.settings.data_dir, facts, now)
        try:
            record.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # the recordings directory is full or not writable
            why = f"recordings directory: {type(exc).__name__}"
            self.recorder.not_placed(attempt_id, why, facts.campaign, now)
            return
        request = call_request(self.profile, facts, spec, caller_id, record, self.run.handler_options)
        assert self.pool is not None
        future = self.pool.submit(request)
        self._live[attempt_id] = _Live(facts, future, time.monotonic())
        future.add_done_callback(self._on_done(attempt_id))
        self.summary.dialled += 1
        self.metrics.calls_live.set(len(self._live))
        log.info(
            "event=call.dialled attempt=%d campaign=%s number=%s attempt_no=%d",
            attempt_id, facts.campaign, mask_number(facts.e164), facts.attempt_no,
        )  # fmt: skip

    def _on_done(self, attempt_id: int) -> Callable[[Future[CallResult]], None]:
        def done(future: Future[CallResult]) -> None:
            self._done.put((attempt_id, future.result()))

        return done

    def _cancel(self, attempt_id: int, now: dt.datetime, why: str) -> None:
        if ledger_ops.cancel_claimed(self.engine, self.owner, attempt_id, now, why):
            self.summary.cancelled += 1
        log.error("event=attempt.cancelled attempt=%d reason=%s", attempt_id, why)

    def _renew(self, force: bool = False) -> None:
        interval = self.settings.scheduler.lease_seconds / 3
        if not force and time.monotonic() - self._last_renew < interval:
            return
        self._last_renew = time.monotonic()
        now = self.clock()
        for attempt_id in [*self._live, *self._held]:
            if not self.claims.renew(attempt_id, now):
                log.warning("event=lease.lost attempt=%d", attempt_id)
                self._held.pop(attempt_id, None)

    # -- results -------------------------------------------------------------------------------------
    def _collect(self, timeout: float = 0.0) -> None:
        """Record ended calls. A result the ledger could not take (unreachable) is kept and recorded
        first on the next pass: an ended call is never dropped for a database restart."""
        while True:
            if self._unrecorded is None:
                try:
                    attempt_id, result = self._done.get(timeout=timeout)
                except queue.Empty:
                    return
                live = self._live.pop(attempt_id, None)
                self.metrics.calls_live.set(len(self._live))
                self._unrecorded = (attempt_id, result, live)
            timeout = 0.0
            self._record(*self._unrecorded)
            self._unrecorded = None

    def _collect_while_draining(self, timeout: float) -> None:
        try:
            self._collect(timeout=timeout)
        except Exception as exc:
            self._ledger_down(exc)
            time.sleep(timeout)

    def _record(self, attempt_id: int, result: CallResult, live: _Live | None) -> None:
        self.recorder.record(attempt_id, result, live.facts.campaign if live else "", self.clock())
        if self.pool is not None:
            self.metrics.worker_restarts.set(self.pool.restarts)

    # -- reload --------------------------------------------------------------------------------------
    def _do_reload(self) -> None:
        self.metrics.reloads.inc()
        try:
            profiles = load_policy(self.settings.scheduler.profiles_dir)
        except Exception as exc:
            log.error("event=reload.failed what=profiles reason=%s (kept the old ones)", exc)
            return
        self.claims.gate = counting_gate(profiles, self.metrics)
        self.ctx.profiles = profiles
        ids = list(self.campaign_ids.values())
        log.info(
            "event=reload.profiles profiles=%d versions=%s",
            len(profiles.profiles), ",".join(sorted(p.label for p in profiles.profiles.values())),
        )  # fmt: skip
        names = set(ledger_ops.campaign_scripts(self.engine, ids).values())
        fresh = checked_scripts(self.settings, names)
        if fresh is None:  # the workers keep the scripts they loaded; no campaign is paused for a bad edit
            return
        self.scripts = fresh
        if names:
            log.info("event=reload.scripts scripts=%s recycle=after live calls", ",".join(sorted(names)))
            self._recycle = True

    def _try_recycle(self) -> None:
        if self._live or self._held:
            return  # no new claims until the live calls have ended
        assert self.pool is not None
        self.pool.stop(timeout=5)
        self.pool = self._start_pool()
        self._recycle = False
        log.info("event=reload.done workers=recycled")

    # -- shutdown ------------------------------------------------------------------------------------
    def _drain(self) -> None:
        self._ready = False
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
        now = self.clock()
        for attempt_id in list(self._held):
            try:
                if self.claims.release(attempt_id, now):
                    self.summary.released += 1
            except Exception as exc:  # unreachable: the lease expires and the planner releases it
                self._ledger_down(exc)
            self._held.pop(attempt_id, None)
        if self._live:
            log.info("event=drain.start live=%d limit_s=%.0f", len(self._live), self.run.drain_seconds)
        deadline = time.monotonic() + self.run.drain_seconds
        while (self._live or self._unrecorded) and time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                self._renew()  # a lease not renewed now is renewed on the next pass
            self._collect_while_draining(0.2)
        if self.pool is not None:
            self.pool.stop(timeout=2)  # calls still live after the drain end as interrupted
            deadline = time.monotonic() + 10
            while (self._live or self._unrecorded or not self._done.empty()) and time.monotonic() < deadline:
                self._collect_while_draining(0.5)
        if self._unrecorded is not None:  # still dialling in the ledger: the next start counts it placed
            log.error("event=outcome.unrecorded attempt=%d reason=ledger unavailable", self._unrecorded[0])
        if self.server is not None:
            self.server.stop()
        self.engine.dispose()
        log.info(
            "event=run.stopped by=%s recorded=%d released=%d lost=%d",
            self.summary.stopped_by or "error", self.summary.recorded, self.summary.released,
            self.summary.lost_leases,
        )  # fmt: skip
