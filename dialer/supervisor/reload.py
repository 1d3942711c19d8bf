"""What SIGHUP reloads: the policy profiles (effective at the next claim). The call scripts are checked
(`preflight`; a broken one keeps the running workers and is logged); the workers load them, so they are
recycled once their live calls have ended."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection
from typing import Any

from dialer.settings import Settings
from dialer.supervisor.metrics import Metrics
from dialer.supervisor.preflight import ScriptChecks
from scheduler.claims import Gate, GateVerdict
from scheduler.planner import policy_gate
from scheduler.policy import ProfileSet, load_profiles

log = logging.getLogger("dialer.run")


def load_policy(profiles_dir: str) -> ProfileSet:
    """The built-in profiles plus the site's own (raises ComplianceProfileError naming the file)."""
    return load_profiles(profiles_dir or None)


def counting_gate(profiles: ProfileSet, metrics: Metrics) -> Gate:
    """The policy gate of the planner, counting denials by rule for the metrics endpoint."""
    gate = policy_gate(profiles)

    def counted(session: Any, attempt: Any, now: dt.datetime) -> GateVerdict:
        verdict: GateVerdict = gate(session, attempt, now)
        if not verdict.allow:
            metrics.denials.labels(rule=verdict.rule).inc()
        return verdict

    return counted


def checked_scripts(settings: Settings, names: Collection[str]) -> ScriptChecks | None:
    """The scripts as the files are now (not as they were at start-up), or None, each problem logged,
    when one the running campaigns use is broken."""
    fresh = ScriptChecks(settings)
    problems = [f"{name}: {p}" for name in sorted(names) if (p := fresh.problem(name))]
    for problem in problems:
        log.error("event=reload.failed what=script reason=%s (call workers kept)", problem)
    return None if problems else fresh
